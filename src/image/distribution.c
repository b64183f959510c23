/* The store's distribution records: distribution/<diff hex>.json, a JSON
 * array of {"Digest", "MediaType", "Size", "Repository"}, newest first.
 * Written whole (atomically, without fsync: a cache) under the store's
 * lock, so that two pulls of one layer do not lose each other's entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "distribution.h"

#define DIST_DIR "distribution"
#define DIST_FILE_MAX (64u << 10)

static int dist_dir(struct img_store *s, bool create)
{
    if (create && mkdirat(s->dirfd, DIST_DIR, 0700) < 0 && errno != EEXIST)
        return -1;
    return openat(s->dirfd, DIST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool entry_of(json_t *o, struct img_dist *d)
{
    const char *digest = json_string_value(json_object_get(o, "Digest"));
    const char *mt = json_string_value(json_object_get(o, "MediaType"));
    const char *repo = json_string_value(json_object_get(o, "Repository"));
    json_t *size = json_object_get(o, "Size");
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || !img_is_hex64(digest + 7) ||
        mt == NULL || strlen(mt) >= sizeof d->blob.media_type || repo == NULL || *repo == '\0' ||
        strlen(repo) >= sizeof d->repo || !json_is_integer(size) || json_integer_value(size) < 0)
        return false;
    snprintf(d->blob.digest, sizeof d->blob.digest, "%s", digest);
    snprintf(d->blob.media_type, sizeof d->blob.media_type, "%s", mt);
    snprintf(d->repo, sizeof d->repo, "%s", repo);
    d->blob.size = json_integer_value(size);
    return true;
}

/* The record, read with the store's lock held; an unreadable one is none. */
static json_t *load(struct img_store *s, const char *hex)
{
    cleanup_close int dfd = dist_dir(s, false);
    char name[IMG_HEX_LEN + 8];
    snprintf(name, sizeof name, "%s.json", hex);
    json_t *j = NULL;
    pier_err_t e = NULL;
    if (dfd < 0 || pier_json_load_file_at(dfd, name, DIST_FILE_MAX, &j, &e) < 0) {
        pier_error_free(&e);
        return json_array();
    }
    if (!json_is_array(j)) {
        json_decref(j);
        return json_array();
    }
    return j;
}

size_t img_dist_get(struct img_store *s, const char *diff_id, struct img_dist *out, size_t max)
{
    if (strncmp(diff_id, "sha256:", 7) != 0 || !img_is_hex64(diff_id + 7))
        return 0;
    pthread_mutex_lock(&s->lock);
    json_t *j = load(s, diff_id + 7);
    pthread_mutex_unlock(&s->lock);
    size_t n = 0, i;
    json_t *v;
    json_array_foreach (j, i, v)
        if (n < max && entry_of(v, &out[n]))
            n++;
    json_decref(j);
    return n;
}

void img_dist_add(struct img_store *s, const char *diff_id, const struct img_dist *d)
{
    if (strncmp(diff_id, "sha256:", 7) != 0 || !img_is_hex64(diff_id + 7))
        return;
    json_t *entry =
        json_pack("{s:s, s:s, s:I, s:s}", "Digest", d->blob.digest, "MediaType", d->blob.media_type,
                  "Size", (json_int_t)d->blob.size, "Repository", d->repo);
    pthread_mutex_lock(&s->lock);
    json_t *old = load(s, diff_id + 7);
    json_t *j = json_array();
    if (entry && j)
        json_array_append_new(j, entry);
    size_t i;
    json_t *v;
    json_array_foreach (old, i, v) {
        struct img_dist e;
        if (json_array_size(j) >= IMG_DIST_MAX || !entry_of(v, &e))
            continue;
        if (strcmp(e.blob.digest, d->blob.digest) != 0 || strcmp(e.repo, d->repo) != 0)
            json_array_append(j, v);
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    char name[IMG_HEX_LEN + 8];
    snprintf(name, sizeof name, "%s.json", diff_id + 7);
    pier_err_t e = NULL;
    cleanup_close int dfd = dist_dir(s, true);
    if (text == NULL)
        pier_fail(&e, ENOMEM, "no memory");
    else if (dfd < 0)
        pier_error(&e, errno, "open `%s`", DIST_DIR);
    else
        pier_write_file_atomic_at(dfd, name, text, strlen(text), 0600, 0, &e);
    pthread_mutex_unlock(&s->lock);
    if (e != NULL)
        pier_warn("image store: layer %s: its distribution record: %s", diff_id, pier_error_msg(e));
    pier_error_free(&e);
    free(text);
    json_decref(j);
    json_decref(old);
}

void img_dist_repo(const struct img_ref *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", r->domain, r->path);
}
