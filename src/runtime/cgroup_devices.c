#include "cgroup_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/log.h"

#define ACC_MKNOD 1u
#define ACC_READ 2u
#define ACC_WRITE 4u
#define ACC_ALL 7u

/* What runc allows whatever the spec says, so that /dev works. */
static const struct rt_dev_rule always_allowed[] = {
    {true, 'c', -1, -1, ACC_MKNOD}, {true, 'b', -1, -1, ACC_MKNOD}, {true, 'c', 1, 3, ACC_ALL},
    {true, 'c', 1, 8, ACC_ALL},     {true, 'c', 1, 7, ACC_ALL},     {true, 'c', 5, 0, ACC_ALL},
    {true, 'c', 1, 5, ACC_ALL},     {true, 'c', 1, 9, ACC_ALL},     {true, 'c', 5, 1, ACC_ALL},
    {true, 'c', 136, -1, ACC_ALL},  {true, 'c', 5, 2, ACC_ALL},
};

static int parse_access(const char *s, unsigned *out)
{
    unsigned a = 0;
    for (; *s; s++) {
        if (*s == 'r')
            a |= ACC_READ;
        else if (*s == 'w')
            a |= ACC_WRITE;
        else if (*s == 'm')
            a |= ACC_MKNOD;
        else
            return -1;
    }
    *out = a;
    return 0;
}

int rt_dev_rules_parse(json_t *arr, struct rt_dev_rule **out, size_t *n, pier_err_t *err)
{
    size_t cnt = json_array_size(arr);
    struct rt_dev_rule *r = calloc(cnt + ARRAY_SIZE(always_allowed), sizeof *r);
    if (r == NULL)
        return pier_error(err, ENOMEM, "devices");
    size_t i;
    json_t *d;
    json_array_foreach (arr, i, d) {
        char p[64];
        snprintf(p, sizeof p, "linux.resources.devices[%zu]", i);
        if (!json_is_object(d)) {
            free(r);
            return pier_error(err, 0, "%s: expected an object", p);
        }
        struct rt_dev_rule *x = &r[i];
        json_t *allow = json_object_get(d, "allow");
        if (!json_is_boolean(allow)) {
            free(r);
            return pier_error(err, 0, "%s.allow: expected true or false", p);
        }
        x->allow = json_is_true(allow);
        const char *type = json_string_value(json_object_get(d, "type"));
        x->type = type == NULL || type[0] == '\0' ? 'a' : type[0];
        if (strchr("acb", x->type) == NULL || (type && strlen(type) > 1)) {
            free(r);
            return pier_error(err, 0, "%s.type: `%s` is not a, c or b", p, type);
        }
        json_t *ma = json_object_get(d, "major"), *mi = json_object_get(d, "minor");
        x->major = json_is_integer(ma) ? json_integer_value(ma) : -1;
        x->minor = json_is_integer(mi) ? json_integer_value(mi) : -1;
        const char *acc = json_string_value(json_object_get(d, "access"));
        if (acc == NULL || acc[0] == '\0')
            x->access = ACC_ALL;
        else if (parse_access(acc, &x->access) < 0) {
            free(r);
            return pier_error(err, 0, "%s.access: `%s` is not made of r, w and m", p, acc);
        }
    }
    memcpy(r + cnt, always_allowed, sizeof always_allowed);
    *out = r;
    *n = cnt + ARRAY_SIZE(always_allowed);
    return 0;
}

static bool rule_matches(const struct rt_dev_rule *r, char type, int64_t major, int64_t minor,
                         unsigned access)
{
    if (r->type != 'a' && r->type != type)
        return false;
    if ((access & ~r->access) != 0)
        return false;
    if (r->major >= 0 && r->major != major)
        return false;
    if (r->minor >= 0 && r->minor != minor)
        return false;
    return true;
}

bool rt_dev_rules_allow(const struct rt_dev_rule *rules, size_t n, char type, int64_t major,
                        int64_t minor, unsigned access)
{
    for (size_t i = n; i-- > 0;)
        if (rule_matches(&rules[i], type, major, minor, access))
            return rules[i].allow;
    return true;
}

/* ---- eBPF ----------------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

int rt_dev_rules_bpf(const struct rt_dev_rule *rules, size_t n, void *buf, size_t max)
{
    struct bpf_insn *p = buf;
    size_t k = 0;
#define EMIT(x)                                                                                    \
    do {                                                                                           \
        if (k >= max)                                                                              \
            return -1;                                                                             \
        p[k++] = (x);                                                                              \
    } while (0)
    /* r2 = device type, r3 = access requested, r4 = major, r5 = minor
     * (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type). */
    EMIT(LDX_W(BPF_REG_2, BPF_REG_1, 0));
    EMIT(ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
    EMIT(LDX_W(BPF_REG_3, BPF_REG_1, 0));
    EMIT(ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
    EMIT(LDX_W(BPF_REG_4, BPF_REG_1, 4));
    EMIT(LDX_W(BPF_REG_5, BPF_REG_1, 8));
    /* The last matching rule decides: test them from the last. */
    for (size_t i = n; i-- > 0;) {
        const struct rt_dev_rule *r = &rules[i];
        int len = 2; /* mov r0, exit */
        if (r->type != 'a')
            len += 1;
        if (r->access != ACC_ALL)
            len += 3;
        if (r->major >= 0)
            len += 1;
        if (r->minor >= 0)
            len += 1;
        int left = len - 2; /* instructions after the current test, before mov */
        if (r->type != 'a') {
            left -= 1;
            EMIT(JNE_IMM(BPF_REG_2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                         left + 2));
        }
        if (r->access != ACC_ALL) {
            /* no match unless every access asked for is in the rule */
            left -= 3;
            EMIT(MOV32_REG(BPF_REG_1, BPF_REG_3));
            EMIT(ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t)(~r->access & ACC_ALL)));
            EMIT(JNE_IMM(BPF_REG_1, 0, left + 2));
        }
        if (r->major >= 0) {
            left -= 1;
            EMIT(JNE_IMM(BPF_REG_4, (int32_t)r->major, left + 2));
        }
        if (r->minor >= 0) {
            left -= 1;
            EMIT(JNE_IMM(BPF_REG_5, (int32_t)r->minor, left + 2));
        }
        EMIT(MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0));
        EMIT(EXIT());
        /* A rule matching everything ends the program: the verifier refuses
         * code that cannot be reached. */
        if (len == 2)
            return (int)k;
    }
    EMIT(MOV64_IMM(BPF_REG_0, 1));
    EMIT(EXIT());
#undef EMIT
    return (int)k;
}

static int bpf_attach_devices(const char *dir, const struct rt_dev_rule *rules, size_t n,
                              pier_err_t *err)
{
    size_t max = 16 + n * 10;
    cleanup_free struct bpf_insn *insns = calloc(max, sizeof *insns);
    if (insns == NULL)
        return pier_error(err, ENOMEM, "device program");
    int cnt = rt_dev_rules_bpf(rules, n, insns, max);
    if (cnt < 0)
        return pier_error(err, 0, "device program: too many rules");
    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)insns;
    load.insn_cnt = (uint32_t)cnt;
    load.license = (uint64_t)(uintptr_t) "GPL";
    cleanup_close int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    if (prog < 0) {
        /* Again with the verifier's log, to say why. */
        int e = errno;
        static char log[65536];
        log[0] = '\0';
        load.log_buf = (uint64_t)(uintptr_t)log;
        load.log_size = sizeof log;
        load.log_level = 1;
        syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        return pier_error(err, e, "load the device eBPF program%s%.300s", log[0] ? ": " : "", log);
    }
    cleanup_close int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return pier_error(err, errno, "open cgroup `%s`", dir);

    /* Programs attached before (by an earlier update) go once ours is in. */
    uint32_t old[64];
    union bpf_attr q;
    memset(&q, 0, sizeof q);
    q.query.target_fd = (uint32_t)cgfd;
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = (uint64_t)(uintptr_t)old;
    q.query.prog_cnt = ARRAY_SIZE(old);
    uint32_t nold = 0;
    if (syscall(SYS_bpf, BPF_PROG_QUERY, &q, sizeof q) == 0)
        nold = q.query.prog_cnt;

    union bpf_attr at;
    memset(&at, 0, sizeof at);
    at.target_fd = (uint32_t)cgfd;
    at.attach_bpf_fd = (uint32_t)prog;
    at.attach_type = BPF_CGROUP_DEVICE;
    at.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof at) < 0)
        return pier_error(err, errno, "attach the device eBPF program to `%s`", dir);
    for (uint32_t i = 0; i < nold && i < ARRAY_SIZE(old); i++) {
        union bpf_attr g;
        memset(&g, 0, sizeof g);
        g.prog_id = old[i];
        int ofd = (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &g, sizeof g);
        if (ofd < 0)
            continue;
        union bpf_attr d;
        memset(&d, 0, sizeof d);
        d.target_fd = (uint32_t)cgfd;
        d.attach_bpf_fd = (uint32_t)ofd;
        d.attach_type = BPF_CGROUP_DEVICE;
        syscall(SYS_bpf, BPF_PROG_DETACH, &d, sizeof d);
        close(ofd);
    }
    return 0;
}

static void rule_string(const struct rt_dev_rule *r, char *buf, size_t cap)
{
    char ma[24], mi[24], acc[4];
    size_t o = 0;
    if (r->major < 0)
        snprintf(ma, sizeof ma, "*");
    else
        snprintf(ma, sizeof ma, "%lld", (long long)r->major);
    if (r->minor < 0)
        snprintf(mi, sizeof mi, "*");
    else
        snprintf(mi, sizeof mi, "%lld", (long long)r->minor);
    if (r->access & ACC_READ)
        acc[o++] = 'r';
    if (r->access & ACC_WRITE)
        acc[o++] = 'w';
    if (r->access & ACC_MKNOD)
        acc[o++] = 'm';
    acc[o] = '\0';
    if (r->type == 'a')
        snprintf(buf, cap, "a");
    else
        snprintf(buf, cap, "%c %s:%s %s", r->type, ma, mi, acc);
}

static int v1_devices(const char *dir, const struct rt_dev_rule *rules, size_t n, pier_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        char line[96], path[PATH_MAX];
        rule_string(&rules[i], line, sizeof line);
        snprintf(path, sizeof path, "%s/%s", dir,
                 rules[i].allow ? "devices.allow" : "devices.deny");
        if (pier_write_string_at(AT_FDCWD, path, line, err) < 0)
            return pier_error_wrap(err, "linux.resources.devices");
    }
    return 0;
}

int rt_cgroup_devices_apply(const struct rt_cgroup *cg, json_t *arr, pier_err_t *err)
{
    cleanup_free struct rt_dev_rule *rules = NULL;
    size_t n = 0;
    if (rt_dev_rules_parse(arr, &rules, &n, err) < 0)
        return -1;
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    const char *v1 = rt_cgroup_dir(cg, "devices");
    const char *v2 = rt_cgroup_dir(cg, NULL);
    if (l->mode != RT_CG_V2 && v1 != NULL && v1_devices(v1, rules, n, err) < 0)
        return -1;
    if (v2 != NULL) {
        pier_err_t e2 = NULL;
        if (bpf_attach_devices(v2, rules, n, &e2) < 0) {
            /* On a hybrid host the v1 rules already hold. */
            if (l->mode == RT_CG_V2) {
                *err = e2;
                return -1;
            }
            pier_debug("%s", pier_error_msg(e2));
            pier_error_free(&e2);
        }
    }
    return 0;
}
