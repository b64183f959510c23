#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct opt *find(const struct opt *opts, const char *name, size_t len)
{
    for (const struct opt *o = opts; o->name != NULL; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
        if (len == 1 && o->short_name == name[0])
            return o;
    }
    return NULL;
}

static int list_add(struct strlist *l, const char *v)
{
    char **nv = realloc(l->v, (l->n + 2) * sizeof *nv);
    if (nv == NULL)
        return -1;
    l->v = nv;
    l->v[l->n] = strdup(v);
    if (l->v[l->n] == NULL)
        return -1;
    l->v[++l->n] = NULL;
    return 0;
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int opts_parse(const struct opt *opts, int argc, char **argv, int *next, pier_err_t *err)
{
    int i = 0;
    while (i < argc) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find(opts, name, len);
        if (o == NULL)
            return pier_error(err, 0, "unknown flag `%s`", a);
        i++;
        if (o->type == OPT_BOOL) {
            bool v = true;
            if (eq != NULL) {
                if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0)
                    v = true;
                else if (strcmp(eq + 1, "false") == 0 || strcmp(eq + 1, "0") == 0)
                    v = false;
                else
                    return pier_error(err, 0, "flag `%.*s`: `%s` is not true or false", (int)len,
                                      name, eq + 1);
            }
            *(bool *)o->dest = v;
            continue;
        }
        const char *val;
        if (eq != NULL) {
            val = eq + 1;
        } else {
            if (i >= argc)
                return pier_error(err, 0, "flag `%s` needs a value", a);
            val = argv[i++];
        }
        switch (o->type) {
        case OPT_STRING:
            *(const char **)o->dest = val;
            break;
        case OPT_INT: {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (*val == '\0' || *end != '\0' || errno != 0 || v < 0 || v > INT_MAX)
                return pier_error(err, 0, "flag `%.*s`: `%s` is not a non-negative integer",
                                  (int)len, name, val);
            *(int *)o->dest = (int)v;
            break;
        }
        case OPT_LIST:
            if (list_add(o->dest, val) < 0)
                return pier_error(err, ENOMEM, "flags");
            break;
        case OPT_BOOL:
            break;
        }
    }
    *next = i;
    return 0;
}
