#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <time.h>
#include <linux/mount.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/signals.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

const char *const rt_ns_names[RT_NS_COUNT] = {
    [RT_NS_PID] = "pid",   [RT_NS_NET] = "network",   [RT_NS_IPC] = "ipc",   [RT_NS_UTS] = "uts",
    [RT_NS_MNT] = "mount", [RT_NS_CGROUP] = "cgroup", [RT_NS_USER] = "user", [RT_NS_TIME] = "time",
};
const int rt_ns_clone_flags[RT_NS_COUNT] = {
    [RT_NS_PID] = CLONE_NEWPID,   [RT_NS_NET] = CLONE_NEWNET,   [RT_NS_IPC] = CLONE_NEWIPC,
    [RT_NS_UTS] = CLONE_NEWUTS,   [RT_NS_MNT] = CLONE_NEWNS,    [RT_NS_CGROUP] = CLONE_NEWCGROUP,
    [RT_NS_USER] = CLONE_NEWUSER, [RT_NS_TIME] = CLONE_NEWTIME,
};
const char *const rt_ns_proc_names[RT_NS_COUNT] = {
    [RT_NS_PID] = "pid", [RT_NS_NET] = "net",       [RT_NS_IPC] = "ipc",   [RT_NS_UTS] = "uts",
    [RT_NS_MNT] = "mnt", [RT_NS_CGROUP] = "cgroup", [RT_NS_USER] = "user", [RT_NS_TIME] = "time",
};
const char *const rt_hook_names[RT_HOOK_COUNT] = {
    [RT_HOOK_PRESTART] = "prestart",
    [RT_HOOK_CREATE_RUNTIME] = "createRuntime",
    [RT_HOOK_CREATE_CONTAINER] = "createContainer",
    [RT_HOOK_START_CONTAINER] = "startContainer",
    [RT_HOOK_POSTSTART] = "poststart",
    [RT_HOOK_POSTSTOP] = "poststop",
};

static char *xstrdup(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

/* ---- names ---------------------------------------------------------------- */

int rt_cap_from_name(const char *name)
{
    cap_value_t v;
    if (name == NULL || cap_from_name(name, &v) < 0)
        return -1;
    /* cap_from_name also accepts "all" and bare numbers; the spec wants names. */
    if (strncasecmp(name, "CAP_", 4) != 0)
        return -1;
    return (int)v;
}

int rt_signal_from_name(const char *name)
{
    return pier_signal_parse(name);
}

static const struct {
    const char *name;
    int res;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rt_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
        if (strcmp(name, rlimits[i].name) == 0)
            return rlimits[i].res;
    return -1;
}

/* ---- mount options -------------------------------------------------------- */

enum opt_kind {
    OPT_SET,
    OPT_CLEAR,
    OPT_PROPAGATION,
    OPT_ATTR_SET,
    OPT_ATTR_CLEAR,
    OPT_BIND,
    OPT_RBIND,
    OPT_TMPCOPYUP,
    OPT_IGNORE
};

static const struct {
    const char *name;
    enum opt_kind kind;
    unsigned long value;
} mount_options[] = {
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"bind", OPT_BIND, 0},
    {"defaults", OPT_IGNORE, 0},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"nodev", OPT_SET, MS_NODEV},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"rbind", OPT_RBIND, 0},
    {"relatime", OPT_SET, MS_RELATIME},
    {"remount", OPT_SET, MS_REMOUNT},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"silent", OPT_SET, MS_SILENT},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_ATTR_CLEAR, MOUNT_ATTR_RELATIME},
    {"rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NOATIME},
    {"rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_ATTR_CLEAR, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
};

static int append_data(char **data, const char *opt)
{
    char *n = NULL;
    if (*data == NULL)
        n = strdup(opt);
    else if (asprintf(&n, "%s,%s", *data, opt) < 0)
        n = NULL;
    if (n == NULL)
        return -1;
    free(*data);
    *data = n;
    return 0;
}

int rt_mount_parse_options(struct rt_mount *m, json_t *options, const char *path, pier_err_t *err)
{
    size_t i;
    json_t *o;
    json_array_foreach (options, i, o) {
        char p[512];
        if (!json_is_string(o))
            return pier_error(err, 0, "%s: expected a string", pj_index(p, sizeof p, path, i));
        const char *s = json_string_value(o);
        size_t k;
        for (k = 0; k < ARRAY_SIZE(mount_options); k++)
            if (strcmp(s, mount_options[k].name) == 0)
                break;
        if (k == ARRAY_SIZE(mount_options)) {
            if (strcmp(s, "idmap") == 0 || strcmp(s, "ridmap") == 0)
                return pier_error(err, 0, "%s: idmapped mounts (`%s`) are not supported",
                                  pj_index(p, sizeof p, path, i), s);
            if (s[0] == '\0' || strchr(s, ',') != NULL)
                return pier_error(err, 0, "%s: invalid mount option `%s`",
                                  pj_index(p, sizeof p, path, i), s);
            if (append_data(&m->data, s) < 0)
                return pier_error(err, ENOMEM, "%s", path);
            continue;
        }
        unsigned long v = mount_options[k].value;
        switch (mount_options[k].kind) {
        case OPT_SET:
            m->flags |= v;
            m->clear_flags &= ~v;
            break;
        case OPT_CLEAR:
            m->flags &= ~v;
            m->clear_flags |= v;
            break;
        case OPT_PROPAGATION:
            m->propagation = v;
            break;
        case OPT_ATTR_SET:
            m->attr_set |= v;
            m->attr_clr &= ~v;
            break;
        case OPT_ATTR_CLEAR:
            m->attr_clr |= v;
            m->attr_set &= ~v;
            break;
        case OPT_BIND:
            m->bind = true;
            break;
        case OPT_RBIND:
            m->bind = true;
            m->recursive = true;
            break;
        case OPT_TMPCOPYUP:
            m->tmpcopyup = true;
            break;
        case OPT_IGNORE:
            break;
        }
    }
    return 0;
}

/* ---- paths ---------------------------------------------------------------- */

/* An absolute path whose ".." components never climb above "/". */
static int check_contained_path(const char *p, const char *field, pier_err_t *err)
{
    if (p[0] != '/')
        return pier_error(err, 0, "%s: `%s` is not an absolute path", field, p);
    if (strlen(p) >= PATH_MAX)
        return pier_error(err, 0, "%s: path too long", field);
    int depth = 0;
    const char *s = p;
    while (*s != '\0') {
        while (*s == '/')
            s++;
        if (*s == '\0')
            break;
        const char *e = strchrnul(s, '/');
        size_t n = (size_t)(e - s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return pier_error(err, 0, "%s: `%s` leads out of the container's root", field, p);
        } else if (!(n == 1 && s[0] == '.')) {
            depth++;
        }
        s = e;
    }
    return 0;
}

/* ---- sections ------------------------------------------------------------- */

static int parse_caps_set(json_t *caps, const char *path, const char *key, uint64_t *out,
                          pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(caps, path, key, &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char p[512], q[512];
        const char *where = pj_index(q, sizeof q, pj_path(p, sizeof p, path, key), i);
        if (!json_is_string(v))
            return pier_error(err, 0, "%s: expected a string", where);
        int c = rt_cap_from_name(json_string_value(v));
        if (c < 0)
            return pier_error(err, 0, "%s: unknown capability `%s`", where, json_string_value(v));
        if (c < 64)
            *out |= 1ULL << c;
    }
    return 0;
}

static int parse_rlimits(json_t *proc, const char *path, struct rt_process *p, pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(proc, path, "rlimits", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    p->rlimits = calloc(json_array_size(arr) + 1, sizeof *p->rlimits);
    if (p->rlimits == NULL)
        return pier_error(err, ENOMEM, "rlimits");
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char b[512], q[512];
        const char *where = pj_index(q, sizeof q, pj_path(b, sizeof b, path, "rlimits"), i);
        if (!json_is_object(v))
            return pier_error(err, 0, "%s: expected an object", where);
        const char *type = NULL;
        if (pj_string(v, where, "type", &type, err) < 0)
            return -1;
        if (type == NULL)
            return pier_error(err, 0, "%s.type: missing", where);
        int res = rt_rlimit_from_name(type);
        if (res < 0)
            return pier_error(err, 0, "%s.type: unknown rlimit `%s`", where, type);
        for (size_t k = 0; k < p->n_rlimits; k++)
            if (p->rlimits[k].resource == res)
                return pier_error(err, 0, "%s.type: `%s` given twice", where, type);
        uint64_t soft, hard;
        if (pj_u64_value(json_object_get(v, "soft"), &soft) < 0 ||
            pj_u64_value(json_object_get(v, "hard"), &hard) < 0)
            return pier_error(err, 0, "%s: soft and hard must be non-negative integers", where);
        struct rt_rlimit *r = &p->rlimits[p->n_rlimits++];
        r->resource = res;
        r->soft = soft;
        r->hard = hard;
        if (r->soft > r->hard)
            return pier_error(err, 0, "%s: soft limit %llu is above hard limit %llu", where,
                              (unsigned long long)r->soft, (unsigned long long)r->hard);
    }
    return 0;
}

int rt_process_parse(json_t *proc, const char *path, struct rt_process *p, pier_err_t *err)
{
    char b[512];
    const char *s;
    if (!json_is_object(proc))
        return pier_error(err, 0, "%s: expected an object", path[0] ? path : "process");
    if (pj_bool(proc, path, "terminal", &p->terminal, err) < 0)
        return -1;
    json_t *cs = NULL;
    if (pj_object(proc, path, "consoleSize", &cs, err) < 0)
        return -1;
    if (cs != NULL) {
        const char *csp = pj_path(b, sizeof b, path, "consoleSize");
        uint32_t h = 0, w = 0;
        if (pj_uint32(cs, csp, "height", &h, err) < 0 || pj_uint32(cs, csp, "width", &w, err) < 0)
            return -1;
        if (h > 65535 || w > 65535)
            return pier_error(err, 0, "%s: larger than 65535", csp);
        p->console_height = h;
        p->console_width = w;
    }

    json_t *user = NULL;
    if (pj_object(proc, path, "user", &user, err) < 0)
        return -1;
    if (user != NULL) {
        char up[512];
        pj_path(up, sizeof up, path, "user");
        if (pj_uint32(user, up, "uid", &p->uid, err) < 0 ||
            pj_uint32(user, up, "gid", &p->gid, err) < 0)
            return -1;
        int64_t um = -1;
        if (pj_int(user, up, "umask", 0, 0777, &um, err) < 0)
            return -1;
        if (um >= 0) {
            p->has_umask = true;
            p->umask = (mode_t)um;
        }
        json_t *gids = NULL;
        if (pj_array(user, up, "additionalGids", &gids, err) < 0)
            return -1;
        if (gids != NULL) {
            size_t n = json_array_size(gids);
            p->additional_gids = calloc(n + 1, sizeof(gid_t));
            if (p->additional_gids == NULL)
                return pier_error(err, ENOMEM, "additionalGids");
            for (size_t i = 0; i < n; i++) {
                json_t *g = json_array_get(gids, i);
                if (!pj_is_integral(g) || pj_integral_value(g) < 0 ||
                    pj_integral_value(g) > UINT32_MAX) {
                    char q[512];
                    return pier_error(
                        err, 0, "%s: expected a gid",
                        pj_index(q, sizeof q, pj_path(b, sizeof b, up, "additionalGids"), i));
                }
                p->additional_gids[i] = (gid_t)pj_integral_value(g);
            }
            p->n_additional_gids = n;
        }
    }

    if (pj_strv(proc, path, "args", &p->args, err) < 0 ||
        pj_strv(proc, path, "env", &p->env, err) < 0)
        return -1;
    if (p->args == NULL || p->args[0] == NULL)
        return pier_error(err, 0, "%s: must name the program to run",
                          pj_path(b, sizeof b, path, "args"));
    if (p->args[0][0] == '\0')
        return pier_error(err, 0, "%s: the program name is empty",
                          pj_path(b, sizeof b, path, "args[0]"));
    for (char **e = p->env; e != NULL && *e != NULL; e++)
        if (strchr(*e, '=') == NULL || (*e)[0] == '=')
            return pier_error(err, 0, "%s: `%s` is not NAME=VALUE",
                              pj_path(b, sizeof b, path, "env"), *e);

    s = NULL;
    if (pj_string(proc, path, "cwd", &s, err) < 0)
        return -1;
    if (s == NULL || s[0] == '\0')
        s = "/";
    if (s[0] != '/')
        return pier_error(err, 0, "%s: `%s` is not an absolute path",
                          pj_path(b, sizeof b, path, "cwd"), s);
    p->cwd = strdup(s);

    json_t *caps = NULL;
    if (pj_object(proc, path, "capabilities", &caps, err) < 0)
        return -1;
    if (caps != NULL) {
        char cp[512];
        pj_path(cp, sizeof cp, path, "capabilities");
        p->has_caps = true;
        if (parse_caps_set(caps, cp, "bounding", &p->caps.bounding, err) < 0 ||
            parse_caps_set(caps, cp, "effective", &p->caps.effective, err) < 0 ||
            parse_caps_set(caps, cp, "inheritable", &p->caps.inheritable, err) < 0 ||
            parse_caps_set(caps, cp, "permitted", &p->caps.permitted, err) < 0 ||
            parse_caps_set(caps, cp, "ambient", &p->caps.ambient, err) < 0)
            return -1;
    }
    if (pj_bool(proc, path, "noNewPrivileges", &p->no_new_privileges, err) < 0)
        return -1;
    int64_t oom = INT64_MIN;
    if (pj_int(proc, path, "oomScoreAdj", -1000, 1000, &oom, err) < 0)
        return -1;
    if (oom != INT64_MIN) {
        p->has_oom_score_adj = true;
        p->oom_score_adj = (int)oom;
    }
    if (parse_rlimits(proc, path, p, err) < 0)
        return -1;
    s = NULL;
    if (pj_string(proc, path, "apparmorProfile", &s, err) < 0)
        return -1;
    p->apparmor_profile = xstrdup(s);
    s = NULL;
    if (pj_string(proc, path, "selinuxLabel", &s, err) < 0)
        return -1;
    p->selinux_label = xstrdup(s);
    if (p->cwd == NULL)
        return pier_error(err, ENOMEM, "process");
    return 0;
}

static int parse_root(json_t *top, const char *bundle, struct rt_spec *spec, pier_err_t *err)
{
    json_t *root = NULL;
    if (pj_object(top, "", "root", &root, err) < 0)
        return -1;
    if (root == NULL)
        return pier_error(err, 0, "root: missing (the container needs a root filesystem)");
    const char *path = NULL;
    if (pj_string(root, "root", "path", &path, err) < 0 ||
        pj_bool(root, "root", "readonly", &spec->root_readonly, err) < 0)
        return -1;
    if (path == NULL || path[0] == '\0')
        return pier_error(err, 0, "root.path: missing");
    if (path[0] == '/')
        spec->root_path = strdup(path);
    else if (asprintf(&spec->root_path, "%s/%s", bundle, path) < 0)
        spec->root_path = NULL;
    if (spec->root_path == NULL)
        return pier_error(err, ENOMEM, "root.path");
    return 0;
}

static int parse_mounts(json_t *top, struct rt_spec *spec, pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(top, "", "mounts", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    spec->mounts = calloc(json_array_size(arr) + 1, sizeof *spec->mounts);
    if (spec->mounts == NULL)
        return pier_error(err, ENOMEM, "mounts");
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char p[64], q[512];
        pj_index(p, sizeof p, "mounts", i);
        struct rt_mount *m = &spec->mounts[spec->n_mounts++];
        if (!json_is_object(v))
            return pier_error(err, 0, "%s: expected an object", p);
        const char *dest = NULL, *type = NULL, *source = NULL;
        if (pj_string(v, p, "destination", &dest, err) < 0 ||
            pj_string(v, p, "type", &type, err) < 0 || pj_string(v, p, "source", &source, err) < 0)
            return -1;
        if (dest == NULL || dest[0] == '\0')
            return pier_error(err, 0, "%s.destination: missing", p);
        if (check_contained_path(dest, pj_path(q, sizeof q, p, "destination"), err) < 0)
            return -1;
        m->destination = strdup(dest);
        m->type = xstrdup(type);
        m->source = xstrdup(source);
        json_t *opts = NULL;
        if (pj_array(v, p, "options", &opts, err) < 0)
            return -1;
        if (opts != NULL &&
            rt_mount_parse_options(m, opts, pj_path(q, sizeof q, p, "options"), err) < 0)
            return -1;
        if (type != NULL && strcmp(type, "bind") == 0)
            m->bind = true;
        if (type != NULL && strcmp(type, "rbind") == 0) {
            m->bind = true;
            m->recursive = true;
        }
        if (m->bind && (source == NULL || source[0] == '\0'))
            return pier_error(err, 0, "%s.source: a bind mount needs a source", p);
        if (!m->bind && (type == NULL || type[0] == '\0'))
            return pier_error(err, 0, "%s.type: missing (and the options do not say bind)", p);
        if (m->destination == NULL)
            return pier_error(err, ENOMEM, "mounts");
    }
    return 0;
}

static int parse_hooks(json_t *top, struct rt_spec *spec, pier_err_t *err)
{
    json_t *hooks = NULL;
    if (pj_object(top, "", "hooks", &hooks, err) < 0)
        return -1;
    if (hooks == NULL)
        return 0;
    for (int k = 0; k < RT_HOOK_COUNT; k++) {
        char p[64];
        pj_path(p, sizeof p, "hooks", rt_hook_names[k]);
        json_t *arr = NULL;
        if (pj_array(hooks, "hooks", rt_hook_names[k], &arr, err) < 0)
            return -1;
        if (arr == NULL)
            continue;
        struct rt_hooks *h = &spec->hooks[k];
        h->items = calloc(json_array_size(arr) + 1, sizeof *h->items);
        if (h->items == NULL)
            return pier_error(err, ENOMEM, "%s", p);
        size_t i;
        json_t *v;
        json_array_foreach (arr, i, v) {
            char q[128];
            pj_index(q, sizeof q, p, i);
            struct rt_hook *hk = &h->items[h->n++];
            if (!json_is_object(v))
                return pier_error(err, 0, "%s: expected an object", q);
            const char *path = NULL;
            if (pj_string(v, q, "path", &path, err) < 0)
                return -1;
            if (path == NULL || path[0] != '/')
                return pier_error(err, 0, "%s.path: must be an absolute path", q);
            hk->path = strdup(path);
            if (pj_strv(v, q, "args", &hk->args, err) < 0 ||
                pj_strv(v, q, "env", &hk->env, err) < 0)
                return -1;
            int64_t t = 0;
            if (pj_int(v, q, "timeout", 1, INT32_MAX, &t, err) < 0)
                return -1;
            if (json_object_get(v, "timeout") != NULL &&
                !json_is_null(json_object_get(v, "timeout")) && t < 1)
                return pier_error(err, 0, "%s.timeout: must be positive", q);
            hk->timeout = (int)t;
        }
    }
    return 0;
}

static int parse_idmaps(json_t *linux_, const char *key, struct rt_idmap **out, size_t *n,
                        pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(linux_, "linux", key, &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    *out = calloc(json_array_size(arr) + 1, sizeof **out);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "%s", key);
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char p[64], q[128];
        pj_index(q, sizeof q, pj_path(p, sizeof p, "linux", key), i);
        if (!json_is_object(v))
            return pier_error(err, 0, "%s: expected an object", q);
        struct rt_idmap *m = &(*out)[(*n)++];
        if (pj_uint32(v, q, "containerID", &m->container_id, err) < 0 ||
            pj_uint32(v, q, "hostID", &m->host_id, err) < 0 ||
            pj_uint32(v, q, "size", &m->size, err) < 0)
            return -1;
        if (m->size == 0)
            return pier_error(err, 0, "%s.size: must be positive", q);
    }
    return 0;
}

static int parse_namespaces(json_t *linux_, struct rt_spec *spec, pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(linux_, "linux", "namespaces", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char q[64];
        pj_index(q, sizeof q, "linux.namespaces", i);
        if (!json_is_object(v))
            return pier_error(err, 0, "%s: expected an object", q);
        const char *type = NULL, *path = NULL;
        if (pj_string(v, q, "type", &type, err) < 0 || pj_string(v, q, "path", &path, err) < 0)
            return -1;
        if (type == NULL)
            return pier_error(err, 0, "%s.type: missing", q);
        int k;
        for (k = 0; k < RT_NS_COUNT; k++)
            if (strcmp(type, rt_ns_names[k]) == 0)
                break;
        if (k == RT_NS_COUNT)
            return pier_error(err, 0, "%s.type: unknown namespace type `%s`", q, type);
        if (spec->ns[k].present)
            return pier_error(err, 0, "%s.type: namespace `%s` given twice", q, type);
        spec->ns[k].present = true;
        if (path != NULL && path[0] != '\0') {
            if (path[0] != '/')
                return pier_error(err, 0, "%s.path: `%s` is not an absolute path", q, path);
            spec->ns[k].path = strdup(path);
            if (spec->ns[k].path == NULL)
                return pier_error(err, ENOMEM, "%s", q);
        }
    }
    return 0;
}

static int parse_devices(json_t *linux_, struct rt_spec *spec, pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(linux_, "linux", "devices", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    spec->devices = calloc(json_array_size(arr) + 1, sizeof *spec->devices);
    if (spec->devices == NULL)
        return pier_error(err, ENOMEM, "linux.devices");
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        char q[64];
        pj_index(q, sizeof q, "linux.devices", i);
        if (!json_is_object(v))
            return pier_error(err, 0, "%s: expected an object", q);
        struct rt_device *d = &spec->devices[spec->n_devices++];
        const char *path = NULL, *type = NULL;
        if (pj_string(v, q, "path", &path, err) < 0 || pj_string(v, q, "type", &type, err) < 0)
            return -1;
        char b[128];
        if (path == NULL)
            return pier_error(err, 0, "%s.path: missing", q);
        if (check_contained_path(path, pj_path(b, sizeof b, q, "path"), err) < 0)
            return -1;
        if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
            return pier_error(err, 0, "%s.type: must be one of c, b, u, p", q);
        d->type = type[0];
        d->major = d->minor = -1;
        if (pj_int(v, q, "major", 0, 0xfff, &d->major, err) < 0 ||
            pj_int(v, q, "minor", 0, 0xfffff, &d->minor, err) < 0)
            return -1;
        if (d->type != 'p' && (d->major < 0 || d->minor < 0))
            return pier_error(err, 0, "%s: major and minor are required for type `%c`", q, d->type);
        int64_t mode = -1;
        /* podman and docker pass the host node's st_mode, file type
         * included (020666 for /dev/null), and runc drops the type bits:
         * accept them when they agree with `type`. */
        if (pj_int(v, q, "fileMode", 0, S_IFMT | 07777, &mode, err) < 0)
            return -1;
        if (mode >= 0) {
            mode_t fmt = (mode_t)mode & S_IFMT;
            mode_t want = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
            if (fmt != 0 && fmt != want)
                return pier_error(err, 0, "%s.fileMode: file type bits 0%o do not match type `%c`",
                                  q, (unsigned)fmt, d->type);
            d->has_mode = true;
            d->mode = (mode_t)mode & 07777;
        }
        d->has_uid = json_object_get(v, "uid") != NULL;
        d->has_gid = json_object_get(v, "gid") != NULL;
        if (pj_uint32(v, q, "uid", &d->uid, err) < 0 || pj_uint32(v, q, "gid", &d->gid, err) < 0)
            return -1;
        d->path = strdup(path);
        if (d->path == NULL)
            return pier_error(err, ENOMEM, "%s", q);
    }
    return 0;
}

static int parse_propagation(const char *s, unsigned long *out)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } t[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        if (strcmp(s, t[i].name) == 0) {
            *out = t[i].flags;
            return 0;
        }
    return -1;
}

/* A sysctl is written in the container's /proc/sys, which shows the host's
 * value for every one that no namespace of the container holds: as runc,
 * only those of its ipc, network and uts namespaces may be set. */
static int check_sysctl_namespace(const struct rt_spec *spec, const char *key, pier_err_t *err)
{
    static const char *const ipc_keys[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    };
    bool ipc = strncmp(key, "fs.mqueue.", 10) == 0;
    for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
        ipc = ipc || strcmp(key, ipc_keys[i]) == 0;
    if (ipc) {
        if (!spec->ns[RT_NS_IPC].present)
            return pier_error(err, 0,
                              "linux.sysctl.%s: the container has no ipc namespace, and this would "
                              "set the host's",
                              key);
        return 0;
    }
    if (strncmp(key, "net.", 4) == 0) {
        if (!spec->ns[RT_NS_NET].present)
            return pier_error(err, 0,
                              "linux.sysctl.%s: the container has no network namespace, and this "
                              "would set the host's",
                              key);
        return 0;
    }
    if (strcmp(key, "kernel.domainname") == 0 && spec->ns[RT_NS_UTS].present)
        return 0;
    if (strcmp(key, "kernel.hostname") == 0 && spec->ns[RT_NS_UTS].present)
        return pier_error(err, 0, "linux.sysctl.%s: set the hostname field instead", key);
    return pier_error(err, 0,
                      "linux.sysctl.%s: not in a namespace of the container, and this would set "
                      "the host's",
                      key);
}

static int parse_linux(json_t *top, struct rt_spec *spec, pier_err_t *err)
{
    json_t *lx = NULL;
    if (pj_object(top, "", "linux", &lx, err) < 0)
        return -1;
    if (lx == NULL)
        return 0;
    if (parse_namespaces(lx, spec, err) < 0 ||
        parse_idmaps(lx, "uidMappings", &spec->uid_mappings, &spec->n_uid_mappings, err) < 0 ||
        parse_idmaps(lx, "gidMappings", &spec->gid_mappings, &spec->n_gid_mappings, err) < 0 ||
        parse_devices(lx, spec, err) < 0)
        return -1;
    if ((spec->n_uid_mappings > 0 || spec->n_gid_mappings > 0) && !rt_spec_new_ns(spec, RT_NS_USER))
        return pier_error(err, 0, "linux.uidMappings: given without a new user namespace");
    if (rt_spec_new_ns(spec, RT_NS_USER) &&
        (spec->n_uid_mappings == 0 || spec->n_gid_mappings == 0))
        return pier_error(
            err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");

    const char *s = NULL;
    if (pj_string(lx, "linux", "cgroupsPath", &s, err) < 0)
        return -1;
    spec->cgroups_path = xstrdup(s);
    if (pj_object(lx, "linux", "resources", &spec->resources, err) < 0 ||
        pj_object(lx, "linux", "seccomp", &spec->seccomp, err) < 0)
        return -1;

    json_t *sysctl = NULL;
    if (pj_object(lx, "linux", "sysctl", &sysctl, err) < 0)
        return -1;
    if (sysctl != NULL) {
        spec->sysctl = calloc(json_object_size(sysctl) + 1, sizeof *spec->sysctl);
        if (spec->sysctl == NULL)
            return pier_error(err, ENOMEM, "linux.sysctl");
        const char *key;
        json_t *v;
        json_object_foreach (sysctl, key, v) {
            if (!json_is_string(v))
                return pier_error(err, 0, "linux.sysctl.%s: expected a string", key);
            if (key[0] == '\0' || strstr(key, "..") != NULL || key[0] == '/' || key[0] == '.')
                return pier_error(err, 0, "linux.sysctl: invalid key `%s`", key);
            if (check_sysctl_namespace(spec, key, err) < 0)
                return -1;
            struct rt_sysctl *e = &spec->sysctl[spec->n_sysctl++];
            e->key = strdup(key);
            e->value = strdup(json_string_value(v));
            if (e->key == NULL || e->value == NULL)
                return pier_error(err, ENOMEM, "linux.sysctl");
        }
    }
    if (pj_strv(lx, "linux", "maskedPaths", &spec->masked_paths, err) < 0 ||
        pj_strv(lx, "linux", "readonlyPaths", &spec->readonly_paths, err) < 0)
        return -1;
    for (char **p = spec->masked_paths; p != NULL && *p != NULL; p++)
        if (check_contained_path(*p, "linux.maskedPaths", err) < 0)
            return -1;
    for (char **p = spec->readonly_paths; p != NULL && *p != NULL; p++)
        if (check_contained_path(*p, "linux.readonlyPaths", err) < 0)
            return -1;

    s = NULL;
    if (pj_string(lx, "linux", "rootfsPropagation", &s, err) < 0)
        return -1;
    if (s != NULL && s[0] != '\0' && parse_propagation(s, &spec->rootfs_propagation) < 0)
        return pier_error(err, 0, "linux.rootfsPropagation: unknown propagation `%s`", s);
    s = NULL;
    if (pj_string(lx, "linux", "mountLabel", &s, err) < 0)
        return -1;
    spec->mount_label = xstrdup(s);

    json_t *tofs = NULL;
    if (pj_object(lx, "linux", "timeOffsets", &tofs, err) < 0)
        return -1;
    if (tofs != NULL) {
        const char *key;
        json_t *v;
        json_object_foreach (tofs, key, v) {
            char q[128];
            snprintf(q, sizeof q, "linux.timeOffsets.%s", key);
            int clock;
            if (strcmp(key, "monotonic") == 0)
                clock = CLOCK_MONOTONIC;
            else if (strcmp(key, "boottime") == 0)
                clock = CLOCK_BOOTTIME;
            else
                return pier_error(err, 0, "%s: unknown clock (want monotonic or boottime)", q);
            if (!json_is_object(v))
                return pier_error(err, 0, "%s: expected an object", q);
            struct rt_time_offset *o = &spec->time_offsets[spec->n_time_offsets++];
            o->clock = clock;
            if (pj_int(v, q, "secs", INT64_MIN, INT64_MAX, &o->secs, err) < 0 ||
                pj_uint32(v, q, "nanosecs", &o->nanosecs, err) < 0)
                return -1;
            if (o->nanosecs >= 1000000000u)
                return pier_error(err, 0, "%s.nanosecs: must be below 1000000000", q);
        }
        if (spec->n_time_offsets > 0 && !rt_spec_new_ns(spec, RT_NS_TIME))
            return pier_error(err, 0, "linux.timeOffsets: given without a new time namespace");
    }

    json_t *pers = NULL;
    if (pj_object(lx, "linux", "personality", &pers, err) < 0)
        return -1;
    if (pers != NULL) {
        const char *dom = NULL;
        if (pj_string(pers, "linux.personality", "domain", &dom, err) < 0)
            return -1;
        if (dom == NULL || strcmp(dom, "LINUX") == 0)
            spec->personality = PER_LINUX;
        else if (strcmp(dom, "LINUX32") == 0)
            spec->personality = PER_LINUX32;
        else
            return pier_error(err, 0, "linux.personality.domain: unknown domain `%s`", dom);
    }
    return 0;
}

int rt_spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec *spec,
                  pier_err_t *err)
{
    memset(spec, 0, sizeof *spec);
    spec->personality = -1;
    if (pier_json_parse(text, len, "config.json", &spec->root, err) < 0)
        return -1;
    json_t *top = spec->root;
    if (!json_is_object(top))
        return pier_error(err, 0, "config.json: expected a JSON object");
    const char *s = NULL;
    if (pj_string(top, "", "ociVersion", &s, err) < 0)
        return -1;
    spec->oci_version = strdup(s != NULL ? s : "");
    if (parse_root(top, bundle, spec, err) < 0)
        return -1;
    json_t *proc = NULL;
    if (pj_object(top, "", "process", &proc, err) < 0)
        return -1;
    if (proc != NULL) {
        spec->has_process = true;
        if (rt_process_parse(proc, "process", &spec->process, err) < 0)
            return -1;
    }
    s = NULL;
    if (pj_string(top, "", "hostname", &s, err) < 0)
        return -1;
    spec->hostname = xstrdup(s);
    s = NULL;
    if (pj_string(top, "", "domainname", &s, err) < 0)
        return -1;
    spec->domainname = xstrdup(s);
    if (pj_object(top, "", "annotations", &spec->annotations, err) < 0)
        return -1;
    if (parse_mounts(top, spec, err) < 0 || parse_hooks(top, spec, err) < 0 ||
        parse_linux(top, spec, err) < 0)
        return -1;
    if ((spec->hostname != NULL && spec->hostname[0] != '\0') && !rt_spec_new_ns(spec, RT_NS_UTS))
        return pier_error(err, 0, "hostname: set without a new uts namespace");
    if ((spec->domainname != NULL && spec->domainname[0] != '\0') &&
        !rt_spec_new_ns(spec, RT_NS_UTS))
        return pier_error(err, 0, "domainname: set without a new uts namespace");
    if (!spec->ns[RT_NS_MNT].present)
        return pier_error(err, 0, "linux.namespaces: a mount namespace is required");
    if (spec->ns[RT_NS_MNT].path != NULL)
        return pier_error(err, 0,
                          "linux.namespaces: joining an existing mount namespace by path is not "
                          "supported (the rootfs must be set up in a new one)");
    return 0;
}

int rt_spec_load(const char *bundle, struct rt_spec *spec, pier_err_t *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/config.json", bundle) >= (int)sizeof path)
        return pier_error(err, ENAMETOOLONG, "bundle `%s`", bundle);
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (pier_read_file_at(AT_FDCWD, path, RT_SPEC_MAX_BYTES, &text, &len, err) < 0)
        return -1;
    if (rt_spec_parse(text, len, bundle, spec, err) < 0)
        return pier_error_wrap(err, "%s", path);
    return 0;
}

static void strv_free(char **v)
{
    pier_strv_freep(&v);
}

void rt_process_free(struct rt_process *p)
{
    free(p->additional_gids);
    strv_free(p->args);
    strv_free(p->env);
    free(p->cwd);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    memset(p, 0, sizeof *p);
}

void rt_spec_free(struct rt_spec *spec)
{
    if (spec == NULL)
        return;
    free(spec->oci_version);
    free(spec->root_path);
    free(spec->hostname);
    free(spec->domainname);
    rt_process_free(&spec->process);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        free(spec->mounts[i].data);
    }
    free(spec->mounts);
    for (int k = 0; k < RT_HOOK_COUNT; k++) {
        for (size_t i = 0; i < spec->hooks[k].n; i++) {
            free(spec->hooks[k].items[i].path);
            strv_free(spec->hooks[k].items[i].args);
            strv_free(spec->hooks[k].items[i].env);
        }
        free(spec->hooks[k].items);
    }
    for (int k = 0; k < RT_NS_COUNT; k++)
        free(spec->ns[k].path);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    for (size_t i = 0; i < spec->n_devices; i++)
        free(spec->devices[i].path);
    free(spec->devices);
    free(spec->cgroups_path);
    for (size_t i = 0; i < spec->n_sysctl; i++) {
        free(spec->sysctl[i].key);
        free(spec->sysctl[i].value);
    }
    free(spec->sysctl);
    strv_free(spec->masked_paths);
    strv_free(spec->readonly_paths);
    free(spec->mount_label);
    if (spec->root != NULL)
        json_decref(spec->root);
    memset(spec, 0, sizeof *spec);
}
