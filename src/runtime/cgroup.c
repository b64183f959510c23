#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"

/* ---- layout --------------------------------------------------------------- */

static const char *const v1_controllers[] = {
    "cpu",   "cpuacct",    "cpuset",   "memory",  "devices", "freezer", "net_cls",
    "blkio", "perf_event", "net_prio", "hugetlb", "pids",    "rdma",    "misc",
};

static bool is_v1_controller(const char *s, size_t n)
{
    if (n > 5 && strncmp(s, "name=", 5) == 0)
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
        if (strlen(v1_controllers[i]) == n && strncmp(v1_controllers[i], s, n) == 0)
            return true;
    return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 3 < n + 1 && s[i + 1] >= '0' && s[i + 1] <= '3') {
            out[o++] = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Split the next space-separated field of *p. */
static const char *field(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    const char *e = s;
    while (*e != ' ' && *e != '\0' && *e != '\n')
        e++;
    *len = (size_t)(e - s);
    *p = e;
    return s;
}

int rt_cgroup_layout_parse(const char *mi, struct rt_cg_layout *out, pier_err_t *err)
{
    memset(out, 0, sizeof *out);
    bool have_v1 = false, have_v2 = false, v2_at_top = false;
    for (const char *line = mi; line != NULL && *line != '\0';) {
        const char *eol = strchrnul(line, '\n');
        const char *p = line;
        size_t n;
        field(&p, &n); /* id */
        field(&p, &n); /* parent */
        field(&p, &n); /* major:minor */
        const char *root = field(&p, &n);
        size_t root_n = n;
        const char *mnt = field(&p, &n);
        size_t mnt_n = n;
        field(&p, &n); /* mount options */
        /* optional fields up to the "-" separator */
        for (;;) {
            const char *f = field(&p, &n);
            if (n == 0 || (n == 1 && *f == '-'))
                break;
        }
        const char *fstype = field(&p, &n);
        size_t fstype_n = n;
        field(&p, &n); /* source */
        const char *super = field(&p, &n);
        size_t super_n = n;
        line = *eol ? eol + 1 : eol;

        bool v2 = fstype_n == 7 && strncmp(fstype, "cgroup2", 7) == 0;
        bool v1 = fstype_n == 6 && strncmp(fstype, "cgroup", 6) == 0;
        if (!v1 && !v2)
            continue;
        if (out->n == RT_CG_MAX_HIER)
            return pier_error(err, 0, "more than %d cgroup mounts", RT_CG_MAX_HIER);
        struct rt_cg_hier *h = &out->h[out->n];
        char ctrl[256] = "";
        if (v1) {
            size_t o = 0;
            for (const char *s = super; s < super + super_n;) {
                const char *e = memchr(s, ',', (size_t)(super + super_n - s));
                if (e == NULL)
                    e = super + super_n;
                if (is_v1_controller(s, (size_t)(e - s)) && o + (size_t)(e - s) + 2 < sizeof ctrl) {
                    if (o > 0)
                        ctrl[o++] = ',';
                    memcpy(ctrl + o, s, (size_t)(e - s));
                    o += (size_t)(e - s);
                    ctrl[o] = '\0';
                }
                s = e + 1;
            }
            if (ctrl[0] == '\0')
                continue;
            /* One hierarchy may be mounted several times; keep the first. */
            bool dup = false;
            for (size_t i = 0; i < out->n; i++)
                if (!out->h[i].v2 && strcmp(out->h[i].controllers, ctrl) == 0)
                    dup = true;
            if (dup)
                continue;
            have_v1 = true;
        } else {
            bool dup = false;
            for (size_t i = 0; i < out->n; i++)
                if (out->h[i].v2)
                    dup = true;
            if (dup)
                continue;
            have_v2 = true;
            v2_at_top = mnt_n == 14 && strncmp(mnt, "/sys/fs/cgroup", 14) == 0;
        }
        h->mountpoint = unescape(mnt, mnt_n);
        h->root = unescape(root, root_n);
        h->controllers = strdup(ctrl);
        h->v2 = v2;
        if (h->mountpoint == NULL || h->root == NULL || h->controllers == NULL)
            return pier_error(err, ENOMEM, "cgroup layout");
        out->n++;
    }
    if (have_v2 && !have_v1)
        out->mode = RT_CG_V2;
    else if (have_v1 && have_v2)
        out->mode = v2_at_top ? RT_CG_V2 : RT_CG_HYBRID;
    else if (have_v1)
        out->mode = RT_CG_V1;
    else
        out->mode = RT_CG_NONE;
    return 0;
}

void rt_cgroup_layout_free(struct rt_cg_layout *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->h[i].mountpoint);
        free(l->h[i].root);
        free(l->h[i].controllers);
    }
    memset(l, 0, sizeof *l);
}

static struct rt_cg_layout layout;
static bool loaded;

void rt_cgroup_layout_override(const struct rt_cg_layout *l)
{
    if (l == NULL) {
        loaded = false;
        return;
    }
    layout = *l;
    loaded = true;
}

int rt_cgroup_layout(const struct rt_cg_layout **out, pier_err_t *err)
{
    if (!loaded) {
        cleanup_free char *mi = NULL;
        if (pier_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &mi, NULL, err) < 0)
            return -1;
        if (rt_cgroup_layout_parse(mi, &layout, err) < 0)
            return -1;
        loaded = true;
    }
    *out = &layout;
    return 0;
}

/* ---- resolving a container's cgroup ---------------------------------------- */

/* systemd's "parent.slice:prefix:name": each dash in the slice name nests
 * one level ("a-b.slice" lives in "a.slice"). */
static int systemd_to_path(const char *s, char *out, size_t cap, pier_err_t *err)
{
    const char *c1 = strchr(s, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL)
        return pier_error(err, 0, "linux.cgroupsPath: `%s` is not slice:prefix:name", s);
    char slice[256];
    size_t sl = (size_t)(c1 - s);
    if (sl == 0) {
        snprintf(slice, sizeof slice, "system.slice");
        sl = strlen(slice);
    } else if (sl >= sizeof slice) {
        return pier_error(err, 0, "linux.cgroupsPath: slice name too long");
    } else {
        memcpy(slice, s, sl);
        slice[sl] = '\0';
    }
    size_t o = 0;
    out[0] = '\0';
    if (strcmp(slice, "-.slice") != 0) {
        if (sl < 7 || strcmp(slice + sl - 6, ".slice") != 0)
            return pier_error(err, 0, "linux.cgroupsPath: `%s` is not a slice", slice);
        /* "a-b-c.slice" -> /a.slice/a-b.slice/a-b-c.slice */
        for (size_t i = 0; i < sl - 6; i++) {
            if (slice[i] == '-') {
                int w = snprintf(out + o, cap - o, "/%.*s.slice", (int)i, slice);
                if (w < 0 || (size_t)w >= cap - o)
                    return pier_error(err, 0, "linux.cgroupsPath: too long");
                o += (size_t)w;
            }
        }
        int w = snprintf(out + o, cap - o, "/%s", slice);
        if (w < 0 || (size_t)w >= cap - o)
            return pier_error(err, 0, "linux.cgroupsPath: too long");
        o += (size_t)w;
    }
    const char *prefix = c1 + 1;
    size_t pl = (size_t)(c2 - prefix);
    const char *name = c2 + 1;
    int w;
    if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0)
        w = snprintf(out + o, cap - o, "/%s", name);
    else if (pl > 0)
        w = snprintf(out + o, cap - o, "/%.*s-%s.scope", (int)pl, prefix, name);
    else
        w = snprintf(out + o, cap - o, "/%s.scope", name);
    if (w < 0 || (size_t)w >= cap - o)
        return pier_error(err, 0, "linux.cgroupsPath: too long");
    return 0;
}

/* The caller's cgroup in the hierarchy with these controllers, from the
 * text of /proc/self/cgroup. */
static void own_cgroup(const char *text, const struct rt_cg_hier *h, char *out, size_t cap)
{
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchrnul(line, '\n');
        const char *c1 = strchr(line, ':');
        const char *c2 = c1 && c1 < eol ? strchr(c1 + 1, ':') : NULL;
        if (c2 != NULL && c2 < eol) {
            size_t cl = (size_t)(c2 - c1 - 1);
            bool match =
                h->v2 ? cl == 0
                      : (cl == strlen(h->controllers) && strncmp(c1 + 1, h->controllers, cl) == 0);
            if (match) {
                snprintf(out, cap, "%.*s", (int)(eol - c2 - 1), c2 + 1);
                return;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    snprintf(out, cap, "/");
}

static bool clean_relative(const char *p)
{
    for (const char *s = p; *s;) {
        const char *e = strchrnul(s, '/');
        if (e - s == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s = *e ? e + 1 : e;
    }
    return true;
}

int rt_cgroup_resolve(const char *cgroups_path, const char *id, bool systemd, struct rt_cgroup *cg,
                      pier_err_t *err)
{
    memset(cg, 0, sizeof *cg);
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    char path[PATH_MAX];
    if (cgroups_path == NULL || cgroups_path[0] == '\0')
        snprintf(path, sizeof path, "%s", id);
    else if (systemd || (cgroups_path[0] != '/' && strchr(cgroups_path, ':') != NULL)) {
        if (systemd_to_path(cgroups_path, path, sizeof path, err) < 0)
            return -1;
    } else
        snprintf(path, sizeof path, "%s", cgroups_path);
    if (!clean_relative(path))
        return pier_error(err, 0, "linux.cgroupsPath: `%s` may not contain `..`", path);
    cleanup_free char *self = NULL;
    if (path[0] != '/' &&
        pier_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &self, NULL, err) < 0)
        return -1;

    for (size_t i = 0; i < l->n; i++) {
        const struct rt_cg_hier *h = &l->h[i];
        char full[PATH_MAX], base[PATH_MAX];
        if (path[0] == '/') {
            snprintf(base, sizeof base, "%s", path);
        } else {
            char own[PATH_MAX];
            own_cgroup(self, h, own, sizeof own);
            snprintf(base, sizeof base, "%s/%s", strcmp(own, "/") == 0 ? "" : own, path);
        }
        /* Map the cgroup path onto the mount, which may show a sub-tree. */
        const char *rel = base;
        size_t rl = strlen(h->root);
        if (strcmp(h->root, "/") != 0) {
            if (strncmp(base, h->root, rl) != 0 || (base[rl] != '/' && base[rl] != '\0'))
                return pier_error(err, 0, "cgroup `%s` is outside the part of %s this host shows",
                                  base, h->mountpoint);
            rel = base + rl;
        }
        snprintf(full, sizeof full, "%s%s", h->mountpoint, rel);
        /* Trim trailing slashes. */
        for (size_t n = strlen(full); n > 1 && full[n - 1] == '/'; n--)
            full[n - 1] = '\0';
        cg->h[cg->n].dir = strdup(full);
        cg->h[cg->n].ctrl = h->controllers;
        cg->h[cg->n].v2 = h->v2;
        if (cg->h[cg->n].dir == NULL)
            return pier_error(err, ENOMEM, "cgroup");
        cg->n++;
    }
    return 0;
}

void rt_cgroup_free(struct rt_cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        free(cg->h[i].dir);
    memset(cg, 0, sizeof *cg);
}

char *rt_cgroup_to_string(const struct rt_cgroup *cg)
{
    size_t len = 1;
    for (size_t i = 0; i < cg->n; i++)
        len += strlen(cg->h[i].dir) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    char *p = s;
    for (size_t i = 0; i < cg->n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", cg->h[i].dir);
    return s;
}

int rt_cgroup_from_string(const char *s, struct rt_cgroup *cg, pier_err_t *err)
{
    memset(cg, 0, sizeof *cg);
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    for (const char *line = s; line != NULL && *line != '\0';) {
        const char *eol = strchrnul(line, '\n');
        size_t n = (size_t)(eol - line);
        if (n > 0 && cg->n < RT_CG_MAX_HIER) {
            char *dir = strndup(line, n);
            if (dir == NULL)
                return pier_error(err, ENOMEM, "cgroup");
            const struct rt_cg_hier *best = NULL;
            for (size_t i = 0; i < l->n; i++) {
                size_t ml = strlen(l->h[i].mountpoint);
                if (strncmp(dir, l->h[i].mountpoint, ml) == 0 &&
                    (dir[ml] == '/' || dir[ml] == '\0') &&
                    (best == NULL || ml > strlen(best->mountpoint)))
                    best = &l->h[i];
            }
            if (best == NULL) {
                free(dir);
            } else {
                cg->h[cg->n].dir = dir;
                cg->h[cg->n].ctrl = best->controllers;
                cg->h[cg->n].v2 = best->v2;
                cg->n++;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return 0;
}

const char *rt_cgroup_dir(const struct rt_cgroup *cg, const char *ctrl)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (ctrl == NULL) {
            if (cg->h[i].v2)
                return cg->h[i].dir;
            continue;
        }
        if (cg->h[i].v2)
            continue;
        size_t cl = strlen(ctrl);
        for (const char *s = cg->h[i].ctrl; *s;) {
            const char *e = strchrnul(s, ',');
            if ((size_t)(e - s) == cl && strncmp(s, ctrl, cl) == 0)
                return cg->h[i].dir;
            s = *e ? e + 1 : e;
        }
    }
    return NULL;
}

/* ---- operations ----------------------------------------------------------- */

static bool has_ctrl(const char *list, const char *ctrl)
{
    size_t cl = strlen(ctrl);
    for (const char *s = list; *s;) {
        const char *e = strchrnul(s, ',');
        if ((size_t)(e - s) == cl && strncmp(s, ctrl, cl) == 0)
            return true;
        s = *e ? e + 1 : e;
    }
    return false;
}

/* A new v1 cpuset cgroup starts with no cpus and mems, and takes no tasks
 * until they are copied from its parent. */
static int cpuset_inherit(const char *dir, pier_err_t *err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cleanup_free char *cur = NULL;
        if (pier_read_file_at(AT_FDCWD, path, 1 << 16, &cur, NULL, err) < 0)
            return -1;
        if (cur[0] != '\n' && cur[0] != '\0')
            continue;
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash == NULL)
            continue;
        *slash = '\0';
        char ppath[PATH_MAX];
        snprintf(ppath, sizeof ppath, "%s/%s", parent, files[i]);
        cleanup_free char *val = NULL;
        if (pier_read_file_at(AT_FDCWD, ppath, 1 << 16, &val, NULL, err) < 0)
            return -1;
        if (val[0] == '\n' || val[0] == '\0') {
            if (cpuset_inherit(parent, err) < 0)
                return -1;
            free(val);
            val = NULL;
            if (pier_read_file_at(AT_FDCWD, ppath, 1 << 16, &val, NULL, err) < 0)
                return -1;
        }
        if (pier_write_string_at(AT_FDCWD, path, val, err) < 0)
            return -1;
    }
    return 0;
}

int rt_cgroup_create(struct rt_cgroup *cg, pier_err_t *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (pier_mkdir_p(cg->h[i].dir, 0755, err) < 0)
            return pier_error_wrap(err, "create cgroup");
        if (!cg->h[i].v2 && has_ctrl(cg->h[i].ctrl, "cpuset") &&
            cpuset_inherit(cg->h[i].dir, err) < 0)
            return pier_error_wrap(err, "create cgroup");
    }
    return 0;
}

int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, pier_err_t *err)
{
    char spid[16];
    snprintf(spid, sizeof spid, "%d", (int)pid);
    for (size_t i = 0; i < cg->n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.procs", cg->h[i].dir);
        if (pier_write_string_at(AT_FDCWD, path, spid, err) < 0)
            return pier_error_wrap(err, "join cgroup");
    }
    return 0;
}

static int read_pids(const char *dir, pid_t **out, size_t *n, pier_err_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    cleanup_free char *text = NULL;
    if (pier_read_file_at(AT_FDCWD, path, 64 << 20, &text, NULL, err) < 0)
        return -1;
    size_t cap = 16, cnt = 0;
    cleanup_free pid_t *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return pier_error(err, ENOMEM, "pids");
    for (char *p = text; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (cnt == cap) {
            cap *= 2;
            pid_t *nv = realloc(v, cap * sizeof *v);
            if (nv == NULL)
                return pier_error(err, ENOMEM, "pids");
            v = nv;
        }
        v[cnt++] = (pid_t)pid;
        p = end;
        while (*p == '\n')
            p++;
    }
    *out = steal_pointer(&v);
    *n = cnt;
    return 0;
}

int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n, pier_err_t *err)
{
    const char *dir = rt_cgroup_dir(cg, "pids");
    if (dir == NULL)
        dir = rt_cgroup_dir(cg, NULL);
    if (dir == NULL && cg->n > 0)
        dir = cg->h[0].dir;
    if (dir == NULL)
        return pier_error(err, 0, "the container has no cgroup");
    return read_pids(dir, out, n, err);
}

bool rt_cgroup_is_frozen_cg(const struct rt_cgroup *cg)
{
    const char *dir = rt_cgroup_dir(cg, "freezer");
    char path[PATH_MAX];
    cleanup_free char *text = NULL;
    pier_err_t err = NULL;
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/freezer.state", dir);
        if (pier_read_file_at(AT_FDCWD, path, 4096, &text, NULL, &err) < 0) {
            pier_error_free(&err);
            return false;
        }
        return strncmp(text, "FROZEN", 6) == 0 || strncmp(text, "FREEZING", 8) == 0;
    }
    dir = rt_cgroup_dir(cg, NULL);
    if (dir == NULL)
        return false;
    snprintf(path, sizeof path, "%s/cgroup.freeze", dir);
    if (pier_read_file_at(AT_FDCWD, path, 4096, &text, NULL, &err) < 0) {
        pier_error_free(&err);
        return false;
    }
    return text[0] == '1';
}

bool rt_cgroup_is_frozen(const char *stored)
{
    struct rt_cgroup cg;
    pier_err_t err = NULL;
    if (rt_cgroup_from_string(stored, &cg, &err) < 0) {
        pier_error_free(&err);
        return false;
    }
    bool frozen = rt_cgroup_is_frozen_cg(&cg);
    rt_cgroup_free(&cg);
    return frozen;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int rt_cgroup_freeze(const struct rt_cgroup *cg, bool frozen, pier_err_t *err)
{
    const char *dir = rt_cgroup_dir(cg, "freezer");
    char path[PATH_MAX];
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/freezer.state", dir);
        if (pier_write_string_at(AT_FDCWD, path, frozen ? "FROZEN" : "THAWED", err) < 0)
            return -1;
        if (!frozen)
            return 0;
        /* The v1 freezer reports FREEZING until every task stopped. */
        for (int i = 0; i < 2000; i++) {
            cleanup_free char *text = NULL;
            if (pier_read_file_at(AT_FDCWD, path, 4096, &text, NULL, err) < 0)
                return -1;
            if (strncmp(text, "FROZEN", 6) == 0)
                return 0;
            if (i % 50 == 49)
                pier_write_string_at(AT_FDCWD, path, "FROZEN", NULL);
            sleep_ms(1);
        }
        return pier_error(err, 0, "freeze cgroup `%s`: timed out", dir);
    }
    dir = rt_cgroup_dir(cg, NULL);
    if (dir == NULL)
        return pier_error(err, 0, "no freezer: the host has neither the v1 freezer nor cgroup2");
    snprintf(path, sizeof path, "%s/cgroup.freeze", dir);
    if (pier_write_string_at(AT_FDCWD, path, frozen ? "1" : "0", err) < 0)
        return -1;
    if (!frozen)
        return 0;
    snprintf(path, sizeof path, "%s/cgroup.events", dir);
    for (int i = 0; i < 2000; i++) {
        cleanup_free char *text = NULL;
        if (pier_read_file_at(AT_FDCWD, path, 4096, &text, NULL, err) < 0)
            return -1;
        if (strstr(text, "frozen 1") != NULL)
            return 0;
        sleep_ms(1);
    }
    return pier_error(err, 0, "freeze cgroup `%s`: timed out", dir);
}

int rt_cgroup_kill(const struct rt_cgroup *cg, int sig, pier_err_t *err)
{
    const char *v2 = rt_cgroup_dir(cg, NULL);
    if (sig == SIGKILL && v2 != NULL) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.kill", v2);
        if (access(path, F_OK) == 0)
            return pier_write_string_at(AT_FDCWD, path, "1", err);
    }
    bool freezer = rt_cgroup_dir(cg, "freezer") != NULL || v2 != NULL;
    bool was_frozen = freezer && rt_cgroup_is_frozen_cg(cg);
    if (freezer && !was_frozen && rt_cgroup_freeze(cg, true, NULL) < 0)
        freezer = false;
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    int ret = rt_cgroup_pids(cg, &pids, &n, err);
    for (size_t i = 0; ret == 0 && i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            ret = pier_error(err, errno, "kill %d", (int)pids[i]);
    if (freezer && !was_frozen)
        rt_cgroup_freeze(cg, false, NULL);
    return ret;
}

int rt_cgroup_destroy(const struct rt_cgroup *cg, pier_err_t *err)
{
    int ret = 0;
    for (size_t i = 0; i < cg->n; i++) {
        int tries = 0;
        while (rmdir(cg->h[i].dir) < 0) {
            if (errno == ENOENT)
                break;
            /* Exiting processes leave the cgroup a moment after they die. */
            if (errno == EBUSY && ++tries < 200) {
                sleep_ms(5);
                continue;
            }
            ret = pier_error(err, errno, "remove cgroup `%s`", cg->h[i].dir);
            break;
        }
    }
    return ret;
}
