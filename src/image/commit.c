/* `docker commit`: a container's writable layer becomes a layer of a new
 * image (daemon/commit.go and image.NewChildImage in Docker). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/buf.h"
#include "../lib/json.h"
#include "internal.h"

/* Unset, as Go's zero values and empty slices and maps are. */
static bool unset(json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 0);
}

static void take_if_unset(json_t *user, json_t *image, const char *key)
{
    json_t *iv = json_object_get(image, key);
    if (unset(json_object_get(user, key)) && iv != NULL)
        json_object_set(user, key, iv);
}

/* Keys of image's object member not in user's. */
static void union_keys(json_t *user, json_t *image, const char *key, bool image_wins)
{
    json_t *iv = json_object_get(image, key);
    if (!json_is_object(iv))
        return;
    json_t *uv = json_object_get(user, key);
    if (!json_is_object(uv)) {
        json_object_set_new(user, key, json_deep_copy(iv));
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach (iv, k, v) {
        if (image_wins || json_object_get(uv, k) == NULL)
            json_object_set(uv, k, v);
    }
}

/* The name of a KEY=VALUE entry is in env. */
static bool env_has(json_t *env, const char *entry)
{
    size_t kl = strcspn(entry, "=");
    size_t i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *s = json_string_value(v);
        if (s && strncmp(s, entry, kl) == 0 && (s[kl] == '=' || s[kl] == '\0'))
            return true;
    }
    return false;
}

/* Docker's merge(userConf, imageConf) of daemon/commit.go. */
static void merge(json_t *user, json_t *image)
{
    take_if_unset(user, image, "User");
    if (unset(json_object_get(user, "ExposedPorts")))
        take_if_unset(user, image, "ExposedPorts");
    else
        union_keys(user, image, "ExposedPorts", false);
    json_t *uenv = json_object_get(user, "Env");
    if (unset(uenv)) {
        take_if_unset(user, image, "Env");
    } else {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(image, "Env"), i, v) {
            if (json_is_string(v) && !env_has(uenv, json_string_value(v)))
                json_array_append(uenv, v);
        }
    }
    union_keys(user, image, "Labels", false);
    if (unset(json_object_get(user, "Entrypoint"))) {
        if (unset(json_object_get(user, "Cmd"))) {
            take_if_unset(user, image, "Cmd");
            take_if_unset(user, image, "ArgsEscaped");
        }
        take_if_unset(user, image, "Entrypoint");
    }
    json_t *ih = json_object_get(image, "Healthcheck");
    if (json_is_object(ih)) {
        json_t *uh = json_object_get(user, "Healthcheck");
        if (!json_is_object(uh)) {
            json_object_set(user, "Healthcheck", ih);
        } else {
            static const char *const keys[] = {"Test", "Interval", "Timeout", "StartPeriod",
                                               "Retries"};
            for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                take_if_unset(uh, ih, keys[i]);
        }
    }
    take_if_unset(user, image, "WorkingDir");
    union_keys(user, image, "Volumes", true);
    take_if_unset(user, image, "StopSignal");
}

int img_commit_config(json_t *body, const char *const *changes, json_t *container_config,
                      json_t **out, pier_err_t *err)
{
    if (body != NULL && !json_is_null(body) && !json_is_object(body))
        return pier_fail(err, EINVAL, "commit: the config must be a JSON object");
    json_t *base = json_is_object(body) ? body : container_config;
    cleanup_json json_t *config = json_is_object(base) ? json_deep_copy(base) : json_object();
    if (config == NULL)
        return pier_error(err, ENOMEM, "commit");
    if (img_changes_apply(changes, config, err) < 0)
        return -1;
    if (json_is_object(container_config))
        merge(config, container_config);
    *out = steal_pointer(&config);
    return 0;
}

/* The parent's config and top layer, or a base image's nothing. */
static int parent_of(struct img_store *s, const char *parent, json_t **config,
                     char chain[IMG_DIGEST_SIZE], pier_err_t *err)
{
    chain[0] = '\0';
    *config = NULL;
    if (parent == NULL || parent[0] == '\0')
        return 0;
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_find(s, parent);
    if (img != NULL) {
        *config = json_deep_copy(img->config);
        if (img->nlayers > 0)
            memcpy(chain, img->chain[img->nlayers - 1], IMG_DIGEST_SIZE);
    }
    pthread_mutex_unlock(&s->lock);
    if (img == NULL)
        return pier_fail(err, ENOENT, "No such image: %s", parent);
    if (*config == NULL)
        return pier_error(err, ENOMEM, "commit");
    return 0;
}

/* The container's layer as a tar in a temporary file of the store, then
 * stored as the layers of pulls are. */
static int add_layer(struct img_store *s, const char *upper, const char *const *skip,
                     const char *parent_chain, struct img_layer_info *info, bool *empty,
                     pier_err_t *err)
{
    cleanup_close int dirfd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    *empty = dirfd < 0 && errno == ENOENT; /* never started: nothing changed */
    if (dirfd < 0)
        return *empty ? 0 : pier_error(err, errno, "open the container's layer `%s`", upper);
    cleanup_close int tmp = img_tmp_file(s, "the committed layer", err);
    if (tmp < 0)
        return -1;
    uint64_t entries = 0;
    if (img_layer_tar(dirfd, tmp, skip, &entries, err) < 0)
        return pier_error_wrap(err, "archive the container's layer");
    *empty = entries == 0;
    if (*empty)
        return 0;
    if (lseek(tmp, 0, SEEK_SET) < 0)
        return pier_error(err, errno, "rewind the committed layer");
    return img_layer_add(s, parent_chain, tmp, NULL, info, err);
}

/* strings.Join(Cmd, " ") */
static char *join_cmd(json_t *cmd)
{
    struct buf b = BUF_INIT;
    size_t i;
    json_t *v;
    json_array_foreach (cmd, i, v) {
        if (i)
            buf_putc(&b, ' ');
        buf_puts(&b, json_string_value(v) ?: "");
    }
    return b.data ? b.data : strdup("");
}

static json_t *history_entry(const struct img_commit_opts *o, const char *now, bool empty)
{
    cleanup_free char *by = join_cmd(json_object_get(o->container_config, "Cmd"));
    json_t *h = json_pack("{s:s}", "created", now);
    if (h == NULL || by == NULL) {
        json_decref(h);
        return NULL;
    }
    /* image.History's order, its empty members left out */
    if (o->author && *o->author)
        json_object_set_new(h, "author", json_string(o->author));
    if (*by)
        json_object_set_new(h, "created_by", json_string(by));
    if (o->comment && *o->comment)
        json_object_set_new(h, "comment", json_string(o->comment));
    if (empty)
        json_object_set_new(h, "empty_layer", json_true());
    return h;
}

/* image.NewChildImage, marshalled as Docker does: top-level keys sorted,
 * so inserted here in that order. */
static json_t *child_config(json_t *parent, const struct img_commit_opts *o, const char *diff_id,
                            pier_err_t *err)
{
    char now[64];
    img_time_now(now, sizeof now);
    const char *arch = json_string_value(json_object_get(parent, "architecture"));
    const char *variant = json_string_value(json_object_get(parent, "variant"));
    json_t *history = json_array(), *diffs = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(parent, "history"), i, v)
        json_array_append(history, v);
    json_array_append_new(history, history_entry(o, now, diff_id == NULL));
    json_array_foreach (json_object_get(json_object_get(parent, "rootfs"), "diff_ids"), i, v)
        json_array_append(diffs, v);
    if (diff_id != NULL)
        json_array_append_new(diffs, json_string(diff_id));
    json_t *c = json_pack("{s:s}", "architecture", arch && *arch ? arch : HOST_ARCH);
    if (c == NULL || history == NULL || diffs == NULL || json_array_size(history) == 0) {
        json_decref(c);
        json_decref(history);
        json_decref(diffs);
        pier_error(err, ENOMEM, "commit");
        return NULL;
    }
    if (o->author && *o->author)
        json_object_set_new(c, "author", json_string(o->author));
    json_object_set(c, "config", o->config);
    if (o->container_id)
        json_object_set_new(c, "container", json_string(o->container_id));
    json_object_set(c, "container_config", o->container_config ? o->container_config : o->config);
    json_object_set_new(c, "created", json_string(now));
    json_object_set_new(c, "history", history);
    json_object_set_new(c, "os", json_string("linux"));
    json_t *features = json_object_get(parent, "os.features");
    json_t *osver = json_object_get(parent, "os.version");
    if (features)
        json_object_set(c, "os.features", features);
    if (osver)
        json_object_set(c, "os.version", osver);
    json_object_set_new(c, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", diffs));
    if (variant && *variant)
        json_object_set_new(c, "variant", json_string(variant));
    if (json_object_get(c, "rootfs") == NULL) {
        json_decref(c);
        pier_error(err, ENOMEM, "commit");
        return NULL;
    }
    return c;
}

int img_commit(struct img_store *s, const struct img_commit_opts *o, char **image_id,
               pier_err_t *err)
{
    char tag[IMG_REF_MAX], chain[IMG_DIGEST_SIZE];
    if (o->repo_tag != NULL && img_tag_ref(o->repo_tag, tag, err) < 0)
        return -1;
    cleanup_json json_t *parent = NULL;
    if (parent_of(s, o->parent, &parent, chain, err) < 0)
        return -1;
    struct img_layer_info info;
    bool empty = false;
    img_adding_begin(s);
    int ret = add_layer(s, o->upper, o->mountpoints, chain[0] ? chain : NULL, &info, &empty, err);
    if (ret < 0)
        pier_error_wrap(err, "commit");
    cleanup_json json_t *config =
        ret == 0 ? child_config(parent, o, empty ? NULL : info.diff_id, err) : NULL;
    cleanup_free char *blob = config ? json_dumps(config, JSON_COMPACT) : NULL;
    if (ret == 0 && config != NULL && blob == NULL)
        pier_error(err, ENOMEM, "commit");
    ret = blob ? img_create_child(s, blob, strlen(blob), o->repo_tag ? tag : NULL, o->parent,
                                  image_id, err)
               : -1;
    img_adding_end(s);
    return ret;
}
