/* linux.resources written to a container's cgroup, on v1 or v2 files as the
 * host has them, converting as runc and crun do (cpu shares to cpu.weight,
 * blkio weight to io.weight, swap as memory+swap on v1 and swap alone on v2). */
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
#include "../lib/json.h"
#include "../lib/log.h"
#include "cgroup.h"
#include "cgroup_devices.h"

#define R "linux.resources"

/* Write value to dir/file; the error names the field it came from. */
static int cg_write(const char *dir, const char *file, const char *value, const char *field,
                    pier_err_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (pier_write_string_at(AT_FDCWD, path, value, err) < 0)
        return pier_error_wrap(err, "%s", field);
    return 0;
}

static bool cg_has(const char *dir, const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

static int no_controller(const char *field, const char *ctrl, pier_err_t *err)
{
    return pier_error(err, 0, "%s: the %s controller is not available on this host", field, ctrl);
}

/* An optional integer member; *present tells whether it was there. */
static int get_i64(json_t *obj, const char *path, const char *key, int64_t *out, bool *present,
                   pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL && !json_is_null(v);
    if (!*present)
        return 0;
    /* Huge unsigned values (2^64-1) mean "no limit" too. */
    uint64_t u;
    if (json_is_real(v) && pj_u64_value(v, &u) == 0 && u == UINT64_MAX) {
        *out = -1;
        return 0;
    }
    return pj_int(obj, path, key, INT64_MIN, INT64_MAX, out, err);
}

uint64_t rt_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t rt_cgroup_blkio_to_io_weight(uint64_t w)
{
    if (w == 0)
        return 0;
    if (w < 10)
        w = 10;
    if (w > 1000)
        w = 1000;
    return 1 + (w - 10) * 9999 / 990;
}

/* ---- memory ---------------------------------------------------------------- */

static void limit_str(int64_t v, bool v2, char *buf, size_t cap)
{
    if (v < 0)
        snprintf(buf, cap, "%s", v2 ? "max" : "-1");
    else
        snprintf(buf, cap, "%" PRId64, v);
}

static int memory_v1(const char *dir, json_t *m, pier_err_t *err)
{
    const char *p = R ".memory";
    int64_t limit = 0, swap = 0, resv = 0, kernel = 0, tcp = 0, swappiness = -1;
    bool has_limit, has_swap, has_resv, has_kernel, has_tcp, has_swappiness;
    bool no_oom = false;
    if (get_i64(m, p, "limit", &limit, &has_limit, err) < 0 ||
        get_i64(m, p, "swap", &swap, &has_swap, err) < 0 ||
        get_i64(m, p, "reservation", &resv, &has_resv, err) < 0 ||
        get_i64(m, p, "kernel", &kernel, &has_kernel, err) < 0 ||
        get_i64(m, p, "kernelTCP", &tcp, &has_tcp, err) < 0 ||
        get_i64(m, p, "swappiness", &swappiness, &has_swappiness, err) < 0 ||
        pj_bool(m, p, "disableOOMKiller", &no_oom, err) < 0)
        return -1;
    char v[32];
    bool memsw = cg_has(dir, "memory.memsw.limit_in_bytes");
    if (has_swap && !memsw && swap != 0 && !(has_limit && swap == limit))
        pier_warn("%s.swap: this kernel does not account swap (no memory.memsw.*): ignored", p);
    if (has_limit) {
        limit_str(limit, false, v, sizeof v);
        /* memory+swap may never be below memory: raise it first when the
         * new limit goes above it, lower it last otherwise. */
        if (cg_write(dir, "memory.limit_in_bytes", v, R ".memory.limit", err) < 0) {
            if (!memsw || !has_swap)
                return -1;
            pier_error_free(err);
            char s[32];
            limit_str(swap, false, s, sizeof s);
            if (cg_write(dir, "memory.memsw.limit_in_bytes", s, R ".memory.swap", err) < 0 ||
                cg_write(dir, "memory.limit_in_bytes", v, R ".memory.limit", err) < 0)
                return -1;
            has_swap = false;
        }
    }
    if (has_swap && memsw) {
        limit_str(swap, false, v, sizeof v);
        if (cg_write(dir, "memory.memsw.limit_in_bytes", v, R ".memory.swap", err) < 0)
            return -1;
    }
    if (has_resv) {
        limit_str(resv, false, v, sizeof v);
        if (cg_write(dir, "memory.soft_limit_in_bytes", v, R ".memory.reservation", err) < 0)
            return -1;
    }
    if (has_kernel && kernel != 0)
        pier_warn("%s.kernel: kernel memory limits are deprecated and ignored", p);
    if (has_tcp) {
        limit_str(tcp, false, v, sizeof v);
        if (cg_write(dir, "memory.kmem.tcp.limit_in_bytes", v, R ".memory.kernelTCP", err) < 0)
            return -1;
    }
    if (has_swappiness && swappiness >= 0) {
        if (swappiness > 100)
            return pier_error(err, 0, "%s.swappiness: %" PRId64 " is above 100", p, swappiness);
        snprintf(v, sizeof v, "%" PRId64, swappiness);
        if (cg_write(dir, "memory.swappiness", v, R ".memory.swappiness", err) < 0)
            return -1;
    }
    if (no_oom && cg_write(dir, "memory.oom_control", "1", R ".memory.disableOOMKiller", err) < 0)
        return -1;
    return 0;
}

static int memory_v2(const char *dir, json_t *m, pier_err_t *err)
{
    const char *p = R ".memory";
    int64_t limit = 0, swap = 0, resv = 0, swappiness = -1, scratch = 0;
    bool has_limit, has_swap, has_resv, has_swappiness, has;
    bool no_oom = false;
    if (get_i64(m, p, "limit", &limit, &has_limit, err) < 0 ||
        get_i64(m, p, "swap", &swap, &has_swap, err) < 0 ||
        get_i64(m, p, "reservation", &resv, &has_resv, err) < 0 ||
        get_i64(m, p, "swappiness", &swappiness, &has_swappiness, err) < 0 ||
        pj_bool(m, p, "disableOOMKiller", &no_oom, err) < 0)
        return -1;
    if (get_i64(m, p, "kernel", &scratch, &has, err) < 0)
        return -1;
    if (has && scratch != 0)
        pier_warn("%s.kernel: not available on cgroup v2: ignored", p);
    if (has_swappiness && swappiness >= 0)
        pier_warn("%s.swappiness: not available on cgroup v2: ignored", p);
    if (no_oom)
        return pier_error(err, 0, "%s.disableOOMKiller: not available on cgroup v2", p);
    char v[32];
    if (has_limit) {
        limit_str(limit, true, v, sizeof v);
        if (cg_write(dir, "memory.max", v, R ".memory.limit", err) < 0)
            return -1;
    }
    if (has_swap && cg_has(dir, "memory.swap.max")) {
        /* The spec's swap is memory+swap (v1's memsw); v2 limits swap alone. */
        if (swap < 0)
            snprintf(v, sizeof v, "max");
        else if (has_limit && limit >= 0) {
            if (swap < limit)
                return pier_error(err, 0, "%s.swap: %" PRId64 " is below memory.limit %" PRId64, p,
                                  swap, limit);
            snprintf(v, sizeof v, "%" PRId64, swap - limit);
        } else
            return pier_error(err, 0, "%s.swap: needs memory.limit on cgroup v2", p);
        if (cg_write(dir, "memory.swap.max", v, R ".memory.swap", err) < 0)
            return -1;
    }
    if (has_resv) {
        limit_str(resv, true, v, sizeof v);
        if (cg_write(dir, "memory.low", v, R ".memory.reservation", err) < 0)
            return -1;
    }
    return 0;
}

/* ---- cpu ------------------------------------------------------------------- */

static int cpu_v1(const struct rt_cgroup *cg, json_t *c, pier_err_t *err)
{
    const char *p = R ".cpu";
    int64_t shares = 0, quota = 0, period = 0, burst = 0, rt_rt = 0, rt_period = 0;
    bool has_shares, has_quota, has_period, has_burst, has_rt_rt, has_rt_period, has_idle;
    int64_t idle = 0;
    const char *cpus = NULL, *mems = NULL;
    if (get_i64(c, p, "shares", &shares, &has_shares, err) < 0 ||
        get_i64(c, p, "quota", &quota, &has_quota, err) < 0 ||
        get_i64(c, p, "period", &period, &has_period, err) < 0 ||
        get_i64(c, p, "burst", &burst, &has_burst, err) < 0 ||
        get_i64(c, p, "realtimeRuntime", &rt_rt, &has_rt_rt, err) < 0 ||
        get_i64(c, p, "realtimePeriod", &rt_period, &has_rt_period, err) < 0 ||
        get_i64(c, p, "idle", &idle, &has_idle, err) < 0 ||
        pj_string(c, p, "cpus", &cpus, err) < 0 || pj_string(c, p, "mems", &mems, err) < 0)
        return -1;
    const char *dir = rt_cgroup_dir(cg, "cpu");
    char v[32];
    if ((has_shares && shares) || has_quota || has_period || has_burst || has_rt_rt ||
        has_rt_period || has_idle) {
        if (dir == NULL)
            return no_controller(p, "cpu", err);
        if (has_shares && shares) {
            snprintf(v, sizeof v, "%" PRId64, shares);
            if (cg_write(dir, "cpu.shares", v, R ".cpu.shares", err) < 0)
                return -1;
        }
        /* The period first: a quota is checked against the current one. */
        if (has_period && period) {
            snprintf(v, sizeof v, "%" PRId64, period);
            if (cg_write(dir, "cpu.cfs_period_us", v, R ".cpu.period", err) < 0)
                return -1;
        }
        if (has_quota && quota) {
            snprintf(v, sizeof v, "%" PRId64, quota < 0 ? -1 : quota);
            if (cg_write(dir, "cpu.cfs_quota_us", v, R ".cpu.quota", err) < 0)
                return -1;
        }
        if (has_burst) {
            snprintf(v, sizeof v, "%" PRId64, burst);
            if (cg_write(dir, "cpu.cfs_burst_us", v, R ".cpu.burst", err) < 0)
                return -1;
        }
        if (has_rt_period && rt_period) {
            snprintf(v, sizeof v, "%" PRId64, rt_period);
            if (cg_write(dir, "cpu.rt_period_us", v, R ".cpu.realtimePeriod", err) < 0)
                return -1;
        }
        if (has_rt_rt && rt_rt) {
            snprintf(v, sizeof v, "%" PRId64, rt_rt);
            if (cg_write(dir, "cpu.rt_runtime_us", v, R ".cpu.realtimeRuntime", err) < 0)
                return -1;
        }
        if (has_idle) {
            snprintf(v, sizeof v, "%" PRId64, idle);
            if (cg_write(dir, "cpu.idle", v, R ".cpu.idle", err) < 0)
                return -1;
        }
    }
    if ((cpus && *cpus) || (mems && *mems)) {
        const char *cs = rt_cgroup_dir(cg, "cpuset");
        if (cs == NULL)
            return no_controller(p, "cpuset", err);
        if (cpus && *cpus && cg_write(cs, "cpuset.cpus", cpus, R ".cpu.cpus", err) < 0)
            return -1;
        if (mems && *mems && cg_write(cs, "cpuset.mems", mems, R ".cpu.mems", err) < 0)
            return -1;
    }
    return 0;
}

static int cpu_v2(const char *dir, json_t *c, pier_err_t *err)
{
    const char *p = R ".cpu";
    int64_t shares = 0, quota = 0, period = 0, burst = 0, idle = 0, scratch = 0;
    bool has_shares, has_quota, has_period, has_burst, has_idle, has;
    const char *cpus = NULL, *mems = NULL;
    if (get_i64(c, p, "shares", &shares, &has_shares, err) < 0 ||
        get_i64(c, p, "quota", &quota, &has_quota, err) < 0 ||
        get_i64(c, p, "period", &period, &has_period, err) < 0 ||
        get_i64(c, p, "burst", &burst, &has_burst, err) < 0 ||
        get_i64(c, p, "idle", &idle, &has_idle, err) < 0 ||
        pj_string(c, p, "cpus", &cpus, err) < 0 || pj_string(c, p, "mems", &mems, err) < 0)
        return -1;
    if (get_i64(c, p, "realtimeRuntime", &scratch, &has, err) < 0)
        return -1;
    if (has && scratch)
        return pier_error(err, 0, "%s.realtimeRuntime: not available on cgroup v2", p);
    char v[64];
    if (has_shares && shares) {
        snprintf(v, sizeof v, "%" PRIu64, rt_cgroup_shares_to_weight((uint64_t)shares));
        if (cg_write(dir, "cpu.weight", v, R ".cpu.shares", err) < 0)
            return -1;
    }
    if ((has_quota && quota) || (has_period && period)) {
        if (!has_period || period == 0)
            period = 100000;
        if (has_quota && quota > 0)
            snprintf(v, sizeof v, "%" PRId64 " %" PRId64, quota, period);
        else
            snprintf(v, sizeof v, "max %" PRId64, period);
        if (cg_write(dir, "cpu.max", v, R ".cpu.quota", err) < 0)
            return -1;
    }
    if (has_burst) {
        snprintf(v, sizeof v, "%" PRId64, burst);
        if (cg_write(dir, "cpu.max.burst", v, R ".cpu.burst", err) < 0)
            return -1;
    }
    if (has_idle) {
        snprintf(v, sizeof v, "%" PRId64, idle);
        if (cg_write(dir, "cpu.idle", v, R ".cpu.idle", err) < 0)
            return -1;
    }
    if (cpus && *cpus && cg_write(dir, "cpuset.cpus", cpus, R ".cpu.cpus", err) < 0)
        return -1;
    if (mems && *mems && cg_write(dir, "cpuset.mems", mems, R ".cpu.mems", err) < 0)
        return -1;
    return 0;
}

/* ---- pids, hugetlb, network ------------------------------------------------- */

static int pids(const char *dir, bool v2, json_t *pj, pier_err_t *err)
{
    (void)v2;
    int64_t limit = 0;
    bool has;
    if (get_i64(pj, R ".pids", "limit", &limit, &has, err) < 0)
        return -1;
    if (!has)
        return 0;
    char v[32];
    if (limit <= 0)
        snprintf(v, sizeof v, "max");
    else
        snprintf(v, sizeof v, "%" PRId64, limit);
    return cg_write(dir, "pids.max", v, R ".pids.limit", err);
}

static int hugetlb(const char *dir, bool v2, json_t *arr, pier_err_t *err)
{
    size_t i;
    json_t *h;
    json_array_foreach (arr, i, h) {
        char p[64];
        snprintf(p, sizeof p, R ".hugepageLimits[%zu]", i);
        const char *size = NULL;
        uint64_t limit;
        if (pj_string(h, p, "pageSize", &size, err) < 0)
            return -1;
        if (size == NULL || strchr(size, '/') != NULL || strlen(size) > 16 ||
            pj_u64_value(json_object_get(h, "limit"), &limit) < 0)
            return pier_error(err, 0, "%s: needs pageSize (e.g. \"2MB\") and limit", p);
        char file[64], v[32];
        snprintf(file, sizeof file, v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", size);
        if (!cg_has(dir, file))
            return pier_error(err, 0, "%s.pageSize: no huge pages of size `%s` on this host", p,
                              size);
        snprintf(v, sizeof v, "%" PRIu64, limit);
        if (cg_write(dir, file, v, p, err) < 0)
            return -1;
    }
    return 0;
}

/* Every pageSize ("2MB", "1GB", "64KB") a size of huge pages this host has,
 * checked before any cgroup file is touched. */
static int check_page_sizes(json_t *arr, pier_err_t *err)
{
    size_t i;
    json_t *h;
    json_array_foreach (arr, i, h) {
        const char *size = json_string_value(json_object_get(h, "pageSize"));
        char *end;
        unsigned long long n = size ? strtoull(size, &end, 10) : 0;
        unsigned long long kb = 0;
        if (n > 0 && strcmp(end, "KB") == 0)
            kb = n;
        else if (n > 0 && strcmp(end, "MB") == 0)
            kb = n << 10;
        else if (n > 0 && strcmp(end, "GB") == 0)
            kb = n << 20;
        char path[128];
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%llukB", kb);
        if (kb == 0 || access(path, F_OK) < 0)
            return pier_error(
                err, 0, R ".hugepageLimits[%zu].pageSize: no huge pages of size `%s` on this host",
                i, size ? size : "");
    }
    return 0;
}

static int network(const struct rt_cgroup *cg, json_t *n, pier_err_t *err)
{
    const char *p = R ".network";
    int64_t classid = 0;
    bool has;
    if (get_i64(n, p, "classID", &classid, &has, err) < 0)
        return -1;
    char v[64];
    if (has) {
        const char *dir = rt_cgroup_dir(cg, "net_cls");
        if (dir == NULL)
            return no_controller(p, "net_cls", err);
        snprintf(v, sizeof v, "%" PRId64, classid);
        if (cg_write(dir, "net_cls.classid", v, R ".network.classID", err) < 0)
            return -1;
    }
    json_t *prios = NULL;
    if (pj_array(n, p, "priorities", &prios, err) < 0)
        return -1;
    if (prios != NULL && json_array_size(prios) > 0) {
        const char *dir = rt_cgroup_dir(cg, "net_prio");
        if (dir == NULL)
            return no_controller(p, "net_prio", err);
        size_t i;
        json_t *e;
        json_array_foreach (prios, i, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            json_t *pr = json_object_get(e, "priority");
            if (name == NULL || !json_is_integer(pr) || strchr(name, ' ') != NULL)
                return pier_error(err, 0, "%s.priorities[%zu]: needs name and priority", p, i);
            snprintf(v, sizeof v, "%s %lld", name, (long long)json_integer_value(pr));
            if (cg_write(dir, "net_prio.ifpriomap", v, R ".network.priorities", err) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- block I/O ------------------------------------------------------------- */

static int dev_of(json_t *d, const char *p, long long *maj, long long *min, pier_err_t *err)
{
    json_t *a = json_object_get(d, "major"), *b = json_object_get(d, "minor");
    if (!json_is_integer(a) || !json_is_integer(b) || json_integer_value(a) < 0 ||
        json_integer_value(b) < 0)
        return pier_error(err, 0, "%s: needs major and minor", p);
    *maj = json_integer_value(a);
    *min = json_integer_value(b);
    return 0;
}

static int blkio_v1(const char *dir, json_t *b, pier_err_t *err)
{
    const char *p = R ".blockIO";
    int64_t weight = 0, leaf = 0;
    bool has_w, has_leaf;
    if (get_i64(b, p, "weight", &weight, &has_w, err) < 0 ||
        get_i64(b, p, "leafWeight", &leaf, &has_leaf, err) < 0)
        return -1;
    char v[96];
    const char *wfile = cg_has(dir, "blkio.bfq.weight") ? "blkio.bfq.weight" : "blkio.weight";
    if ((has_w && weight) || (has_leaf && leaf)) {
        if (!cg_has(dir, wfile))
            return pier_error(
                err, 0,
                "%s.weight: this kernel has no blkio weight (no I/O scheduler with weights)", p);
        if (has_w && weight) {
            snprintf(v, sizeof v, "%" PRId64, weight);
            if (cg_write(dir, wfile, v, R ".blockIO.weight", err) < 0)
                return -1;
        }
        if (has_leaf && leaf) {
            snprintf(v, sizeof v, "%" PRId64, leaf);
            if (cg_write(dir, "blkio.leaf_weight", v, R ".blockIO.leafWeight", err) < 0)
                return -1;
        }
    }
    json_t *arr = json_object_get(b, "weightDevice");
    size_t i;
    json_t *d;
    json_array_foreach (arr, i, d) {
        char q[96];
        snprintf(q, sizeof q, "%s.weightDevice[%zu]", p, i);
        long long maj, min;
        if (dev_of(d, q, &maj, &min, err) < 0)
            return -1;
        json_t *w = json_object_get(d, "weight");
        if (!json_is_integer(w))
            continue;
        const char *f = cg_has(dir, "blkio.bfq.weight_device") ? "blkio.bfq.weight_device"
                                                               : "blkio.weight_device";
        if (!cg_has(dir, f))
            return pier_error(err, 0, "%s: this kernel has no per-device blkio weight", q);
        snprintf(v, sizeof v, "%lld:%lld %lld", maj, min, (long long)json_integer_value(w));
        if (cg_write(dir, f, v, q, err) < 0)
            return -1;
    }
    static const struct {
        const char *key, *file;
    } throttles[] = {
        {"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
        {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
        {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
        {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"},
    };
    for (size_t k = 0; k < ARRAY_SIZE(throttles); k++) {
        arr = json_object_get(b, throttles[k].key);
        json_array_foreach (arr, i, d) {
            char q[96];
            snprintf(q, sizeof q, "%s.%s[%zu]", p, throttles[k].key, i);
            long long maj, min;
            uint64_t rate;
            if (dev_of(d, q, &maj, &min, err) < 0)
                return -1;
            if (pj_u64_value(json_object_get(d, "rate"), &rate) < 0)
                return pier_error(err, 0, "%s.rate: expected a non-negative integer", q);
            snprintf(v, sizeof v, "%lld:%lld %" PRIu64, maj, min, rate);
            if (cg_write(dir, throttles[k].file, v, q, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int blkio_v2(const char *dir, json_t *b, pier_err_t *err)
{
    const char *p = R ".blockIO";
    int64_t weight = 0;
    bool has_w;
    if (get_i64(b, p, "weight", &weight, &has_w, err) < 0)
        return -1;
    char v[128];
    if (has_w && weight) {
        if (cg_has(dir, "io.bfq.weight"))
            snprintf(v, sizeof v, "%" PRId64, weight);
        else
            snprintf(v, sizeof v, "default %" PRIu64,
                     rt_cgroup_blkio_to_io_weight((uint64_t)weight));
        if (cg_write(dir, cg_has(dir, "io.bfq.weight") ? "io.bfq.weight" : "io.weight", v,
                     R ".blockIO.weight", err) < 0)
            return -1;
    }
    json_t *arr = json_object_get(b, "weightDevice");
    size_t i;
    json_t *d;
    json_array_foreach (arr, i, d) {
        char q[96];
        snprintf(q, sizeof q, "%s.weightDevice[%zu]", p, i);
        long long maj, min;
        if (dev_of(d, q, &maj, &min, err) < 0)
            return -1;
        json_t *w = json_object_get(d, "weight");
        if (!json_is_integer(w))
            continue;
        snprintf(v, sizeof v, "%lld:%lld %lld", maj, min, (long long)json_integer_value(w));
        if (cg_write(dir, cg_has(dir, "io.bfq.weight") ? "io.bfq.weight" : "io.weight", v, q, err) <
            0)
            return -1;
    }
    static const struct {
        const char *key, *name;
    } throttles[] = {
        {"throttleReadBpsDevice", "rbps"},
        {"throttleWriteBpsDevice", "wbps"},
        {"throttleReadIOPSDevice", "riops"},
        {"throttleWriteIOPSDevice", "wiops"},
    };
    for (size_t k = 0; k < ARRAY_SIZE(throttles); k++) {
        arr = json_object_get(b, throttles[k].key);
        json_array_foreach (arr, i, d) {
            char q[96];
            snprintf(q, sizeof q, "%s.%s[%zu]", p, throttles[k].key, i);
            long long maj, min;
            uint64_t rate;
            if (dev_of(d, q, &maj, &min, err) < 0)
                return -1;
            if (pj_u64_value(json_object_get(d, "rate"), &rate) < 0)
                return pier_error(err, 0, "%s.rate: expected a non-negative integer", q);
            snprintf(v, sizeof v, "%lld:%lld %s=%" PRIu64, maj, min, throttles[k].name, rate);
            if (cg_write(dir, "io.max", v, q, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- unified --------------------------------------------------------------- */

static int unified(const char *dir, json_t *u, pier_err_t *err)
{
    const char *key;
    json_t *v;
    json_object_foreach (u, key, v) {
        char p[256];
        snprintf(p, sizeof p, R ".unified.%s", key);
        if (!json_is_string(v))
            return pier_error(err, 0, "%s: expected a string", p);
        if (key[0] == '\0' || strchr(key, '/') != NULL || key[0] == '.')
            return pier_error(err, 0, "%s: not a cgroup file name", p);
        if (dir == NULL)
            return pier_error(err, 0, "%s: this host has no cgroup v2 tree", p);
        if (!cg_has(dir, key))
            return pier_error(
                err, 0, "%s: no such file in the container's cgroup (is its controller enabled?)",
                p);
        if (cg_write(dir, key, json_string_value(v), p, err) < 0)
            return -1;
    }
    return 0;
}

/* On a v2-only host every controller used must be enabled in each ancestor's
 * cgroup.subtree_control, from the top down to the container's parent. */
static int enable_v2_controllers(const char *dir, pier_err_t *err)
{
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    const char *mnt = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (l->h[i].v2)
            mnt = l->h[i].mountpoint;
    if (mnt == NULL)
        return 0;
    size_t ml = strlen(mnt);
    char cur[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", dir);
    /* Walk each ancestor: mnt, mnt/a, mnt/a/b, ... up to the parent of dir. */
    for (char *s = cur + ml; s != NULL;) {
        char saved = *s;
        *s = '\0';
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.controllers", cur);
        cleanup_free char *ctrls = NULL;
        pier_err_t e2 = NULL;
        if (pier_read_file_at(AT_FDCWD, path, 4096, &ctrls, NULL, &e2) == 0) {
            char want[512] = "";
            size_t o = 0;
            for (char *c = ctrls; *c;) {
                char *e = c;
                while (*e && *e != ' ' && *e != '\n')
                    e++;
                if (e > c && o + (size_t)(e - c) + 3 < sizeof want)
                    o += (size_t)snprintf(want + o, sizeof want - o, "%s+%.*s", o ? " " : "",
                                          (int)(e - c), c);
                c = *e ? e + 1 : e;
            }
            snprintf(path, sizeof path, "%s/cgroup.subtree_control", cur);
            if (o > 0 && pier_write_string_at(AT_FDCWD, path, want, &e2) < 0)
                pier_debug("enable %s in %s: %s", want, path, pier_error_msg(e2));
        }
        pier_error_free(&e2);
        *s = saved;
        if (saved == '\0')
            break;
        s = strchr(s + 1, '/');
    }
    return 0;
}

int rt_cgroup_enable_v2(const struct rt_cgroup *cg, pier_err_t *err)
{
    const char *v2 = rt_cgroup_dir(cg, NULL);
    const struct rt_cg_layout *l;
    if (v2 == NULL || rt_cgroup_layout(&l, err) < 0 || l->mode != RT_CG_V2)
        return 0;
    return enable_v2_controllers(v2, err);
}

int rt_cgroup_apply_resources(const struct rt_cgroup *cg, json_t *r, pier_err_t *err)
{
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    bool v2 = l->mode == RT_CG_V2;
    const char *v2dir = rt_cgroup_dir(cg, NULL);
    json_t *o;

    if ((o = json_object_get(r, "memory")) != NULL && json_is_object(o)) {
        const char *dir = v2 ? v2dir : rt_cgroup_dir(cg, "memory");
        if (dir == NULL)
            return no_controller(R ".memory", "memory", err);
        if ((v2 ? memory_v2(dir, o, err) : memory_v1(dir, o, err)) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "cpu")) != NULL && json_is_object(o)) {
        if ((v2 ? cpu_v2(v2dir, o, err) : cpu_v1(cg, o, err)) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "pids")) != NULL && json_is_object(o)) {
        const char *dir = v2 ? v2dir : rt_cgroup_dir(cg, "pids");
        if (dir == NULL)
            return no_controller(R ".pids", "pids", err);
        if (pids(dir, v2, o, err) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "blockIO")) != NULL && json_is_object(o)) {
        const char *dir = v2 ? v2dir : rt_cgroup_dir(cg, "blkio");
        if (dir == NULL)
            return no_controller(R ".blockIO", "blkio", err);
        if ((v2 ? blkio_v2(dir, o, err) : blkio_v1(dir, o, err)) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "hugepageLimits")) != NULL && json_array_size(o) > 0) {
        /* v1 hugetlb when mounted; otherwise the cgroup2 tree's, as on
         * hybrid hosts whose hugetlb lives only there: it is then enabled
         * in that tree's subtree_control, from its top down, a change to
         * the host that stays. */
        if (check_page_sizes(o, err) < 0)
            return -1;
        const char *dir = v2 ? v2dir : rt_cgroup_dir(cg, "hugetlb");
        bool use_v2 = v2;
        if (dir == NULL && v2dir != NULL) {
            dir = v2dir;
            use_v2 = true;
            if (enable_v2_controllers(v2dir, err) < 0)
                return -1;
        }
        if (dir == NULL)
            return no_controller(R ".hugepageLimits", "hugetlb", err);
        if (hugetlb(dir, use_v2, o, err) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "network")) != NULL && json_is_object(o)) {
        if (v2) {
            pier_warn(R ".network: net_cls and net_prio do not exist on cgroup v2: ignored");
        } else if (network(cg, o, err) < 0) {
            return -1;
        }
    }
    if ((o = json_object_get(r, "unified")) != NULL && json_is_object(o) &&
        json_object_size(o) > 0) {
        if (unified(v2dir, o, err) < 0)
            return -1;
    }
    if ((o = json_object_get(r, "devices")) != NULL && json_is_array(o)) {
        if (rt_cgroup_devices_apply(cg, o, err) < 0)
            return -1;
    }
    return 0;
}
