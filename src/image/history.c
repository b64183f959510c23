/* GET /images/{name}/history, as Docker's ImageHistory: one row per entry
 * of the config's history, newest first, each non-empty one sized by its
 * layer; then the image's id and tags on the top row, its parent's on the
 * next, and so on up the chain of parents that commits and builds leave. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

static json_t *row(json_t *h, int64_t size)
{
    const char *created = json_string_value(json_object_get(h, "created"));
    int64_t sec = 0;
    long nsec;
    int off;
    if (created == NULL || img_time_parse(created, &sec, &nsec, &off) < 0)
        sec = 0;
    const char *by = json_string_value(json_object_get(h, "created_by"));
    const char *comment = json_string_value(json_object_get(h, "comment"));
    /* HistoryResponseItem's order */
    return json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>", "Created",
                     (json_int_t)sec, "CreatedBy", by ? by : "", "Tags", "Size", (json_int_t)size,
                     "Comment", comment ? comment : "");
}

/* Tags only (no digests); null when none, as Go marshals a nil slice. */
static int tags_of(struct img_store *s, const char *id, json_t *item, pier_err_t *err)
{
    json_t *tags = NULL;
    if (img_refs_of(s, id, &tags, NULL, err) < 0)
        return -1;
    if (json_array_size(tags) == 0) {
        json_decref(tags);
        return 0;
    }
    return json_object_set_new(item, "Tags", tags) < 0 ? pier_error(err, ENOMEM, "history") : 0;
}

static int history_locked(struct img_store *s, struct img_image *img, json_t *out, pier_err_t *err)
{
    size_t layer = 0, i;
    json_t *h;
    json_array_foreach (json_object_get(img->config, "history"), i, h) {
        int64_t size = 0;
        if (!json_is_true(json_object_get(h, "empty_layer"))) {
            if (layer >= img->nlayers)
                return pier_error(err, 0, "too many non-empty layers in History section");
            if (img_layer_size(s, img->chain[layer], &size, err) < 0)
                return -1;
            layer++;
        }
        json_t *r = row(h, size);
        if (r == NULL || json_array_insert_new(out, 0, r) < 0)
            return pier_error(err, ENOMEM, "history");
    }
    struct img_image *cur = img;
    json_array_foreach (out, i, h) {
        json_object_set_new(h, "Id", json_string(cur->id));
        if (tags_of(s, cur->id, h, err) < 0)
            return -1;
        if (cur->parent == NULL || (cur = img_find(s, cur->parent)) == NULL)
            break;
    }
    return 0;
}

int img_history(struct img_store *s, const char *ref, json_t **out, pier_err_t *err)
{
    cleanup_json json_t *list = json_array();
    if (list == NULL)
        return pier_error(err, ENOMEM, "history");
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    int ret = img ? history_locked(s, img, list, err) : -1;
    pthread_mutex_unlock(&s->lock);
    if (ret < 0)
        return -1;
    *out = steal_pointer(&list);
    return 0;
}
