#include "filters.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
        const char *k;
        json_t *v;
        size_t n = json_object_size(all), j = 0;
        const char **keys = calloc(n, sizeof *keys);
        json_object_foreach (all, k, v) {
            if (keys)
                keys[j++] = k;
        }
        for (size_t a = 0; keys && a < j; a++)
            for (size_t b = a + 1; b < j; b++)
                if (strcmp(keys[b], keys[a]) < 0) {
                    const char *t = keys[a];
                    keys[a] = keys[b];
                    keys[b] = t;
                }
        for (size_t a = 0; keys && a < j; a++) {
            json_t *set = json_object_get(all, keys[a]);
            json_t *ss = json_object();
            size_t m = json_object_size(set), c = 0;
            const char **vals = calloc(m, sizeof *vals);
            const char *vk;
            json_t *vv;
            json_object_foreach (set, vk, vv) {
                if (vals)
                    vals[c++] = vk;
            }
            for (size_t x = 0; vals && x < c; x++)
                for (size_t y = x + 1; y < c; y++)
                    if (strcmp(vals[y], vals[x]) < 0) {
                        const char *t = vals[x];
                        vals[x] = vals[y];
                        vals[y] = t;
                    }
            for (size_t x = 0; vals && x < c; x++)
                json_object_set_new(ss, vals[x], json_true());
            free(vals);
            json_object_set_new(sorted, keys[a], ss);
        }
        free(keys);
        json_go_marshal(sorted, NULL, out);
        json_decref(sorted);
    }
    json_decref(all);
}
