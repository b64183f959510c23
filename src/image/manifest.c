/* Manifests as registries serve them: Docker v2 schema 2 and OCI image
 * manifests; Docker manifest lists and OCI indexes, from which the
 * platform's manifest is picked.  Their bytes are untrusted: sizes, counts,
 * digests and media types are checked, and an error names the field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "registry.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_SCHEMA1 "application/vnd.docker.distribution.manifest.v1"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

const char reg_manifest_accept[] =
    "Accept: " MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST;

/* The layer media types an engine unpacks (tar, gzip, zstd; Docker's
 * foreign and OCI's non-distributable ones live elsewhere than the
 * registry, and are refused). */
static const char *const layer_types[] = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
};

int reg_doc_parse(const char *body, size_t len, json_t **doc, pier_err_t *err)
{
    *doc = NULL;
    if (len > REG_MANIFEST_MAX)
        return pier_error(err, 0, "the manifest is larger than %u bytes", REG_MANIFEST_MAX);
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return pier_error(err, 0, "the manifest is not JSON: %s (line %d, column %d)", je.text,
                          je.line, je.column);
    if (!json_is_object(j)) {
        json_decref(j);
        return pier_error(err, 0, "the manifest is not a JSON object");
    }
    *doc = j;
    return 0;
}

/* The media type part of a Content-Type: "type/sub; charset=..." */
static void media_of(const char *ct, char *out, size_t cap)
{
    size_t n = strcspn(ct, "; \t");
    snprintf(out, cap, "%.*s", (int)n, ct);
}

static int kind_of(const char *mt, enum reg_media *out)
{
    if (strcmp(mt, MT_DOCKER_MANIFEST) == 0)
        *out = REG_MT_DOCKER_MANIFEST;
    else if (strcmp(mt, MT_OCI_MANIFEST) == 0)
        *out = REG_MT_OCI_MANIFEST;
    else if (strcmp(mt, MT_DOCKER_LIST) == 0)
        *out = REG_MT_DOCKER_LIST;
    else if (strcmp(mt, MT_OCI_INDEX) == 0)
        *out = REG_MT_OCI_INDEX;
    else
        return -1;
    return 0;
}

int reg_media_kind(const char *content_type, json_t *doc, enum reg_media *out, pier_err_t *err)
{
    char ct[128] = "";
    if (content_type != NULL)
        media_of(content_type, ct, sizeof ct);
    json_t *mtv = json_object_get(doc, "mediaType");
    if (mtv != NULL && !json_is_string(mtv))
        return pier_error(err, 0, "the manifest's mediaType is not a string");
    const char *mt = json_string_value(mtv);
    if (strncmp(ct, MT_SCHEMA1, strlen(MT_SCHEMA1)) == 0 ||
        (mt && strncmp(mt, MT_SCHEMA1, strlen(MT_SCHEMA1)) == 0) ||
        json_integer_value(json_object_get(doc, "schemaVersion")) == 1)
        return pier_error(err, 0,
                          "the image is in Docker's schema 1 format, which is no longer supported: "
                          "push it again with a newer client");
    enum reg_media by_ct, by_doc;
    bool have_ct = kind_of(ct, &by_ct) == 0;
    bool have_doc = mt != NULL && kind_of(mt, &by_doc) == 0;
    if (mt != NULL && !have_doc)
        return pier_error(err, 0, "unsupported manifest mediaType `%.100s`", mt);
    if (have_ct && have_doc && by_ct != by_doc)
        return pier_error(err, 0, "the manifest's mediaType `%s` contradicts its Content-Type `%s`",
                          mt, ct);
    if (have_doc) {
        *out = by_doc;
    } else if (have_ct) {
        *out = by_ct;
    } else {
        /* OCI allows a document without mediaType: its shape says. */
        bool index = json_object_get(doc, "manifests") != NULL;
        bool manifest = json_object_get(doc, "config") != NULL;
        if (index == manifest)
            return pier_error(err, 0,
                              "unsupported manifest: Content-Type `%.100s` and no mediaType",
                              ct[0] ? ct : "(none)");
        *out = index ? REG_MT_OCI_INDEX : REG_MT_OCI_MANIFEST;
    }
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return pier_error(err, 0, "the manifest's schemaVersion is not 2");
    return 0;
}

bool reg_media_is_index(enum reg_media m)
{
    return m == REG_MT_DOCKER_LIST || m == REG_MT_OCI_INDEX;
}

/* A descriptor: mediaType, a sha256 digest, a size in range. */
static int desc_parse(json_t *j, const char *path, struct reg_desc *d, pier_err_t *err)
{
    memset(d, 0, sizeof *d);
    if (!json_is_object(j))
        return pier_error(err, 0, "%s: expected an object", path);
    const char *mt = NULL, *digest = NULL;
    int64_t size = -1;
    if (pj_string(j, path, "mediaType", &mt, err) < 0 ||
        pj_string(j, path, "digest", &digest, err) < 0 ||
        pj_int(j, path, "size", 0, REG_BLOB_MAX, &size, err) < 0)
        return -1;
    if (digest == NULL)
        return pier_error(err, 0, "%s.digest: missing", path);
    if (size < 0)
        return pier_error(err, 0, "%s.size: missing", path);
    if (strncmp(digest, "sha256:", 7) != 0) {
        if (strchr(digest, ':') != NULL && strlen(digest) < 200)
            return pier_error(err, 0, "%s.digest: unsupported digest algorithm in `%s`", path,
                              digest);
        return pier_error(err, 0, "%s.digest: expected sha256:<64 hex digits>", path);
    }
    if (!img_is_hex64(digest + 7))
        return pier_error(err, 0, "%s.digest: expected sha256:<64 hex digits>", path);
    snprintf(d->digest, sizeof d->digest, "%s", digest);
    if (mt != NULL && strlen(mt) >= sizeof d->media_type)
        return pier_error(err, 0, "%s.mediaType: longer than %zu bytes", path,
                          sizeof d->media_type - 1);
    snprintf(d->media_type, sizeof d->media_type, "%s", mt ? mt : "");
    d->size = size;
    return 0;
}

static bool is_layer_type(const char *mt)
{
    for (size_t i = 0; i < ARRAY_SIZE(layer_types); i++)
        if (strcmp(mt, layer_types[i]) == 0)
            return true;
    return false;
}

void reg_manifest_free(struct reg_manifest *m)
{
    free(m->layers);
    memset(m, 0, sizeof *m);
}

int reg_manifest_parse(json_t *doc, struct reg_manifest *m, pier_err_t *err)
{
    memset(m, 0, sizeof *m);
    json_t *layers = NULL;
    if (desc_parse(json_object_get(doc, "config"), "config", &m->config, err) < 0)
        return pier_error_wrap(err, "manifest");
    if (strcmp(m->config.media_type, MT_DOCKER_CONFIG) != 0 &&
        strcmp(m->config.media_type, MT_OCI_CONFIG) != 0)
        return pier_error(err, 0,
                          "manifest: not a container image (its config's mediaType is `%.100s`)",
                          m->config.media_type);
    if (m->config.size > IMG_CONFIG_MAX)
        return pier_error(err, 0, "manifest: the image config is larger than %u bytes",
                          IMG_CONFIG_MAX);
    if (pj_array(doc, "", "layers", &layers, err) < 0)
        return pier_error_wrap(err, "manifest");
    size_t n = json_array_size(layers);
    if (n > IMG_MAX_LAYERS)
        return pier_error(err, 0, "manifest: %zu layers, more than the limit of %d", n,
                          IMG_MAX_LAYERS);
    m->layers = calloc(n + 1, sizeof *m->layers);
    if (m->layers == NULL)
        return pier_error(err, ENOMEM, "manifest");
    for (size_t i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "layers[%zu]", i);
        if (desc_parse(json_array_get(layers, i), path, &m->layers[i], err) < 0) {
            reg_manifest_free(m);
            return pier_error_wrap(err, "manifest");
        }
        if (!is_layer_type(m->layers[i].media_type)) {
            pier_error(err, 0, "manifest: %s: unsupported layer mediaType `%.100s`", path,
                       m->layers[i].media_type);
            reg_manifest_free(m);
            return -1;
        }
    }
    m->nlayers = n;
    return 0;
}

/* ---- platforms ---- */

void reg_platform_host(struct reg_platform *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->os, sizeof p->os, "linux");
#if defined(__x86_64__)
    snprintf(p->arch, sizeof p->arch, "amd64");
#elif defined(__aarch64__)
    snprintf(p->arch, sizeof p->arch, "arm64");
#elif defined(__arm__)
    snprintf(p->arch, sizeof p->arch, "arm");
    snprintf(p->variant, sizeof p->variant, "v7");
#elif defined(__i386__)
    snprintf(p->arch, sizeof p->arch, "386");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    snprintf(p->arch, sizeof p->arch, "ppc64le");
#elif defined(__s390x__)
    snprintf(p->arch, sizeof p->arch, "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
    snprintf(p->arch, sizeof p->arch, "riscv64");
#else
#error "unknown architecture: add its Go name"
#endif
}

/* containerd's platforms.Normalize for the architectures pier knows. */
static void normalize(struct reg_platform *p)
{
    for (char *c = p->os; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    for (char *c = p->arch; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    if (strcmp(p->os, "macos") == 0)
        snprintf(p->os, sizeof p->os, "darwin");
    if (strcmp(p->arch, "x86_64") == 0 || strcmp(p->arch, "x86-64") == 0) {
        snprintf(p->arch, sizeof p->arch, "amd64");
    } else if (strcmp(p->arch, "i386") == 0) {
        snprintf(p->arch, sizeof p->arch, "386");
    } else if (strcmp(p->arch, "aarch64") == 0) {
        snprintf(p->arch, sizeof p->arch, "arm64");
    } else if (strcmp(p->arch, "armhf") == 0) {
        snprintf(p->arch, sizeof p->arch, "arm");
        snprintf(p->variant, sizeof p->variant, "v7");
    } else if (strcmp(p->arch, "armel") == 0) {
        snprintf(p->arch, sizeof p->arch, "arm");
        snprintf(p->variant, sizeof p->variant, "v6");
    }
    if (strcmp(p->arch, "arm64") == 0 &&
        (strcmp(p->variant, "8") == 0 || strcmp(p->variant, "v8") == 0))
        p->variant[0] = '\0';
    if (strcmp(p->arch, "arm") == 0 && p->variant[0] >= '5' && p->variant[0] <= '8' &&
        p->variant[1] == '\0') {
        char v = p->variant[0];
        snprintf(p->variant, sizeof p->variant, "v%c", v);
    }
}

static bool part_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

int reg_platform_parse(const char *s, struct reg_platform *p, pier_err_t *err)
{
    memset(p, 0, sizeof *p);
    const char *part[4];
    size_t len[4], n = 0;
    for (const char *q = s;; n++) {
        if (n == 3)
            return pier_fail(err, EINVAL,
                             "\"%.100s\": unknown operating system or architecture: "
                             "invalid argument",
                             s);
        const char *e = strchrnul(q, '/');
        part[n] = q;
        len[n] = (size_t)(e - q);
        if (!part_ok(q, len[n]) || len[n] >= sizeof p->os)
            return pier_fail(err, EINVAL,
                             "\"%.100s\": invalid platform: expected os[/arch[/variant]]", s);
        if (*e == '\0') {
            n++;
            break;
        }
        q = e + 1;
    }
    struct reg_platform host;
    reg_platform_host(&host);
    if (n == 1) {
        /* one word: an os (linux) or an architecture of this os */
        char w[32];
        snprintf(w, sizeof w, "%.*s", (int)len[0], part[0]);
        if (strcasecmp(w, "linux") == 0 || strcasecmp(w, "windows") == 0 ||
            strcasecmp(w, "darwin") == 0 || strcasecmp(w, "freebsd") == 0) {
            snprintf(p->os, sizeof p->os, "%s", w);
            snprintf(p->arch, sizeof p->arch, "%s", host.arch);
            snprintf(p->variant, sizeof p->variant, "%s", host.variant);
        } else {
            snprintf(p->os, sizeof p->os, "linux");
            snprintf(p->arch, sizeof p->arch, "%s", w);
        }
    } else {
        snprintf(p->os, sizeof p->os, "%.*s", (int)len[0], part[0]);
        snprintf(p->arch, sizeof p->arch, "%.*s", (int)len[1], part[1]);
        if (n == 3)
            snprintf(p->variant, sizeof p->variant, "%.*s", (int)len[2], part[2]);
    }
    normalize(p);
    return 0;
}

int reg_platform_query(const char *q, struct reg_platform *p, pier_err_t *err)
{
    if (q[0] != '{')
        return reg_platform_parse(q, p, err);
    cleanup_json json_t *j = json_loads(q, 0, NULL);
    const char *os = json_string_value(json_object_get(j, "os"));
    const char *arch = json_string_value(json_object_get(j, "architecture"));
    const char *variant = json_string_value(json_object_get(j, "variant"));
    if (!json_is_object(j) || os == NULL || *os == '\0')
        return pier_fail(err, EINVAL, "invalid platform %.100s: expected a JSON object with os", q);
    char text[3 * sizeof p->os + 4];
    snprintf(text, sizeof text, "%.31s%s%.31s%s%.31s", os, arch && *arch ? "/" : "",
             arch ? arch : "", variant && *variant && arch && *arch ? "/" : "",
             variant && arch && *arch ? variant : "");
    return reg_platform_parse(text, p, err);
}

/* An image config's platform as text ("linux/arm64/v8"); false when it
 * names no architecture. */
static bool config_platform(json_t *config, char *text, size_t cap)
{
    const char *os = json_string_value(json_object_get(config, "os"));
    const char *arch = json_string_value(json_object_get(config, "architecture"));
    const char *variant = json_string_value(json_object_get(config, "variant"));
    snprintf(text, cap, "%.31s/%.31s%s%.31s", os && *os ? os : "linux", arch ? arch : "",
             variant && *variant ? "/" : "", variant ? variant : "");
    return arch && *arch;
}

int reg_platform_check(json_t *config, const struct reg_platform *want, const char *ref,
                       pier_err_t *err)
{
    char text[128], w[128];
    struct reg_platform have;
    pier_err_t e = NULL;
    bool known = config_platform(config, text, sizeof text);
    if (known && reg_platform_parse(text, &have, &e) == 0 && reg_platform_match(want, &have))
        return 0;
    pier_error_free(&e);
    reg_platform_format(want, w, sizeof w);
    return pier_fail(err, ENOENT,
                     "image with reference %s was found but its platform (%s) does not match the "
                     "specified platform (%s)",
                     ref, text, w);
}

void reg_platform_format(const struct reg_platform *p, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

/* How well have fits want: 0 not at all; 100 the exact variant; 10 and
 * more an older arm variant that runs (the newest best: v6 before v5 on
 * v7); 1 a variant left out of either. */
static int fit(const struct reg_platform *want, const struct reg_platform *have)
{
    if (strcmp(want->os, have->os) != 0 || strcmp(want->arch, have->arch) != 0)
        return 0;
    if (strcmp(want->variant, have->variant) == 0)
        return 100;
    if (want->variant[0] == '\0' || have->variant[0] == '\0')
        return 1;
    /* arm v7 runs v6 and v5 images, v8 (32-bit) runs v7 too */
    if (strcmp(want->arch, "arm") == 0 && want->variant[0] == 'v' && have->variant[0] == 'v' &&
        have->variant[1] != '\0' && have->variant[2] == '\0' && want->variant[2] == '\0' &&
        have->variant[1] < want->variant[1])
        return 10 + (have->variant[1] - '0');
    return 0;
}

bool reg_platform_match(const struct reg_platform *want, const struct reg_platform *have)
{
    return fit(want, have) > 0;
}

/* An entry's platform; false when it has none worth reading. */
static bool entry_platform(json_t *e, struct reg_platform *p)
{
    json_t *pl = json_object_get(e, "platform");
    const char *os = json_string_value(json_object_get(pl, "os"));
    const char *arch = json_string_value(json_object_get(pl, "architecture"));
    const char *variant = json_string_value(json_object_get(pl, "variant"));
    memset(p, 0, sizeof *p);
    if (os == NULL || arch == NULL || strlen(os) >= sizeof p->os ||
        strlen(arch) >= sizeof p->arch || (variant && strlen(variant) >= sizeof p->variant))
        return false;
    snprintf(p->os, sizeof p->os, "%s", os);
    snprintf(p->arch, sizeof p->arch, "%s", arch);
    snprintf(p->variant, sizeof p->variant, "%s", variant ? variant : "");
    normalize(p);
    return true;
}

int reg_index_select(json_t *doc, const struct reg_platform *want, struct reg_desc *out,
                     pier_err_t *err)
{
    json_t *list = NULL;
    if (pj_array(doc, "", "manifests", &list, err) < 0)
        return pier_error_wrap(err, "manifest list");
    if (list == NULL)
        return pier_error(err, 0, "manifest list: manifests: missing");
    size_t n = json_array_size(list);
    if (n > REG_INDEX_MAX)
        return pier_error(err, 0, "manifest list: %zu entries, more than the limit of %d", n,
                          REG_INDEX_MAX);
    int best_fit = 0;
    size_t i;
    json_t *e;
    json_array_foreach (list, i, e) {
        char path[40];
        snprintf(path, sizeof path, "manifests[%zu]", i);
        struct reg_desc d;
        if (desc_parse(e, path, &d, err) < 0)
            return pier_error_wrap(err, "manifest list");
        enum reg_media kind;
        /* entries of other kinds (schema 1, nested indexes, attestations
         * without a platform) are not candidates */
        if (kind_of(d.media_type, &kind) < 0 || reg_media_is_index(kind))
            continue;
        struct reg_platform have;
        if (!entry_platform(e, &have))
            continue;
        int f = fit(want, &have);
        if (f > best_fit) {
            best_fit = f;
            *out = d;
        }
    }
    if (best_fit == 0) {
        char p[128];
        reg_platform_format(want, p, sizeof p);
        return pier_fail(err, ENOENT, "no matching manifest for %s in the manifest list entries",
                         p);
    }
    if (out->size > REG_MANIFEST_MAX)
        return pier_error(err, 0,
                          "manifest list: the manifest for this platform is larger than "
                          "%u bytes",
                          REG_MANIFEST_MAX);
    return 0;
}
