#include "filters.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"
#include "cli.h"
#include "json_go.h"

const char *filter_check(const char *value, char *msg, size_t cap)
{
    if (*value != '\0' && strchr(value, '=') == NULL) {
        snprintf(msg, cap, "bad format of filter (expected name=value)");
        return msg;
    }
    return NULL;
}

static char *trimmed(const char *s, size_t n, bool lower)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *r = strndup(s, n);
    if (r && lower)
        for (char *p = r; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return r;
}

void filters_json(const struct flag *f, struct buf *out)
{
    json_t *all = json_object();
    for (size_t i = 0; f && i < f->nvals; i++) {
        const char *v = f->vals[i];
        const char *eq = strchr(v, '=');
        if (*v == '\0' || eq == NULL)
            continue;
        char *name = trimmed(v, (size_t)(eq - v), true);
        char *val = trimmed(eq + 1, strlen(eq + 1), false);
        if (name && val) {
            json_t *set = json_object_get(all, name);
            if (set == NULL) {
                set = json_object();
                json_object_set_new(all, name, set);
            }
            json_object_set_new(set, val, json_true());
        }
        free(name);
        free(val);
    }
    if (json_object_size(all) > 0) {
        /* sorted keys at both levels */
        json_t *sorted = json_object();
        cleanup_json json_t *names = sorted_object(all);
        const char *k;
        json_t *set;
        json_object_foreach (names, k, set) {
            json_object_set_new(sorted, k, sorted_object(set));
        }
        json_go_marshal(sorted, NULL, out);
        json_decref(sorted);
    }
    json_decref(all);
}

void filters_param(const struct flag *f, struct buf *query)
{
    cleanup_buf struct buf filters = BUF_INIT;
    filters_json(f, &filters);
    if (filters.len)
        url_param(query, "filters", filters.data);
}

void filters_param_with(const struct flag *f, const char *extra, struct buf *query)
{
    struct flag copy = *f;
    const char **vals = calloc(f->nvals + 1, sizeof *vals);
    if (vals == NULL) {
        query->failed = true;
        return;
    }
    if (f->nvals)
        memcpy(vals, f->vals, f->nvals * sizeof *vals);
    vals[f->nvals] = extra;
    copy.vals = vals;
    copy.nvals = f->nvals + 1;
    filters_param(&copy, query);
    free(vals);
}
