/* POST /images/prune, as Docker's ImagesPrune: dangling images (no tag,
 * no child), or with dangling=false every image; the label, label! and
 * until filters keep some; each goes as an unforced DELETE would take it,
 * so that what a container uses stays, and with it the layers that other
 * images share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/filters.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "internal.h"

static const char *const prune_keys[] = {"dangling", "label", "label!", "until", NULL};

struct opts {
    bool dangling;
    bool until_set;
    int64_t until_sec;
    long until_nsec;
    json_t *filters;
};

static bool first_value(json_t *filters, const char *key, const char **out)
{
    json_t *v = json_object_get(filters, key);
    const char *k;
    json_t *x;
    if (json_is_array(v) && json_array_size(v) > 0) {
        *out = json_string_value(json_array_get(v, 0));
        return *out != NULL;
    }
    json_object_foreach (v, k, x) {
        *out = k;
        return true;
    }
    return false;
}

static size_t count_values(json_t *filters, const char *key)
{
    json_t *v = json_object_get(filters, key);
    return json_is_array(v) ? json_array_size(v) : json_object_size(v);
}

static int read_opts(json_t *filters, struct opts *o, pier_err_t *err)
{
    memset(o, 0, sizeof *o);
    o->filters = filters;
    int dangling = 1;
    if (pier_filters_check(filters, prune_keys, err) < 0 ||
        pier_filters_bool(filters, "dangling", &dangling, err) < 0)
        return -1;
    o->dangling = dangling;
    const char *v;
    if (count_values(filters, "until") > 1)
        return pier_fail(err, EINVAL, "more than one until filter specified");
    if (first_value(filters, "until", &v)) {
        if (img_until_parse(v, &o->until_sec, &o->until_nsec) < 0)
            return pier_fail(err, EINVAL, "failed to parse value as time or duration: \"%s\"", v);
        o->until_set = true;
    }
    return 0;
}

static bool created_after(struct img_image *img, const struct opts *o)
{
    int64_t sec;
    long nsec;
    if (!img_created_time(img, &sec, &nsec))
        return true; /* no time: Docker keeps it */
    return sec > o->until_sec || (sec == o->until_sec && nsec > o->until_nsec);
}

static bool selected(struct img_store *s, struct img_image *img, const struct opts *o,
                     bool has_refs)
{
    bool children = img_has_children(s, img->id);
    if (o->dangling && children)
        return false;
    if (!has_refs && children)
        return false;
    if (o->until_set && created_after(img, o))
        return false;
    json_t *labels = json_object_get(json_object_get(img->config, "config"), "Labels");
    if (!pier_filters_labels(o->filters, "label", labels))
        return false;
    if (pier_filters_has(o->filters, "label!") && pier_filters_labels(o->filters, "label!", labels))
        return false;
    return true;
}

/* What to remove: per image, its references, or its id when it has
 * none; and the size of every layer, for SpaceReclaimed. */
static int plan_locked(struct img_store *s, const struct opts *o, json_t *targets, json_t *sizes,
                       pier_err_t *err)
{
    for (size_t i = 0; i < s->nimages; i++) {
        struct img_image *img = s->images[i];
        cleanup_json json_t *tags = NULL, *digests = NULL;
        if (img_refs_of(s, img->id, &tags, &digests, err) < 0)
            return -1;
        bool has_refs = json_array_size(tags) + json_array_size(digests) > 0;
        if (!selected(s, img, o, has_refs))
            continue;
        for (size_t l = 0; l < img->nlayers; l++) {
            int64_t size = 0;
            pier_err_t e = NULL;
            if (img_layer_size(s, img->chain[l], &size, &e) < 0)
                pier_error_free(&e);
            json_object_set_new(sizes, img->chain[l], json_integer(size));
        }
        if (!has_refs) {
            json_array_append_new(targets, json_string(img->id + 7));
            continue;
        }
        /* dangling only: an image with a tag stays */
        if (o->dangling && json_array_size(tags) > 0)
            continue;
        json_array_extend(targets, tags);
        json_array_extend(targets, digests);
    }
    return 0;
}

int img_prune(struct img_store *s, json_t *filters, img_user_fn users, void *data, json_t **out,
              pier_err_t *err)
{
    struct opts o;
    if (read_opts(filters, &o, err) < 0)
        return -1;
    cleanup_json json_t *targets = json_array(), *sizes = json_object(), *deleted = json_array();
    if (targets == NULL || sizes == NULL || deleted == NULL)
        return pier_error(err, ENOMEM, "prune images");
    pthread_mutex_lock(&s->lock);
    int ret = plan_locked(s, &o, targets, sizes, err);
    pthread_mutex_unlock(&s->lock);
    if (ret < 0)
        return -1;
    size_t i;
    json_t *t;
    json_array_foreach (targets, i, t) {
        json_t *records = NULL;
        pier_err_t e = NULL;
        if (img_remove_ex(s, json_string_value(t), false, users, data, &records, &e) < 0) {
            /* in use, or gone meanwhile: it stays, as Docker skips it */
            if (e && e->errnum != EBUSY && e->errnum != ENOENT)
                pier_warn("prune image %s: %s", json_string_value(t), pier_error_msg(e));
            pier_error_free(&e);
            continue;
        }
        json_array_extend(deleted, records);
        json_decref(records);
    }
    json_int_t reclaimed = 0;
    json_array_foreach (deleted, i, t) {
        const char *d = json_string_value(json_object_get(t, "Deleted"));
        json_t *size = d ? json_object_get(sizes, d) : NULL;
        if (size != NULL)
            reclaimed += json_integer_value(size);
    }
    /* and the layers no image holds: what failed pulls left */
    int64_t loose = 0;
    pier_err_t e = NULL;
    if (img_layers_prune(s, deleted, &loose, &e) < 0)
        pier_warn("prune images: layers no image holds: %s", pier_error_msg(e));
    pier_error_free(&e);
    reclaimed += loose;
    *out = json_pack("{s:O, s:I}", "ImagesDeleted",
                     json_array_size(deleted) ? deleted : json_null(), "SpaceReclaimed", reclaimed);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "prune images");
    return 0;
}
