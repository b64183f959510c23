/* Layers by chain id: layers/<chain-hex>/diff (the unpacked tree),
 * layer.json, and tar-split (tarsplit.c), from which layer_read.c makes the
 * uncompressed tar again; a tar the tar-split cannot give back is kept
 * whole as blobs/sha256/<diff-hex> instead.
 *
 * A layer is unpacked into layers/.tmp-<random>/, then renamed into place
 * under its chain id once its parent is known: a crash or a bad tar leaves
 * no half layer (temporaries are swept when the store opens), and two
 * imports of the same layer race harmlessly, the second rename finding the
 * first's.  Nothing is synced here: the store syncs in the background
 * once an image is recorded (store_sync.c), and layer_gc.c drops at open
 * the layers of an earlier boot that no image holds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "internal.h"
#include "tarsplit.h"

#define LAYER_META "layer.json"

static bool is_digest(const char *d)
{
    return d != NULL && strncmp(d, "sha256:", 7) == 0 && img_is_hex64(d + 7);
}

bool img_layer_exists(struct img_store *s, const char *chain_id)
{
    char path[IMG_HEX_LEN + 8];
    struct stat st;
    snprintf(path, sizeof path, "%s/diff", chain_id + 7);
    return fstatat(s->layerfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int img_layer_size(struct img_store *s, const char *chain_id, int64_t *size, pier_err_t *err)
{
    char path[IMG_HEX_LEN + 16];
    snprintf(path, sizeof path, "%s/" LAYER_META, chain_id + 7);
    cleanup_json json_t *j = NULL;
    if (pier_json_load_file_at(s->layerfd, path, IMG_META_MAX, &j, err) < 0)
        return pier_error_wrap(err, "layer %s", chain_id);
    *size = 0;
    if (pj_int(j, "", "size", 0, INT64_MAX, size, err) < 0)
        return pier_error_wrap(err, "layer %s", chain_id);
    return 0;
}

int img_layer_diff_path(struct img_store *s, const char *chain_id, char **out, pier_err_t *err)
{
    if (asprintf(out, "%s/layers/%s/diff", s->dir, chain_id + 7) < 0)
        return pier_error(err, ENOMEM, "layer path");
    return 0;
}

/* Moved aside first, so that a crash halfway through the rm -rf leaves a
 * temporary the next open sweeps, not a half layer under its name. */
int img_layer_delete(struct img_store *s, const char *chain_id, const char *diff_id, bool drop_blob,
                     pier_err_t *err)
{
    char tmp[32];
    if (img_tmp_name(tmp, err) < 0)
        return -1;
    if (renameat(s->layerfd, chain_id + 7, s->layerfd, tmp) < 0) {
        if (errno != ENOENT)
            return pier_error(err, errno, "remove layer %s", chain_id);
    } else if (pier_rm_rf_at(s->layerfd, tmp, err) < 0) {
        return pier_error_wrap(err, "remove layer %s", chain_id);
    }
    if (drop_blob && unlinkat(s->blobfd, diff_id + 7, 0) < 0 && errno != ENOENT)
        return pier_error(err, errno, "remove blob %s", diff_id);
    return 0;
}

static int write_meta(struct img_store *s, int dirfd, const struct img_layer_info *info,
                      const char *parent, pier_err_t *err)
{
    cleanup_json json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "chain_id", info->chain_id,
                                       "diff_id", info->diff_id, "parent", parent ? parent : "",
                                       "size", (json_int_t)info->size, "boot_id", s->boot_id);
    if (j == NULL)
        return pier_error(err, ENOMEM, "layer metadata");
    return pier_json_write_atomic_at(dirfd, LAYER_META, j, 0, err);
}

struct img_layer_tmp {
    char dir[32]; /* layers/.tmp-<random> */
    /* the whole tar, unlinked, for a layer whose tar-split is not usable;
     * -1 when it is */
    int blob;
    struct img_layer_info info;
};

const struct img_layer_info *img_layer_tmp_info(const struct img_layer_tmp *t)
{
    return &t->info;
}

void img_layer_drop(struct img_store *s, struct img_layer_tmp *t)
{
    if (t == NULL)
        return;
    pier_err_t e = NULL;
    if (t->dir[0] != '\0')
        pier_rm_rf_at(s->layerfd, t->dir, &e);
    pier_error_free(&e);
    if (t->blob >= 0)
        close(t->blob);
    free(t);
}

/* Rename the unpacked layer into place, and link its whole tar when it
 * keeps one, under the lock. */
static int rename_in(struct img_store *s, struct img_layer_tmp *t, pier_err_t *err)
{
    const struct img_layer_info *info = &t->info;
    pthread_mutex_lock(&s->lock);
    int ret = 0;
    if (renameat(s->layerfd, t->dir, s->layerfd, info->chain_id + 7) < 0) {
        /* Already stored: the same layer, from another image or another
         * import running at once. */
        if (errno != EEXIST && errno != ENOTEMPTY)
            ret = pier_error(err, errno, "store layer %s", info->chain_id);
    } else {
        t->dir[0] = '\0';
    }
    struct stat st;
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", t->blob);
    if (ret == 0 && t->blob >= 0 && fstatat(s->blobfd, info->diff_id + 7, &st, 0) < 0 &&
        linkat(AT_FDCWD, proc, s->blobfd, info->diff_id + 7, AT_SYMLINK_FOLLOW) < 0 &&
        errno != EEXIST)
        ret = pier_error(err, errno, "store the tar of layer %s", info->diff_id);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int unpack_into(struct img_store *s, int fd, struct img_layer_tmp *t,
                       const char *expect_digest, pier_err_t *err)
{
    if (mkdirat(s->layerfd, t->dir, 0700) < 0)
        return pier_error(err, errno, "mkdir `%s`", t->dir);
    cleanup_close int dirfd =
        openat(s->layerfd, t->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0 || mkdirat(dirfd, "diff", 0755) < 0)
        return pier_error(err, errno, "mkdir `%s/diff`", t->dir);
    cleanup_close int rootfd =
        openat(dirfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0)
        return pier_error(err, errno, "open `%s/diff`", t->dir);
    cleanup_close int split_fd = openat(dirfd, IMG_TARSPLIT_FILE,
                                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (split_fd < 0)
        return pier_error(err, errno, "create `%s/%s`", t->dir, IMG_TARSPLIT_FILE);
    /* The whole tar too, in case the tar-split turns out unusable: its
     * pages are dropped before they reach the disk when it is not. */
    t->blob = img_tmp_file(s, "the layer's tar", err);
    if (t->blob < 0)
        return -1;
    struct img_tarsplit *split;
    if (img_tarsplit_new(split_fd, &split, err) < 0)
        return -1;
    struct img_unpack_opts opts = {.blob_fd = t->blob, .split = split};
    struct img_unpack_result res;
    int usable = img_unpack_stream(fd, rootfd, &opts, &res, err);
    if (usable == 0)
        usable = img_tarsplit_finish(split, res.tar_size, err);
    img_tarsplit_free(split);
    if (usable < 0)
        return -1;
    if (usable) {
        close(t->blob);
        t->blob = -1;
    } else if (unlinkat(dirfd, IMG_TARSPLIT_FILE, 0) < 0) {
        return pier_error(err, errno, "remove `%s/%s`", t->dir, IMG_TARSPLIT_FILE);
    }
    if (expect_digest != NULL && strcmp(expect_digest, res.digest) != 0)
        return pier_error(err, 0, "the layer's digest is %s, not %s as expected", res.digest,
                          expect_digest);
    memcpy(t->info.diff_id, res.diff_id, sizeof t->info.diff_id);
    memcpy(t->info.digest, res.digest, sizeof t->info.digest);
    t->info.size = res.size;
    return 0;
}

int img_layer_unpack(struct img_store *s, int fd, const char *expect_digest,
                     struct img_layer_tmp **out, pier_err_t *err)
{
    *out = NULL;
    struct img_layer_tmp *t = calloc(1, sizeof *t);
    if (t == NULL)
        return pier_error(err, ENOMEM, "unpack a layer");
    t->blob = -1;
    if (img_tmp_name(t->dir, err) < 0) {
        free(t);
        return -1;
    }
    if (unpack_into(s, fd, t, expect_digest, err) < 0) {
        img_layer_drop(s, t);
        return -1;
    }
    *out = t;
    return 0;
}

int img_layer_commit(struct img_store *s, struct img_layer_tmp *t, const char *parent,
                     struct img_layer_info *info, pier_err_t *err)
{
    if (parent != NULL && parent[0] == '\0')
        parent = NULL;
    int ret = 0;
    cleanup_close int dirfd = -1;
    if (parent != NULL && (!is_digest(parent) || !img_layer_exists(s, parent)))
        ret = pier_error(err, 0, "parent layer %s is not in the store", parent);
    else if (img_chain_id(parent, t->info.diff_id, t->info.chain_id, err) < 0)
        ret = -1;
    else if ((dirfd = openat(s->layerfd, t->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
             0)
        ret = pier_error(err, errno, "open `%s`", t->dir);
    else if (write_meta(s, dirfd, &t->info, parent, err) < 0)
        ret = -1;
    else
        ret = rename_in(s, t, err);
    if (ret == 0 && info != NULL)
        *info = t->info;
    img_layer_drop(s, t);
    return ret < 0 ? pier_error_wrap(err, "add layer") : 0;
}

int img_layer_add(struct img_store *s, const char *parent_chain, int fd, const char *expect_digest,
                  struct img_layer_info *info, pier_err_t *err)
{
    memset(info, 0, sizeof *info);
    if (parent_chain != NULL && parent_chain[0] == '\0')
        parent_chain = NULL;
    if (parent_chain != NULL && (!is_digest(parent_chain) || !img_layer_exists(s, parent_chain)))
        return pier_error(err, 0, "add layer: parent layer %s is not in the store", parent_chain);
    struct img_layer_tmp *t;
    if (img_layer_unpack(s, fd, expect_digest, &t, err) < 0)
        return pier_error_wrap(err, "add layer");
    return img_layer_commit(s, t, parent_chain, info, err);
}
