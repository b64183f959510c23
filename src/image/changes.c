/* `docker import --change`: Dockerfile instructions that set the image's
 * config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME, WORKDIR), each given whole on one line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/cleanup.h"
#include "image.h"

/* The next word of s, shell-quoted as Dockerfiles quote: "..." and '...'
 * and backslashes; NULL at the end.  *s moves past it. */
static char *word(const char **s, pier_err_t *err)
{
    const char *p = *s;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return NULL;
    size_t cap = strlen(p) + 1, n = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    char q = 0;
    for (; *p && (q || !isspace((unsigned char)*p)); p++) {
        if (q == 0 && (*p == '"' || *p == '\'')) {
            q = *p;
        } else if (q && *p == q) {
            q = 0;
        } else if (*p == '\\' && q != '\'' && p[1]) {
            out[n++] = *++p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    if (q) {
        free(out);
        pier_fail(err, EINVAL, "unterminated quote in `%s`", *s);
        return NULL;
    }
    *s = p;
    return out;
}

/* "k=v k2='v 2'" (or the old "k v") into obj. */
static int pairs(const char *args, json_t *obj, const char *what, pier_err_t *err)
{
    const char *p = args;
    while (isspace((unsigned char)*p))
        p++;
    const char *sp = strpbrk(p, " \t"), *eq = strchr(p, '=');
    if (eq == NULL || (sp && sp < eq)) {
        /* the old form: the first word is the key, the rest the value */
        char *k = word(&p, err);
        if (k == NULL)
            return *err ? -1 : pier_fail(err, EINVAL, "%s needs an argument", what);
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' && strcmp(what, "ENV") == 0) {
            free(k);
            return pier_fail(err, EINVAL, "ENV names can not be blank or must have a value");
        }
        json_object_set_new(obj, k, json_string(p));
        free(k);
        return 0;
    }
    for (char *w; (w = word(&p, err)) != NULL; free(w)) {
        char *e = strchr(w, '=');
        if (e == NULL || e == w) {
            pier_fail(err, EINVAL, "%s: `%s` is not of the form key=value", what, w);
            free(w);
            return -1;
        }
        *e = '\0';
        json_object_set_new(obj, w, json_string(e + 1));
    }
    return *err ? -1 : 0;
}

/* ["a", "b"] as given, else the words of args (or, with shell, sh -c). */
static json_t *list(const char *args, bool shell, pier_err_t *err)
{
    while (isspace((unsigned char)*args))
        args++;
    if (*args == '[') {
        json_t *j = json_loads(args, JSON_DECODE_ANY, NULL);
        bool ok = json_is_array(j);
        size_t i;
        json_t *v;
        json_array_foreach (j, i, v)
            ok = ok && json_is_string(v);
        if (ok)
            return j;
        json_decref(j);
    }
    if (shell)
        return json_pack("[s, s, s]", "/bin/sh", "-c", args);
    json_t *arr = json_array();
    const char *p = args;
    for (char *w; (w = word(&p, err)) != NULL; free(w))
        json_array_append_new(arr, json_string(w));
    if (*err) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *member(json_t *config, const char *key, json_t *(*make)(void))
{
    json_t *o = json_object_get(config, key);
    if (o == NULL) {
        o = make();
        json_object_set_new(config, key, o);
    }
    return o;
}

static int one(const char *line, json_t *config, pier_err_t *err)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strcspn(line, " \t");
    char ins[16];
    if (n == 0 || n >= sizeof ins)
        return pier_fail(err, EINVAL, "%.*s is not a valid change command", (int)n, line);
    for (size_t i = 0; i < n; i++)
        ins[i] = (char)toupper((unsigned char)line[i]);
    ins[n] = '\0';
    const char *args = line + n;
    while (isspace((unsigned char)*args))
        args++;
    if (strcmp(ins, "CMD") == 0 || strcmp(ins, "ENTRYPOINT") == 0) {
        json_t *l = list(args, true, err);
        if (l == NULL)
            return -1;
        json_object_set_new(config, strcmp(ins, "CMD") == 0 ? "Cmd" : "Entrypoint", l);
        return 0;
    }
    if (strcmp(ins, "ENV") == 0 || strcmp(ins, "LABEL") == 0) {
        json_t *kv = json_object();
        if (pairs(args, kv, ins, err) < 0) {
            json_decref(kv);
            return -1;
        }
        const char *k;
        json_t *v;
        if (strcmp(ins, "LABEL") == 0) {
            json_object_update(member(config, "Labels", json_object), kv);
        } else {
            json_t *env = member(config, "Env", json_array);
            json_object_foreach (kv, k, v) {
                char *s = NULL;
                if (asprintf(&s, "%s=%s", k, json_string_value(v)) < 0)
                    break;
                /* a later ENV of a name replaces it */
                size_t i, kl = strlen(k);
                json_t *old;
                bool set = false;
                json_array_foreach (env, i, old) {
                    const char *o = json_string_value(old);
                    if (o && strncmp(o, k, kl) == 0 && o[kl] == '=') {
                        json_array_set_new(env, i, json_string(s));
                        set = true;
                        break;
                    }
                }
                if (!set)
                    json_array_append_new(env, json_string(s));
                free(s);
            }
        }
        json_decref(kv);
        return 0;
    }
    if (strcmp(ins, "EXPOSE") == 0 || strcmp(ins, "VOLUME") == 0) {
        json_t *l = list(args, false, err);
        if (l == NULL)
            return -1;
        bool expose = strcmp(ins, "EXPOSE") == 0;
        json_t *o = member(config, expose ? "ExposedPorts" : "Volumes", json_object);
        size_t i;
        json_t *v;
        json_array_foreach (l, i, v) {
            const char *s = json_string_value(v);
            char key[300];
            snprintf(key, sizeof key, "%s%s", s, expose && strchr(s, '/') == NULL ? "/tcp" : "");
            json_object_set_new(o, key, json_object());
        }
        json_decref(l);
        return 0;
    }
    if (strcmp(ins, "ONBUILD") == 0) {
        json_array_append_new(member(config, "OnBuild", json_array), json_string(args));
        return 0;
    }
    static const char *const single[][2] = {
        {"USER", "User"}, {"WORKDIR", "WorkingDir"}, {"STOPSIGNAL", "StopSignal"}};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (strcmp(ins, single[i][0]) == 0) {
            if (*args == '\0')
                return pier_fail(err, EINVAL, "%s requires exactly one argument", ins);
            json_object_set_new(config, single[i][1], json_string(args));
            return 0;
        }
    return pier_fail(err, EINVAL, "%s is not a valid change command", ins);
}

int img_changes_apply(const char *const *changes, json_t *config, pier_err_t *err)
{
    for (size_t i = 0; changes != NULL && changes[i]; i++) {
        /* the docker CLI sends each --change as it was typed, several lines
         * joined by newlines in one */
        cleanup_free char *copy = strdup(changes[i]);
        if (copy == NULL)
            return pier_error(err, ENOMEM, "changes");
        for (char *line = copy, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            if (*line && one(line, config, err) < 0)
                return -1;
        }
    }
    return 0;
}

int img_changes(const char *const *changes, json_t **config, pier_err_t *err)
{
    *config = NULL;
    if (changes == NULL || changes[0] == NULL)
        return 0;
    json_t *c = json_object();
    if (c == NULL)
        return pier_error(err, ENOMEM, "changes");
    if (img_changes_apply(changes, c, err) < 0) {
        json_decref(c);
        return -1;
    }
    *config = c;
    return 0;
}
