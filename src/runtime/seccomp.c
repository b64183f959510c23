#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "dev.h"

static const char *listener_state;

void rt_seccomp_set_state(const char *state_json)
{
    listener_state = state_json;
}

static void ctx_release(scmp_filter_ctx *c)
{
    if (*c != NULL)
        seccomp_release(*c);
}
#define cleanup_seccomp __attribute__((cleanup(ctx_release)))

static int parse_action(const char *s, uint32_t errno_ret, uint32_t *out)
{
    if (strcmp(s, "SCMP_ACT_ALLOW") == 0)
        *out = SCMP_ACT_ALLOW;
    else if (strcmp(s, "SCMP_ACT_ERRNO") == 0)
        *out = SCMP_ACT_ERRNO(errno_ret);
    else if (strcmp(s, "SCMP_ACT_KILL") == 0 || strcmp(s, "SCMP_ACT_KILL_THREAD") == 0)
        *out = SCMP_ACT_KILL_THREAD;
    else if (strcmp(s, "SCMP_ACT_KILL_PROCESS") == 0)
        *out = SCMP_ACT_KILL_PROCESS;
    else if (strcmp(s, "SCMP_ACT_TRAP") == 0)
        *out = SCMP_ACT_TRAP;
    else if (strcmp(s, "SCMP_ACT_TRACE") == 0)
        *out = SCMP_ACT_TRACE(errno_ret);
    else if (strcmp(s, "SCMP_ACT_LOG") == 0)
        *out = SCMP_ACT_LOG;
    else if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
        *out = SCMP_ACT_NOTIFY;
    else
        return -1;
    return 0;
}

static int parse_op(const char *s, enum scmp_compare *out)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        if (strcmp(s, ops[i].name) == 0) {
            *out = ops[i].op;
            return 0;
        }
    return -1;
}

static int parse_arch(const char *s, uint32_t *out)
{
    if (strncmp(s, "SCMP_ARCH_", 10) != 0)
        return -1;
    char lower[32];
    size_t n = strlen(s + 10);
    if (n == 0 || n >= sizeof lower)
        return -1;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)(s[10 + i] >= 'A' && s[10 + i] <= 'Z' ? s[10 + i] + 32 : s[10 + i]);
    uint32_t a = seccomp_arch_resolve_name(lower);
    if (a == 0)
        return -1;
    *out = a;
    return 0;
}

static int u64_of(json_t *v, uint64_t *out)
{
    if (v == NULL || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    return pj_u64_value(v, out);
}

static int add_rule(scmp_filter_ctx ctx, json_t *rule, size_t idx, uint32_t default_action,
                    uint32_t default_errno, pier_err_t *err)
{
    char where[64];
    snprintf(where, sizeof where, "linux.seccomp.syscalls[%zu]", idx);
    if (!json_is_object(rule))
        return pier_error(err, 0, "%s: expected an object", where);
    const char *action_s = NULL;
    if (pj_string(rule, where, "action", &action_s, err) < 0)
        return -1;
    if (action_s == NULL)
        return pier_error(err, 0, "%s.action: missing", where);
    int64_t eret = default_errno;
    if (pj_int(rule, where, "errnoRet", 0, 4095, &eret, err) < 0)
        return -1;
    uint32_t action;
    if (parse_action(action_s, (uint32_t)eret, &action) < 0)
        return pier_error(err, 0, "%s.action: unknown action `%s`", where, action_s);
    /* libseccomp refuses rules that repeat the default action. */
    if (action == default_action)
        return 0;

    json_t *args = NULL;
    if (pj_array(rule, where, "args", &args, err) < 0)
        return -1;
    size_t nargs = args ? json_array_size(args) : 0;
    if (nargs > 6)
        return pier_error(err, 0, "%s.args: more than 6 conditions", where);
    struct scmp_arg_cmp cmp[6];
    bool repeated_index = false;
    for (size_t i = 0; i < nargs; i++) {
        json_t *a = json_array_get(args, i);
        char aw[96];
        snprintf(aw, sizeof aw, "%s.args[%zu]", where, i);
        if (!json_is_object(a))
            return pier_error(err, 0, "%s: expected an object", aw);
        int64_t index = -1;
        const char *op_s = NULL;
        if (pj_int(a, aw, "index", 0, 5, &index, err) < 0 || pj_string(a, aw, "op", &op_s, err) < 0)
            return -1;
        if (index < 0 || op_s == NULL)
            return pier_error(err, 0, "%s: index and op are required", aw);
        enum scmp_compare op;
        if (parse_op(op_s, &op) < 0)
            return pier_error(err, 0, "%s.op: unknown operator `%s`", aw, op_s);
        uint64_t v1, v2;
        if (u64_of(json_object_get(a, "value"), &v1) < 0 ||
            u64_of(json_object_get(a, "valueTwo"), &v2) < 0)
            return pier_error(err, 0, "%s: value and valueTwo must be non-negative integers", aw);
        cmp[i] =
            (struct scmp_arg_cmp){.arg = (unsigned)index, .op = op, .datum_a = v1, .datum_b = v2};
        for (size_t k = 0; k < i; k++)
            if (cmp[k].arg == cmp[i].arg)
                repeated_index = true;
    }

    json_t *names = NULL;
    if (pj_array(rule, where, "names", &names, err) < 0)
        return -1;
    size_t ni;
    json_t *nv;
    json_array_foreach (names, ni, nv) {
        if (!json_is_string(nv))
            return pier_error(err, 0, "%s.names[%zu]: expected a string", where, ni);
        const char *name = json_string_value(nv);
        int nr = seccomp_syscall_resolve_name(name);
        /* As runc: a name this libseccomp does not know is skipped, so that
         * one profile serves older and newer kernels. */
        if (nr == __NR_SCMP_ERROR)
            continue;
        int r;
        if (!repeated_index) {
            r = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, nargs ? cmp : NULL);
        } else {
            /* Conditions on one argument cannot be ANDed by libseccomp; as
             * runc does, each becomes a rule of its own. */
            r = 0;
            for (size_t i = 0; i < nargs && r == 0; i++)
                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
        }
        if (r < 0)
            return pier_error(err, -r, "%s: add rule for `%s`", where, name);
    }
    return 0;
}

static int build(json_t *sc, scmp_filter_ctx *out, pier_err_t *err)
{
    const char *w = "linux.seccomp";
    const char *def_s = NULL;
    if (pj_string(sc, w, "defaultAction", &def_s, err) < 0)
        return -1;
    if (def_s == NULL)
        return pier_error(err, 0, "linux.seccomp.defaultAction: missing");
    int64_t def_errno = 1; /* EPERM */
    if (pj_int(sc, w, "defaultErrnoRet", 0, 4095, &def_errno, err) < 0)
        return -1;
    uint32_t def_action;
    if (parse_action(def_s, (uint32_t)def_errno, &def_action) < 0)
        return pier_error(err, 0, "linux.seccomp.defaultAction: unknown action `%s`", def_s);
    cleanup_seccomp scmp_filter_ctx ctx = seccomp_init(def_action);
    if (ctx == NULL)
        return pier_error(err, 0, "linux.seccomp: seccomp_init failed");
    /* no_new_privs is the spec's to decide, not libseccomp's. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

    json_t *arches = NULL;
    if (pj_array(sc, w, "architectures", &arches, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (arches, i, v) {
        uint32_t arch;
        if (!json_is_string(v) || parse_arch(json_string_value(v), &arch) < 0)
            return pier_error(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`",
                              i, json_is_string(v) ? json_string_value(v) : "?");
        int r = seccomp_arch_add(ctx, arch);
        if (r < 0 && r != -EEXIST)
            return pier_error(err, -r, "linux.seccomp.architectures[%zu]", i);
    }
    json_t *flags = NULL;
    if (pj_array(sc, w, "flags", &flags, err) < 0)
        return -1;
    json_array_foreach (flags, i, v) {
        const char *f = json_string_value(v);
        int r = 0;
        if (f == NULL)
            return pier_error(err, 0, "linux.seccomp.flags[%zu]: expected a string", i);
        if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        else if (strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        else if (strcmp(f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
            r = 0; /* newer than this libseccomp; harmless to leave off */
        else
            return pier_error(err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i, f);
        if (r < 0)
            return pier_error(err, -r, "linux.seccomp.flags[%zu]: `%s`", i, f);
    }
    json_t *rules = NULL;
    if (pj_array(sc, w, "syscalls", &rules, err) < 0)
        return -1;
    json_array_foreach (rules, i, v) {
        if (add_rule(ctx, v, i, def_action, (uint32_t)def_errno, err) < 0)
            return -1;
    }
    const char *lp = NULL;
    /* only checked here: install_prepared reads it */
    if (pj_string(sc, w, "listenerPath", &lp, err) < 0)
        return -1;
    *out = steal_pointer(&ctx);
    return 0;
}

/* ---- compiled filters, cached ----------------------------------------------
 * Compiling Docker's default profile with libseccomp takes ~10 ms, more than
 * the rest of a container's start.  The runtime compiles a profile once,
 * keeps the BPF program under its root keyed by the profile's text, and the
 * container's process loads the program with seccomp(2) directly. */

#define CACHE_MAGIC 0x70736331u /* "psc1" */
#define CACHE_MAX (8u << 20)

static struct {
    json_t *profile; /* the spec's linux.seccomp this program was made for */
    struct sock_fprog prog;
    unsigned flags;
    int listener; /* connected to listenerPath, or -1 */
} prepared = {.listener = -1};

static int connect_listener(const char *path, pier_err_t *err);

static unsigned filter_flags(json_t *sc)
{
    unsigned f = 0;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(sc, "flags"), i, v) {
        const char *n = json_string_value(v);
        if (n == NULL)
            continue;
        if (strcmp(n, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            f |= SECCOMP_FILTER_FLAG_TSYNC;
        else if (strcmp(n, "SECCOMP_FILTER_FLAG_LOG") == 0)
            f |= SECCOMP_FILTER_FLAG_LOG;
        else if (strcmp(n, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    }
    return f;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* What a cached program must have been made from: the profile, and what
 * compiles it (libseccomp, kernel). */
static char *cache_key_text(json_t *sc)
{
    cleanup_free char *canon = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS);
    if (canon == NULL)
        return NULL;
    struct utsname u;
    uname(&u);
    const struct scmp_version *v = seccomp_version();
    char *out = NULL;
    if (asprintf(&out, "libseccomp %u.%u.%u\nkernel %s %s\n%s", v->major, v->minor, v->micro,
                 u.release, u.machine, canon) < 0)
        return NULL;
    return out;
}

/* Read the cached program for key; 0 and prog filled on a hit. */
static int cache_read(int dirfd, const char *name, const char *key, struct sock_fprog *prog)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    pier_err_t err = NULL;
    if (pier_read_file_at(dirfd, name, CACHE_MAX, &data, &len, &err) < 0) {
        pier_error_free(&err);
        return -1;
    }
    size_t klen = strlen(key);
    uint32_t hdr[2];
    if (len < sizeof hdr)
        return -1;
    memcpy(hdr, data, sizeof hdr);
    if (hdr[0] != CACHE_MAGIC || hdr[1] != klen || len < sizeof hdr + klen ||
        memcmp(data + sizeof hdr, key, klen) != 0)
        return -1;
    size_t blen = len - sizeof hdr - klen;
    if (blen == 0 || blen % sizeof(struct sock_filter) != 0 ||
        blen / sizeof(struct sock_filter) > BPF_MAXINSNS * 8)
        return -1;
    prog->filter = malloc(blen);
    if (prog->filter == NULL)
        return -1;
    memcpy(prog->filter, data + sizeof hdr + klen, blen);
    prog->len = (unsigned short)(blen / sizeof(struct sock_filter));
    return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, pier_err_t *err)
{
    cleanup_close int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (mfd < 0)
        return pier_error(err, errno, "linux.seccomp: memfd");
    int r = seccomp_export_bpf(ctx, mfd);
    if (r < 0)
        return pier_error(err, -r, "linux.seccomp: export the filter");
    off_t size = lseek(mfd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > 65535)
        return pier_error(err, 0, "linux.seccomp: the compiled filter has a bad size");
    prog->filter = malloc((size_t)size);
    if (prog->filter == NULL)
        return pier_error(err, ENOMEM, "linux.seccomp");
    if (pread(mfd, prog->filter, (size_t)size, 0) != size) {
        free(prog->filter);
        prog->filter = NULL;
        return pier_error(err, errno, "linux.seccomp: read the filter");
    }
    prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}

static void cache_write(int dirfd, const char *name, const char *key, const struct sock_fprog *prog)
{
    size_t klen = strlen(key), blen = prog->len * sizeof(struct sock_filter);
    uint32_t hdr[2] = {CACHE_MAGIC, (uint32_t)klen};
    cleanup_free char *buf = malloc(sizeof hdr + klen + blen);
    if (buf == NULL)
        return;
    memcpy(buf, hdr, sizeof hdr);
    memcpy(buf + sizeof hdr, key, klen);
    memcpy(buf + sizeof hdr + klen, prog->filter, blen);
    pier_err_t err = NULL;
    /* The cache only saves time: a failure to write it is not an error. */
    if (pier_write_file_atomic_at(dirfd, name, buf, sizeof hdr + klen + blen, 0600, 0, &err) < 0)
        pier_debug("seccomp cache: %s", pier_error_msg(err));
    pier_error_free(&err);
}

int rt_seccomp_prepare(json_t *sc, const char *cache_dir, pier_err_t *err)
{
    free(prepared.prog.filter);
    if (prepared.listener >= 0)
        close(prepared.listener);
    memset(&prepared, 0, sizeof prepared);
    prepared.listener = -1;
    cleanup_free char *key = cache_key_text(sc);
    if (key == NULL)
        return pier_error(err, ENOMEM, "linux.seccomp");
    char name[32];
    snprintf(name, sizeof name, "%016llx.bpf", (unsigned long long)fnv1a(key, strlen(key)));
    cleanup_close int dirfd = -1;
    if (cache_dir != NULL) {
        if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST)
            pier_debug("seccomp cache `%s`: %s", cache_dir, strerror(errno));
        dirfd = open(cache_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    struct sock_fprog prog = {0};
    if (dirfd < 0 || cache_read(dirfd, name, key, &prog) < 0) {
        cleanup_seccomp scmp_filter_ctx ctx = NULL;
        if (build(sc, &ctx, err) < 0 || export_bpf(ctx, &prog, err) < 0)
            return -1;
        if (dirfd >= 0)
            cache_write(dirfd, name, key, &prog);
    }
    const char *lp = json_string_value(json_object_get(sc, "listenerPath"));
    if (lp != NULL && lp[0] != '\0' && (prepared.listener = connect_listener(lp, err)) < 0) {
        free(prog.filter);
        return -1;
    }
    prepared.profile = sc;
    prepared.prog = prog;
    prepared.flags = filter_flags(sc);
    return 0;
}

int rt_seccomp_check(json_t *sc, pier_err_t *err)
{
    cleanup_seccomp scmp_filter_ctx ctx = NULL;
    return build(sc, &ctx, err);
}

/* The listener is reached from the runtime's side (its path is the host's,
 * not the container's), before the clone; the container's process sends the
 * notify fd and the state through the connection it inherits. */
static int connect_listener(const char *path, pier_err_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return pier_error(err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s`", path);
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        if (s >= 0)
            close(s);
        return pier_error(err, e, "linux.seccomp.listenerPath: connect `%s`", path);
    }
    return s;
}

static int send_listener(int sock, int notify_fd, json_t *sc, pier_err_t *err)
{
    const char *meta = json_string_value(json_object_get(sc, "listenerMetadata"));
    json_t *state = listener_state ? json_loads(listener_state, 0, NULL) : json_object();
    json_t *msg = json_pack("{s:s, s:[s], s:i, s:s, s:o}", "ociVersion", "1.2.0", "fds",
                            "seccompFd", "pid", (int)getpid(), "metadata", meta ? meta : "",
                            "state", state ? state : json_object());
    cleanup_free char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    if (msg)
        json_decref(msg);
    if (text == NULL)
        return pier_error(err, ENOMEM, "seccomp listener state");
    return rt_send_fd(sock, notify_fd, text, err);
}

static int install_prepared(json_t *sc, pier_err_t *err)
{
    bool notify = prepared.listener >= 0;
    unsigned flags = prepared.flags;
    if (notify)
        flags = (flags & ~(unsigned)SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
    int r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prepared.prog);
    if (r < 0)
        return pier_error(err, errno, "load the seccomp filter");
    if (!notify)
        return 0;
    int ret = send_listener(prepared.listener, r, sc, err);
    close(r);
    close(prepared.listener);
    prepared.listener = -1;
    return ret;
}

int rt_seccomp_load(json_t *sc, pier_err_t *err)
{
    if (prepared.profile != sc && rt_seccomp_prepare(sc, NULL, err) < 0)
        return -1;
    return install_prepared(sc, err);
}
