#include "filters.h"

#include <errno.h>
#include <string.h>

int pier_filters_check(json_t *filters, const char *const *known, pier_err_t *err)
{
    const char *key;
    json_t *vals;
    json_object_foreach (filters, key, vals) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return pier_fail(err, EINVAL, "invalid filter '%s'", key);
        if (!json_is_object(vals) && !json_is_array(vals))
            return pier_fail(err, EINVAL, "invalid filter '%s': its values are not a list", key);
    }
    return 0;
}

/* Calls fn for each value until it says true. */
static bool each(json_t *vals, pier_filter_fn fn, void *data)
{
    if (json_is_object(vals)) {
        const char *v;
        json_t *on;
        json_object_foreach (vals, v, on) {
            if (json_is_true(on) && fn(v, data))
                return true;
        }
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        if (json_is_string(v) && fn(json_string_value(v), data))
            return true;
    }
    return false;
}

static bool yes(const char *v, void *data)
{
    (void)v;
    (void)data;
    return true;
}

struct value_check {
    const char *const *allowed;
    const char *bad;
};

static bool not_allowed(const char *v, void *data)
{
    struct value_check *c = data;
    for (const char *const *a = c->allowed; *a; a++)
        if (strcmp(*a, v) == 0)
            return false;
    c->bad = v;
    return true;
}

int pier_filters_check_values(json_t *filters, const char *key, const char *const *allowed,
                              pier_err_t *err)
{
    struct value_check c = {allowed, NULL};
    if (each(json_object_get(filters, key), not_allowed, &c))
        return pier_fail(err, EINVAL, "invalid filter '%s=%s'", key, c.bad);
    return 0;
}

bool pier_filters_has(json_t *filters, const char *key)
{
    return each(json_object_get(filters, key), yes, NULL);
}

bool pier_filters_any(json_t *filters, const char *key, pier_filter_fn fn, void *data)
{
    json_t *vals = json_object_get(filters, key);
    if (!each(vals, yes, NULL))
        return true;
    return each(vals, fn, data);
}

static bool label_missing(const char *v, void *data)
{
    json_t *labels = data;
    const char *eq = strchr(v, '=');
    if (eq == NULL)
        return json_object_get(labels, v) == NULL;
    json_t *have = json_object_getn(labels, v, (size_t)(eq - v));
    return !json_is_string(have) || strcmp(json_string_value(have), eq + 1) != 0;
}

bool pier_filters_labels(json_t *filters, const char *key, json_t *labels)
{
    return !each(json_object_get(filters, key), label_missing, labels);
}

static bool is_true(const char *v, void *data)
{
    (void)data;
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static bool is_false(const char *v, void *data)
{
    (void)data;
    return strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
}

int pier_filters_bool(json_t *filters, const char *key, int *out, pier_err_t *err)
{
    static const char *const bools[] = {"true", "false", "1", "0", NULL};
    if (!pier_filters_has(filters, key))
        return 0;
    if (pier_filters_check_values(filters, key, bools, err) < 0)
        return -1;
    bool yes_ = each(json_object_get(filters, key), is_true, NULL);
    if (yes_ == each(json_object_get(filters, key), is_false, NULL))
        return pier_fail(err, EINVAL, "invalid filter '%s'", key);
    *out = yes_;
    return 0;
}
