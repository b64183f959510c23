/* Container records: on disk under data-root/containers/<id>/config.json,
 * written atomically on every change; in memory as a list; and docker's JSON
 * views of them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/ident.h"
#include "../lib/json.h"
#include "../lib/buf.h"
#include "../lib/jsonstr.h"
#include "../lib/log.h"
#include "../lib/filters.h"
#include "internal.h"

#define RECORD "config.json"
#define ZERO_TIME "0001-01-01T00:00:00Z"

static const char *const state_names[] = {
    [C_CREATED] = "created",   [C_RUNNING] = "running",
    [C_PAUSED] = "paused",     [C_RESTARTING] = "restarting",
    [C_REMOVING] = "removing", [C_EXITED] = "exited",
    [C_DEAD] = "dead",
};

const char *ct_state_name(enum cstate s)
{
    return state_names[s];
}

void ct_dir(const struct container *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/containers/%s", c->e->data_root, c->id);
}

void ct_run_dir(const struct container *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/containers/%s", c->e->exec_root, c->id);
}

/* Empty with docker's "none" log driver: the container's output goes to
 * attached clients only, as docker's does. */
void ct_log_path(const struct container *c, char *buf, size_t cap)
{
    json_t *lc = json_object_get(c->host, "LogConfig");
    const char *type = json_string_value(json_object_get(lc, "Type"));
    if (type != NULL && strcmp(type, "none") == 0 && cap > 0)
        buf[0] = '\0';
    else
        snprintf(buf, cap, "%s/containers/%s/%s-json.log", c->e->data_root, c->id, c->id);
}

int ct_new_id(char out[65])
{
    return pier_random_id(out);
}

/* docker's names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool ct_name_valid(const char *name)
{
    return pier_name_valid(name) && strlen(name) <= 255;
}

char *now_rfc3339(void)
{
    return pier_now_rfc3339();
}

long long rfc3339_to_ns(const char *s)
{
    if (s == NULL)
        return 0;
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return 0;
    long long ns = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 9)
                ns = ns * 10 + (*p - '0');
        for (; digits < 9; digits++)
            ns *= 10;
    }
    long long sec = (long long)timegm(&tm);
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        sscanf(p + 1, "%d:%d", &hh, &mm);
        long long off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
        sec -= off;
    }
    return sec * 1000000000LL + ns;
}

/* ---- records ---- */

static json_t *state_json(const struct container *c)
{
    return json_pack(
        "{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
        ct_state_name(c->state), "Running", c->state == C_RUNNING || c->state == C_PAUSED, "Paused",
        c->state == C_PAUSED, "Restarting", c->state == C_RESTARTING, "OOMKilled", c->oom_killed,
        "Dead", c->state == C_DEAD, "Pid", c->pid, "ExitCode", c->exit_code, "Error",
        c->error ? c->error : "", "StartedAt", c->started_at ? c->started_at : ZERO_TIME,
        "FinishedAt", c->finished_at ? c->finished_at : ZERO_TIME);
}

static int save(struct container *c, int flags, pier_err_t *err)
{
    /* whatever changed, the row of `ps` is made again when next asked */
    free(c->row);
    c->row = NULL;
    char dir[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", dir);
    cleanup_json json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:O, s:O, s:o, s:i, s:b, s:b}", "Id", c->id, "Name", c->name,
        "Created", c->created, "Image", c->image_id ? c->image_id : "", "Config", c->config,
        "HostConfig", c->host, "State", state_json(c), "RestartCount", c->restart_count,
        "HasBeenStarted", c->has_started, "StoppedByUser", c->stopped_by_user);
    if (j && c->nets)
        json_object_set_new(j, "NetworkSettings",
                            json_pack("{s:O, s:b}", "Networks", c->nets, "NetNs", c->netns));
    if (j == NULL)
        return pier_error(err, ENOMEM, "record of container %s", c->id);
    if (c->ports)
        json_object_set(j, "PublishedPorts", c->ports);
    return pier_json_write_atomic_at(dfd, RECORD, j, flags, err);
}

/* Written whole or not at all (a rename over the old record), so a pierd
 * killed at any moment loses nothing.  Only what a host crash must not lose
 * goes to the disk at once: that the container exists, under its name.
 * Its state does not: after a crash no container runs anyway, and each
 * fsync costs a container start milliseconds. */
int ct_save(struct container *c, pier_err_t *err)
{
    return save(c, 0, err);
}

int ct_save_durable(struct container *c, pier_err_t *err)
{
    return save(c, PIER_DURABLE, err);
}

static enum cstate state_from(const char *s)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (s && strcmp(s, state_names[i]) == 0)
            return (enum cstate)i;
    return C_EXITED;
}

static char *dup_time(json_t *st, const char *key)
{
    const char *v = json_string_value(json_object_get(st, key));
    return v && strcmp(v, ZERO_TIME) != 0 ? strdup(v) : NULL;
}

static int load_one(struct engine *e, const char *id, pier_err_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/containers/%s/" RECORD, e->data_root, id);
    cleanup_json json_t *j = NULL;
    if (pier_json_load_file_at(AT_FDCWD, path, 16 << 20, &j, err) < 0)
        return -1;
    struct container *c = calloc(1, sizeof *c);
    if (c == NULL)
        return pier_error(err, ENOMEM, "container");
    c->e = e;
    snprintf(c->id, sizeof c->id, "%s", id);
    const char *name = json_string_value(json_object_get(j, "Name"));
    const char *created = json_string_value(json_object_get(j, "Created"));
    const char *image = json_string_value(json_object_get(j, "Image"));
    c->name = strdup(name ? name : id);
    c->created = strdup(created ? created : ZERO_TIME);
    c->image_id = image && *image ? strdup(image) : NULL;
    c->config = json_incref(json_object_get(j, "Config"));
    c->host = json_incref(json_object_get(j, "HostConfig"));
    if (!json_is_object(c->config) || !json_is_object(c->host)) {
        ct_free(c);
        return pier_error(err, 0, "%s: Config or HostConfig missing", path);
    }
    json_t *st = json_object_get(j, "State");
    c->state = state_from(json_string_value(json_object_get(st, "Status")));
    c->pid = (int)json_integer_value(json_object_get(st, "Pid"));
    c->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
    c->oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
    const char *error = json_string_value(json_object_get(st, "Error"));
    c->error = error && *error ? strdup(error) : NULL;
    c->started_at = dup_time(st, "StartedAt");
    c->finished_at = dup_time(st, "FinishedAt");
    c->restart_count = (int)json_integer_value(json_object_get(j, "RestartCount"));
    c->has_started = json_is_true(json_object_get(j, "HasBeenStarted"));
    c->stopped_by_user = json_is_true(json_object_get(j, "StoppedByUser"));
    json_t *ports = json_object_get(j, "PublishedPorts");
    c->ports = json_is_object(ports) ? json_incref(ports) : NULL;
    json_t *ns = json_object_get(j, "NetworkSettings");
    json_t *nets = json_object_get(ns, "Networks");
    c->nets = json_is_object(nets) ? json_incref(nets) : json_object();
    c->netns = json_is_true(json_object_get(ns, "NetNs"));
    c->next = e->containers;
    e->containers = c;
    e->ncontainers++;
    return 0;
}

int ct_load_all(struct engine *e, pier_err_t *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/containers", e->data_root);
    DIR *d = opendir(dir);
    if (d == NULL)
        return pier_error(err, errno, "open `%s`", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strlen(de->d_name) != 64)
            continue;
        pier_err_t e2 = NULL;
        /* One broken record must not keep the others away. */
        if (load_one(e, de->d_name, &e2) < 0) {
            pier_warn("container %s: %s", de->d_name, pier_error_msg(e2));
            pier_error_free(&e2);
        }
    }
    closedir(d);
    return 0;
}

void ct_free(struct container *c)
{
    rootfs_settle(c, false);
    free(c->row);
    free(c->name);
    free(c->created);
    free(c->image_id);
    if (c->config)
        json_decref(c->config);
    if (c->host)
        json_decref(c->host);
    if (c->ports)
        json_decref(c->ports);
    if (c->nets)
        json_decref(c->nets);
    free(c->error);
    free(c->started_at);
    free(c->finished_at);
    free(c);
}

void ct_unlink(struct engine *e, struct container *c)
{
    for (struct container **p = &e->containers; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            e->ncontainers--;
            return;
        }
}

/* ---- lookup ---- */

struct container *engine_find(struct engine *e, const char *ref, pier_err_t *err)
{
    if (ref == NULL || *ref == '\0') {
        pier_fail(err, ENOENT, "No such container: %s", ref ? ref : "");
        return NULL;
    }
    const char *name = ref[0] == '/' ? ref + 1 : ref;
    size_t n = strlen(ref);
    struct container *prefix = NULL;
    int prefixes = 0;
    for (struct container *c = e->containers; c; c = c->next) {
        if (strcmp(c->id, ref) == 0)
            return c;
        if (strcmp(c->name, name) == 0)
            return c;
        if (n < 64 && strncmp(c->id, ref, n) == 0) {
            prefix = c;
            prefixes++;
        }
    }
    if (prefixes == 1)
        return prefix;
    if (prefixes > 1)
        pier_error(err, 0, "multiple IDs found with provided prefix: %s", ref);
    else
        pier_error(err, 0, "No such container: %s", ref);
    (*err)->errnum = prefixes > 1 ? EINVAL : ENOENT;
    return NULL;
}

const char *container_id(const struct container *c)
{
    return c->id;
}

const char *container_name(const struct container *c)
{
    return c->name;
}

bool container_running(const struct container *c)
{
    return c->state == C_RUNNING || c->state == C_PAUSED || c->state == C_RESTARTING;
}

bool container_tty(const struct container *c)
{
    return json_is_true(json_object_get(c->config, "Tty"));
}

/* ---- docker's views ---- */

/* units.HumanDuration of docker's go-units */
static void human_duration(long long secs, char *buf, size_t cap)
{
    long long m = secs / 60, h = secs / 3600;
    if (secs < 1)
        snprintf(buf, cap, "Less than a second");
    else if (secs == 1)
        snprintf(buf, cap, "1 second");
    else if (secs < 60)
        snprintf(buf, cap, "%lld seconds", secs);
    else if (m == 1)
        snprintf(buf, cap, "About a minute");
    else if (m < 60)
        snprintf(buf, cap, "%lld minutes", m);
    else if (h == 1)
        snprintf(buf, cap, "About an hour");
    else if (h < 48)
        snprintf(buf, cap, "%lld hours", h);
    else if (h < 24 * 7 * 2)
        snprintf(buf, cap, "%lld days", h / 24);
    else if (h < 24 * 30 * 2)
        snprintf(buf, cap, "%lld weeks", h / 24 / 7);
    else if (h < 24 * 365 * 2)
        snprintf(buf, cap, "%lld months", h / 24 / 30);
    else
        snprintf(buf, cap, "%lld years", h / 24 / 365);
}

static long long since_now(const char *when)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
    long long t = rfc3339_to_ns(when);
    return t > 0 && now > t ? (now - t) / 1000000000LL : 0;
}

char *ct_status_text(const struct container *c)
{
    char d[64], *out = NULL;
    switch (c->state) {
    case C_RUNNING:
    case C_PAUSED:
        human_duration(since_now(c->started_at), d, sizeof d);
        if (asprintf(&out, "Up %s%s", d, c->state == C_PAUSED ? " (Paused)" : "") < 0)
            out = NULL;
        break;
    case C_RESTARTING:
        human_duration(since_now(c->finished_at), d, sizeof d);
        if (asprintf(&out, "Restarting (%d) %s ago", c->exit_code, d) < 0)
            out = NULL;
        break;
    case C_EXITED:
        if (!c->has_started)
            return strdup("Created");
        human_duration(since_now(c->finished_at), d, sizeof d);
        if (asprintf(&out, "Exited (%d) %s ago", c->exit_code, d) < 0)
            out = NULL;
        break;
    case C_REMOVING:
        return strdup("Removal In Progress");
    case C_DEAD:
        return strdup("Dead");
    default:
        return strdup("Created");
    }
    return out;
}

/* Path and Args, as docker splits Entrypoint + Cmd. */
static json_t *command_argv(const struct container *c)
{
    json_t *argv = json_array();
    json_t *ep = json_object_get(c->config, "Entrypoint");
    json_t *cmd = json_object_get(c->config, "Cmd");
    size_t i;
    json_t *v;
    json_array_foreach (ep, i, v)
        json_array_append(argv, v);
    json_array_foreach (cmd, i, v)
        json_array_append(argv, v);
    return argv;
}

static char *command_text(json_t *argv)
{
    size_t len = 1, i;
    json_t *v;
    json_array_foreach (argv, i, v)
        len += strlen(json_string_value(v) ? json_string_value(v) : "") + 1;
    char *s = calloc(1, len);
    if (s == NULL)
        return NULL;
    json_array_foreach (argv, i, v) {
        if (i)
            strcat(s, " ");
        strcat(s, json_string_value(v) ? json_string_value(v) : "");
    }
    return s;
}

static json_t *mounts_json(const struct container *c)
{
    json_t *out = json_array();
    size_t i;
    json_t *b;
    json_array_foreach (json_object_get(c->host, "Binds"), i, b) {
        const char *spec = json_string_value(b);
        if (spec == NULL)
            continue;
        struct bind bd;
        pier_err_t err = NULL;
        if (bind_parse(spec, &bd, &err) < 0) {
            pier_error_free(&err);
            continue;
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind",
                                             "Source", bd.src, "Destination", bd.dst, "Mode",
                                             bd.mode, "RW", !bd.ro, "Propagation", bd.propagation));
    }
    return out;
}

static json_t *network_settings(const struct container *c)
{
    json_t *p = ep_primary(c);
    const char *ip = json_string_value(json_object_get(p, "IPAddress"));
    const char *gw = json_string_value(json_object_get(p, "Gateway"));
    const char *mac = json_string_value(json_object_get(p, "MacAddress"));
    const char *epid = json_string_value(json_object_get(p, "EndpointID"));
    char sandbox[PATH_MAX] = "";
    if (c->netns)
        ep_netns_path((struct container *)c, sandbox, sizeof sandbox);
    json_t *ns = json_pack(
        "{s:s, s:b, s:s, s:o, s:o, s:n, s:n, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:i, s:s, s:o}",
        "Bridge", "", "HairpinMode", false, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen",
        json_integer(0), "Ports", json_object(), "SecondaryIPAddresses", "SecondaryIPv6Addresses",
        "SandboxID", c->netns ? c->id : "", "SandboxKey", sandbox, "EndpointID", epid ? epid : "",
        "IPPrefixLen", json_integer_value(json_object_get(p, "IPPrefixLen")), "IPAddress",
        ip ? ip : "", "Gateway", gw ? gw : "", "MacAddress", mac ? mac : "", "GlobalIPv6PrefixLen",
        0, "GlobalIPv6Address", "", "Networks", ep_networks_json(c));
    json_object_set_new(ns, "Ports", ct_ports_inspect(c));
    return ns;
}

json_t *engine_inspect(struct engine *e, struct container *c, bool size)
{
    char dir[PATH_MAX], run[PATH_MAX], log[PATH_MAX], p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    ct_run_dir(c, run, sizeof run);
    ct_log_path(c, log, sizeof log);
    snprintf(p1, sizeof p1, "%s/resolv.conf", dir);
    snprintf(p2, sizeof p2, "%s/hostname", dir);
    snprintf(p3, sizeof p3, "%s/hosts", dir);
    char merged[PATH_MAX + 16], upper[PATH_MAX + 16], work[PATH_MAX + 16];
    snprintf(merged, sizeof merged, "%s/rootfs", dir);
    snprintf(upper, sizeof upper, "%s/upper", dir);
    snprintf(work, sizeof work, "%s/work", dir);
    json_t *argv = command_argv(c);
    json_t *path = json_array_size(argv) ? json_incref(json_array_get(argv, 0)) : json_string("");
    json_array_remove(argv, 0);
    char name[300];
    snprintf(name, sizeof name, "/%s", c->name);
    json_t *execs = json_null();
    json_t *j = json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s,"
        " s:o, s:O, s:{s:{s:s, s:s, s:s}, s:s}, s:o, s:O, s:o}",
        "Id", c->id, "Created", c->created, "Path", path, "Args", argv, "State", state_json(c),
        "Image", c->image_id ? c->image_id : "", "ResolvConfPath", p1, "HostnamePath", p2,
        "HostsPath", p3, "LogPath", log, "Name", name, "RestartCount", c->restart_count, "Driver",
        "overlay2", "Platform", "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile",
        "", "ExecIDs", execs, "HostConfig", c->host, "GraphDriver", "Data", "MergedDir", merged,
        "UpperDir", upper, "WorkDir", work, "Name", "overlay2", "Mounts", mounts_json(c), "Config",
        c->config, "NetworkSettings", network_settings(c));
    if (size)
        ct_add_sizes(e, c, j);
    return j;
}

/* One row of GET /containers/json, but State and Status (which change
 * with time) and the closing brace: JSON text, kept until the container's
 * record changes (ct_save), so that a `ps` of many containers is mostly
 * copying. */
static const char *row_text(struct container *c)
{
    if (c->row)
        return c->row;
    json_t *argv = command_argv(c);
    cleanup_free char *cmd = command_text(argv);
    json_decref(argv);
    char name[300];
    snprintf(name, sizeof name, "/%s", c->name);
    const char *image = json_string_value(json_object_get(c->config, "Image"));
    json_t *labels = json_object_get(c->config, "Labels");
    const char *netmode = json_string_value(json_object_get(c->host, "NetworkMode"));
    json_t *nets = ep_networks_json(c);
    cleanup_json json_t *row = json_pack(
        "{s:s, s:[s], s:s, s:s, s:s, s:I, s:[], s:O, s:{s:s}, s:{s:o}, s:o}", "Id", c->id, "Names",
        name, "Image", image ? image : "", "ImageID", c->image_id ? c->image_id : "", "Command",
        cmd ? cmd : "", "Created", (json_int_t)(rfc3339_to_ns(c->created) / 1000000000LL), "Ports",
        "Labels", json_is_object(labels) ? labels : json_object(), "HostConfig", "NetworkMode",
        netmode ? netmode : "default", "NetworkSettings", "Networks", nets, "Mounts",
        mounts_json(c));
    json_object_set_new(row, "Ports", ct_ports_list(c));
    char *text = row ? json_dumps(row, JSON_COMPACT) : NULL;
    if (text == NULL)
        return NULL;
    text[strlen(text) - 1] = '\0'; /* the '}' */
    c->row = text;
    return text;
}

static int list_row(struct engine *e, struct container *c, bool size, struct buf *out)
{
    const char *row = row_text(c);
    cleanup_free char *status = ct_status_text(c);
    if (row == NULL || status == NULL)
        return -1;
    buf_puts(out, row);
    buf_printf(out, ",\"State\":\"%s\",\"Status\":", ct_state_name(c->state));
    pier_buf_json_string(out, status);
    if (size) {
        long long rw, rootfs;
        ct_sizes(e, c, &rw, &rootfs);
        buf_printf(out, ",\"SizeRw\":%lld,\"SizeRootFs\":%lld", rw, rootfs);
    }
    buf_putc(out, '}');
    return 0;
}

static bool by_id(const char *v, void *c)
{
    return strncmp(((struct container *)c)->id, v, strlen(v)) == 0;
}

/* a regular expression, as docker's, against the name with its slash */
static bool by_name(const char *v, void *c)
{
    char name[300];
    snprintf(name, sizeof name, "/%s", ((struct container *)c)->name);
    regex_t re;
    if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool match = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return match;
}

static bool by_status(const char *v, void *data)
{
    struct container *c = data;
    return strcmp(ct_state_name(c->state), v) == 0;
}

static bool by_exit_code(const char *v, void *data)
{
    struct container *c = data;
    char *end;
    long code = strtol(v, &end, 10);
    return *end == '\0' && c->state == C_EXITED && c->has_started && code == c->exit_code;
}

/* ancestor: the image as named at create (with or without its tag), or its id */
static bool by_ancestor(const char *v, void *data)
{
    struct container *c = data;
    const char *img = json_string_value(json_object_get(c->config, "Image"));
    size_t n = strlen(v);
    if (img && (strcmp(img, v) == 0 ||
                (strchr(v, ':') == NULL && strncmp(img, v, n) == 0 && img[n] == ':')))
        return true;
    if (c->image_id == NULL)
        return false;
    const char *hex = strncmp(v, "sha256:", 7) == 0 ? v + 7 : v;
    return strlen(hex) >= 4 && strncmp(c->image_id + 7, hex, strlen(hex)) == 0;
}

struct created_ref {
    struct engine *e;
    struct container *c;
    bool before;
};

static bool by_created(const char *v, void *data)
{
    struct created_ref *r = data;
    pier_err_t err = NULL;
    struct container *o = engine_find(r->e, v, &err);
    pier_error_free(&err);
    if (o == NULL)
        return false;
    int cmp = strcmp(r->c->created, o->created);
    return r->before ? cmp < 0 : cmp > 0;
}

static const char *const list_filters[] = {
    "id",     "name",    "status",  "exited", "ancestor", "label",   "before",    "since",
    "health", "network", "publish", "expose", "volume",   "is-task", "isolation", NULL};

static bool filter_match(struct engine *e, struct container *c, json_t *f)
{
    struct created_ref before = {e, c, true}, since = {e, c, false};
    return pier_filters_any(f, "id", by_id, c) && pier_filters_any(f, "name", by_name, c) &&
           pier_filters_any(f, "status", by_status, c) &&
           pier_filters_any(f, "exited", by_exit_code, c) &&
           pier_filters_any(f, "ancestor", by_ancestor, c) &&
           pier_filters_labels(f, "label", json_object_get(c->config, "Labels")) &&
           pier_filters_any(f, "before", by_created, &before) &&
           pier_filters_any(f, "since", by_created, &since);
}

static int newest_first(const void *a, const void *b)
{
    const struct container *x = *(struct container *const *)a, *y = *(struct container *const *)b;
    return strcmp(y->created, x->created);
}

int engine_list(struct engine *e, bool all, json_t *filters, int limit, bool size, char **out,
                pier_err_t *err)
{
    static const char *const states[] = {"created", "restarting", "running", "removing",
                                         "paused",  "exited",     "dead",    NULL};
    if (pier_filters_check(filters, list_filters, err) < 0 ||
        pier_filters_check_values(filters, "status", states, err) < 0)
        return -1;
    size_t n = 0;
    cleanup_free struct container **v = calloc(e->ncontainers + 1, sizeof *v);
    if (v == NULL)
        return pier_error(err, ENOMEM, "list");
    for (struct container *c = e->containers; c; c = c->next)
        v[n++] = c;
    qsort(v, n, sizeof *v, newest_first);
    /* docker: a status filter or a limit shows stopped ones too */
    if (limit > 0 || pier_filters_has(filters, "status"))
        all = true;
    struct buf b = BUF_INIT;
    buf_putc(&b, '[');
    int rows = 0;
    for (size_t i = 0; i < n && (limit <= 0 || rows < limit); i++) {
        struct container *c = v[i];
        if (!all && !container_running(c))
            continue;
        if (filters && !filter_match(e, c, filters))
            continue;
        if (rows++)
            buf_putc(&b, ',');
        if (list_row(e, c, size, &b) < 0)
            b.failed = true;
    }
    buf_puts(&b, "]\n");
    if (b.failed) {
        buf_free(&b);
        return pier_error(err, ENOMEM, "list");
    }
    *out = buf_steal(&b);
    return 0;
}

bool engine_image_user(struct engine *e, const char *image_id, char container_id[65], bool *running)
{
    bool found = false;
    *running = false;
    for (struct container *c = e->containers; c; c = c->next) {
        if (c->image_id == NULL || strcmp(c->image_id, image_id) != 0)
            continue;
        if (!found || (container_running(c) && !*running)) {
            snprintf(container_id, 65, "%s", c->id);
            *running = container_running(c);
        }
        found = true;
    }
    return found;
}

struct container *ct_by_id(struct engine *e, const char *id)
{
    for (struct container *c = e->containers; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}
