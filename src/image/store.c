/* The store's directory and its bookkeeping: opening (and sweeping what a
 * crash left), the image records, repositories.json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "internal.h"

#define REPOS_FILE "repositories.json"

void img_image_free(struct img_image *img)
{
    if (img == NULL)
        return;
    json_decref(img->config);
    free(img->parent);
    free(img->last_tag_time);
    free(img->diff);
    free(img->chain);
    free(img);
}

struct img_image *img_find(struct img_store *s, const char *id)
{
    for (size_t i = 0; i < s->nimages; i++)
        if (strcmp(s->images[i]->id, id) == 0)
            return s->images[i];
    return NULL;
}

static bool is_digest(const char *d)
{
    return d != NULL && strncmp(d, "sha256:", 7) == 0 && img_is_hex64(d + 7);
}

/* rootfs.diff_ids of a config, checked, and their chain ids. */
static int read_rootfs(json_t *config, struct img_image *img, pier_err_t *err)
{
    json_t *rootfs = json_object_get(config, "rootfs");
    json_t *ids = json_object_get(rootfs, "diff_ids");
    const char *type = json_string_value(json_object_get(rootfs, "type"));
    if (!json_is_object(rootfs) || type == NULL || strcmp(type, "layers") != 0)
        return pier_error(err, 0, "rootfs: expected {\"type\":\"layers\",...}");
    if (ids != NULL && !json_is_null(ids) && !json_is_array(ids))
        return pier_error(err, 0, "rootfs.diff_ids: expected an array");
    size_t n = json_array_size(ids);
    if (n > IMG_MAX_LAYERS)
        return pier_error(err, 0, "rootfs.diff_ids: more than %d layers", IMG_MAX_LAYERS);
    img->diff = calloc(n + 1, sizeof *img->diff);
    img->chain = calloc(n + 1, sizeof *img->chain);
    if (img->diff == NULL || img->chain == NULL)
        return pier_error(err, ENOMEM, "load image");
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(ids, i));
        if (!is_digest(d))
            return pier_error(err, 0, "rootfs.diff_ids[%zu]: expected sha256:<64 hex digits>", i);
        snprintf(img->diff[i], IMG_DIGEST_SIZE, "%s", d);
        if (img_chain_id(i ? img->chain[i - 1] : NULL, d, img->chain[i], err) < 0)
            return -1;
    }
    img->nlayers = n;
    return 0;
}

int img_image_new(struct img_store *s, const char *id, json_t *config, json_t *meta,
                  struct img_image **out, pier_err_t *err)
{
    struct img_image *img = calloc(1, sizeof *img);
    if (img == NULL) {
        json_decref(config);
        return pier_error(err, ENOMEM, "load image");
    }
    img->config = config;
    snprintf(img->id, sizeof img->id, "%s", id);
    if (!json_is_object(config) || read_rootfs(config, img, err) < 0) {
        if (!json_is_object(config))
            pier_error(err, 0, "the config is not a JSON object");
        img_image_free(img);
        return -1;
    }
    const char *parent = json_string_value(json_object_get(meta, "parent"));
    const char *tagged = json_string_value(json_object_get(meta, "last_tag_time"));
    const char *boot = json_string_value(json_object_get(meta, "boot_id"));
    if (boot != NULL) {
        snprintf(img->boot_id, sizeof img->boot_id, "%s", boot);
        img->recorded = json_integer_value(json_object_get(meta, "recorded"));
    }
    if ((parent != NULL && parent[0] != '\0' && (img->parent = strdup(parent)) == NULL) ||
        (tagged != NULL && (img->last_tag_time = strdup(tagged)) == NULL)) {
        img_image_free(img);
        return pier_error(err, ENOMEM, "load image");
    }
    for (size_t i = 0; i < img->nlayers; i++) {
        int64_t size = 0;
        if (!img_layer_exists(s, img->chain[i])) {
            pier_error(err, 0, "layer %s (diff %s) is not in the store", img->chain[i],
                       img->diff[i]);
            img_image_free(img);
            return -1;
        }
        if (img_layer_size(s, img->chain[i], &size, err) < 0) {
            img_image_free(img);
            return -1;
        }
        img->size += size;
    }
    *out = img;
    return 0;
}

int img_image_insert(struct img_store *s, struct img_image *img, pier_err_t *err)
{
    if (s->nimages >= IMG_MAX_IMAGES)
        return pier_error(err, 0, "more than %d images", IMG_MAX_IMAGES);
    struct img_image **v = realloc(s->images, (s->nimages + 1) * sizeof *v);
    if (v == NULL)
        return pier_error(err, ENOMEM, "add image");
    s->images = v;
    s->images[s->nimages++] = img;
    return 0;
}

int img_image_add(struct img_store *s, const char *id, json_t *config, json_t *meta,
                  struct img_image **out, pier_err_t *err)
{
    struct img_image *img = NULL;
    if (img_image_new(s, id, config, meta, &img, err) < 0)
        return -1;
    if (img_image_insert(s, img, err) < 0) {
        img_image_free(img);
        return -1;
    }
    if (out != NULL)
        *out = img;
    return 0;
}

int img_load_image(struct img_store *s, const char *hex, json_t *meta, struct img_image **out,
                   pier_err_t *err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (pier_read_file_at(s->blobfd, hex, IMG_CONFIG_MAX, &data, &len, err) < 0)
        return -1;
    char id[IMG_DIGEST_SIZE], want[IMG_DIGEST_SIZE];
    snprintf(want, sizeof want, "sha256:%s", hex);
    if (img_sha256(data, len, id, err) < 0)
        return -1;
    if (strcmp(id, want) != 0)
        return pier_error(err, 0, "its config blob does not match its digest (%s)", id);
    json_t *config = NULL;
    if (pier_json_parse(data, len, "config", &config, err) < 0)
        return -1;
    return img_image_add(s, want, config, meta, out, err);
}

int img_save_record(struct img_store *s, struct img_image *img, pier_err_t *err)
{
    cleanup_json json_t *j = json_object();
    if (j == NULL || json_object_set_new(j, "id", json_string(img->id)) < 0 ||
        (img->parent && json_object_set_new(j, "parent", json_string(img->parent)) < 0) ||
        (img->last_tag_time &&
         json_object_set_new(j, "last_tag_time", json_string(img->last_tag_time)) < 0) ||
        (img->boot_id[0] != '\0' &&
         (json_object_set_new(j, "boot_id", json_string(img->boot_id)) < 0 ||
          json_object_set_new(j, "recorded", json_integer(img->recorded)) < 0)))
        return pier_error(err, ENOMEM, "save image %s", img->id);
    char name[IMG_HEX_LEN + 8];
    snprintf(name, sizeof name, "%s.json", img->id + 7);
    return pier_json_write_atomic_at(s->imagefd, name, j, PIER_DURABLE, err);
}

int img_repos_set(struct img_store *s, const char *ref, const char *id, pier_err_t *err)
{
    /* Changed on a copy, kept once on disk: memory never runs ahead of it. */
    cleanup_json json_t *next = json_deep_copy(s->repos);
    if (next == NULL)
        return pier_error(err, ENOMEM, "update %s", REPOS_FILE);
    if (id == NULL)
        json_object_del(next, ref);
    else if (json_object_set_new(next, ref, json_string(id)) < 0)
        return pier_error(err, ENOMEM, "update %s", REPOS_FILE);
    if (pier_json_write_atomic_at(s->dirfd, REPOS_FILE, next, PIER_DURABLE, err) < 0)
        return -1;
    json_decref(s->repos);
    s->repos = steal_pointer(&next);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int img_refs_of(struct img_store *s, const char *id, json_t **tags, json_t **digests,
                pier_err_t *err)
{
    size_t n = 0, cap = json_object_size(s->repos);
    cleanup_free const char **refs = calloc(cap + 1, sizeof *refs);
    if (refs == NULL)
        return pier_error(err, ENOMEM, "references of %s", id);
    const char *key;
    json_t *v;
    json_object_foreach (s->repos, key, v) {
        if (n < cap && strcmp(json_string_value(v), id) == 0)
            refs[n++] = key;
    }
    qsort(refs, n, sizeof *refs, cmp_str);
    cleanup_json json_t *t = json_array(), *d = json_array();
    if (t == NULL || d == NULL)
        return pier_error(err, ENOMEM, "references of %s", id);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(strchr(refs[i], '@') ? d : t, json_string(refs[i])) < 0)
            return pier_error(err, ENOMEM, "references of %s", id);
    if (tags != NULL)
        *tags = steal_pointer(&t);
    if (digests != NULL)
        *digests = steal_pointer(&d);
    return 0;
}

/* What a crash left: temporary files and directories, layers half
 * removed. */
static int sweep(int dirfd, const char *what, pier_err_t *err)
{
    int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open %s", what);
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return pier_error(err, errno, "open %s", what);
    }
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d)) != NULL) {
        if (strstr(de->d_name, ".tmp-") != NULL)
            ret = pier_rm_rf_at(dirfd, de->d_name, err);
    }
    closedir(d);
    return ret;
}

static int open_sub(int dirfd, const char *name, pier_err_t *err)
{
    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return pier_error(err, errno, "mkdir `%s`", name);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", name);
    return fd;
}

/* repositories.json, each entry checked: a reference in its familiar form
 * naming an image we have.  Others are dropped with a warning. */
static int load_repos(struct img_store *s, pier_err_t *err)
{
    json_t *j = NULL;
    struct stat st;
    if (fstatat(s->dirfd, REPOS_FILE, &st, 0) < 0 && errno == ENOENT)
        j = json_object();
    else if (pier_json_load_file_at(s->dirfd, REPOS_FILE, IMG_REPOS_MAX, &j, err) < 0)
        return -1;
    if (!json_is_object(j)) {
        json_decref(j);
        return pier_error(err, 0, "%s: expected an object", REPOS_FILE);
    }
    s->repos = j;
    bool dropped = false;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(j, tmp, key, v)
    {
        struct img_ref r;
        char fam[IMG_REF_MAX];
        pier_err_t e = NULL;
        bool ok = img_ref_parse(key, &r, &e) == 0;
        if (ok)
            img_ref_familiar(&r, true, fam, sizeof fam);
        if (!ok || strcmp(fam, key) != 0 || !json_is_string(v) ||
            img_find(s, json_string_value(v)) == NULL) {
            pier_warn("image store: dropping `%s` from %s: %s", key, REPOS_FILE,
                      ok ? "no such image" : pier_error_msg(e));
            json_object_del(j, key);
            dropped = true;
        }
        pier_error_free(&e);
    }
    /* once: the warnings do not come back at every start */
    pier_err_t e = NULL;
    if (dropped && pier_json_write_atomic_at(s->dirfd, REPOS_FILE, j, 0, &e) < 0)
        pier_warn("image store: %s", pier_error_msg(e));
    pier_error_free(&e);
    return 0;
}

/* An image recorded before a crash that no sync covers (store_sync.c): its
 * record and config go, and its layers after them (img_layers_drop_stale). */
static void drop_unsynced(struct img_store *s, const char *hex)
{
    pier_warn("image store: dropping image sha256:%s: recorded in an earlier boot, and the "
              "machine went down before its files were synced",
              hex);
    char name[IMG_HEX_LEN + 8];
    snprintf(name, sizeof name, "%s.json", hex);
    if ((unlinkat(s->imagefd, name, 0) < 0 && errno != ENOENT) ||
        (unlinkat(s->blobfd, hex, 0) < 0 && errno != ENOENT))
        pier_warn("image store: removing image sha256:%s: %s", hex, strerror(errno));
}

/* images/<hex>.json: one record per image.  A broken image is skipped with
 * a warning, so that one bad disk block does not stop the daemon.  The
 * newest record of this boot no sync covers yet goes in *unsynced. */
static int load_images(struct img_store *s, int64_t *unsynced, pier_err_t *err)
{
    int dfd = openat(s->imagefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open images");
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return pier_error(err, errno, "open images");
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char hex[IMG_HEX_LEN + 1];
        size_t n = strlen(de->d_name);
        if (n != IMG_HEX_LEN + 5 || strcmp(de->d_name + IMG_HEX_LEN, ".json") != 0)
            continue;
        memcpy(hex, de->d_name, IMG_HEX_LEN);
        hex[IMG_HEX_LEN] = '\0';
        if (!img_is_hex64(hex))
            continue;
        pier_err_t e = NULL;
        cleanup_json json_t *meta = NULL;
        if (pier_json_load_file_at(s->imagefd, de->d_name, IMG_META_MAX, &meta, &e) < 0) {
            pier_warn("image store: skipping image sha256:%s: %s", hex, pier_error_msg(e));
            pier_error_free(&e);
            continue;
        }
        const char *boot = json_string_value(json_object_get(meta, "boot_id"));
        int64_t recorded = json_integer_value(json_object_get(meta, "recorded"));
        if (!img_record_durable(s, boot, recorded)) {
            drop_unsynced(s, hex);
            continue;
        }
        struct img_image *img = NULL;
        if (img_load_image(s, hex, meta, &img, &e) < 0)
            pier_warn("image store: skipping image sha256:%s: %s", hex, pier_error_msg(e));
        else if (boot != NULL && !img_record_synced(s, boot, recorded) && *unsynced < recorded)
            *unsynced = recorded;
        pier_error_free(&e);
    }
    closedir(d);
    return 0;
}

static int read_boot_id(struct img_store *s, pier_err_t *err)
{
    char *text = NULL;
    size_t len;
    if (pier_read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &text, &len, err) < 0)
        return pier_error_wrap(err, "the machine's boot id");
    len = strcspn(text, "\n");
    snprintf(s->boot_id, sizeof s->boot_id, "%.*s", (int)len, text);
    free(text);
    return 0;
}

int img_store_open(const char *dir, struct img_store **out, pier_err_t *err)
{
    if (pier_mkdir_p(dir, 0700, err) < 0)
        return pier_error_wrap(err, "image store");
    struct img_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pier_error(err, ENOMEM, "image store");
    s->dirfd = s->blobfd = s->layerfd = s->imagefd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->sync_done, NULL);
    int blobs = -1;
    int64_t unsynced = 0;
    s->dir = realpath(dir, NULL);
    if (s->dir == NULL) {
        pier_error(err, errno, "image store `%s`", dir);
        goto fail;
    }
    /* lowerdir=a:b:c: a path with ':' or ',' would need escaping there. */
    if (strpbrk(s->dir, ":,") != NULL) {
        pier_error(err, 0, "image store `%s`: a path with ':' or ',' cannot be an overlayfs layer",
                   s->dir);
        goto fail;
    }
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        pier_error(err, errno, "open image store `%s`", s->dir);
        goto fail;
    }
    blobs = open_sub(s->dirfd, "blobs", err);
    if (blobs < 0 || (s->blobfd = open_sub(blobs, "sha256", err)) < 0 ||
        (s->layerfd = open_sub(s->dirfd, "layers", err)) < 0 ||
        (s->imagefd = open_sub(s->dirfd, "images", err)) < 0)
        goto fail;
    if (sweep(s->dirfd, "the store", err) < 0 || sweep(s->blobfd, "blobs", err) < 0 ||
        sweep(s->layerfd, "layers", err) < 0 || sweep(s->imagefd, "images", err) < 0)
        goto fail;
    if (read_boot_id(s, err) < 0)
        goto fail;
    img_synced_load(s);
    if (load_images(s, &unsynced, err) < 0 || load_repos(s, err) < 0 ||
        img_layers_drop_stale(s, err) < 0)
        goto fail;
    if (unsynced > 0) /* a pierd that went away before its sync */
        img_sync_want(s, unsynced);
    close(blobs);
    *out = s;
    return 0;
fail:
    if (blobs >= 0)
        close(blobs);
    img_store_close(s);
    return pier_error_wrap(err, "image store `%s`", dir);
}

void img_store_close(struct img_store *s)
{
    if (s == NULL)
        return;
    img_sync_wait(s);
    for (size_t i = 0; i < s->nimages; i++)
        img_image_free(s->images[i]);
    free(s->images);
    json_decref(s->repos);
    int fds[] = {s->dirfd, s->blobfd, s->layerfd, s->imagefd};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->sync_done);
    free(s->dir);
    free(s);
}
