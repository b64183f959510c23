#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"

static const struct opt *find(const struct opt *opts, const char *name, size_t len)
{
    /* `--=x` names no flag; nor do the empty names that stand for flags a
     * command lacks (create has no --detach). */
    if (len == 0)
        return NULL;
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

/* The flag at argv[*i] (and its value): stored, *i moved past them. */
static int parse_flag(const struct opt *opts, int argc, char **argv, int *i, pier_err_t *err)
{
    const char *a = argv[*i];
    const char *name = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct opt *o = find(opts, name, len);
    if (o == NULL)
        return pier_error(err, 0, "unknown flag `%s`", a);
    (*i)++;
    if (o->type == OPT_BOOL) {
        bool v = true;
        if (eq != NULL) {
            if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0)
                v = true;
            else if (strcmp(eq + 1, "false") == 0 || strcmp(eq + 1, "0") == 0)
                v = false;
            else
                return pier_error(err, 0, "flag `%.*s`: `%s` is not true or false", (int)len, name,
                                  eq + 1);
        }
        *(bool *)o->dest = v;
        return 0;
    }
    const char *val;
    if (eq != NULL) {
        val = eq + 1;
    } else {
        if (*i >= argc)
            return pier_error(err, 0, "flag `%s` needs a value", a);
        val = argv[(*i)++];
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
            return pier_error(err, 0, "flag `%.*s`: `%s` is not a non-negative integer", (int)len,
                              name, val);
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
    return 0;
}

static bool is_flag(const char *a)
{
    return a[0] == '-' && a[1] != '\0';
}

int opts_parse_head(const struct opt *opts, int argc, char **argv, int *next, pier_err_t *err)
{
    int i = 0;
    while (i < argc && is_flag(argv[i])) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (parse_flag(opts, argc, argv, &i, err) < 0)
            return -1;
    }
    *next = i;
    return 0;
}

int opts_parse(const struct opt *opts, int argc, char **argv, int *next, pier_err_t *err)
{
    cleanup_free char **args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL)
        return pier_error(err, ENOMEM, "flags");
    int nflags = 0, nargs = 0, i = 0;
    while (i < argc) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            /* Kept with the flags, so that argc - *next counts the
             * arguments. */
            argv[nflags++] = argv[i];
            for (i++; i < argc; i++)
                args[nargs++] = argv[i];
            break;
        }
        /* After the first argument, only this command's own flags move:
         * anything else that looks like a flag is an argument, as in
         * urfave/cli's reordering. */
        if (is_flag(a)) {
            const char *name = a + (a[1] == '-' ? 2 : 1);
            const char *eq = strchr(name, '=');
            bool known = find(opts, name, eq ? (size_t)(eq - name) : strlen(name)) != NULL;
            if (nargs == 0 || known) {
                int start = i;
                if (parse_flag(opts, argc, argv, &i, err) < 0)
                    return -1;
                /* Flags (and values) seen so far never outnumber the
                 * words scanned: moving them down overwrites only words
                 * already kept in args. */
                for (int k = start; k < i; k++)
                    argv[nflags++] = argv[k];
                continue;
            }
        }
        args[nargs++] = argv[i++];
    }
    memcpy(argv + nflags, args, (size_t)nargs * sizeof *args);
    *next = nflags;
    return 0;
}
