/* Manifests and indexes as registries serve them, and the platform a pull
 * picks from an index. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../src/image/registry.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/json.h"
#include "unit.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define D5 "sha256:5555555555555555555555555555555555555555555555555555555555555555"
#define OCI_M "application/vnd.oci.image.manifest.v1+json"
#define DOCKER_M "application/vnd.docker.distribution.manifest.v2+json"

static json_t *parse(const char *s)
{
    json_t *j = NULL;
    pier_err_t err = NULL;
    if (reg_doc_parse(s, strlen(s), &j, &err) < 0) {
        unit_fail(__FILE__, __LINE__, "%s", pier_error_msg(err));
        pier_error_free(&err);
    }
    return j;
}

static const char *entry(char *buf, size_t cap, const char *digest, const char *arch,
                         const char *variant)
{
    snprintf(buf, cap,
             "{\"mediaType\":\"" OCI_M "\",\"digest\":\"%s\",\"size\":100,"
             "\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"%s%s%s}}",
             digest, arch, variant ? ",\"variant\":\"" : "", variant ? variant : "",
             variant ? "\"" : "");
    return buf;
}

/* The digest an index of these entries gives for want ("" for none). */
static void pick(const char *entries, const char *want, char *out)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
             "\"manifests\":[%s]}",
             entries);
    cleanup_json json_t *j = parse(doc);
    struct reg_platform p;
    pier_err_t err = NULL;
    if (want)
        reg_platform_parse(want, &p, &err);
    else
        reg_platform_host(&p);
    struct reg_desc d;
    out[0] = '\0';
    if (reg_index_select(j, &p, &d, &err) == 0)
        strcpy(out, d.digest);
    pier_error_free(&err);
}

TEST(index_picks_the_platform)
{
    char a[512], b[512], c[512], e[512], entries[4096], got[80];
    snprintf(entries, sizeof entries, "%s,%s,%s,%s", entry(a, sizeof a, D1, "arm", "v6"),
             entry(b, sizeof b, D2, "amd64", NULL), entry(c, sizeof c, D3, "arm64", "v8"),
             entry(e, sizeof e, D4, "arm", "v7"));
    pick(entries, "linux/amd64", got);
    CHECK_STR(got, D2);
    pick(entries, "linux/arm64", got);
    CHECK_STR(got, D3);
    pick(entries, "linux/aarch64/v8", got);
    CHECK_STR(got, D3);
    pick(entries, "arm64", got);
    CHECK_STR(got, D3);
    pick(entries, "linux/arm/v7", got);
    CHECK_STR(got, D4);
    pick(entries, "linux/arm/v6", got);
    CHECK_STR(got, D1);
    pick(entries, "linux/s390x", got);
    CHECK_STR(got, "");
#if defined(__x86_64__)
    pick(entries, NULL, got);
    CHECK_STR(got, D2);
#endif
    /* v7 runs a v6 image when there is no v7 one */
    snprintf(entries, sizeof entries, "%s,%s", entry(a, sizeof a, D1, "arm", "v5"),
             entry(b, sizeof b, D2, "arm", "v6"));
    pick(entries, "linux/arm/v7", got);
    CHECK_STR(got, D2);
    /* the exact variant beats an entry without one */
    snprintf(entries, sizeof entries, "%s,%s", entry(a, sizeof a, D1, "amd64", NULL),
             entry(b, sizeof b, D2, "amd64", "v3"));
    pick(entries, "linux/amd64/v3", got);
    CHECK_STR(got, D2);
    pick(entries, "linux/amd64", got);
    CHECK_STR(got, D1);
}

TEST(index_skips_what_is_not_an_image_for_a_platform)
{
    char a[512], entries[4096], got[80];
    /* an attestation (unknown/unknown), a nested index, schema 1, no
     * platform: none of them is picked */
    snprintf(entries, sizeof entries,
             "{\"mediaType\":\"" OCI_M "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":"
             "{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
             "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" D2
             "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}},"
             "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\","
             "\"digest\":\"" D3 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
             "\"architecture\":\"s390x\"}},"
             "{\"mediaType\":\"" OCI_M "\",\"digest\":\"" D4 "\",\"size\":1},%s",
             entry(a, sizeof a, D5, "s390x", NULL));
    pick(entries, "linux/s390x", got);
    CHECK_STR(got, D5);
    pick(entries, "linux/ppc64le", got);
    CHECK_STR(got, "");
}

TEST(index_refusals_name_the_problem)
{
    static const struct {
        const char *doc, *why;
    } bad[] = {
        {"{\"schemaVersion\":2}", "manifests: missing"},
        {"{\"schemaVersion\":2,\"manifests\":{}}", "manifests: expected an array"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_M "\",\"size\":1}]}",
         "manifests[0].digest: missing"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_M
         "\",\"digest\":\"sha512:abcd\",\"size\":1}]}",
         "unsupported digest algorithm"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_M "\",\"digest\":\"" D1
         "\",\"size\":-1}]}",
         "manifests[0].size"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_M
         "\",\"digest\":\"sha256:ABC\",\"size\":1}]}",
         "expected sha256:<64 hex digits>"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        cleanup_json json_t *j = parse(bad[i].doc);
        struct reg_platform p;
        reg_platform_host(&p);
        struct reg_desc d;
        pier_err_t err = NULL;
        CHECK(reg_index_select(j, &p, &d, &err) < 0);
        CHECK_CONTAINS(pier_error_msg(err), bad[i].why);
        pier_error_free(&err);
    }
    cleanup_json json_t *j = parse("{\"schemaVersion\":2,\"manifests\":[]}");
    struct reg_platform p;
    pier_err_t err = NULL;
    CHECK(reg_platform_parse("linux/arm64", &p, &err) == 0);
    struct reg_desc d;
    CHECK(reg_index_select(j, &p, &d, &err) < 0);
    CHECK(err->errnum == ENOENT);
    CHECK_STR(pier_error_msg(err), "no matching manifest for linux/arm64 in the manifest list "
                                   "entries");
    pier_error_free(&err);
}

TEST(platform_strings)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        {"linux/amd64", "linux/amd64"},     {"linux/x86_64", "linux/amd64"},
        {"Linux/AMD64", "linux/amd64"},     {"linux/arm64/v8", "linux/arm64"},
        {"linux/aarch64", "linux/arm64"},   {"linux/arm/7", "linux/arm/v7"},
        {"linux/armhf", "linux/arm/v7"},    {"linux/arm64/v9", "linux/arm64/v9"},
        {"s390x", "linux/s390x"},           {"windows/amd64", "windows/amd64"},
        {"linux/riscv64", "linux/riscv64"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        struct reg_platform p;
        pier_err_t err = NULL;
        CHECK(reg_platform_parse(good[i].in, &p, &err) == 0);
        char out[128];
        reg_platform_format(&p, out, sizeof out);
        CHECK_STR(out, good[i].out);
    }
    static const char *const bad[] = {
        "", "linux/", "/amd64", "linux/amd64/v8/x", "linux/a md64", "linux//amd64"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct reg_platform p;
        pier_err_t err = NULL;
        if (reg_platform_parse(bad[i], &p, &err) == 0)
            unit_fail(__FILE__, __LINE__, "`%s` was accepted", bad[i]);
        CHECK(err->errnum == EINVAL);
        pier_error_free(&err);
    }
}

static const char manifest_fmt[] =
    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"size\":10,"
    "\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\"%s\",\"size\":20,\"digest\":\"" D2 "\"}]}";

TEST(manifests_docker_and_oci)
{
    char doc[2048];
    snprintf(doc, sizeof doc, manifest_fmt, DOCKER_M,
             "application/vnd.docker.container.image.v1+json",
             "application/vnd.docker.image.rootfs.diff.tar.gzip");
    cleanup_json json_t *j = parse(doc);
    enum reg_media kind;
    pier_err_t err = NULL;
    CHECK(reg_media_kind("application/vnd.docker.distribution.manifest.v2+json", j, &kind, &err) ==
          0);
    CHECK(kind == REG_MT_DOCKER_MANIFEST);
    struct reg_manifest m;
    CHECK(reg_manifest_parse(j, &m, &err) == 0);
    CHECK(m.nlayers == 1 && m.layers[0].size == 20);
    CHECK_STR(m.config.digest, D1);
    CHECK_STR(m.layers[0].digest, D2);
    reg_manifest_free(&m);
    /* OCI without a mediaType: its Content-Type, else its shape */
    cleanup_json json_t *o = parse("{\"schemaVersion\":2,\"config\":{\"mediaType\":"
                                   "\"application/vnd.oci.image.config.v1+json\",\"size\":1,"
                                   "\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":"
                                   "\"application/vnd.oci.image.layer.v1.tar+zstd\",\"size\":1,"
                                   "\"digest\":\"" D2 "\"}]}");
    CHECK(reg_media_kind("application/json", o, &kind, &err) == 0 && kind == REG_MT_OCI_MANIFEST);
    CHECK(reg_media_kind(NULL, o, &kind, &err) == 0 && kind == REG_MT_OCI_MANIFEST);
    CHECK(reg_manifest_parse(o, &m, &err) == 0 && m.nlayers == 1);
    reg_manifest_free(&m);
    cleanup_json json_t *i = parse("{\"schemaVersion\":2,\"manifests\":[]}");
    CHECK(reg_media_kind("text/plain", i, &kind, &err) == 0 && kind == REG_MT_OCI_INDEX);
    CHECK(reg_media_is_index(kind));
}

TEST(manifest_refusals_name_the_problem)
{
    static const struct {
        const char *mt, *config, *layer, *why;
    } bad[] = {
        {OCI_M, "application/vnd.cncf.helm.config.v1+json",
         "application/vnd.oci.image.layer.v1.tar", "not a container image"},
        {OCI_M, "application/vnd.oci.image.config.v1+json",
         "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
         "layers[0]: unsupported layer mediaType"},
        {OCI_M, "application/vnd.oci.image.config.v1+json", "text/plain",
         "unsupported layer mediaType `text/plain`"},
    };
    for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
        char doc[2048];
        snprintf(doc, sizeof doc, manifest_fmt, bad[k].mt, bad[k].config, bad[k].layer);
        cleanup_json json_t *j = parse(doc);
        struct reg_manifest m;
        pier_err_t err = NULL;
        CHECK(reg_manifest_parse(j, &m, &err) < 0);
        CHECK_CONTAINS(pier_error_msg(err), bad[k].why);
        pier_error_free(&err);
    }
    /* kinds that are refused outright */
    static const struct {
        const char *ct, *doc, *why;
    } kinds[] = {
        {"application/vnd.docker.distribution.manifest.v1+prettyjws",
         "{\"schemaVersion\":1,\"name\":\"x\"}", "schema 1"},
        {NULL, "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", "schema 1"},
        {NULL, "{\"schemaVersion\":2,\"mediaType\":\"text/html\"}",
         "unsupported manifest mediaType"},
        {DOCKER_M, "{\"schemaVersion\":2,\"mediaType\":\"" OCI_M "\",\"config\":{}}",
         "contradicts its Content-Type"},
        {"text/html", "{\"schemaVersion\":2}", "unsupported manifest"},
        {OCI_M, "{\"schemaVersion\":3,\"config\":{}}", "schemaVersion is not 2"},
        {NULL, "{\"schemaVersion\":2,\"mediaType\":7}", "mediaType is not a string"},
    };
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        cleanup_json json_t *j = parse(kinds[k].doc);
        enum reg_media kind;
        pier_err_t err = NULL;
        CHECK(reg_media_kind(kinds[k].ct, j, &kind, &err) < 0);
        CHECK_CONTAINS(pier_error_msg(err), kinds[k].why);
        pier_error_free(&err);
    }
    /* too many layers */
    char big[IMG_MAX_LAYERS * 200 + 1024];
    size_t n = (size_t)snprintf(big, sizeof big,
                                "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/"
                                "vnd.oci.image.config.v1+json\",\"size\":1,\"digest\":\"" D1
                                "\"},\"layers\":[");
    for (int i = 0; i <= IMG_MAX_LAYERS; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                              "\"size\":1,\"digest\":\"" D2 "\"}",
                              i ? "," : "");
    snprintf(big + n, sizeof big - n, "]}");
    cleanup_json json_t *j = parse(big);
    struct reg_manifest m;
    pier_err_t err = NULL;
    CHECK(reg_manifest_parse(j, &m, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "more than the limit of 125");
    pier_error_free(&err);
    /* not JSON, not an object, too large */
    json_t *x = NULL;
    CHECK(reg_doc_parse("{", 1, &x, &err) < 0 && x == NULL);
    CHECK_CONTAINS(pier_error_msg(err), "not JSON");
    CHECK(reg_doc_parse("[1]", 3, &x, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "not a JSON object");
    CHECK(reg_doc_parse("{}", REG_MANIFEST_MAX + 1, &x, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "larger than");
    pier_error_free(&err);
}
