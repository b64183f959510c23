/* Layers no image holds: what a failed pull leaves for the next one to
 * take up, removed by image prune.  Pulls, loads and imports add their
 * layers before the image that holds them exists, so the sweep does
 * nothing while one is under way (img_adding_begin/end).
 *
 * Layers are not synced when they are added, only after an image that
 * holds them is recorded (store_sync.c): so a layer no image holds that
 * was added in an earlier boot of the machine may have lost files to a
 * crash, and goes when the store opens; from this boot, after a pierd
 * killed mid-pull, it is whole (the page cache has it) and stays. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

bool img_chain_used(struct img_store *s, const char *chain)
{
    for (size_t i = 0; i < s->nimages; i++)
        for (size_t k = 0; k < s->images[i]->nlayers; k++)
            if (strcmp(s->images[i]->chain[k], chain) == 0)
                return true;
    return false;
}

bool img_diff_used(struct img_store *s, const char *diff)
{
    for (size_t i = 0; i < s->nimages; i++)
        for (size_t k = 0; k < s->images[i]->nlayers; k++)
            if (strcmp(s->images[i]->diff[k], diff) == 0)
                return true;
    return false;
}

void img_adding_begin(struct img_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->adding++;
    pthread_mutex_unlock(&s->lock);
}

void img_adding_end(struct img_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->adding--;
    bool here = img_sync_kick_locked(s);
    pthread_mutex_unlock(&s->lock);
    if (here)
        img_sync_run(s);
}

/* One layer directory's chain id, diff id and size (layer.json); false
 * for anything else in the directory. */
static bool layer_of(struct img_store *s, const char *name, char chain[IMG_DIGEST_SIZE],
                     char diff[IMG_DIGEST_SIZE], int64_t *size, bool *stale)
{
    if (!img_is_hex64(name))
        return false;
    snprintf(chain, IMG_DIGEST_SIZE, "sha256:%s", name);
    char path[IMG_HEX_LEN + 16];
    snprintf(path, sizeof path, "%s/layer.json", name);
    cleanup_json json_t *j = NULL;
    pier_err_t e = NULL;
    if (pier_json_load_file_at(s->layerfd, path, IMG_META_MAX, &j, &e) < 0) {
        pier_error_free(&e);
        return false;
    }
    const char *d = json_string_value(json_object_get(j, "diff_id"));
    if (d == NULL || strncmp(d, "sha256:", 7) != 0 || !img_is_hex64(d + 7))
        return false;
    snprintf(diff, IMG_DIGEST_SIZE, "%s", d);
    json_t *sz = json_object_get(j, "size");
    *size = json_is_integer(sz) ? json_integer_value(sz) : 0;
    /* none: written by a pier that synced each layer */
    const char *boot = json_string_value(json_object_get(j, "boot_id"));
    *stale = boot != NULL && strcmp(boot, s->boot_id) != 0;
    return true;
}

bool img_layer_find_diff(struct img_store *s, const char *diff_id, char chain[IMG_DIGEST_SIZE])
{
    int fd = openat(s->layerfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        char diff[IMG_DIGEST_SIZE];
        int64_t size;
        bool stale;
        found = layer_of(s, de->d_name, chain, diff, &size, &stale) && strcmp(diff, diff_id) == 0;
    }
    closedir(d);
    return found;
}

/* The unused layers, or only the stale ones among them. */
static int prune(struct img_store *s, bool only_stale, json_t *deleted, int64_t *reclaimed,
                 pier_err_t *err)
{
    *reclaimed = 0;
    pthread_mutex_lock(&s->lock);
    int ret = 0;
    DIR *d = s->adding > 0 ? NULL : fdopendir(openat(s->layerfd, ".", O_RDONLY | O_DIRECTORY));
    if (s->adding == 0 && d == NULL)
        ret = pier_error(err, errno, "open the layers");
    struct dirent *de;
    while (ret == 0 && d != NULL && (de = readdir(d)) != NULL) {
        char chain[IMG_DIGEST_SIZE], diff[IMG_DIGEST_SIZE];
        int64_t size = 0;
        bool stale;
        /* the layers images hold (most) without reading their layer.json */
        if (!img_is_hex64(de->d_name))
            continue;
        snprintf(chain, sizeof chain, "sha256:%s", de->d_name);
        if (img_chain_used(s, chain) || !layer_of(s, de->d_name, chain, diff, &size, &stale) ||
            (only_stale && !stale))
            continue;
        ret = img_layer_delete(s, chain, diff, !img_diff_used(s, diff), err);
        if (ret == 0) {
            *reclaimed += size;
            if (deleted)
                json_array_append_new(deleted, json_pack("{s:s}", "Deleted", chain));
        }
    }
    if (d != NULL)
        closedir(d);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int img_layers_prune(struct img_store *s, json_t *deleted, int64_t *reclaimed, pier_err_t *err)
{
    return prune(s, false, deleted, reclaimed, err);
}

int img_layers_drop_stale(struct img_store *s, pier_err_t *err)
{
    int64_t reclaimed;
    return prune(s, true, NULL, &reclaimed, err);
}
