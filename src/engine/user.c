/* Docker's User ("uid", "uid:gid", "name", "name:group") as the ids, home
 * and groups of the process, from the container's /etc/passwd and
 * /etc/group.  Those are read inside the container's root: a symbolic
 * link in an image cannot make pierd read a host file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../runtime/rootpath.h"
#include "internal.h"

#define DB_MAX (4u << 20)

/* One line of passwd (7 fields) or group (4), split in place. */
struct entry {
    char *f[7];
    int n;
};

static char *read_db(int rootfd, const char *path)
{
    int fd = rt_open_in_root(rootfd, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    char *text = NULL;
    pier_err_t err = NULL;
    if (pier_read_fd(fd, path, DB_MAX, &text, NULL, &err) < 0)
        pier_error_free(&err);
    close(fd);
    return text;
}

/* The next entry from *cursor, NULL at the end. */
static bool next_entry(char **cursor, struct entry *e)
{
    while (**cursor) {
        char *line = *cursor;
        char *eol = strchrnul(line, '\n');
        *cursor = *eol ? eol + 1 : eol;
        *eol = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        e->n = 0;
        for (char *p = line; e->n < 7;) {
            e->f[e->n++] = p;
            p = strchr(p, ':');
            if (p == NULL)
                break;
            *p++ = '\0';
        }
        return true;
    }
    return false;
}

static bool numeric(const char *s, unsigned *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || errno != 0 || v > 0xffffffffUL)
        return false;
    *out = (unsigned)v;
    return true;
}

/* A group by name or number: its gid, or -1. */
static long group_id(const char *groups, const char *g)
{
    unsigned id;
    if (numeric(g, &id))
        return id;
    if (groups == NULL)
        return -1;
    cleanup_free char *copy = strdup(groups);
    char *cur = copy;
    struct entry e;
    while (cur && next_entry(&cur, &e))
        if (e.n >= 3 && strcmp(e.f[0], g) == 0 && numeric(e.f[2], &id))
            return id;
    return -1;
}

static bool member(const char *members, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = members; *p;) {
        const char *e = strchrnul(p, ',');
        if ((size_t)(e - p) == n && strncmp(p, name, n) == 0)
            return true;
        p = *e ? e + 1 : e;
    }
    return false;
}

static void add_gid(json_t *gids, unsigned gid)
{
    size_t i;
    json_t *v;
    json_array_foreach (gids, i, v)
        if (json_integer_value(v) == gid)
            return;
    json_array_append_new(gids, json_integer(gid));
}

int user_resolve(int rootfd, const char *spec, json_t *group_add, json_t *oci_user, char *home,
                 size_t hcap, pier_err_t *err)
{
    char u[256] = "0", g[256] = "";
    if (spec && *spec) {
        const char *colon = strchr(spec, ':');
        snprintf(u, sizeof u, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
        if (colon)
            snprintf(g, sizeof g, "%s", colon + 1);
    }
    cleanup_free char *passwd = read_db(rootfd, "/etc/passwd");
    cleanup_free char *groups = read_db(rootfd, "/etc/group");
    unsigned uid = 0, gid = 0;
    bool by_id = numeric(u, &uid), found = false;
    char name[256] = "";
    snprintf(home, hcap, "/");
    char *cur = passwd;
    struct entry e;
    while (cur && next_entry(&cur, &e)) {
        unsigned id;
        if (e.n < 4 || !numeric(e.f[2], &id))
            continue;
        if (by_id ? id == uid : strcmp(e.f[0], u) == 0) {
            uid = id;
            numeric(e.f[3], &gid);
            snprintf(name, sizeof name, "%s", e.f[0]);
            if (e.n >= 6 && *e.f[5])
                snprintf(home, hcap, "%s", e.f[5]);
            found = true;
            break;
        }
    }
    if (!found && !by_id)
        return pier_fail(err, EINVAL, "unable to find user %s: no matching entries in passwd file",
                         u);
    if (*g) {
        long id = group_id(groups, g);
        if (id < 0)
            return pier_fail(err, EINVAL,
                             "unable to find group %s: no matching entries in group file", g);
        gid = (unsigned)id;
    }
    json_t *gids = json_array();
    /* the user's own supplementary groups, as docker gives them */
    cleanup_free char *gcopy = groups ? strdup(groups) : NULL;
    cur = gcopy;
    while (*name && *g == '\0' && cur && next_entry(&cur, &e)) {
        unsigned id;
        if (e.n >= 4 && numeric(e.f[2], &id) && member(e.f[3], name))
            add_gid(gids, id);
    }
    size_t i;
    json_t *v;
    json_array_foreach (group_add, i, v) {
        const char *s = json_string_value(v);
        long id = s ? group_id(groups, s) : -1;
        if (id < 0) {
            json_decref(gids);
            return pier_fail(err, EINVAL,
                             "unable to find group %s: no matching entries in group file",
                             s ? s : "?");
        }
        add_gid(gids, (unsigned)id);
    }
    json_object_set_new(oci_user, "uid", json_integer(uid));
    json_object_set_new(oci_user, "gid", json_integer(gid));
    if (json_array_size(gids) > 0)
        json_object_set_new(oci_user, "additionalGids", gids);
    else
        json_decref(gids);
    return 0;
}
