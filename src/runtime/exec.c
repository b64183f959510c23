/* exec: another process in a running container, in all its namespaces and
 * its cgroup, with the container's process settings or those given. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "cgroup.h"
#include "container.h"
#include "create_ctx.h"
#include "dev.h"
#include "process.h"
#include "seccomp.h"
#include "spec.h"
#include "state.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static char **strv_dup(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((out[i] = strdup(v[i])) == NULL) {
            pier_strv_freep(&out);
            return NULL;
        }
    return out;
}

/* env entries given replace the container's of the same name. */
static int merge_env(char ***env, char **add)
{
    for (char **a = add; a && *a; a++) {
        const char *eq = strchr(*a, '=');
        size_t klen = eq ? (size_t)(eq - *a) : strlen(*a);
        size_t n = 0;
        bool replaced = false;
        for (; (*env)[n]; n++) {
            if (strncmp((*env)[n], *a, klen) == 0 && (*env)[n][klen] == '=') {
                char *d = strdup(*a);
                if (d == NULL)
                    return -1;
                free((*env)[n]);
                (*env)[n] = d;
                replaced = true;
            }
        }
        if (replaced)
            continue;
        char **nv = realloc(*env, (n + 2) * sizeof *nv);
        if (nv == NULL)
            return -1;
        *env = nv;
        if ((nv[n] = strdup(*a)) == NULL)
            return -1;
        nv[n + 1] = NULL;
    }
    return 0;
}

static int parse_id(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* The process to run: --process, or the container's with the flags' changes
 * (as runc exec builds it). */
static int exec_process(const struct rt_exec_opts *o, const struct rt_spec *spec,
                        struct rt_process *p, pier_err_t *err)
{
    memset(p, 0, sizeof *p);
    if (o->process_json != NULL) {
        cleanup_json json_t *j = NULL;
        if (pier_json_load_file_at(AT_FDCWD, o->process_json, RT_SPEC_MAX_BYTES, &j, err) < 0)
            return -1;
        if (rt_process_parse(j, "process", p, err) < 0)
            return pier_error_wrap(err, "--process `%s`", o->process_json);
        return 0;
    }
    if (o->args == NULL || o->args[0] == NULL)
        return pier_error(err, 0, "exec: no command given");
    const struct rt_process *b = &spec->process;
    p->terminal = o->tty;
    p->uid = b->uid;
    p->gid = b->gid;
    p->has_umask = b->has_umask;
    p->umask = b->umask;
    p->args = strv_dup(o->args);
    p->env = strv_dup(b->env);
    p->cwd = strdup(o->cwd ? o->cwd : b->cwd);
    p->has_caps = b->has_caps;
    p->caps = b->caps;
    p->no_new_privileges = b->no_new_privileges || o->no_new_privs;
    p->apparmor_profile = b->apparmor_profile ? strdup(b->apparmor_profile) : NULL;
    if (p->args == NULL || p->env == NULL || p->cwd == NULL || merge_env(&p->env, o->env) < 0)
        return pier_error(err, ENOMEM, "exec");
    if (p->cwd[0] != '/')
        return pier_error(err, 0, "exec: --cwd `%s` is not an absolute path", p->cwd);
    if (b->n_rlimits > 0) {
        p->rlimits = calloc(b->n_rlimits, sizeof *p->rlimits);
        if (p->rlimits == NULL)
            return pier_error(err, ENOMEM, "exec");
        memcpy(p->rlimits, b->rlimits, b->n_rlimits * sizeof *p->rlimits);
        p->n_rlimits = b->n_rlimits;
    }
    size_t ng = o->additional_gids ? 0 : b->n_additional_gids;
    const gid_t *src = b->additional_gids;
    if (o->additional_gids)
        while (o->additional_gids[ng])
            ng++;
    if (ng > 0) {
        p->additional_gids = calloc(ng, sizeof(gid_t));
        if (p->additional_gids == NULL)
            return pier_error(err, ENOMEM, "exec");
        for (size_t i = 0; i < ng; i++) {
            if (o->additional_gids) {
                uint32_t g;
                if (parse_id(o->additional_gids[i], &g) < 0)
                    return pier_error(err, 0, "exec: --additional-gids: `%s` is not a gid",
                                      o->additional_gids[i]);
                p->additional_gids[i] = g;
            } else {
                p->additional_gids[i] = src[i];
            }
        }
        p->n_additional_gids = ng;
    }
    if (o->user != NULL) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", o->user);
        char *colon = strchr(buf, ':');
        if (colon)
            *colon = '\0';
        if (parse_id(buf, &p->uid) < 0 || (colon && parse_id(colon + 1, &p->gid) < 0))
            return pier_error(err, 0, "exec: --user `%s` is not uid[:gid]", o->user);
    }
    for (char **c = o->caps; c && *c; c++) {
        int v = rt_cap_from_name(*c);
        if (v < 0)
            return pier_error(err, 0, "exec: --cap: unknown capability `%s`", *c);
        p->has_caps = true;
        p->caps.bounding |= 1ULL << v;
        p->caps.effective |= 1ULL << v;
        p->caps.permitted |= 1ULL << v;
    }
    return 0;
}

static bool same_ns(pid_t pid, const char *name)
{
    char a[64], b[64];
    struct stat sa, sb;
    snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)pid, name);
    snprintf(b, sizeof b, "/proc/self/ns/%s", name);
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

struct exec_child {
    const struct rt_process *p;
    const struct rt_spec *spec;
    int pidfd;
    int child_flags; /* namespaces joined by the child: user, mount, cgroup, time */
    bool userns;
    int sync;
    int console_fd;
    int preserve_fds;
};

__attribute__((noreturn)) static void exec_child_main(struct exec_child *x)
{
    int rootfd = -1;
    pier_err_t err = NULL;
    if (x->child_flags && setns(x->pidfd, x->child_flags) < 0) {
        pier_error(&err, errno, "join the container's namespaces");
        goto fail;
    }
    if (x->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
        pier_error(&err, errno, "become root in the container's user namespace");
        goto fail;
    }
    close(x->pidfd);
    if (rt_sync_expect(x->sync, RT_SYNC_GO, NULL, &err) < 0)
        _exit(1);
    if (setsid() < 0) {
        pier_error(&err, errno, "setsid");
        goto fail;
    }
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        pier_error(&err, errno, "open the container's root");
        goto fail;
    }
    if (x->p->terminal) {
        if (rt_console_setup(rootfd, x->console_fd, x->p, false, &err) < 0)
            goto fail;
        close(x->console_fd);
    }
    struct rt_exec_plan plan;
    if (rt_exec_plan_make(x->p, rootfd, x->preserve_fds, &plan, &err) < 0 ||
        rt_process_finalize(x->p, &plan, x->spec->seccomp, x->spec->personality, x->userns, &err) <
            0)
        goto fail;
    /* Success closes the sync socket (close-on-exec): the runtime sees EOF. */
    rt_process_exec(&plan, x->p->args, &err);
fail:
    rt_init_fail(x->sync, &err);
}

struct exec_ctx {
    struct rt_state st;
    struct rt_spec spec;
    struct rt_process proc;
    struct rt_cgroup cg;
    int pidfd;
    int console;
};

static void exec_ctx_free(struct exec_ctx *x)
{
    if (x->pidfd >= 0)
        close(x->pidfd);
    if (x->console >= 0)
        close(x->console);
    rt_cgroup_free(&x->cg);
    rt_process_free(&x->proc);
    rt_spec_free(&x->spec);
    rt_state_free(&x->st);
}

static int connect_console(const char *path, pier_err_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return pier_error(err, ENAMETOOLONG, "--console-socket `%s`", path);
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        if (s >= 0)
            close(s);
        return pier_error(err, e, "connect to --console-socket `%s`", path);
    }
    return s;
}

/* The container's state, spec and cgroup, the process to run, its console,
 * and a pidfd of the container's init. */
static int exec_load(const struct rt_exec_opts *o, struct exec_ctx *x, pier_err_t *err)
{
    const char *root = o->root ? o->root : RT_DEFAULT_ROOT;
    cleanup_close int statefd = rt_state_dir_open(root, o->id, err);
    if (statefd < 0 || rt_state_load_at(statefd, o->id, &x->st, err) < 0)
        return -1;
    enum rt_status status = rt_state_status(statefd, &x->st);
    if (status != RT_STATUS_RUNNING && status != RT_STATUS_CREATED)
        return pier_error(err, 0, "cannot exec in container `%s`: it is %s", o->id,
                          rt_status_names[status]);
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (pier_read_file_at(statefd, RT_CONFIG_FILE, RT_SPEC_MAX_BYTES, &text, &len, err) < 0 ||
        rt_spec_parse(text, len, x->st.bundle, &x->spec, err) < 0 ||
        exec_process(o, &x->spec, &x->proc, err) < 0 ||
        rt_cgroup_from_string(x->st.cgroup_path, &x->cg, err) < 0)
        return -1;
    if (x->spec.seccomp != NULL) {
        char cache[PATH_MAX];
        snprintf(cache, sizeof cache, "%s/%s", root, RT_SECCOMP_CACHE);
        if (rt_seccomp_prepare(x->spec.seccomp, cache, err) < 0)
            return -1;
    }
    if (x->proc.terminal) {
        if (o->console_fd >= 0)
            x->console = dup(o->console_fd);
        else if (o->console_socket != NULL)
            x->console = connect_console(o->console_socket, err);
        else
            return pier_error(err, 0, "exec with a terminal needs --console-socket");
        if (x->console < 0)
            return -1;
    }
    x->pidfd = (int)syscall(SYS_pidfd_open, x->st.pid, 0);
    if (x->pidfd < 0 || !rt_process_alive(x->st.pid, x->st.start_time))
        return pier_error(err, 0, "cannot exec in container `%s`: it is not running", o->id);
    return 0;
}

/* The container's namespaces that differ from ours.  Those joined here are
 * inherited by the child; user, mount, cgroup and time are joined by the
 * child itself, so that this process keeps the host's view of files and
 * cgroups. */
static void namespaces_to_join(pid_t pid, int *parent_flags, int *child_flags)
{
    static const int kinds[] = {RT_NS_NET,  RT_NS_IPC, RT_NS_UTS,    RT_NS_PID,
                                RT_NS_USER, RT_NS_MNT, RT_NS_CGROUP, RT_NS_TIME};
    *parent_flags = *child_flags = 0;
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        int k = kinds[i];
        char p[64];
        snprintf(p, sizeof p, "/proc/self/ns/%s", rt_ns_proc_names[k]);
        if (access(p, F_OK) < 0 || same_ns(pid, rt_ns_proc_names[k]))
            continue;
        if (k == RT_NS_USER || k == RT_NS_MNT || k == RT_NS_CGROUP || k == RT_NS_TIME)
            *child_flags |= rt_ns_clone_flags[k];
        else
            *parent_flags |= rt_ns_clone_flags[k];
    }
}

/* After the child was told to go: end of file on the sync socket means its
 * exec happened (the socket is close-on-exec); a message says why not. */
static int wait_exec(int sync, const char *id, pier_err_t *err)
{
    cleanup_free struct rt_sync_msg *m = malloc(sizeof *m);
    if (m == NULL)
        return pier_error(err, ENOMEM, "exec");
    ssize_t r;
    do
        r = recv(sync, m, sizeof *m, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return 0;
    m->text[RT_SYNC_TEXT_MAX - 1] = '\0';
    return pier_error(err, 0, "exec in container `%s`: %s", id,
                      m->type == RT_SYNC_ERROR ? m->text : "unexpected message");
}

static int exec_start(const struct rt_exec_opts *o, struct exec_ctx *c, pid_t *pid_out,
                      pier_err_t *err)
{
    int parent_flags, child_flags;
    namespaces_to_join(c->st.pid, &parent_flags, &child_flags);
    if (parent_flags && setns(c->pidfd, parent_flags) < 0)
        return pier_error(err, errno, "join the namespaces of container `%s`", o->id);
    int sp[2];
    if (rt_sync_pair(sp, err) < 0)
        return -1;
    cleanup_close int sync = sp[0];
    struct exec_child x = {.p = &c->proc,
                           .spec = &c->spec,
                           .pidfd = c->pidfd,
                           .child_flags = child_flags,
                           .userns = c->st.userns,
                           .sync = sp[1],
                           .console_fd = c->console,
                           .preserve_fds = o->preserve_fds};
    struct clone_args ca = {.exit_signal = SIGCHLD};
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (pid < 0) {
        close(sp[1]);
        return pier_error(err, errno, "clone");
    }
    if (pid == 0) {
        close(sync);
        exec_child_main(&x);
    }
    close(sp[1]);
    if (c->console >= 0) {
        close(c->console);
        c->console = -1;
    }
    if (c->cg.n > 0 && rt_cgroup_enter(&c->cg, pid, err) < 0)
        goto kill;
    if (rt_sync_send(sync, RT_SYNC_GO, 0, NULL) < 0) {
        pier_error(err, errno, "start the process");
        goto kill;
    }
    if (wait_exec(sync, o->id, err) < 0) {
        waitpid(pid, NULL, 0);
        return -1;
    }
    if (o->pid_file != NULL) {
        char spid[32];
        int n = snprintf(spid, sizeof spid, "%d", (int)pid);
        if (pier_write_file_atomic_at(AT_FDCWD, o->pid_file, spid, (size_t)n, 0644, 0, err) < 0) {
            pier_error_wrap(err, "--pid-file");
            goto kill;
        }
    }
    *pid_out = pid;
    return 0;
kill:
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int rt_exec(const struct rt_exec_opts *o, pid_t *pid_out, pier_err_t *err)
{
    struct exec_ctx x = {.pidfd = -1, .console = -1};
    int r = exec_load(o, &x, err) < 0 ? -1 : exec_start(o, &x, pid_out, err);
    exec_ctx_free(&x);
    return r;
}
