#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "container.h"
#include "create_ctx.h"
#include "hooks.h"
#include "process.h"
#include "seccomp.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static pid_t clone3_fork(uint64_t flags, int *pidfd)
{
    struct clone_args a = {
        .flags = flags | (pidfd ? CLONE_PIDFD : 0),
        .pidfd = (uint64_t)(uintptr_t)pidfd,
        .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
    };
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

int rt_exec_sock_addr(int statefd, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    int n = snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", statefd,
                     RT_EXEC_SOCK);
    return (size_t)n < sizeof addr->sun_path ? 0 : -1;
}

static int open_namespaces(struct rt_create_ctx *c, pier_err_t *err)
{
    for (int k = 0; k < RT_NS_COUNT; k++) {
        c->join_fds[k] = -1;
        if (c->spec.ns[k].path == NULL)
            continue;
        int fd = open(c->spec.ns[k].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return pier_error(err, errno, "linux.namespaces: %s namespace `%s`", rt_ns_names[k],
                              c->spec.ns[k].path);
        c->join_fds[k] = fd;
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type < 0)
            return pier_error(err, 0, "linux.namespaces: `%s` is not a namespace",
                              c->spec.ns[k].path);
        if (type != rt_ns_clone_flags[k])
            return pier_error(err, 0, "linux.namespaces: `%s` is not a %s namespace",
                              c->spec.ns[k].path, rt_ns_names[k]);
    }
    c->join_user = c->join_fds[RT_NS_USER] >= 0;
    return 0;
}

static int connect_console(const char *path, pier_err_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return pier_error(err, ENAMETOOLONG, "--console-socket `%s`", path);
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return pier_error(err, errno, "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(s);
        return pier_error(err, e, "connect to --console-socket `%s`", path);
    }
    return s;
}

static int listen_exec_sock(int statefd, pier_err_t *err)
{
    struct sockaddr_un addr;
    if (rt_exec_sock_addr(statefd, &addr) < 0)
        return pier_error(err, ENAMETOOLONG, "exec socket");
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return pier_error(err, errno, "socket");
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 4) < 0) {
        int e = errno;
        close(s);
        return pier_error(err, e, "listen on %s", RT_EXEC_SOCK);
    }
    return s;
}

static int write_id_map(pid_t pid, const char *file, const struct rt_idmap *m, size_t n,
                        pier_err_t *err)
{
    char buf[4096];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + o, sizeof buf - o, "%u %u %u\n", m[i].container_id, m[i].host_id,
                         m[i].size);
        if (w < 0 || (size_t)w >= sizeof buf - o)
            return pier_error(err, 0, "linux.%s: too many mappings", file);
        o += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", path);
    if (write(fd, buf, o) != (ssize_t)o)
        return pier_error(err, errno, "write the %s of the container", file);
    return 0;
}

static int set_oom_score_adj(pid_t pid, int v, pier_err_t *err)
{
    char path[64], val[16];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    snprintf(val, sizeof val, "%d", v);
    if (pier_write_string_at(AT_FDCWD, path, val, err) < 0) {
        /* The kernel refuses a value below the runtime's own minimum (0,
         * unless it was lowered) to a caller without CAP_SYS_RESOURCE. */
        if ((*err)->errnum == EACCES)
            return pier_error(err, 0,
                              "process.oomScoreAdj: %d is below what the runtime may set, and "
                              "lowering it needs CAP_SYS_RESOURCE",
                              v);
        return pier_error_wrap(err, "process.oomScoreAdj");
    }
    return 0;
}

/* The pid a process put in SCM_CREDENTIALS, as this process sees it. */
static int recv_pid(int fd, pid_t *pid, pier_err_t *err)
{
    struct rt_sync_msg m;
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r;
    do
        r = recvmsg(fd, &msg, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return pier_error(err, r < 0 ? errno : 0,
                          "the container's process exited while being set up");
    if (m.type == RT_SYNC_ERROR) {
        m.text[RT_SYNC_TEXT_MAX - 1] = '\0';
        return pier_error(err, 0, "%s", m.text);
    }
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (m.type != RT_SYNC_PID || cm == NULL || cm->cmsg_type != SCM_CREDENTIALS)
        return pier_error(err, 0, "the container's process did not report its pid");
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(cm), sizeof uc);
    *pid = uc.pid;
    return 0;
}

/* Join the namespaces given by path, for the clone to inherit; `saved`
 * keeps our own to return to, so that hooks run in the runtime's. */
static int join_for_clone(struct rt_create_ctx *c, int saved[RT_NS_COUNT], pier_err_t *err)
{
    for (int k = 0; k < RT_NS_COUNT; k++) {
        saved[k] = -1;
        if (c->join_fds[k] < 0 || k == RT_NS_USER)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/ns/%s", rt_ns_proc_names[k]);
        saved[k] = open(path, O_RDONLY | O_CLOEXEC);
        if (saved[k] < 0)
            return pier_error(err, errno, "open `%s`", path);
        if (setns(c->join_fds[k], rt_ns_clone_flags[k]) < 0)
            return pier_error(err, errno, "join %s namespace `%s`", rt_ns_names[k],
                              c->spec.ns[k].path);
    }
    return 0;
}

static void return_from_joined(int saved[RT_NS_COUNT])
{
    for (int k = 0; k < RT_NS_COUNT; k++) {
        if (saved[k] < 0)
            continue;
        if (setns(saved[k], rt_ns_clone_flags[k]) < 0)
            pier_warn("return to the runtime's %s namespace: %s", rt_ns_names[k], strerror(errno));
        close(saved[k]);
        saved[k] = -1;
    }
}

/* A new time namespace with offsets must get them before its first process:
 * it is made for our children, given them, and left after the clone. */
static int prepare_time_ns(struct rt_create_ctx *c, int *saved, pier_err_t *err)
{
    *saved = -1;
    if (!rt_spec_new_ns(&c->spec, RT_NS_TIME))
        return 0;
    *saved = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (*saved < 0)
        return pier_error(err, errno, "the time namespace is not available");
    if (unshare(CLONE_NEWTIME) < 0)
        return pier_error(err, errno, "new time namespace");
    char buf[256];
    size_t o = 0;
    for (size_t i = 0; i < c->spec.n_time_offsets; i++)
        o += (size_t)snprintf(
            buf + o, sizeof buf - o, "%s %lld %u\n",
            c->spec.time_offsets[i].clock == CLOCK_MONOTONIC ? "monotonic" : "boottime",
            (long long)c->spec.time_offsets[i].secs, c->spec.time_offsets[i].nanosecs);
    if (o > 0 && pier_write_string_at(AT_FDCWD, "/proc/self/timens_offsets", buf, err) < 0)
        return pier_error_wrap(err, "linux.timeOffsets");
    return 0;
}

static uint64_t clone_flags(const struct rt_create_ctx *c)
{
    uint64_t flags = 0;
    for (int k = 0; k < RT_NS_COUNT; k++)
        if (rt_spec_new_ns(&c->spec, k))
            flags |= (uint64_t)rt_ns_clone_flags[k];
    /* The cgroup namespace is made by the child once it is in its cgroup, and
     * the time namespace before the clone (prepare_time_ns). */
    flags &= ~(uint64_t)(CLONE_NEWCGROUP | CLONE_NEWTIME);
    return flags;
}

static char *state_text(const struct rt_state *st, enum rt_status status)
{
    json_t *j = rt_state_oci_json(st, status);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (j)
        json_decref(j);
    return s;
}

static int spawn(struct rt_create_ctx *c, pid_t *pid, int *pidfd, pier_err_t *err)
{
    int saved[RT_NS_COUNT], saved_time = -1;
    int ret = -1;
    uint64_t flags = c->join_user ? 0 : clone_flags(c);
    for (int k = 0; k < RT_NS_COUNT; k++)
        saved[k] = -1;
    if (join_for_clone(c, saved, err) < 0 || prepare_time_ns(c, &saved_time, err) < 0)
        goto out;
    c->parent_pid = getpid();
    *pid = clone3_fork(flags, pidfd);
    if (*pid < 0) {
        pier_error(err, errno, "clone the container's process");
        goto out;
    }
    if (*pid == 0) {
        close(c->sync_parent);
        rt_init_main(c);
    }
    ret = 0;
out:
    return_from_joined(saved);
    if (saved_time >= 0) {
        setns(saved_time, CLONE_NEWTIME);
        close(saved_time);
    }
    return ret;
}

int rt_create(const struct rt_create_opts *o, pid_t *pid_out, pier_err_t *err)
{
    const char *root = o->root ? o->root : RT_DEFAULT_ROOT;
    struct rt_create_ctx c = {.o = o,
                              .statefd = -1,
                              .listen_fd = -1,
                              .console_fd = -1,
                              .sync_parent = -1,
                              .sync_child = -1};
    for (int k = 0; k < RT_NS_COUNT; k++)
        c.join_fds[k] = -1;
    struct rt_state st = {0};
    cleanup_free char *config_text = NULL;
    cleanup_free char *hook_state = NULL;
    size_t config_len = 0;
    bool made_dir = false, made_cgroup = false;
    pid_t pid = -1;
    cleanup_close int pidfd = -1;
    cleanup_close int rootfd = -1;
    int ret = -1;

    if (rt_check_id(o->id, err) < 0)
        return -1;
    char cfg[PATH_MAX];
    if (snprintf(cfg, sizeof cfg, "%s/config.json", o->bundle) >= (int)sizeof cfg)
        return pier_error(err, ENAMETOOLONG, "bundle `%s`", o->bundle);
    if (pier_read_file_at(AT_FDCWD, cfg, RT_SPEC_MAX_BYTES, &config_text, &config_len, err) < 0)
        return -1;
    if (rt_spec_parse(config_text, config_len, o->bundle, &c.spec, err) < 0) {
        pier_error_wrap(err, "%s", cfg);
        goto fail;
    }
    if (!c.spec.has_process) {
        pier_error(err, 0, "%s: process: missing (nothing to run)", cfg);
        goto fail;
    }
    if (c.spec.process.terminal && o->console_socket == NULL && o->console_fd < 0) {
        pier_error(err, 0,
                   "process.terminal is true: a --console-socket is needed to receive the pty");
        goto fail;
    }
    if (!c.spec.process.terminal && (o->console_socket != NULL)) {
        pier_error(err, 0, "--console-socket given but process.terminal is false");
        goto fail;
    }

    if (pier_mkdir_p(root, 0711, err) < 0)
        goto fail;
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        pier_error(err, errno, "open state root `%s`", root);
        goto fail;
    }
    if (c.spec.seccomp != NULL) {
        char cache[PATH_MAX];
        snprintf(cache, sizeof cache, "%s/%s", root, RT_SECCOMP_CACHE);
        if (rt_seccomp_prepare(c.spec.seccomp, cache, err) < 0)
            goto fail;
    }
    /* 0711: a container root that is not the host's root must reach its own
     * entry; nothing in it is listable. */
    if (mkdirat(rootfd, o->id, 0711) < 0) {
        if (errno == EEXIST)
            pier_error(err, 0, "container `%s` already exists", o->id);
        else
            pier_error(err, errno, "create state directory for `%s`", o->id);
        goto fail;
    }
    made_dir = true;
    c.statefd = openat(rootfd, o->id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c.statefd < 0) {
        pier_error(err, errno, "open state directory");
        goto fail;
    }
    if (pier_write_file_atomic_at(c.statefd, RT_CONFIG_FILE, config_text, config_len, 0600, 0,
                                  err) < 0)
        goto fail;
    if (open_namespaces(&c, err) < 0)
        goto fail;
    if ((c.listen_fd = listen_exec_sock(c.statefd, err)) < 0)
        goto fail;
    if (c.spec.process.terminal)
        c.console_fd =
            o->console_fd >= 0 ? dup(o->console_fd) : connect_console(o->console_socket, err);
    if (c.spec.process.terminal && c.console_fd < 0)
        goto fail;

    if (rt_cgroup_resolve(c.spec.cgroups_path, o->id, o->systemd_cgroup, &c.cg, err) < 0 ||
        rt_cgroup_create(&c.cg, err) < 0)
        goto fail;
    made_cgroup = true;
    if (c.spec.resources != NULL && rt_cgroup_apply_resources(&c.cg, c.spec.resources, err) < 0)
        goto fail;

    int sp[2];
    if (rt_sync_pair(sp, err) < 0)
        goto fail;
    c.sync_parent = sp[0];
    c.sync_child = sp[1];
    if (c.join_user) {
        int one = 1;
        setsockopt(c.sync_parent, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    }

    if (spawn(&c, &pid, &pidfd, err) < 0)
        goto fail;
    close(c.sync_child);
    c.sync_child = -1;

    if (c.join_user) {
        /* The first child joined the user namespace and made the others;
         * the container's init, its child, reports its pid. */
        pid_t first = pid;
        if (recv_pid(c.sync_parent, &pid, err) < 0) {
            waitpid(first, NULL, 0);
            pid = -1;
            goto fail;
        }
        waitpid(first, NULL, 0);
        close(pidfd);
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    }
    if (rt_spec_new_ns(&c.spec, RT_NS_USER)) {
        if (write_id_map(pid, "gid_map", c.spec.gid_mappings, c.spec.n_gid_mappings, err) < 0 ||
            write_id_map(pid, "uid_map", c.spec.uid_mappings, c.spec.n_uid_mappings, err) < 0)
            goto fail;
    }
    if (rt_cgroup_enter(&c.cg, pid, err) < 0)
        goto fail;
    if (c.spec.process.has_oom_score_adj &&
        set_oom_score_adj(pid, c.spec.process.oom_score_adj, err) < 0)
        goto fail;

    st.id = (char *)o->id;
    st.pid = pid;
    st.bundle = (char *)o->bundle;
    st.rootfs = c.spec.root_path;
    st.created = rt_now_rfc3339();
    st.owner = getuid();
    st.annotations = c.spec.annotations;
    st.userns = rt_spec_new_ns(&c.spec, RT_NS_USER) || c.join_user;
    st.cgroup_path = rt_cgroup_to_string(&c.cg);
    st.start_time = rt_process_start_time(pid);
    hook_state = state_text(&st, RT_STATUS_CREATING);
    if (st.created == NULL || st.cgroup_path == NULL || hook_state == NULL) {
        pier_error(err, ENOMEM, "state");
        goto fail;
    }
    /* Saved now, marked as being created: should this process be killed
     * from here on, `delete --force` still finds the container's process
     * and cgroup. */
    st.creating = true;
    if (rt_state_save_at(c.statefd, &st, err) < 0)
        goto fail;
    if (rt_sync_send(c.sync_parent, RT_SYNC_GO, 0, hook_state) < 0) {
        pier_error(err, errno, "start the container's process");
        goto fail;
    }
    if (rt_sync_expect(c.sync_parent, RT_SYNC_HOOKS, NULL, err) < 0)
        goto fail;
    if (rt_hooks_run(&c.spec, RT_HOOK_PRESTART, hook_state, err) < 0 ||
        rt_hooks_run(&c.spec, RT_HOOK_CREATE_RUNTIME, hook_state, err) < 0)
        goto fail;
    if (rt_sync_send(c.sync_parent, RT_SYNC_HOOKS_DONE, 0, NULL) < 0) {
        pier_error(err, errno, "resume the container's process");
        goto fail;
    }
    if (rt_sync_expect(c.sync_parent, RT_SYNC_READY, NULL, err) < 0)
        goto fail;
    /* As runc: set from here, since in a user namespace of its own the init
     * could not raise a hard limit, whatever capabilities the runtime has;
     * and only now, so that a low soft limit does not starve the set-up of
     * fds or processes.  A limit the runtime may not raise fails create. */
    if (rt_process_set_rlimits(&c.spec.process, pid, err) < 0)
        goto fail;

    if (!rt_process_alive(pid, st.start_time)) {
        pier_error(err, 0, "the container's process exited while being set up");
        goto fail;
    }
    st.creating = false;
    if (rt_state_save_at(c.statefd, &st, err) < 0)
        goto fail;
    if (o->pid_file != NULL) {
        char spid[32];
        int n = snprintf(spid, sizeof spid, "%d", (int)pid);
        if (pier_write_file_atomic_at(AT_FDCWD, o->pid_file, spid, (size_t)n, 0644, 0, err) < 0) {
            pier_error_wrap(err, "--pid-file");
            goto fail;
        }
    }
    *pid_out = pid;
    ret = 0;
    goto out;

fail:
    if (pid > 0) {
        if (pidfd >= 0)
            syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        else
            kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (made_cgroup) {
        pier_err_t e2 = NULL;
        if (rt_cgroup_destroy(&c.cg, &e2) < 0)
            pier_warn("%s", pier_error_msg(e2));
        pier_error_free(&e2);
    }
    if (made_dir) {
        pier_err_t e2 = NULL;
        if (pier_rm_rf_at(rootfd, o->id, &e2) < 0)
            pier_warn("%s", pier_error_msg(e2));
        pier_error_free(&e2);
    }
out:
    free(st.created);
    free(st.cgroup_path);
    for (int k = 0; k < RT_NS_COUNT; k++)
        if (c.join_fds[k] >= 0)
            close(c.join_fds[k]);
    if (c.statefd >= 0)
        close(c.statefd);
    if (c.listen_fd >= 0)
        close(c.listen_fd);
    if (c.console_fd >= 0)
        close(c.console_fd);
    if (c.sync_parent >= 0)
        close(c.sync_parent);
    if (c.sync_child >= 0)
        close(c.sync_child);
    rt_cgroup_free(&c.cg);
    rt_spec_free(&c.spec);
    return ret;
}
