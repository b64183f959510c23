/* Tar-split: a layer's tar is made again, byte for byte, from what the
 * store keeps of it (the tar-split and the unpacked files) in every tar
 * format libarchive writes; a tar whose files cannot give it back keeps
 * the whole tar instead; a layer changed on disk is refused on reading. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/image/image.h"
#include "../../src/image/internal.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "image_tar.h"
#include "unit.h"

#define LONG_DIR                                                                                   \
    "a-directory-with-a-name-long-enough/that-the-whole-path-is-over-one-hundred/bytes-so"
#define BIG_SIZE 70001

struct fixture {
    char *dir;
    char store[600];
    struct img_store *s;
    pier_err_t err;
    char *big;
};

static bool open_store(struct fixture *f)
{
    f->dir = scratch_dir();
    if (f->dir == NULL)
        return false;
    snprintf(f->store, sizeof f->store, "%s/image", f->dir);
    f->big = malloc(BIG_SIZE + 1);
    if (f->big == NULL)
        return false;
    for (size_t i = 0; i < BIG_SIZE; i++)
        f->big[i] = (char)('a' + (i * 7919) % 26);
    f->big[BIG_SIZE] = '\0';
    return img_store_open(f->store, &f->s, &f->err) == 0;
}

static void fixture_free(struct fixture *f)
{
    img_store_close(f->s);
    f->s = NULL;
    pier_error_free(&f->err);
    free(f->big);
    unit_remove_dir(&f->dir);
}

#define FIXTURE()                                                                                  \
    __attribute__((cleanup(fixture_free))) struct fixture f = {0};                                 \
    CHECK(open_store(&f))

/* The tar's bytes from the fd (rewound after). */
static char *slurp(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return NULL;
    char *b = malloc((size_t)st.st_size + 1);
    *len = (size_t)st.st_size;
    if (b == NULL || pread(fd, b, *len, 0) != (ssize_t)*len) {
        free(b);
        return NULL;
    }
    return b;
}

/* Add the tar (fd, compressed perhaps) as a layer, read its tar back
 * whole: plain_fd's bytes; whether the store kept a blob of it. */
static bool round_trip(struct fixture *f, int fd, int plain_fd, bool *blob,
                       struct img_layer_info *info)
{
    size_t len;
    cleanup_free char *want = slurp(plain_fd, &len);
    if (want == NULL || img_layer_add(f->s, NULL, fd, NULL, info, &f->err) < 0) {
        printf("    add: %s\n", pier_error_msg(f->err));
        return false;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", f->store, info->diff_id + 7);
    *blob = access(path, F_OK) == 0;
    struct img_tar_reader *r;
    int64_t size;
    if (img_tar_open(f->s, info->diff_id, &r, &size, &f->err) < 0) {
        printf("    open: %s\n", pier_error_msg(f->err));
        return false;
    }
    cleanup_free char *got = malloc(len + 4096);
    size_t n = 0;
    ssize_t k;
    /* in odd pieces, as save and push ask */
    while ((k = img_tar_read(r, got + n, n % 3 ? 1000 : 4096, &f->err)) > 0)
        n += (size_t)k;
    img_tar_close(r);
    if (k < 0) {
        printf("    read: %s\n", pier_error_msg(f->err));
        return false;
    }
    if (size != (int64_t)len || n != len || memcmp(got, want, len) != 0) {
        printf("    size %lld, read %zu, tar %zu bytes\n", (long long)size, n, len);
        return false;
    }
    return true;
}

TEST(tarsplit_gives_back_the_tar_in_every_format)
{
    FIXTURE();
    const struct tar_entry full[] = {
        {.name = "bin/", .type = 'd'},
        {.name = "bin/sh", .type = 'f', .data = "#!/bin/true\n", .mode = 0755},
        {.name = "empty", .type = 'f', .data = ""},
        {.name = "big", .type = 'f', .data = f.big},
        {.name = "x/y/z/block", .type = 'f', .data = "exactly"},
        {.name = LONG_DIR "/file-under-a-long-path", .type = 'f', .data = "long\n"},
        {.name = "etc/hostname", .type = 'f', .data = "pier\n"},
        {.name = "etc/hostname.bak", .type = 'h', .data = "etc/hostname"},
        {.name = "lib", .type = 'l', .data = "usr/lib"},
        {.name = "etc/.wh.gone", .type = 'f', .data = ""},
        {.name = "fifo", .type = 'p'},
        {.name = "caps", .type = 'f', .data = "with an attribute", .xattr = "user.pier=1"},
    };
    static const char *const formats[] = {"paxr", "pax", "gnutar", "ustar"};
    for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
        /* ustar has no room for attributes */
        size_t n = strcmp(formats[i], "ustar") == 0 ? ARRAY_SIZE(full) - 1 : ARRAY_SIZE(full);
        static const char *const comps[] = {"none", "gzip"};
        for (size_t c = 0; c < ARRAY_SIZE(comps); c++) {
            printf("    %s, %s\n", formats[i], comps[c]);
            cleanup_close int fd = tar_fd_format(full, n, comps[c], formats[i]);
            cleanup_close int plain = tar_fd_format(full, n, "none", formats[i]);
            CHECK(fd >= 0 && plain >= 0);
            bool blob = true;
            struct img_layer_info info;
            CHECK(round_trip(&f, fd, plain, &blob, &info));
            CHECK(!blob);
        }
    }
    const struct tar_entry plain[] = {
        {.name = "bin/sh", .type = 'f', .data = "#!/bin/true\n"},
        {.name = "big", .type = 'f', .data = f.big},
    };
    cleanup_close int fd = tar_fd_format(plain, ARRAY_SIZE(plain), "none", "v7tar");
    bool blob = true;
    struct img_layer_info info;
    CHECK(fd >= 0 && round_trip(&f, fd, fd, &blob, &info) && !blob);
}

TEST(tarsplit_keeps_the_whole_tar_when_an_entry_replaces_another)
{
    FIXTURE();
    /* the first `a` is gone from the layer: only the tar has its bytes */
    const struct tar_entry twice[] = {
        {.name = "a", .type = 'f', .data = "the first a\n"},
        {.name = "b", .type = 'f', .data = "b\n"},
        {.name = "a", .type = 'f', .data = "the second a, longer\n"},
    };
    cleanup_close int fd = tar_fd(twice, ARRAY_SIZE(twice), "gzip");
    cleanup_close int plain = tar_fd(twice, ARRAY_SIZE(twice), "none");
    bool blob = false;
    struct img_layer_info info;
    CHECK(fd >= 0 && plain >= 0 && round_trip(&f, fd, plain, &blob, &info));
    CHECK(blob);
    char path[1024];
    snprintf(path, sizeof path, "%s/layers/%s/tar-split", f.store, info.chain_id + 7);
    CHECK(access(path, F_OK) < 0 && errno == ENOENT);
}

TEST(tarsplit_refuses_a_layer_changed_on_disk)
{
    FIXTURE();
    const struct tar_entry files[] = {
        {.name = "etc/motd", .type = 'f', .data = "hello\n"},
        {.name = "big", .type = 'f', .data = f.big},
    };
    cleanup_close int fd = tar_fd(files, ARRAY_SIZE(files), "none");
    bool blob = true;
    struct img_layer_info info;
    CHECK(fd >= 0 && round_trip(&f, fd, fd, &blob, &info) && !blob);

    /* the same size, another byte */
    char path[1024];
    snprintf(path, sizeof path, "%s/layers/%s/diff/etc/motd", f.store, info.chain_id + 7);
    CHECK(pier_write_file_atomic_at(AT_FDCWD, path, "jello\n", 6, 0644, 0, &f.err) == 0);
    struct img_tar_reader *r;
    int64_t size;
    CHECK(img_tar_open(f.s, info.diff_id, &r, &size, &f.err) == 0);
    cleanup_free char *buf = malloc((size_t)size);
    ssize_t n = img_tar_read(r, buf, (size_t)size, &f.err);
    img_tar_close(r);
    CHECK(n == -1);
    CHECK_CONTAINS(pier_error_msg(f.err), "its files no longer give back its tar");

    /* shorter */
    pier_error_free(&f.err);
    CHECK(pier_write_file_atomic_at(AT_FDCWD, path, "hi\n", 3, 0644, 0, &f.err) == 0);
    CHECK(img_tar_open(f.s, info.diff_id, &r, &size, &f.err) == 0);
    n = img_tar_read(r, buf, (size_t)size, &f.err);
    img_tar_close(r);
    CHECK(n == -1);
    CHECK_CONTAINS(pier_error_msg(f.err), "etc/motd");
}

/* Layers are added unsynced: one no image holds from an earlier boot may
 * be torn and goes when the store opens; from this boot it stays. */
TEST(layers_of_an_earlier_boot_no_image_holds_are_dropped_at_open)
{
    FIXTURE();
    const struct tar_entry a[] = {{.name = "a", .type = 'f', .data = "a\n"}};
    const struct tar_entry b[] = {{.name = "b", .type = 'f', .data = "b\n"}};
    struct img_layer_info la, lb;
    cleanup_close int fa = tar_fd(a, 1, "none");
    cleanup_close int fb = tar_fd(b, 1, "none");
    CHECK(img_layer_add(f.s, NULL, fa, NULL, &la, &f.err) == 0);
    CHECK(img_layer_add(f.s, NULL, fb, NULL, &lb, &f.err) == 0);
    /* c is held by an image */
    const struct tar_entry c[] = {{.name = "c", .type = 'f', .data = "c\n"}};
    cleanup_close int fc = tar_fd(c, 1, "none");
    cleanup_free char *id = NULL;
    CHECK(img_import(f.s, fc, &(struct img_import_opts){.repo_tag = "held:1"}, &id, &f.err) == 0);
    struct img_image *img = img_find(f.s, id);
    CHECK(img != NULL && img->nlayers == 1);
    char dir_c[1024];
    snprintf(dir_c, sizeof dir_c, "%s/layers/%s", f.store, img->chain[0] + 7);
    char meta[1024], dir_a[1024], dir_b[1024];
    snprintf(dir_a, sizeof dir_a, "%s/layers/%s", f.store, la.chain_id + 7);
    snprintf(dir_b, sizeof dir_b, "%s/layers/%s", f.store, lb.chain_id + 7);
    /* a's and c's boot id, one digit changed: another boot */
    const char *dirs[] = {dir_a, dir_c};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        snprintf(meta, sizeof meta, "%s/layer.json", dirs[i]);
        cleanup_free char *text = NULL;
        size_t len;
        CHECK(pier_read_file_at(AT_FDCWD, meta, 1 << 20, &text, &len, &f.err) == 0);
        char *boot = strstr(text, "\"boot_id\"");
        CHECK(boot != NULL);
        char *digit = strpbrk(boot + 10, "0123456789abcdef");
        CHECK(digit != NULL);
        *digit = *digit == '0' ? '1' : '0';
        CHECK(pier_write_file_atomic_at(AT_FDCWD, meta, text, len, 0600, 0, &f.err) == 0);
    }

    img_store_close(f.s);
    f.s = NULL;
    CHECK(img_store_open(f.store, &f.s, &f.err) == 0);
    CHECK(access(dir_a, F_OK) < 0 && errno == ENOENT);
    CHECK(access(dir_b, F_OK) == 0);
    CHECK(access(dir_c, F_OK) == 0 && img_find(f.s, id) != NULL);
}
