/* docker archives: the paths and manifest.json of an untrusted archive,
 * the tar's index (links, names given twice, offsets), and a save that a
 * load brings back to the same image. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/image/archive.h"
#include "../../src/image/image.h"
#include "../../src/image/internal.h"
#include "../../src/image/registry.h"
#include "../../src/lib/buf.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/lib/json.h"
#include "image_store_fixture.h"
#include "image_tar.h"
#include "unit.h"

TEST(archive_path_canonical_or_refused)
{
    static const struct {
        const char *in, *out; /* out NULL: refused, the error containing err */
        const char *err;
    } cases[] = {
        {"manifest.json", "manifest.json", NULL},
        {"./blobs//sha256/abc/", "blobs/sha256/abc", NULL},
        {"a/./b", "a/b", NULL},
        {"/etc/passwd", NULL, "\"/etc/passwd\" is an absolute path"},
        {"../../etc/passwd", NULL, "\"../../etc/passwd\" climbs out of the archive"},
        {"blobs/../manifest.json", NULL, "climbs out of the archive"},
        {"a/..", NULL, "climbs out"},
        {"", NULL, "an empty path"},
        {"./", NULL, "names the archive's root"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[IMG_ARCHIVE_PATH_MAX];
        pier_err_t err = NULL;
        int r = img_archive_path(cases[i].in, out, sizeof out, &err);
        if (cases[i].out != NULL) {
            CHECK(r == 0);
            CHECK_STR(out, cases[i].out);
        } else {
            CHECK(r < 0);
            CHECK_CONTAINS(pier_error_msg(err), cases[i].err);
        }
        pier_error_free(&err);
    }
    char *longp = malloc(IMG_ARCHIVE_PATH_MAX + 10);
    CHECK(longp != NULL);
    memset(longp, 'a', IMG_ARCHIVE_PATH_MAX + 9);
    longp[IMG_ARCHIVE_PATH_MAX + 9] = '\0';
    char out[IMG_ARCHIVE_PATH_MAX];
    pier_err_t err = NULL;
    int r = img_archive_path(longp, out, sizeof out, &err);
    free(longp);
    CHECK(r < 0);
    CHECK_CONTAINS(pier_error_msg(err), "longer than");
    pier_error_free(&err);
}

TEST(archive_manifest_parse_checks_every_field)
{
    const char *good = "[{\"Config\":\"blobs/sha256/c\",\"RepoTags\":[\"busybox:latest\","
                       "\"docker.io/library/bb:1\",\"localhost:5000/x/y:z\"],"
                       "\"Layers\":[\"./blobs/sha256/l1\",\"l2/layer.tar\"],\"Parent\":\"x\"},"
                       "{\"Config\":\"c2.json\",\"RepoTags\":null,\"Layers\":[]}]";
    struct img_archive_manifest *m = NULL;
    pier_err_t err = NULL;
    CHECK(img_archive_manifest_parse(good, strlen(good), &m, &err) == 0);
    CHECK(m->n == 2);
    CHECK_STR(m->items[0].config, "blobs/sha256/c");
    CHECK(m->items[0].ntags == 3);
    CHECK_STR(m->items[0].tags[0], "busybox:latest");
    CHECK_STR(m->items[0].tags[1], "bb:1");
    CHECK_STR(m->items[0].tags[2], "localhost:5000/x/y:z");
    CHECK(m->items[0].tags[3] == NULL);
    CHECK(m->items[0].nlayers == 2);
    CHECK_STR(m->items[0].layers[0], "blobs/sha256/l1");
    CHECK_STR(m->items[0].layers[1], "l2/layer.tar");
    CHECK(m->items[1].ntags == 0 && m->items[1].tags[0] == NULL && m->items[1].nlayers == 0);
    img_archive_manifest_free(m);

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"null", "invalid manifest, manifest cannot be null (but can be [])"},
        {"{}", "expected an array of images"},
        {"[1]", "[0]: expected an object"},
        {"[{", "invalid manifest.json: invalid JSON"},
        {"[{\"Layers\":[]}]", "[0].Config: missing"},
        {"[{\"Config\":\"\"}]", "[0].Config: missing"},
        {"[{\"Config\":7}]", "[0].Config: expected a string"},
        {"[{\"Config\":\"/c\"}]", "[0].Config: \"/c\" is an absolute path"},
        {"[{\"Config\":\"c\",\"Layers\":[\"../../etc/passwd\"]}]",
         "[0].Layers[0]: \"../../etc/passwd\" climbs out of the archive"},
        {"[{\"Config\":\"c\",\"Layers\":\"l\"}]", "[0].Layers: expected an array"},
        {"[{\"Config\":\"c\",\"Layers\":[1]}]", "[0].Layers[0]: expected a string"},
        {"[{\"Config\":\"c\",\"RepoTags\":[\"busybox\"]}]", "[0].RepoTags[0]: invalid tag"},
        {"[{\"Config\":\"c\",\"RepoTags\":[\"UPPER:x\"]}]", "[0].RepoTags[0]"},
        {"[{\"Config\":\"c\"},{\"Config\":\"c\",\"Layers\":[\"a\\u0000b\"]}]", "is not allowed"},
        {"[{\"Config\":\"c\",\"Config\":\"d\"}]", "duplicate"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        m = NULL;
        if (img_archive_manifest_parse(bad[i].text, strlen(bad[i].text), &m, &err) == 0) {
            img_archive_manifest_free(m);
            unit_fail(__FILE__, __LINE__, "accepted: %s", bad[i].text);
            return;
        }
        CHECK(m == NULL);
        CHECK_CONTAINS(pier_error_msg(err), bad[i].err);
        pier_error_free(&err);
    }
    /* more layers than an image may have */
    struct buf b = BUF_INIT;
    buf_puts(&b, "[{\"Config\":\"c\",\"Layers\":[");
    for (int i = 0; i <= IMG_MAX_LAYERS; i++)
        buf_puts(&b, i ? ",\"l\"" : "\"l\"");
    buf_puts(&b, "]}]");
    int r = img_archive_manifest_parse(b.data, b.len, &m, &err);
    buf_free(&b);
    CHECK(r < 0);
    CHECK_CONTAINS(pier_error_msg(err), "[0].Layers: more than 125 entries");
    pier_error_free(&err);
}

TEST(archive_index_follows_links_and_keeps_the_last_name)
{
    static const struct tar_entry e[] = {
        {.name = "./dir/", .type = 'd'},
        {.name = "dir/a", .type = 'f', .data = "first"},
        {.name = "dir/b", .type = 'f', .data = "bee"},
        {.name = "dir/a", .type = 'f', .data = "second a"},
        {.name = "other/link", .type = 'l', .data = "../dir/b"},
        {.name = "hard", .type = 'h', .data = "dir/b"},
        {.name = "chain", .type = 'l', .data = "other/link"},
        {.name = "out", .type = 'l', .data = "../../etc/passwd"},
        {.name = "abs", .type = 'l', .data = "/etc/passwd"},
        {.name = "loop", .type = 'l', .data = "loop"},
    };
    cleanup_close int fd = tar_fd(e, ARRAY_SIZE(e), "none");
    CHECK(fd >= 0);
    struct img_archive_index idx;
    pier_err_t err = NULL;
    static const struct img_archive_scan keep_all = {0};
    CHECK(img_archive_scan(fd, &keep_all, &idx, &err) == 0);
    static const struct {
        const char *path, *data;
    } found[] = {
        {"dir/a", "second a"}, {"./dir//a", "second a"}, {"other/link", "bee"},
        {"hard", "bee"},       {"chain", "bee"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(found); i++) {
        const struct img_archive_entry *x = img_archive_lookup(&idx, found[i].path, &err);
        CHECK(x != NULL);
        const char *data = NULL;
        size_t len;
        CHECK(img_archive_data(x, 1024, &data, &len, &err) == 0);
        CHECK_STR(data, found[i].data);
        CHECK(len == strlen(found[i].data));
    }
    static const struct {
        const char *path, *err;
    } missing[] = {
        {"nope", "the archive has no file nope"}, {"out", "climbs out of the archive"},
        {"abs", "is an absolute path"},           {"loop", "more than 16 links"},
        {"dir", "the archive has no file dir"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
        CHECK(img_archive_lookup(&idx, missing[i].path, &err) == NULL);
        CHECK_CONTAINS(pier_error_msg(err), missing[i].err);
        pier_error_free(&err);
    }
    /* a cap is a cap */
    const struct img_archive_entry *x = img_archive_lookup(&idx, "dir/a", &err);
    const char *data = NULL;
    size_t len;
    CHECK(x != NULL && img_archive_data(x, 3, &data, &len, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "larger than 3 bytes");
    pier_error_free(&err);
    img_archive_index_free(&idx);

    /* an entry that climbs out is refused, not skipped */
    static const struct tar_entry evil[] = {{.name = "../x", .type = 'f', .data = "x"}};
    cleanup_close int efd = tar_fd(evil, 1, "none");
    CHECK(img_archive_scan(efd, &keep_all, &idx, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "\"../x\" climbs out of the archive");
    pier_error_free(&err);
}

static void on_line(void *data, const char *text)
{
    buf_puts(data, text);
}

TEST(archive_save_then_load_is_the_same_image)
{
    STORE_FIXTURE();
    static const struct tar_entry rootfs[] = {
        {.name = "bin/", .type = 'd'},
        {.name = "bin/sh", .type = 'f', .data = "#!/bin/true\n", .mode = 0755},
    };
    cleanup_close int in = tar_fd(rootfs, ARRAY_SIZE(rootfs), "none");
    cleanup_free char *id = NULL;
    CHECK(img_import(f.s, in, &(struct img_import_opts){.repo_tag = "app:1"}, &id, &f.err) == 0);
    CHECK(img_tag(f.s, id, "app:2", &f.err) == 0);

    /* "app" is every tag of app; the id once more adds nothing */
    const char *names[] = {"app", id, NULL};
    struct img_save *sv = NULL;
    CHECK(img_save_open(f.s, names, NULL, &sv, &f.err) == 0);
    CHECK(img_save_count(sv) == 1);
    CHECK_STR(img_save_id(sv, 0), id);
    cleanup_close int out = memfd_create("archive", MFD_CLOEXEC);
    CHECK(out >= 0);
    int r = img_save_write(sv, out, &f.err);
    img_save_free(sv);
    CHECK(r == 0);

    /* --platform: the image's is taken, another is refused by name */
    struct reg_platform want;
    CHECK(reg_platform_query("{\"os\": \"linux\", \"architecture\": \"amd64\"}", &want, &f.err) ==
          0);
    const char *one[] = {"app:1", NULL};
    CHECK(img_save_open(f.s, one, &want, &sv, &f.err) == 0);
    img_save_free(sv);
    CHECK(reg_platform_query("linux/s390x", &want, &f.err) == 0);
    CHECK(img_save_open(f.s, one, &want, &sv, &f.err) < 0);
    CHECK_CONTAINS(pier_error_msg(f.err), "image with reference app:1 was found but its platform "
                                          "(linux/amd64) does not match the specified platform "
                                          "(linux/s390x)");
    pier_error_free(&f.err);

    const char *none[] = {"nope:1", NULL};
    CHECK(img_save_open(f.s, none, NULL, &sv, &f.err) < 0);
    CHECK_CONTAINS(pier_error_msg(f.err), "No such image: nope:1");
    pier_error_free(&f.err);

    json_t *gone = NULL;
    CHECK(img_remove(f.s, "app:1", true, NULL, NULL, &gone, &f.err) == 0);
    json_decref(gone);
    CHECK(img_remove(f.s, "app:2", true, NULL, NULL, &gone, &f.err) == 0);
    json_decref(gone);
    cleanup_free char *left = NULL;
    CHECK(img_resolve(f.s, id, &left, &f.err) < 0);
    pier_error_free(&f.err);

    cleanup_buf struct buf said = BUF_INIT;
    struct img_load_report rep = {.line = on_line, .data = &said};
    CHECK(lseek(out, 0, SEEK_SET) == 0);
    CHECK(img_load(f.s, out, &rep, &f.err) == 0);
    CHECK_STR(said.data, "Loaded image: app:1\nLoaded image: app:2\n");
    cleanup_free char *back = NULL;
    CHECK(img_resolve(f.s, "app:2", &back, &f.err) == 0);
    CHECK_STR(back, id);
}
