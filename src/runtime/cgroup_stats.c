/* A container's resource usage read from its cgroup, in the shape of runc's
 * `events --stats` (which docker's stats and the daemon reuse). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "cgroup.h"

#define USER_HZ 100

static char *read_in(const char *dir, const char *file)
{
    if (dir == NULL)
        return NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, path, 4 << 20, &text, NULL, &err) < 0) {
        pier_error_free(&err);
        return NULL;
    }
    return text;
}

/* A number file; "max" reads as 0 (no limit), as runc reports it. */
static uint64_t read_u64(const char *dir, const char *file)
{
    cleanup_free char *t = read_in(dir, file);
    if (t == NULL || strncmp(t, "max", 3) == 0)
        return 0;
    return strtoull(t, NULL, 10);
}

/* "key value" lines into a JSON object of integers. */
static json_t *read_kv(const char *dir, const char *file)
{
    json_t *o = json_object();
    cleanup_free char *t = read_in(dir, file);
    for (char *line = t; line && *line;) {
        char *eol = strchrnul(line, '\n');
        char *sp = memchr(line, ' ', (size_t)(eol - line));
        if (sp != NULL) {
            char key[128];
            snprintf(key, sizeof key, "%.*s", (int)(sp - line), line);
            json_object_set_new(o, key, json_integer((json_int_t)strtoull(sp + 1, NULL, 10)));
        }
        line = *eol ? eol + 1 : eol;
    }
    return o;
}

static json_int_t kv(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_t *usage_entry(uint64_t usage, uint64_t max, uint64_t limit, uint64_t failcnt)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "usage", (json_int_t)usage, "max", (json_int_t)max,
                     "limit", (json_int_t)limit, "failcnt", (json_int_t)failcnt);
}

static json_t *percpu(const char *dir, const char *file)
{
    json_t *a = json_array();
    cleanup_free char *t = read_in(dir, file);
    for (char *p = t; p && *p;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(a, json_integer((json_int_t)v));
        p = end;
    }
    return a;
}

static json_t *blkio_v1(const char *dir, const char *file)
{
    json_t *a = json_array();
    cleanup_free char *t = read_in(dir, file);
    for (char *line = t; line && *line;) {
        char *eol = strchrnul(line, '\n');
        unsigned maj, min;
        char op[16];
        unsigned long long v;
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(eol - line), line);
        if (sscanf(buf, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
            json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor", min,
                                               "op", op, "value", (json_int_t)v));
        line = *eol ? eol + 1 : eol;
    }
    return a;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." */
static void blkio_v2(const char *dir, json_t *bytes, json_t *ios)
{
    cleanup_free char *t = read_in(dir, "io.stat");
    for (char *line = t; line && *line;) {
        char *eol = strchrnul(line, '\n');
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(eol - line), line);
        unsigned maj, min;
        int off = 0;
        if (sscanf(buf, "%u:%u%n", &maj, &min, &off) == 2) {
            static const struct {
                const char *key, *op;
                bool bytes;
            } f[] = {{"rbytes=", "Read", true},
                     {"wbytes=", "Write", true},
                     {"rios=", "Read", false},
                     {"wios=", "Write", false}};
            for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
                char *p = strstr(buf + off, f[i].key);
                if (p == NULL)
                    continue;
                json_array_append_new(
                    f[i].bytes ? bytes : ios,
                    json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor", min, "op", f[i].op,
                              "value", (json_int_t)strtoull(p + strlen(f[i].key), NULL, 10)));
            }
        }
        line = *eol ? eol + 1 : eol;
    }
}

int rt_cgroup_stats(const struct rt_cgroup *cg, json_t **out, pier_err_t *err)
{
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    bool v2 = l->mode == RT_CG_V2;
    const char *u = rt_cgroup_dir(cg, NULL);
    json_t *s = json_object();
    if (s == NULL)
        return pier_error(err, ENOMEM, "stats");

    /* cpu */
    json_t *cpu;
    if (v2) {
        json_t *st = read_kv(u, "cpu.stat");
        cpu = json_pack("{s:{s:I, s:o, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total",
                        kv(st, "usage_usec") * 1000, "percpu", json_array(), "kernel",
                        kv(st, "system_usec") * 1000, "user", kv(st, "user_usec") * 1000,
                        "throttling", "periods", kv(st, "nr_periods"), "throttled_periods",
                        kv(st, "nr_throttled"), "throttled_time", kv(st, "throttled_usec") * 1000);
        json_decref(st);
    } else {
        const char *acct = rt_cgroup_dir(cg, "cpuacct");
        json_t *st = read_kv(acct, "cpuacct.stat");
        json_t *thr = read_kv(rt_cgroup_dir(cg, "cpu"), "cpu.stat");
        const json_int_t ns_per_tick = 1000000000 / USER_HZ;
        cpu = json_pack("{s:{s:I, s:o, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total",
                        (json_int_t)read_u64(acct, "cpuacct.usage"), "percpu",
                        percpu(acct, "cpuacct.usage_percpu"), "kernel",
                        kv(st, "system") * ns_per_tick, "user", kv(st, "user") * ns_per_tick,
                        "throttling", "periods", kv(thr, "nr_periods"), "throttled_periods",
                        kv(thr, "nr_throttled"), "throttled_time", kv(thr, "throttled_time"));
        json_decref(st);
        json_decref(thr);
    }
    json_object_set_new(s, "cpu", cpu);

    /* memory */
    json_t *mem;
    if (v2) {
        json_t *raw = read_kv(u, "memory.stat");
        json_t *ev = read_kv(u, "memory.events");
        mem = json_pack(
            "{s:I, s:o, s:o, s:o}", "cache", kv(raw, "file"), "usage",
            usage_entry(read_u64(u, "memory.current"), read_u64(u, "memory.peak"),
                        read_u64(u, "memory.max"), (uint64_t)kv(ev, "max")),
            "swap",
            usage_entry(read_u64(u, "memory.swap.current"), 0, read_u64(u, "memory.swap.max"), 0),
            "raw", raw);
        json_decref(ev);
    } else {
        const char *m = rt_cgroup_dir(cg, "memory");
        json_t *raw = read_kv(m, "memory.stat");
        mem = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "cache", kv(raw, "total_cache"), "usage",
                        usage_entry(read_u64(m, "memory.usage_in_bytes"),
                                    read_u64(m, "memory.max_usage_in_bytes"),
                                    read_u64(m, "memory.limit_in_bytes"),
                                    read_u64(m, "memory.failcnt")),
                        "swap",
                        usage_entry(read_u64(m, "memory.memsw.usage_in_bytes"),
                                    read_u64(m, "memory.memsw.max_usage_in_bytes"),
                                    read_u64(m, "memory.memsw.limit_in_bytes"),
                                    read_u64(m, "memory.memsw.failcnt")),
                        "kernel",
                        usage_entry(read_u64(m, "memory.kmem.usage_in_bytes"),
                                    read_u64(m, "memory.kmem.max_usage_in_bytes"),
                                    read_u64(m, "memory.kmem.limit_in_bytes"),
                                    read_u64(m, "memory.kmem.failcnt")),
                        "kernelTCP",
                        usage_entry(read_u64(m, "memory.kmem.tcp.usage_in_bytes"),
                                    read_u64(m, "memory.kmem.tcp.max_usage_in_bytes"),
                                    read_u64(m, "memory.kmem.tcp.limit_in_bytes"),
                                    read_u64(m, "memory.kmem.tcp.failcnt")),
                        "raw", raw);
    }
    json_object_set_new(s, "memory", mem);

    /* pids */
    const char *pd = v2 ? u : rt_cgroup_dir(cg, "pids");
    json_object_set_new(s, "pids",
                        json_pack("{s:I, s:I}", "current", (json_int_t)read_u64(pd, "pids.current"),
                                  "limit", (json_int_t)read_u64(pd, "pids.max")));

    /* block I/O */
    json_t *bytes, *ios;
    if (v2) {
        bytes = json_array();
        ios = json_array();
        blkio_v2(u, bytes, ios);
    } else {
        const char *b = rt_cgroup_dir(cg, "blkio");
        bytes = blkio_v1(b, "blkio.throttle.io_service_bytes_recursive");
        ios = blkio_v1(b, "blkio.throttle.io_serviced_recursive");
    }
    json_object_set_new(
        s, "blkio",
        json_pack("{s:o, s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", ios));
    *out = s;
    return 0;
}
