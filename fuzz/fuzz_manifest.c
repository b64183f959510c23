/* libFuzzer target: what a registry or a client sends a pull: manifests
 * and indexes (kind, parse, platform selection), the token server's
 * answer, WWW-Authenticate, X-Registry-Auth and --platform.  The first
 * byte picks the Content-Type a manifest came with.  Any input must give
 * a value or an error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/image/registry.h"

static const char *const content_types[] = {
    NULL,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json; charset=utf-8",
    "application/json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
};

static void manifest(const char *ct, const char *s, size_t n)
{
    json_t *doc = NULL;
    pier_err_t err = NULL;
    enum reg_media kind;
    if (reg_doc_parse(s, n, &doc, &err) == 0 && reg_media_kind(ct, doc, &kind, &err) == 0) {
        if (reg_media_is_index(kind)) {
            static const char *const wants[] = {"linux/amd64", "linux/arm/v7", "linux/arm64",
                                                "windows/amd64"};
            for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++) {
                struct reg_platform p;
                struct reg_desc d;
                if (reg_platform_parse(wants[i], &p, &err) == 0)
                    reg_index_select(doc, &p, &d, &err);
                pier_error_free(&err);
            }
        } else {
            struct reg_manifest m;
            if (reg_manifest_parse(doc, &m, &err) == 0)
                reg_manifest_free(&m);
        }
    }
    pier_error_free(&err);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *ct = content_types[data[0] % (sizeof content_types / sizeof content_types[0])];
    data++;
    size--;
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    manifest(ct, s, size);

    pier_err_t err = NULL;
    char *token = NULL;
    if (reg_token_parse(s, size, &token, &err) == 0)
        free(token);
    pier_error_free(&err);

    struct reg_challenge ch;
    reg_challenge_parse(s, &ch, &err);
    pier_error_free(&err);

    struct reg_creds creds;
    if (reg_creds_decode(s, &creds, &err) == 0)
        reg_creds_free(&creds);
    pier_error_free(&err);

    struct reg_platform p;
    if (reg_platform_parse(s, &p, &err) == 0) {
        char out[128];
        reg_platform_format(&p, out, sizeof out);
        struct reg_platform host;
        reg_platform_host(&host);
        reg_platform_match(&host, &p);
    }
    pier_error_free(&err);
    free(s);
    return 0;
}
