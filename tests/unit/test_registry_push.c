/* The manifest a push writes: docker's shape and layout, and what a pull
 * reads back from it. */
#include <stdlib.h>
#include <string.h>

#include "../../src/image/registry.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/json.h"
#include "unit.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define CFG "application/vnd.docker.container.image.v1+json"

TEST(push_manifest_is_docker_schema2)
{
    struct reg_desc config = {.media_type = CFG, .digest = D1, .size = 1469};
    struct reg_desc layers[] = {{.media_type = GZ, .digest = D2, .size = 2000000},
                                {.media_type = GZ, .digest = D3, .size = 32}};
    cleanup_free char *out = NULL;
    size_t len = 0;
    pier_err_t err = NULL;
    CHECK(reg_manifest_build(&config, layers, 2, &out, &len, &err) == 0);
    CHECK(len == strlen(out));
    /* docker's daemon indents by three spaces, fields in this order */
    CHECK_STR(out, "{\n"
                   "   \"schemaVersion\": 2,\n"
                   "   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
                   "   \"config\": {\n"
                   "      \"mediaType\": \"" CFG "\",\n"
                   "      \"size\": 1469,\n"
                   "      \"digest\": \"" D1 "\"\n"
                   "   },\n"
                   "   \"layers\": [\n"
                   "      {\n"
                   "         \"mediaType\": \"" GZ "\",\n"
                   "         \"size\": 2000000,\n"
                   "         \"digest\": \"" D2 "\"\n"
                   "      },\n"
                   "      {\n"
                   "         \"mediaType\": \"" GZ "\",\n"
                   "         \"size\": 32,\n"
                   "         \"digest\": \"" D3 "\"\n"
                   "      }\n"
                   "   ]\n"
                   "}");
    /* what a pull reads back */
    cleanup_json json_t *doc = NULL;
    enum reg_media kind;
    struct reg_manifest m;
    CHECK(reg_doc_parse(out, len, &doc, &err) == 0);
    CHECK(reg_media_kind(NULL, doc, &kind, &err) == 0 && kind == REG_MT_DOCKER_MANIFEST);
    CHECK(reg_manifest_parse(doc, &m, &err) == 0);
    CHECK(m.nlayers == 2 && m.layers[1].size == 32);
    CHECK_STR(m.config.digest, D1);
    CHECK_STR(m.layers[0].digest, D2);
    reg_manifest_free(&m);
    pier_error_free(&err);
}

TEST(push_manifest_of_no_layers)
{
    struct reg_desc config = {.media_type = CFG, .digest = D1, .size = 10};
    cleanup_free char *out = NULL;
    size_t len = 0;
    pier_err_t err = NULL;
    CHECK(reg_manifest_build(&config, NULL, 0, &out, &len, &err) == 0);
    CHECK_CONTAINS(out, "\"layers\": []");
    pier_error_free(&err);
}
