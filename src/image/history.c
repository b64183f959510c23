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
#include "registry.h"

/* The platform asked for: docker's JSON ({"os":..,"architecture":..}) or
 * "os[/arch[/variant]]". */
static int want_platform(const char *s, struct reg_platform *p, pier_err_t *err)
{
    if (*s != '{')
        return reg_platform_parse(s, p, err);
    cleanup_json json_t *j = json_loads(s, 0, NULL);
    const char *os = json_string_value(json_object_get(j, "os"));
    const char *arch = json_string_value(json_object_get(j, "architecture"));
    const char *variant = json_string_value(json_object_get(j, "variant"));
    if (os == NULL || arch == NULL || *os == '\0' || *arch == '\0')
        return pier_fail(err, EINVAL, "invalid platform: %.200s", s);
    char text[200];
    snprintf(text, sizeof text, "%.60s/%.60s%s%.60s", os, arch, variant && *variant ? "/" : "",
             variant ? variant : "");
    return reg_platform_parse(text, p, err);
}

/* An image of another platform than the one asked for is none. */
static int check_platform(struct img_image *img, const char *ref, const char *platform,
                          pier_err_t *err)
{
    struct reg_platform want, have;
    if (platform == NULL || *platform == '\0')
        return 0;
    if (want_platform(platform, &want, err) < 0)
        return -1;
    const char *os = json_string_value(json_object_get(img->config, "os"));
    const char *arch = json_string_value(json_object_get(img->config, "architecture"));
    const char *variant = json_string_value(json_object_get(img->config, "variant"));
    char text[200], w[100], h[100];
    snprintf(text, sizeof text, "%.60s/%.60s%s%.60s", os && *os ? os : "linux",
             arch && *arch ? arch : HOST_ARCH, variant && *variant ? "/" : "",
             variant ? variant : "");
    pier_err_t e = NULL;
    if (reg_platform_parse(text, &have, &e) < 0) {
        pier_error_free(&e);
        return pier_fail(err, ENOENT, "image with reference %s has no platform", ref);
    }
    if (reg_platform_match(&want, &have))
        return 0;
    reg_platform_format(&want, w, sizeof w);
    reg_platform_format(&have, h, sizeof h);
    return pier_fail(err, ENOENT,
                     "image with reference %s was found but does not match the specified "
                     "platform: wanted %s, actual: %s",
                     ref, w, h);
}

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

int img_history(struct img_store *s, const char *ref, const char *platform, json_t **out,
                pier_err_t *err)
{
    cleanup_json json_t *list = json_array();
    if (list == NULL)
        return pier_error(err, ENOMEM, "history");
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    int ret = img && check_platform(img, ref, platform, err) == 0
                  ? history_locked(s, img, list, err)
                  : -1;
    pthread_mutex_unlock(&s->lock);
    if (ret < 0)
        return -1;
    *out = steal_pointer(&list);
    return 0;
}
