/* The manifest a push writes: docker's shape and layout, and what a pull
 * reads back from it; a layer's compression for a push. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <stdbool.h>

#include "../../src/image/internal.h"
#include "../../src/image/push_int.h"
#include "../../src/image/registry.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/lib/json.h"
#include "image_tar.h"
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

/* A layer compressed for a push, block by block on several threads: gzip
 * members that inflate to the tar, whatever its size against the block
 * (1 MiB) and batch sizes, its digest that of the bytes written, and the
 * same bytes every time. */
TEST(push_compress_parallel_gzip)
{
    cleanup_dir char *dir = scratch_dir();
    CHECK(dir != NULL);
    char store[600];
    snprintf(store, sizeof store, "%s/image", dir);
    struct img_store *s = NULL;
    pier_err_t err = NULL;
    CHECK(img_store_open(store, &s, &err) == 0);
    const size_t mib = 1u << 20;
    const size_t sizes[] = {0, 1, mib - 1, mib, mib + 1, 4 * mib, 4 * mib + 7, 16 * mib + 3};
    size_t max = 16 * mib + 3;
    unsigned char *data = malloc(max), *back = malloc(max + 1);
    CHECK(data != NULL && back != NULL);
    /* compressible, and not: text and noise in turns */
    unsigned seed = 7;
    for (size_t i = 0; i < max; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (i / 100000) % 2 ? (unsigned char)(seed >> 16) : (unsigned char)("pier "[i % 5]);
    }
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        char diff[IMG_DIGEST_SIZE];
        CHECK(img_sha256(data, sizes[k], diff, &err) == 0);
        char path[700];
        snprintf(path, sizeof path, "%s/blobs/sha256/%s", store, diff + 7);
        CHECK(pier_write_file_atomic_at(AT_FDCWD, path, data, sizes[k], 0600, 0, &err) == 0);
        struct reg_desc d[2];
        int fd[2];
        for (int r = 0; r < 2; r++) {
            fd[r] = img_tmp_file(s, "upload", &err);
            CHECK(fd[r] >= 0);
            CHECK(push_compress(s, diff, fd[r], NULL, &d[r], NULL, &err) == 0);
        }
        CHECK_STR(d[0].digest, d[1].digest);
        CHECK(d[0].size == d[1].size);
        /* the file holds what the descriptor says */
        unsigned char *gz = malloc((size_t)d[0].size + 1);
        CHECK(gz != NULL);
        CHECK(pread(fd[0], gz, (size_t)d[0].size + 1, 0) == d[0].size);
        char digest[IMG_DIGEST_SIZE];
        CHECK(img_sha256(gz, (size_t)d[0].size, digest, &err) == 0);
        CHECK_STR(digest, d[0].digest);
        /* gzip members, one after the other (each one's CRC and length checked) */
        struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();
        CHECK(z != NULL);
        size_t in = 0, got = 0;
        bool ok = true;
        while (ok && in < (size_t)d[0].size) {
            size_t used = 0, made = 0;
            ok = libdeflate_gzip_decompress_ex(z, gz + in, (size_t)d[0].size - in, back + got,
                                               max + 1 - got, &used, &made) == LIBDEFLATE_SUCCESS;
            in += used;
            got += made;
        }
        libdeflate_free_decompressor(z);
        free(gz);
        close(fd[0]);
        close(fd[1]);
        CHECK(ok);
        CHECK(got == sizes[k]);
        CHECK(memcmp(back, data, sizes[k]) == 0);
    }
    free(data);
    free(back);
    img_store_close(s);
}
