/* GET /images/json: ImageSummary objects, as API v1.51 defines them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

bool img_created_time(struct img_image *img, int64_t *sec, long *nsec)
{
    const char *created = json_string_value(json_object_get(img->config, "created"));
    int off;
    if (created == NULL || img_time_parse(created, sec, nsec, &off) < 0) {
        *sec = *nsec = 0;
        return false;
    }
    return true;
}

int64_t img_created_unix(struct img_image *img)
{
    int64_t sec;
    long nsec;
    img_created_time(img, &sec, &nsec);
    return sec;
}

int img_created(struct img_store *s, const char *ref, int64_t *sec, long *nsec, pier_err_t *err)
{
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    if (img != NULL)
        img_created_time(img, sec, nsec);
    pthread_mutex_unlock(&s->lock);
    return img ? 0 : -1;
}

bool img_has_children(struct img_store *s, const char *id)
{
    for (size_t i = 0; i < s->nimages; i++)
        if (s->images[i]->parent != NULL && strcmp(s->images[i]->parent, id) == 0)
            return true;
    return false;
}

/* config.Labels when it is an object of strings, else {}. */
static json_t *labels(struct img_image *img)
{
    json_t *l = json_object_get(json_object_get(img->config, "config"), "Labels");
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (json_is_object(l) && out != NULL)
        json_object_foreach (l, k, v) {
            if (json_is_string(v))
                json_object_set(out, k, v);
        }
    return out;
}

/* Keys in the order Docker's generated Summary struct has them. */
static json_t *summary(struct img_image *img, json_t *tags, json_t *digests)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:s, s:O, s:O, s:I, s:I}", "Containers", (json_int_t)-1,
                     "Created", (json_int_t)img_created_unix(img), "Id", img->id, "Labels",
                     labels(img), "ParentId", img->parent ? img->parent : "", "RepoDigests",
                     digests, "RepoTags", tags, "SharedSize", (json_int_t)-1, "Size",
                     (json_int_t)img->size);
}

struct item {
    json_t *summary;
    int64_t sec;
    long nsec;
};

/* Newest first, as Docker sorts them, to the nanosecond; then by id. */
static int by_created(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->sec != y->sec)
        return x->sec < y->sec ? 1 : -1;
    if (x->nsec != y->nsec)
        return x->nsec < y->nsec ? 1 : -1;
    return strcmp(json_string_value(json_object_get(x->summary, "Id")),
                  json_string_value(json_object_get(y->summary, "Id")));
}

static int list_locked(struct img_store *s, bool all, struct item *items, size_t *n,
                       pier_err_t *err)
{
    for (size_t i = 0; i < s->nimages; i++) {
        struct img_image *img = s->images[i];
        cleanup_json json_t *tags = NULL, *digests = NULL;
        if (img_refs_of(s, img->id, &tags, &digests, err) < 0)
            return -1;
        /* Without -a, an untagged image that others are built on is an
         * intermediate layer of a build, not shown. */
        if (!all && json_array_size(tags) == 0 && json_array_size(digests) == 0 &&
            img_has_children(s, img->id))
            continue;
        json_t *sum = summary(img, tags, digests);
        if (sum == NULL)
            return pier_error(err, ENOMEM, "list images");
        struct item *it = &items[(*n)++];
        it->summary = sum;
        const char *created = json_string_value(json_object_get(img->config, "created"));
        int off;
        if (created == NULL || img_time_parse(created, &it->sec, &it->nsec, &off) < 0)
            it->sec = it->nsec = 0;
    }
    return 0;
}

int img_list(struct img_store *s, bool all, json_t **out, pier_err_t *err)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    struct item *items = calloc(s->nimages + 1, sizeof *items);
    int ret = items ? list_locked(s, all, items, &n, err) : pier_error(err, ENOMEM, "list images");
    pthread_mutex_unlock(&s->lock);
    json_t *arr = NULL;
    if (ret == 0 && (arr = json_array()) == NULL)
        ret = pier_error(err, ENOMEM, "list images");
    if (ret == 0)
        qsort(items, n, sizeof *items, by_created);
    for (size_t i = 0; i < n; i++) {
        if (ret < 0)
            json_decref(items[i].summary);
        else if (json_array_append_new(arr, items[i].summary) < 0)
            ret = pier_error(err, ENOMEM, "list images");
    }
    if (ret < 0)
        json_decref(arr);
    free(items);
    if (ret == 0)
        *out = arr;
    return ret;
}

void img_list_compat(json_t *list, int minor)
{
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        if (minor < 44)
            json_object_set(item, "VirtualSize", json_object_get(item, "Size"));
        if (minor >= 43)
            continue;
        json_t *tags = json_object_get(item, "RepoTags");
        json_t *digests = json_object_get(item, "RepoDigests");
        if (json_array_size(tags) == 0 && json_array_size(digests) == 0) {
            json_object_set_new(item, "RepoTags", json_pack("[s]", "<none>:<none>"));
            json_object_set_new(item, "RepoDigests", json_pack("[s]", "<none>@<none>"));
        }
    }
}
