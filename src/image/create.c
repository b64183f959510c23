/* Images from config blobs (img_create), and `docker import`'s one-layer
 * image made from a rootfs tarball (img_import). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "internal.h"

/* A tag to create: normalised; a digest, or a name that reads as one, is
 * refused as Docker refuses them. */
int img_tag_ref(const char *repo_tag, char out[IMG_REF_MAX], pier_err_t *err)
{
    struct img_ref r;
    if (img_ref_parse(repo_tag, &r, err) < 0)
        return -1;
    if (r.digest[0] != '\0')
        return pier_fail(err, EINVAL, "refusing to create a tag with a digest reference");
    char name[IMG_REF_MAX];
    img_ref_familiar(&r, false, name, sizeof name);
    if (strcmp(name, "sha256") == 0)
        return pier_fail(err, EINVAL,
                         "refusing to create an ambiguous tag using digest algorithm as name");
    if (r.tag[0] == '\0')
        snprintf(r.tag, sizeof r.tag, "latest");
    img_ref_familiar(&r, true, out, IMG_REF_MAX);
    return 0;
}

/* Point a tag at an image, and note when (Metadata.LastTagTime). */
int img_set_tag(struct img_store *s, struct img_image *img, const char *tag, pier_err_t *err)
{
    char now[64];
    img_time_now(now, sizeof now);
    char *old = img->last_tag_time;
    img->last_tag_time = strdup(now);
    if (img->last_tag_time == NULL) {
        img->last_tag_time = old;
        return pier_error(err, ENOMEM, "tag %s", tag);
    }
    if (img_save_record(s, img, err) < 0) {
        free(img->last_tag_time);
        img->last_tag_time = old;
        return -1;
    }
    free(old);
    return img_repos_set(s, tag, img->id, err);
}

/* *recorded: when the image was recorded, 0 when the store had it. */
static int create_locked(struct img_store *s, const char *config, size_t len, const char *tag,
                         const char *parent, const char *id, int64_t *recorded, pier_err_t *err)
{
    struct img_image *img = img_find(s, id);
    *recorded = 0;
    if (img == NULL) {
        json_t *j = NULL;
        if (pier_json_parse(config, len, "image config", &j, err) < 0 ||
            img_image_new(s, id, j, NULL, &img, err) < 0)
            return -1;
        if (parent != NULL && (img->parent = strdup(parent)) == NULL) {
            img_image_free(img);
            return pier_error(err, ENOMEM, "create image");
        }
        /* after its layers were written: a sync begun later covers them */
        snprintf(img->boot_id, sizeof img->boot_id, "%s", s->boot_id);
        img->recorded = img_boottime();
        /* Blob, then record: a crash between leaves a blob nobody names. */
        if (pier_write_file_atomic_at(s->blobfd, id + 7, config, len, 0644, PIER_DURABLE, err) <
                0 ||
            img_save_record(s, img, err) < 0 || img_image_insert(s, img, err) < 0) {
            img_image_free(img);
            return -1;
        }
        *recorded = img->recorded;
    }
    if (tag != NULL)
        return img_set_tag(s, img, tag, err);
    return 0;
}

int img_create_child(struct img_store *s, const char *config, size_t len, const char *repo_tag,
                     const char *parent, char **image_id, pier_err_t *err)
{
    char tag[IMG_REF_MAX], id[IMG_DIGEST_SIZE];
    if (len > IMG_CONFIG_MAX)
        return pier_error(err, 0, "create image: the config is larger than %u bytes",
                          IMG_CONFIG_MAX);
    if (repo_tag != NULL && img_tag_ref(repo_tag, tag, err) < 0)
        return -1;
    if (img_sha256(config, len, id, err) < 0)
        return -1;
    int64_t recorded;
    pthread_mutex_lock(&s->lock);
    int ret = create_locked(s, config, len, repo_tag ? tag : NULL, parent, id, &recorded, err);
    pthread_mutex_unlock(&s->lock);
    /* its layers were written unsynced: to disk behind the caller's back */
    if (recorded > 0)
        img_sync_want(s, recorded);
    if (ret < 0)
        return pier_error_wrap(err, "create image %s", id);
    *image_id = strdup(id);
    if (*image_id == NULL)
        return pier_error(err, ENOMEM, "create image");
    return 0;
}

int img_create(struct img_store *s, const char *config, size_t len, const char *repo_tag,
               char **image_id, pier_err_t *err)
{
    return img_create_child(s, config, len, repo_tag, NULL, image_id, err);
}

/* The config `docker import` writes; top-level keys sorted, as Docker
 * marshals it, the comment both there and in the history. */
static json_t *import_config(json_t *config, const char *diff_id, const char *message)
{
    char now[64];
    img_time_now(now, sizeof now);
    return json_pack("{s:s, s:s, s:O, s:s, s:[{s:s, s:s}], s:s, s:{s:s, s:[s]}}", "architecture",
                     HOST_ARCH, "comment", message, "config", config, "created", now, "history",
                     "created", now, "comment", message, "os", "linux", "rootfs", "type", "layers",
                     "diff_ids", diff_id);
}

/* The rest of the input (what a gzip stream leaves after its end), read
 * so that the input is known to have ended. */
static int drain(int fd, pier_err_t *err)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return pier_error(err, errno, "read the tarball");
    }
}

/* The tarball's one layer, stored once the input has come whole. */
static int import_layer(struct img_store *s, int fd, const struct img_import_opts *o,
                        struct img_layer_info *info, pier_err_t *err)
{
    struct img_layer_tmp *t;
    if (img_layer_unpack(s, fd, NULL, &t, err) < 0)
        return pier_error_wrap(err, "add layer");
    if (o->input_end != NULL && (drain(fd, err) < 0 || o->input_end(o->data, err) < 0)) {
        img_layer_drop(s, t);
        return -1;
    }
    return img_layer_commit(s, t, NULL, info, err);
}

int img_import(struct img_store *s, int fd, const struct img_import_opts *o, char **image_id,
               pier_err_t *err)
{
    /* Everything checkable is checked before a large tar is read. */
    char tag[IMG_REF_MAX];
    if (o->repo_tag != NULL && img_tag_ref(o->repo_tag, tag, err) < 0)
        return -1;
    if (o->config != NULL && !json_is_object(o->config))
        return pier_error(err, 0, "import: the config must be a JSON object");
    cleanup_json json_t *empty = json_object();
    if (empty == NULL)
        return pier_error(err, ENOMEM, "import");
    const char *message = o->message;
    if (message == NULL || message[0] == '\0')
        message = "Imported from -";

    struct img_layer_info info;
    img_adding_begin(s);
    int ret = import_layer(s, fd, o, &info, err);
    if (ret < 0)
        pier_error_wrap(err, "import");
    cleanup_json json_t *j =
        ret == 0 ? import_config(o->config ? o->config : empty, info.diff_id, message) : NULL;
    cleanup_free char *blob = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (ret == 0 && blob == NULL)
        ret = pier_error(err, ENOMEM, "import");
    if (ret == 0)
        ret = img_create(s, blob, strlen(blob), o->repo_tag ? tag : NULL, image_id, err);
    img_adding_end(s);
    return ret;
}
