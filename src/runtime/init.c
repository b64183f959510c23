/* The container's first process, from the clone to the exec of its
 * program.  It runs in a forked copy of the runtime: failing fast and
 * reporting over the sync socket is simpler and safer than unwinding. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <linux/sched.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "create_ctx.h"
#include "dev.h"
#include "hooks.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "sync.h"

void rt_init_fail(int sync_fd, pier_err_t *err)
{
    rt_sync_send_error(sync_fd, *err);
    _exit(1);
}

/* After start connected: errors go to the start command instead. */
__attribute__((noreturn)) static void fail_start(int conn, pier_err_t *err, int code)
{
    dprintf(conn, "error: %s", pier_error_msg(*err));
    _exit(code);
}

static void become_root_in_userns(int sync, pier_err_t *err)
{
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
        pier_error(
            err, errno,
            "become root in the user namespace (is 0 mapped in uidMappings and gidMappings?)");
        rt_init_fail(sync, err);
    }
}

/* Joining an existing user namespace: this first child joins it, makes the
 * other new namespaces from inside it, and forks the container's init as a
 * child of the runtime (CLONE_PARENT).  The init reports its pid; the
 * runtime reads it from the socket credentials. */
static void join_user_namespace(struct rt_create_ctx *c, pier_err_t *err)
{
    int sync = c->sync_child;
    if (setns(c->join_fds[RT_NS_USER], CLONE_NEWUSER) < 0) {
        pier_error(err, errno, "join user namespace `%s`", c->spec.ns[RT_NS_USER].path);
        rt_init_fail(sync, err);
    }
    /* Still the host's root (unmapped) until rt_init_main opened the mount
     * sources: see there. */
    uint64_t flags = 0;
    for (int k = 0; k < RT_NS_COUNT; k++)
        if (rt_spec_new_ns(&c->spec, k) && k != RT_NS_USER && k != RT_NS_CGROUP && k != RT_NS_TIME)
            flags |= (uint64_t)rt_ns_clone_flags[k];
    if (flags != 0 && unshare((int)flags) < 0) {
        pier_error(err, errno, "create namespaces");
        rt_init_fail(sync, err);
    }
    struct clone_args a = {.flags = CLONE_PARENT};
    pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);
    if (pid < 0) {
        pier_error(err, errno, "clone the container's init");
        rt_init_fail(sync, err);
    }
    if (pid > 0)
        _exit(0);
    if (rt_sync_send(sync, RT_SYNC_PID, 0, NULL) < 0)
        _exit(1);
}

static void set_names(const struct rt_spec *spec, int sync, pier_err_t *err)
{
    if (spec->hostname && spec->hostname[0] &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
        pier_error(err, errno, "hostname `%s`", spec->hostname);
        rt_init_fail(sync, err);
    }
    if (spec->domainname && spec->domainname[0] &&
        setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
        pier_error(err, errno, "domainname `%s`", spec->domainname);
        rt_init_fail(sync, err);
    }
}

/* A network namespace the runtime made has its loopback up, as runc and
 * crun leave it: programs that talk to localhost work with no network. */
static void loopback_up(const struct rt_spec *spec, int sync, pier_err_t *err)
{
    if (!rt_spec_new_ns(spec, RT_NS_NET))
        return;
    cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {.ifr_name = "lo"};
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) < 0) {
        pier_error(err, errno, "bring up the loopback device");
        rt_init_fail(sync, err);
    }
}

/* A session keyring of the container's own, so that keys do not leak
 * between containers (runc's --no-new-keyring turns it off). */
static void join_keyring(const char *id)
{
    char name[128];
    snprintf(name, sizeof name, "_ses.%.100s", id);
    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
}

static char *status_created(const char *creating)
{
    json_t *j = json_loads(creating, 0, NULL);
    if (j == NULL)
        return strdup(creating);
    json_object_set_new(j, "status", json_string("created"));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static int add_listen_env(struct rt_exec_plan *plan, int n)
{
    size_t len = 0;
    while (plan->env[len])
        len++;
    char **e = realloc(plan->env, (len + 3) * sizeof *e);
    if (e == NULL)
        return -1;
    plan->env = e;
    if (asprintf(&e[len], "LISTEN_FDS=%d", n) < 0 ||
        asprintf(&e[len + 1], "LISTEN_PID=%d", (int)getpid()) < 0)
        return -1;
    e[len + 2] = NULL;
    return 0;
}

void rt_init_main(struct rt_create_ctx *c)
{
    pier_err_t err = NULL;
    struct rt_spec *spec = &c->spec;
    const struct rt_process *proc = &spec->process;
    int sync = c->sync_child;
    bool userns = rt_spec_new_ns(spec, RT_NS_USER) || c->join_user;

    /* While it is being built, the container dies with the runtime. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Unless the runtime died before that.  A parent outside our pid
     * namespace, a new one or one joined by path (podman's --pid
     * container:X), reads as 0. */
    pid_t parent = getppid();
    if (parent != 0 && parent != c->parent_pid)
        _exit(1);
    if (c->join_user)
        join_user_namespace(c, &err);

    struct rt_sync_msg *go = malloc(sizeof *go);
    if (go == NULL || rt_sync_expect(sync, RT_SYNC_GO, go, &err) < 0)
        _exit(1);
    cleanup_free char *state_creating = strdup(go->text);
    free(go);
    rt_seccomp_set_state(state_creating);

    /* The root and the bind mount sources are the host's paths, which the
     * container's root, an unprivileged uid on the host, may not be allowed
     * to reach: they are opened first, while this process is still the
     * host's root, in its own mount namespace. */
    if (rt_mount_prepare(spec, &c->mounts, &err) < 0)
        rt_init_fail(sync, &err);
    if (userns)
        become_root_in_userns(sync, &err);
    if (rt_spec_new_ns(spec, RT_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
        pier_error(&err, errno, "new cgroup namespace");
        rt_init_fail(sync, &err);
    }
    if (setsid() < 0) {
        pier_error(&err, errno, "setsid");
        rt_init_fail(sync, &err);
    }
    set_names(spec, sync, &err);
    loopback_up(spec, sync, &err);
    if (!c->o->no_new_keyring)
        join_keyring(c->o->id);
    umask(0);

    int rootfd = rt_rootfs_prepare(spec, userns, &c->cg, &c->mounts, &err);
    if (rootfd < 0)
        rt_init_fail(sync, &err);
    if (rt_sync_send(sync, RT_SYNC_HOOKS, 0, NULL) < 0 ||
        rt_sync_expect(sync, RT_SYNC_HOOKS_DONE, NULL, &err) < 0)
        _exit(1);
    if (rt_hooks_run(spec, RT_HOOK_CREATE_CONTAINER, state_creating, &err) < 0)
        rt_init_fail(sync, &err);
    if (rt_rootfs_pivot(rootfd, spec, c->o->no_pivot, &err) < 0 ||
        rt_rootfs_finish(rootfd, spec, &err) < 0)
        rt_init_fail(sync, &err);
    if (proc->terminal) {
        if (rt_console_setup(rootfd, c->console_fd, proc, true, &err) < 0)
            rt_init_fail(sync, &err);
        close(c->console_fd);
    }
    struct rt_exec_plan plan;
    if (rt_exec_plan_make(proc, rootfd, c->o->preserve_fds + c->o->listen_fds, &plan, &err) < 0)
        rt_init_fail(sync, &err);
    if (c->o->listen_fds > 0 && add_listen_env(&plan, c->o->listen_fds) < 0) {
        pier_error(&err, ENOMEM, "LISTEN_FDS");
        rt_init_fail(sync, &err);
    }
    close(rootfd);

    prctl(PR_SET_PDEATHSIG, 0);
    if (rt_sync_send(sync, RT_SYNC_READY, 0, NULL) < 0)
        _exit(1);
    close(sync);

    /* Created: wait for start. */
    int conn;
    do
        conn = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0)
        _exit(1);
    close(c->listen_fd);
    char cmd[16] = "";
    if (read(conn, cmd, sizeof cmd - 1) <= 0 || strncmp(cmd, "start", 5) != 0)
        _exit(1);

    cleanup_free char *state_created = status_created(state_creating);
    if (spec->hooks[RT_HOOK_START_CONTAINER].n > 0 &&
        rt_hooks_run(spec, RT_HOOK_START_CONTAINER, state_created, &err) < 0)
        fail_start(conn, &err, 1);
    if (rt_process_finalize(proc, &plan, spec->seccomp, spec->personality, userns, &err) < 0)
        fail_start(conn, &err, 1);
    if (write(conn, "ok\n", 3) != 3)
        _exit(1);
    rt_process_exec(&plan, proc->args, &err);
    fail_start(conn, &err, 127);
}
