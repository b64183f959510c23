/* Two layers from the store mounted as overlayfs, lowerdir = what
 * img_lower_dirs gives, joined by ':': whiteouts delete, opaque
 * directories hide, as in a container's root.  Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/image/image.h"
#include "../../src/image/internal.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/lib/json.h"
#include "image_tar.h"
#include "unit.h"

static const struct tar_entry base[] = {
    {.name = "keep", .type = 'f', .data = "kept"},
    {.name = "gone", .type = 'f', .data = "deleted above"},
    {.name = "gonedir/", .type = 'd'},
    {.name = "gonedir/f", .type = 'f', .data = "x"},
    {.name = "dir/", .type = 'd'},
    {.name = "dir/old", .type = 'f', .data = "old"},
    {.name = "opq/", .type = 'd'},
    {.name = "opq/old", .type = 'f', .data = "hidden above"},
};

static const struct tar_entry top[] = {
    {.name = ".wh.gone", .type = 'f'},
    {.name = ".wh.gonedir", .type = 'f'},
    {.name = "dir/", .type = 'd'},
    {.name = "dir/new", .type = 'f', .data = "new"},
    {.name = "opq/", .type = 'd'},
    {.name = "opq/.wh..wh..opq", .type = 'f'},
    {.name = "opq/new", .type = 'f', .data = "new"},
};

static bool exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

TEST(image_overlay_whiteouts_and_opaque_dirs_work)
{
    if (geteuid() != 0) {
        printf("    skipped: needs root\n");
        return;
    }
    cleanup_dir char *dir = scratch_dir();
    CHECK(dir != NULL);
    char store[600], merged[600];
    snprintf(store, sizeof store, "%s/image", dir);
    snprintf(merged, sizeof merged, "%s/merged", dir);
    CHECK(mkdir(merged, 0755) == 0);
    struct img_store *s = NULL;
    pier_err_t err = NULL;
    CHECK(img_store_open(store, &s, &err) == 0);

    struct img_layer_info l1, l2;
    int fd1 = tar_fd(base, ARRAY_SIZE(base), "gzip");
    int fd2 = tar_fd(top, ARRAY_SIZE(top), "zstd");
    int ok = img_layer_add(s, NULL, fd1, NULL, &l1, &err) == 0 &&
             img_layer_add(s, l1.chain_id, fd2, NULL, &l2, &err) == 0;
    close(fd1);
    close(fd2);
    if (!ok)
        printf("    %s\n", pier_error_msg(err));
    CHECK(ok);
    /* Docker's chain id: sha256 of "<parent chain> <diff id>". */
    char pair[200], chain[72];
    snprintf(pair, sizeof pair, "%s %s", l1.chain_id, l2.diff_id);
    CHECK(img_sha256(pair, strlen(pair), chain, &err) == 0);
    CHECK_STR(l2.chain_id, chain);
    CHECK_STR(l1.chain_id, l1.diff_id);
    cleanup_json json_t *config =
        json_pack("{s:s, s:s, s:{}, s:{s:s, s:[s, s]}}", "architecture", "amd64", "os", "linux",
                  "config", "rootfs", "type", "layers", "diff_ids", l1.diff_id, l2.diff_id);
    cleanup_free char *text = json_dumps(config, JSON_COMPACT);
    cleanup_free char *id = NULL;
    CHECK(img_create(s, text, strlen(text), "two:layers", &id, &err) == 0);

    cleanup_strv char **lower = NULL;
    CHECK(img_lower_dirs(s, id, &lower, &err) == 0);
    CHECK(lower[0] != NULL && lower[1] != NULL && lower[2] == NULL);
    CHECK_CONTAINS(lower[0], l2.chain_id + 7); /* the top first */
    char opts[4096];
    snprintf(opts, sizeof opts, "lowerdir=%s:%s", lower[0], lower[1]);
    if (mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0) {
        int e = errno;
        img_store_close(s);
        if (e == ENODEV || e == EPERM) {
            printf("    skipped: no overlayfs here (%s)\n", strerror(e));
            return;
        }
        CHECK(!"mount overlay");
    }
    bool keep = exists(merged, "keep"), gone = exists(merged, "gone");
    bool gonedir = exists(merged, "gonedir"), dold = exists(merged, "dir/old");
    bool dnew = exists(merged, "dir/new"), oold = exists(merged, "opq/old");
    bool onew = exists(merged, "opq/new");
    umount2(merged, MNT_DETACH);
    img_store_close(s);
    pier_error_free(&err);
    CHECK(keep && !gone && !gonedir);
    CHECK(dold && dnew);
    CHECK(!oold && onew);
}
