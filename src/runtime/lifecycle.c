/* start, kill, delete and state of a container that rt_create built. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "cgroup.h"
#include "container.h"
#include "create_ctx.h"
#include "hooks.h"
#include "spec.h"
#include "state.h"

static const char *root_or_default(const char *root)
{
    return root ? root : RT_DEFAULT_ROOT;
}

static void state_cleanup(struct rt_state *st)
{
    rt_state_free(st);
}
#define cleanup_state __attribute__((cleanup(state_cleanup)))

/* The spec saved at create, for hooks. */
static int load_saved_spec(int statefd, const struct rt_state *st, struct rt_spec *spec,
                           pier_err_t *err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (pier_read_file_at(statefd, RT_CONFIG_FILE, RT_SPEC_MAX_BYTES, &text, &len, err) < 0)
        return -1;
    return rt_spec_parse(text, len, st->bundle, spec, err);
}

int rt_start(const char *root, const char *id, pier_err_t *err)
{
    root = root_or_default(root);
    cleanup_close int statefd = rt_state_dir_open(root, id, err);
    if (statefd < 0)
        return -1;
    cleanup_state struct rt_state st = {0};
    if (rt_state_load_at(statefd, id, &st, err) < 0)
        return -1;
    enum rt_status status = rt_state_status(statefd, &st);
    if (status != RT_STATUS_CREATED)
        return pier_error(err, 0, "cannot start container `%s`: it is %s, not created", id,
                          rt_status_names[status]);

    struct sockaddr_un addr;
    if (rt_exec_sock_addr(statefd, &addr) < 0)
        return pier_error(err, ENAMETOOLONG, "exec socket");
    cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return pier_error(err, errno, "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0)
        return pier_error(err, errno, "cannot start container `%s`: its process does not answer",
                          id);
    /* Whatever happens next, the container is no longer "created". */
    unlinkat(statefd, RT_EXEC_SOCK, 0);
    if (write(s, "start", 5) != 5)
        return pier_error(err, errno, "start container `%s`", id);

    /* "ok\n", then end of file when the program's exec closed the socket,
     * or the reason it failed. */
    char reply[4096];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(s, reply + n, sizeof reply - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof reply - 1)
            break;
    }
    reply[n] = '\0';
    if (strncmp(reply, "ok\n", 3) != 0) {
        if (n == 0)
            return pier_error(err, 0, "start container `%s`: its process exited", id);
        return pier_error(err, 0, "start container `%s`: %s", id,
                          strncmp(reply, "error: ", 7) == 0 ? reply + 7 : reply);
    }
    if (n > 3)
        return pier_error(err, 0, "start container `%s`: %s", id,
                          strncmp(reply + 3, "error: ", 7) == 0 ? reply + 10 : reply + 3);

    struct rt_spec spec;
    pier_err_t e2 = NULL;
    if (load_saved_spec(statefd, &st, &spec, &e2) == 0) {
        if (spec.hooks[RT_HOOK_POSTSTART].n > 0) {
            json_t *j = rt_state_oci_json(&st, RT_STATUS_RUNNING);
            cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (j)
                json_decref(j);
            /* The spec: a failing poststart hook is logged, not fatal. */
            if (text && rt_hooks_run(&spec, RT_HOOK_POSTSTART, text, &e2) < 0)
                pier_warn("%s", pier_error_msg(e2));
        }
        rt_spec_free(&spec);
    }
    pier_error_free(&e2);
    return 0;
}

/* containerd's shim tells a kill of a container that has exited from a
 * failure by runc's words, "container not running": they are kept. */
#define NOT_RUNNING "container `%s` has exited: container not running"

static int signal_init(const struct rt_state *st, int sig, pier_err_t *err)
{
    int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (pidfd < 0)
        return pier_error(err, errno, NOT_RUNNING, st->id);
    /* The pidfd pins the process: check it is still the container's. */
    if (!rt_process_alive(st->pid, st->start_time)) {
        close(pidfd);
        return pier_error(err, 0, NOT_RUNNING, st->id);
    }
    int r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    int e = errno;
    close(pidfd);
    if (r < 0)
        return pier_error(err, e, "signal container `%s`", st->id);
    return 0;
}

int rt_kill(const char *root, const char *id, int sig, bool all, pier_err_t *err)
{
    root = root_or_default(root);
    cleanup_close int statefd = rt_state_dir_open(root, id, err);
    if (statefd < 0)
        return -1;
    cleanup_state struct rt_state st = {0};
    if (rt_state_load_at(statefd, id, &st, err) < 0)
        return -1;
    enum rt_status status = rt_state_status(statefd, &st);
    if (all) {
        struct rt_cgroup cg;
        if (rt_cgroup_from_string(st.cgroup_path, &cg, err) < 0)
            return -1;
        size_t n = cg.n;
        int r = n > 0 ? rt_cgroup_kill(&cg, sig, err) : 0;
        rt_cgroup_free(&cg);
        if (r < 0 || n > 0)
            return r;
    }
    if (status == RT_STATUS_STOPPED)
        return pier_error(err, 0, NOT_RUNNING, id);
    return signal_init(&st, sig, err);
}

/* Wait until the process with this pidfd is gone (it need not be our child). */
static int wait_gone(pid_t pid, int timeout_ms)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return 0;
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    close(pidfd);
    /* Our own child (run): reap it here so it does not linger as a zombie. */
    waitpid(pid, NULL, WNOHANG);
    return r > 0 ? 0 : -1;
}

int rt_delete(const char *root, const char *id, bool force, pier_err_t *err)
{
    root = root_or_default(root);
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int statefd = rt_state_dir_open(root, id, err);
    if (statefd < 0)
        return -1;
    cleanup_state struct rt_state st = {0};
    if (rt_state_load_at(statefd, id, &st, err) < 0) {
        /* A state directory without state: a create that was cut off. */
        if (!force)
            return -1;
        pier_error_free(err);
        return pier_rm_rf_at(rootfd, id, err);
    }
    enum rt_status status = rt_state_status(statefd, &st);
    if ((status == RT_STATUS_RUNNING || status == RT_STATUS_PAUSED ||
         status == RT_STATUS_CREATING) &&
        !force)
        return pier_error(err, 0, "cannot delete container `%s` that is not stopped: %s", id,
                          rt_status_names[status]);

    struct rt_cgroup cg;
    if (rt_cgroup_from_string(st.cgroup_path, &cg, err) < 0)
        return -1;
    if (status != RT_STATUS_STOPPED) {
        /* A created container's process, or any with force: kill them all,
         * thawed so that they can die. */
        if (status == RT_STATUS_PAUSED)
            rt_cgroup_freeze(&cg, false, NULL);
        pier_err_t e2 = NULL;
        if (cg.n > 0 && rt_cgroup_kill(&cg, SIGKILL, &e2) < 0) {
            pier_warn("%s", pier_error_msg(e2));
            pier_error_free(&e2);
        }
        if (rt_process_alive(st.pid, st.start_time))
            signal_init(&st, SIGKILL, NULL);
        if (wait_gone(st.pid, 10000) < 0) {
            rt_cgroup_free(&cg);
            return pier_error(err, 0, "delete container `%s`: its process does not die", id);
        }
    }
    int r = cg.n > 0 ? rt_cgroup_destroy(&cg, err) : 0;
    rt_cgroup_free(&cg);
    if (r < 0)
        return pier_error_wrap(err, "delete container `%s`", id);

    struct rt_spec spec;
    bool have_spec = load_saved_spec(statefd, &st, &spec, err) == 0;
    pier_error_free(err);
    if (pier_rm_rf_at(rootfd, id, err) < 0) {
        if (have_spec)
            rt_spec_free(&spec);
        return -1;
    }
    if (have_spec) {
        if (spec.hooks[RT_HOOK_POSTSTOP].n > 0) {
            json_t *j = rt_state_oci_json(&st, RT_STATUS_STOPPED);
            cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (j)
                json_decref(j);
            pier_err_t e2 = NULL;
            /* The spec: a failing poststop hook is logged, not fatal. */
            if (text && rt_hooks_run(&spec, RT_HOOK_POSTSTOP, text, &e2) < 0)
                pier_warn("%s", pier_error_msg(e2));
            pier_error_free(&e2);
        }
        rt_spec_free(&spec);
    }
    return 0;
}

int rt_state_get(const char *root, const char *id, json_t **out, pier_err_t *err)
{
    root = root_or_default(root);
    cleanup_close int statefd = rt_state_dir_open(root, id, err);
    if (statefd < 0)
        return -1;
    cleanup_state struct rt_state st = {0};
    if (rt_state_load_at(statefd, id, &st, err) < 0)
        return -1;
    *out = rt_state_oci_json(&st, rt_state_status(statefd, &st));
    if (*out == NULL)
        return pier_error(err, ENOMEM, "state");
    return 0;
}

int rt_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, pier_err_t *err)
{
    cleanup_state struct rt_state st = {0};
    if (rt_state_load(root_or_default(root), id, &st, err) < 0)
        return -1;
    struct rt_cgroup cg;
    if (rt_cgroup_from_string(st.cgroup_path, &cg, err) < 0)
        return -1;
    int r = rt_cgroup_pids(&cg, pids, n, err);
    rt_cgroup_free(&cg);
    return r;
}

int rt_wait_forward(pid_t pid, int pidfd)
{
    static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
                               SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    cleanup_close int own = pidfd < 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pidfd < 0)
        pidfd = own;
    int status = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        int r = poll(p, 2, -1);
        if (r < 0 && errno != EINTR)
            break;
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == sizeof si)
                syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
        }
        if (p[0].revents & POLLIN)
            break;
    }
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (w < 0)
        return 255;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
