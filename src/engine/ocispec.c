/* The OCI spec of a container, as docker builds it from the container's
 * Config and HostConfig: docker's default capabilities, mounts, masked and
 * read-only paths, device rules and seccomp profile, and the user's
 * changes to them. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../runtime/spec.h"
#include "internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger"};

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* "net_admin", "CAP_NET_ADMIN", "ALL" as docker takes them */
static void cap_name(const char *in, char *out, size_t cap)
{
    const char *s = strncasecmp(in, "CAP_", 4) == 0 ? in + 4 : in;
    size_t o = (size_t)snprintf(out, cap, "CAP_");
    for (; *s && o + 1 < cap; s++)
        out[o++] = (char)toupper((unsigned char)*s);
    out[o] = '\0';
}

/* Whether list names the capability (exactly, not through ALL). */
static bool names_cap(json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        char n[64];
        if (!json_is_string(v))
            continue;
        cap_name(json_string_value(v), n, sizeof n);
        if (strcmp(n, name) == 0)
            return true;
    }
    return false;
}

static int check_caps(json_t *list, pier_err_t *err)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        char n[64];
        if (!json_is_string(v) ||
            (strcasecmp(json_string_value(v), "ALL") != 0 &&
             (cap_name(json_string_value(v), n, sizeof n), rt_cap_from_name(n) < 0)))
            return pier_fail(err, EINVAL, "unknown capability: \"%s\"",
                             json_is_string(v) ? json_string_value(v) : "?");
    }
    return 0;
}

/* Everything, for --privileged and ALL, is what pierd has itself: a
 * sandbox may lack some (here, CAP_SYS_RESOURCE). */
static bool pierd_has_cap(const char *name)
{
    return prctl(PR_CAPBSET_READ, rt_cap_from_name(name)) == 1;
}

json_t *oci_all_caps(void)
{
    json_t *set = json_array();
    for (size_t k = 0; k < sizeof all_caps / sizeof all_caps[0]; k++)
        if (pierd_has_cap(all_caps[k]))
            json_array_append_new(set, json_string(all_caps[k]));
    return set;
}

/* Docker's rules: ALL in --cap-add starts from every capability, ALL in
 * --cap-drop from none, else from Docker's default set; then the drops go
 * and the adds come (an add wins over a drop). */
static int caps(const struct container *c, json_t **out, pier_err_t *err)
{
    json_t *add = json_object_get(c->host, "CapAdd");
    json_t *drop = json_object_get(c->host, "CapDrop");
    bool privileged = json_is_true(json_object_get(c->host, "Privileged"));
    if (check_caps(add, err) < 0 || check_caps(drop, err) < 0)
        return -1;
    bool add_all = names_cap(add, "CAP_ALL"), drop_all = names_cap(drop, "CAP_ALL");
    json_t *set = json_array();
    for (size_t k = 0; k < sizeof all_caps / sizeof all_caps[0]; k++) {
        const char *name = all_caps[k];
        bool want = false;
        for (size_t d = 0; d < sizeof default_caps / sizeof default_caps[0]; d++)
            want = want || strcmp(default_caps[d], name) == 0;
        if (add_all)
            want = true;
        else if (drop_all)
            want = false;
        if (names_cap(drop, name))
            want = false;
        if (names_cap(add, name))
            want = true;
        if ((privileged || add_all) && !names_cap(add, name) && !pierd_has_cap(name))
            continue;
        if (want || privileged)
            json_array_append_new(set, json_string(name));
    }
    *out = set;
    return 0;
}

static json_t *environment(const struct container *c, const char *hostname)
{
    json_t *env = json_array();
    json_t *cenv = json_object_get(c->config, "Env");
    bool has_path = false;
    size_t i;
    json_t *v;
    json_array_foreach (cenv, i, v)
        has_path =
            has_path || (json_string_value(v) && strncmp(json_string_value(v), "PATH=", 5) == 0);
    if (!has_path)
        json_array_append_new(env, json_string(DEFAULT_PATH));
    char h[300];
    snprintf(h, sizeof h, "HOSTNAME=%s", hostname);
    json_array_append_new(env, json_string(h));
    if (container_tty(c))
        json_array_append_new(env, json_string("TERM=xterm"));
    env_merge(env, cenv);
    return env;
}

static json_t *mount(const char *dest, const char *type, const char *src, const char *opts)
{
    json_t *o = json_array();
    cleanup_free char *copy = strdup(opts);
    for (char *p = copy, *next; p && *p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        json_array_append_new(o, json_string(p));
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
                     "options", o);
}

static int binds(const struct container *c, json_t *mounts, pier_err_t *err)
{
    size_t i;
    json_t *b;
    json_array_foreach (json_object_get(c->host, "Binds"), i, b) {
        const char *spec = json_string_value(b);
        if (spec == NULL)
            continue;
        struct bind bd;
        if (bind_parse(spec, &bd, err) < 0)
            return -1;
        if (access(bd.src, F_OK) < 0 && pier_mkdir_p(bd.src, 0755, err) < 0)
            return -1;
        char opts[256];
        snprintf(opts, sizeof opts, "rbind,%s,%s", bd.ro ? "ro" : "rw", bd.propagation);
        json_array_append_new(mounts, mount(bd.dst, "bind", bd.src, opts));
    }
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get(c->host, "Tmpfs"), k, v) {
        char opts[512];
        const char *given = json_string_value(v);
        snprintf(opts, sizeof opts, "nosuid,nodev,noexec%s%s", given && *given ? "," : "",
                 given ? given : "");
        json_array_append_new(mounts, mount(k, "tmpfs", "tmpfs", opts));
    }
    return 0;
}

static long long host_int(const struct container *c, const char *key)
{
    return json_integer_value(json_object_get(c->host, key));
}

static json_t *resources(const struct container *c)
{
    json_t *r = json_object();
    json_t *devs = json_pack("[{s:b, s:s}]", "allow", false, "access", "rwm");
    if (json_is_true(json_object_get(c->host, "Privileged")))
        json_array_set_new(devs, 0, json_pack("{s:b, s:s}", "allow", true, "access", "rwm"));
    json_object_set_new(r, "devices", devs);
    long long mem = host_int(c, "Memory"), swap = host_int(c, "MemorySwap");
    long long resv = host_int(c, "MemoryReservation");
    if (mem > 0 || resv > 0 || json_is_true(json_object_get(c->host, "OomKillDisable"))) {
        json_t *m = json_object();
        if (mem > 0) {
            json_object_set_new(m, "limit", json_integer(mem));
            /* docker: no --memory-swap means twice the memory; -1 no limit */
            json_object_set_new(m, "swap", json_integer(swap == 0 ? 2 * mem : swap));
        }
        if (resv > 0)
            json_object_set_new(m, "reservation", json_integer(resv));
        if (json_is_true(json_object_get(c->host, "OomKillDisable")))
            json_object_set_new(m, "disableOOMKiller", json_true());
        json_object_set_new(r, "memory", m);
    }
    json_t *cpu = json_object();
    long long nano = host_int(c, "NanoCpus");
    if (nano > 0) {
        json_object_set_new(cpu, "period", json_integer(100000));
        json_object_set_new(cpu, "quota", json_integer(nano * 100000 / 1000000000LL));
    }
    if (host_int(c, "CpuShares") > 0)
        json_object_set_new(cpu, "shares", json_integer(host_int(c, "CpuShares")));
    if (host_int(c, "CpuPeriod") > 0)
        json_object_set_new(cpu, "period", json_integer(host_int(c, "CpuPeriod")));
    if (host_int(c, "CpuQuota") > 0)
        json_object_set_new(cpu, "quota", json_integer(host_int(c, "CpuQuota")));
    const char *cpus = json_string_value(json_object_get(c->host, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(c->host, "CpusetMems"));
    if (cpus && *cpus)
        json_object_set_new(cpu, "cpus", json_string(cpus));
    if (mems && *mems)
        json_object_set_new(cpu, "mems", json_string(mems));
    if (json_object_size(cpu) > 0)
        json_object_set_new(r, "cpu", cpu);
    else
        json_decref(cpu);
    long long pids = host_int(c, "PidsLimit");
    if (pids > 0)
        json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)pids));
    if (host_int(c, "BlkioWeight") > 0)
        json_object_set_new(r, "blockIO",
                            json_pack("{s:I}", "weight", (json_int_t)host_int(c, "BlkioWeight")));
    return r;
}

static int rlimits(const struct container *c, json_t **out, pier_err_t *err)
{
    json_t *arr = json_array();
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get(c->host, "Ulimits"), i, u) {
        const char *name = json_string_value(json_object_get(u, "Name"));
        char type[64];
        snprintf(type, sizeof type, "RLIMIT_%s", name ? name : "");
        for (char *p = type; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (name == NULL || rt_rlimit_from_name(type) < 0) {
            json_decref(arr);
            pier_fail(err, EINVAL, "invalid ulimit type: %s", name ? name : "");
            return -1;
        }
        json_array_append_new(arr, json_pack("{s:s, s:O, s:O}", "type", type, "hard",
                                             json_object_get(u, "Hard"), "soft",
                                             json_object_get(u, "Soft")));
    }
    *out = arr;
    return 0;
}

/* The namespace of another container, "container:NAME", by path. */
static int ns_entry(struct engine *e, const char *mode, const char *type, json_t *nss,
                    pier_err_t *err)
{
    if (mode != NULL && strcmp(mode, "host") == 0)
        return 0;
    if (mode != NULL && strncmp(mode, "container:", 10) == 0) {
        struct container *o = engine_find(e, mode + 10, err);
        if (o == NULL)
            return -1;
        if (!container_running(o) || o->pid <= 0) {
            pier_fail(err, EBUSY, "cannot join network of a non running container: %s", o->id);
            return -1;
        }
        char path[128];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", o->pid,
                 strcmp(type, "network") == 0 ? "net" : type);
        json_array_append_new(nss, json_pack("{s:s, s:s}", "type", type, "path", path));
        return 0;
    }
    json_array_append_new(nss, json_pack("{s:s}", "type", type));
    return 0;
}

/* The network namespace: pierd's, set up before the start, when the
 * container has endpoints. */
static int net_ns_entry(struct engine *e, struct container *c, const char *mode, json_t *nss,
                        pier_err_t *err)
{
    if (!c->netns)
        return ns_entry(e, mode, "network", nss, err);
    char path[PATH_MAX];
    ep_netns_path(c, path, sizeof path);
    json_array_append_new(nss, json_pack("{s:s, s:s}", "type", "network", "path", path));
    return 0;
}

/* The program: Docker's Entrypoint and Cmd, behind the init if --init. */
static json_t *command(const struct container *c, pier_err_t *err)
{
    json_t *argv = json_array();
    if (json_is_true(json_object_get(c->host, "Init"))) {
        json_array_append_new(argv, json_string("/sbin/docker-init"));
        json_array_append_new(argv, json_string("--"));
    }
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(c->config, "Entrypoint"), i, v)
        json_array_append(argv, v);
    json_array_foreach (json_object_get(c->config, "Cmd"), i, v)
        json_array_append(argv, v);
    if (json_array_size(argv) == (json_is_true(json_object_get(c->host, "Init")) ? 2u : 0u)) {
        json_decref(argv);
        pier_fail(err, EINVAL, "no command specified");
        return NULL;
    }
    return argv;
}

/* docker's HOME: the user's, unless the container sets it */
static void set_home(json_t *env, const char *home)
{
    size_t i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *s = json_string_value(v);
        if (s && strncmp(s, "HOME=", 5) == 0)
            return;
    }
    char kv[PATH_MAX + 8];
    snprintf(kv, sizeof kv, "HOME=%s", home);
    json_array_append_new(env, json_string(kv));
}

/* no-new-privileges and the seccomp profile (*seccomp NULL: unconfined) */
static int security(const struct container *c, json_t *process, json_t **seccomp, pier_err_t *err)
{
    bool nnp = false;
    bool unconfined = json_is_true(json_object_get(c->host, "Privileged"));
    *seccomp = NULL;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(c->host, "SecurityOpt"), i, v) {
        const char *s = json_string_value(v);
        if (s == NULL)
            continue;
        if (strcmp(s, "no-new-privileges") == 0 || strcmp(s, "no-new-privileges:true") == 0 ||
            strcmp(s, "no-new-privileges=true") == 0) {
            nnp = true;
        } else if (strcmp(s, "seccomp=unconfined") == 0 || strcmp(s, "seccomp:unconfined") == 0) {
            unconfined = true;
        } else if (strncmp(s, "seccomp=", 8) == 0 || strncmp(s, "seccomp:", 8) == 0) {
            json_error_t je;
            json_decref(*seccomp);
            *seccomp = json_loads(s + 8, 0, &je);
            if (*seccomp == NULL)
                return pier_fail(err, EINVAL, "Decoding seccomp profile failed: %s", je.text);
        }
    }
    json_object_set_new(process, "noNewPrivileges", json_boolean(nnp));
    if (unconfined) {
        json_decref(*seccomp);
        *seccomp = NULL;
    } else if (*seccomp == NULL) {
        json_t *caps = json_object_get(json_object_get(process, "capabilities"), "bounding");
        *seccomp = seccomp_default(caps, err);
        if (*seccomp == NULL)
            return -1;
    }
    return 0;
}

static int process_of(const struct container *c, const char *rootfs, const char *hostname,
                      json_t **out, pier_err_t *err)
{
    *out = NULL;
    json_t *argv = command(c, err);
    if (argv == NULL)
        return -1;
    json_t *capset = NULL, *limits = NULL;
    if (caps(c, &capset, err) < 0 || rlimits(c, &limits, err) < 0) {
        json_decref(argv);
        json_decref(capset);
        return -1;
    }
    const char *wd = json_string_value(json_object_get(c->config, "WorkingDir"));
    json_t *user = json_object();
    json_t *p =
        json_pack("{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:o}", "terminal", container_tty(c),
                  "user", user, "args", argv, "env", environment(c, hostname), "cwd",
                  wd && *wd ? wd : "/", "capabilities", "bounding", capset, "effective", capset,
                  "permitted", capset, "rlimits", limits);
    json_decref(capset);
    if (p == NULL)
        return pier_error(err, ENOMEM, "spec");
    /* the client's terminal size from the start, before its first resize */
    json_t *size = json_object_get(c->host, "ConsoleSize");
    json_int_t rows = json_integer_value(json_array_get(size, 0));
    json_int_t cols = json_integer_value(json_array_get(size, 1));
    if (container_tty(c) && rows > 0 && cols > 0 && rows < 65536 && cols < 65536)
        json_object_set_new(p, "consoleSize",
                            json_pack("{s:I, s:I}", "height", rows, "width", cols));
    char home[PATH_MAX];
    int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int r = rootfd < 0
                ? pier_error(err, errno, "open the container's root `%s`", rootfs)
                : user_resolve(rootfd, json_string_value(json_object_get(c->config, "User")),
                               json_object_get(c->host, "GroupAdd"), user, home, sizeof home, err);
    if (rootfd >= 0)
        close(rootfd);
    if (r < 0) {
        json_decref(p);
        return -1;
    }
    set_home(json_object_get(p, "env"), home);
    if (json_object_get(c->host, "OomScoreAdj") && host_int(c, "OomScoreAdj") != 0)
        json_object_set_new(p, "oomScoreAdj", json_integer(host_int(c, "OomScoreAdj")));
    *out = p;
    return 0;
}

static int mounts_of(struct engine *e, const struct container *c, const char *dir, json_t **out,
                     pier_err_t *err)
{
    bool privileged = json_is_true(json_object_get(c->host, "Privileged"));
    char shm[64];
    long long shm_size = host_int(c, "ShmSize");
    snprintf(shm, sizeof shm, "nosuid,noexec,nodev,mode=1777,size=%lld",
             shm_size > 0 ? shm_size : 67108864LL);
    json_t *mounts = json_array();
    json_array_append_new(mounts, mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_array_append_new(
        mounts, mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                        "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
    json_array_append_new(mounts,
                          mount("/sys", "sysfs", "sysfs",
                                privileged ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
    json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                        privileged ? "nosuid,noexec,nodev,relatime"
                                                   : "nosuid,noexec,nodev,relatime,ro"));
    json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", shm));
    static const char *const etc[] = {"resolv.conf", "hostname", "hosts"};
    for (size_t k = 0; k < 3; k++) {
        char src[PATH_MAX], dst[64];
        snprintf(src, sizeof src, "%s/%s", dir, etc[k]);
        snprintf(dst, sizeof dst, "/etc/%s", etc[k]);
        json_array_append_new(mounts, mount(dst, "bind", src, "rbind,rprivate"));
    }
    if (json_is_true(json_object_get(c->host, "Init"))) {
        json_array_append_new(mounts, mount("/sbin/docker-init", "bind", e->init_path, "bind,ro"));
    }
    if (binds(c, mounts, err) < 0) {
        json_decref(mounts);
        return -1;
    }
    *out = mounts;
    return 0;
}

int oci_spec(struct engine *e, struct container *c, json_t **out, pier_err_t *err)
{
    char dir[PATH_MAX], rootfs[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
    const char *hostname = json_string_value(json_object_get(c->config, "Hostname"));
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%.12s", c->id);
    if (hostname == NULL || *hostname == '\0')
        hostname = short_id;
    bool privileged = json_is_true(json_object_get(c->host, "Privileged"));
    json_t *process = NULL, *seccomp = NULL, *mounts = NULL;
    if (process_of(c, rootfs, hostname, &process, err) < 0)
        return -1;
    if (security(c, process, &seccomp, err) < 0 || mounts_of(e, c, dir, &mounts, err) < 0) {
        json_decref(process);
        json_decref(seccomp);
        return -1;
    }

    json_t *nss = json_array();
    const char *net = json_string_value(json_object_get(c->host, "NetworkMode"));
    const char *pid = json_string_value(json_object_get(c->host, "PidMode"));
    const char *ipc = json_string_value(json_object_get(c->host, "IpcMode"));
    const char *uts = json_string_value(json_object_get(c->host, "UTSMode"));
    json_array_append_new(nss, json_pack("{s:s}", "type", "mount"));
    if (net_ns_entry(e, c, net, nss, err) < 0 || ns_entry(e, pid, "pid", nss, err) < 0 ||
        ns_entry(e, ipc, "ipc", nss, err) < 0 || ns_entry(e, uts, "uts", nss, err) < 0) {
        json_decref(nss);
        json_decref(mounts);
        json_decref(process);
        json_decref(seccomp);
        return -1;
    }
    const char *parent = json_string_value(json_object_get(c->host, "CgroupParent"));
    char cgpath[PATH_MAX];
    snprintf(cgpath, sizeof cgpath, "%s/%s", parent && *parent ? parent : e->cgroup_parent, c->id);
    json_t *lx = json_pack("{s:o, s:o, s:s}", "namespaces", nss, "resources", resources(c),
                           "cgroupsPath", cgpath);
    if (!privileged) {
        json_object_set_new(lx, "maskedPaths",
                            strings(masked_paths, sizeof masked_paths / sizeof masked_paths[0]));
        json_object_set_new(
            lx, "readonlyPaths",
            strings(readonly_paths, sizeof readonly_paths / sizeof readonly_paths[0]));
    }
    if (seccomp)
        json_object_set_new(lx, "seccomp", seccomp);
    json_t *sysctl = json_object_get(c->host, "Sysctls");
    if (json_object_size(sysctl) > 0)
        json_object_set(lx, "sysctl", sysctl);
    bool own_uts = uts == NULL || strcmp(uts, "host") != 0;
    json_t *spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:o, s:o}", "ociVersion", "1.0.2", "process",
                             process, "root", "path", rootfs, "readonly",
                             json_is_true(json_object_get(c->host, "ReadonlyRootfs")), "mounts",
                             mounts, "linux", lx);
    if (own_uts) {
        json_object_set_new(spec, "hostname", json_string(hostname));
        const char *dom = json_string_value(json_object_get(c->config, "Domainname"));
        if (dom && *dom)
            json_object_set_new(spec, "domainname", json_string(dom));
    }
    *out = spec;
    return 0;
}
