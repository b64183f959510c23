/* pier-shim: builds one container, then watches over it.
 *
 *   pier-shim --id ID --bundle DIR --dir STATE_DIR --runtime-root DIR
 *             [--log FILE] --ctl-fd N [--tty] [--stdin] [--stdin-once]
 *
 * Without --log (docker's "none" log driver) the output goes to attached
 * clients only.
 *
 * pierd starts it (detached, in a session of its own) from a sealed view of
 * this binary, so that the container's process, a fork of the shim, is
 * sealed too (CVE-2019-5736). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/jsonstr.h"
#include "../lib/log.h"
#include "../lib/msg.h"
#include "../runtime/cgroup.h"
#include "../runtime/container.h"
#include "../runtime/dev.h"
#include "../runtime/seal.h"
#include "proto.h"
#include "shim.h"

#define LINGER_MS 2000 /* after the exit, how long output may still come */

extern char **environ;

static int listen_ctl(const char *dir, pier_err_t *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* Through /proc/self/fd: state dirs may be deeper than sun_path allows. */
    cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", dir);
    snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dfd, SHIM_SOCK);
    unlinkat(dfd, SHIM_SOCK, 0);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return pier_error(err, errno, "socket");
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
        int e = errno;
        close(s);
        return pier_error(err, e, "listen on %s/%s", dir, SHIM_SOCK);
    }
    return s;
}

/* The child's stdio on our 0, 1, 2 for the clone, then /dev/null again. */
static int swap_stdio(const int child[3], pier_err_t *err)
{
    for (int i = 0; i < 3; i++)
        if (dup2(child[i], i) < 0)
            return pier_error(err, errno, "dup2");
    return 0;
}

static void null_stdio(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        dup2(fd, i);
    close(fd);
}

static void finish(struct shim *s);

/* ---- the container -------------------------------------------------------- */

static void on_drained(struct stdio *io)
{
    stdio_end_clients(io);
    shim_maybe_exit(io->shim);
}

static int create_container(struct shim *s, pier_err_t *err)
{
    s->io.shim = s;
    s->io.tty = s->tty;
    s->io.stdin_once = s->stdin_once;
    s->io.drained = on_drained;
    s->io.in = s->io.out = s->io.err = -1;
    if (s->log_path != NULL && logfile_open(s->log_path, &s->io.log, err) < 0)
        return -1;
    struct rt_create_opts o = {
        .root = s->rt_root, .id = s->id, .bundle = s->bundle, .console_fd = -1};
    int child[3] = {-1, -1, -1};
    int console[2] = {-1, -1};
    if (s->tty) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0)
            return pier_error(err, errno, "socketpair");
        o.console_fd = console[1];
    } else {
        if (stdio_setup_pipes(&s->io, s->open_stdin, child, err) < 0 || swap_stdio(child, err) < 0)
            return -1;
    }
    int r = rt_create(&o, &s->pid, err);
    if (!s->tty) {
        null_stdio();
        for (int i = 0; i < 3; i++)
            close(child[i]);
    } else {
        close(console[1]);
    }
    if (r < 0) {
        if (console[0] >= 0)
            close(console[0]);
        return -1;
    }
    if (s->tty) {
        int master = rt_recv_fd(console[0], err);
        close(console[0]);
        if (master < 0)
            return pier_error_wrap(err, "the container's console");
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        s->io.out = master;
        if (s->open_stdin)
            s->io.in = fcntl(master, F_DUPFD_CLOEXEC, 0);
    }
    /* OOM kills are told apart from other SIGKILLs by the memory cgroup. */
    struct rt_oom_watch w;
    pid_t ignored;
    pier_err_t e2 = NULL;
    s->oom_fd = rt_oom_watch(s->rt_root, s->id, &w, &ignored, &e2) == 0 ? w.fd : -1;
    pier_error_free(&e2);
    return stdio_watch(&s->io, err);
}

int shim_start(struct shim *s, pier_err_t *err)
{
    if (s->started)
        return pier_error(err, 0, "container `%s` is already started", s->id);
    if (rt_start(s->rt_root, s->id, err) < 0)
        return -1;
    s->started = true;
    return 0;
}

static bool oom_fired(struct shim *s)
{
    if (s->oom_fd < 0)
        return false;
    uint64_t n = 0;
    return read(s->oom_fd, &n, sizeof n) == sizeof n && n > 0;
}

void shim_reap(struct shim *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        if (pid == s->pid && !s->exited) {
            s->exited = true;
            s->exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            s->oom_killed = oom_fired(s);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            pier_time_rfc3339nano(s->finished_at, sizeof s->finished_at, ts.tv_sec, ts.tv_nsec);
            shim_maybe_exit(s);
        } else {
            exec_reaped(s, pid, status);
        }
    }
}

static void on_linger(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    finish(data);
}

/* The container exited: once its output is all in (or after a grace time,
 * for processes that escaped its pid namespace and keep the pipes), the
 * exit is recorded and told, and the shim goes. */
void shim_maybe_exit(struct shim *s)
{
    if (!s->exited)
        return;
    bool drained = s->io.out < 0 && s->io.err < 0;
    if (drained) {
        finish(s);
        return;
    }
    if (s->linger == NULL)
        s->linger = pier_timer_add(s->loop, LINGER_MS, 0, on_linger, s, NULL);
}

static void finish(struct shim *s)
{
    static bool done;
    if (done)
        return;
    done = true;
    json_t *m = json_pack("{s:s, s:i, s:s, s:b}", "op", "exit", "exit_code", s->exit_code,
                          "finished_at", s->finished_at, "oom_killed", s->oom_killed);
    pier_err_t err = NULL;
    /* for a pierd that restarts; no fsync: a host crash ends the container
     * anyway, and the exec root is usually a tmpfs */
    cleanup_close int dfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || pier_json_write_atomic_at(dfd, SHIM_EXIT_FILE, m, 0, &err) < 0) {
        pier_warn("shim %s: record the exit: %s", s->id, pier_error_msg(err));
        pier_error_free(&err);
    }
    ctl_broadcast(s, m);
    stdio_close(&s->io);
    logfile_close(s->io.log);
    s->io.log = NULL;
    /* The runtime's container goes with its process, as docker's does;
     * pierd keeps the container's record. */
    if (rt_delete(s->rt_root, s->id, true, &err) < 0) {
        pier_warn("shim %s: %s", s->id, pier_error_msg(err));
        pier_error_free(&err);
    }
    pier_loop_quit(s->loop, 0);
}

/* ---- setup ---------------------------------------------------------------- */

static void on_signal(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)events;
    struct signalfd_siginfo si;
    while (read(pier_watch_fd(w), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            shim_reap(data);
    }
}

static int setup(struct shim *s, int ctl_fd, char **argv, pier_err_t *err)
{
    if (rt_seal_self(argv, environ, err) < 0)
        return -1;
    fcntl(ctl_fd, F_SETFD, FD_CLOEXEC);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN);
    umask(022);
    static const char *const names[] = {"net", "ipc", "uts"};
    for (int i = 0; i < 3; i++) {
        char p[64];
        snprintf(p, sizeof p, "/proc/self/ns/%s", names[i]);
        s->own_ns[i] = open(p, O_RDONLY | O_CLOEXEC);
    }
    s->own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);

    if (pier_loop_new(&s->loop, err) < 0 || ctl_add(s, ctl_fd, err) < 0)
        return -1;
    if ((s->listen_fd = listen_ctl(s->dir, err)) < 0)
        return -1;
    s->listen_w = pier_watch_add(s->loop, s->listen_fd, EPOLLIN, ctl_accept, s, err);
    if (s->listen_w == NULL)
        return -1;
    char spid[32];
    int n = snprintf(spid, sizeof spid, "%d", (int)getpid());
    cleanup_close int dfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", s->dir);
    if (pier_write_file_atomic_at(dfd, SHIM_PID_FILE, spid, (size_t)n, 0644, 0, err) < 0)
        return -1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return pier_error(err, errno, "signalfd");
    s->sig_w = pier_watch_add(s->loop, sfd, EPOLLIN, on_signal, s, err);
    return s->sig_w == NULL ? -1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: pier-shim --id ID --bundle DIR --dir STATE_DIR --runtime-root DIR "
                    "[--log FILE] --ctl-fd N [--tty] [--stdin] [--stdin-once]\n"
                    "(started by pierd; not meant to be run by hand)\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct shim s = {.listen_fd = -1, .oom_fd = -1};
    int ctl_fd = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tty") == 0)
            s.tty = true;
        else if (strcmp(a, "--stdin") == 0)
            s.open_stdin = true;
        else if (strcmp(a, "--stdin-once") == 0)
            s.stdin_once = true;
        else if (v == NULL)
            return usage();
        else if (strcmp(a, "--id") == 0)
            s.id = v, i++;
        else if (strcmp(a, "--bundle") == 0)
            s.bundle = v, i++;
        else if (strcmp(a, "--dir") == 0)
            s.dir = v, i++;
        else if (strcmp(a, "--runtime-root") == 0)
            s.rt_root = v, i++;
        else if (strcmp(a, "--log") == 0)
            s.log_path = v, i++;
        else if (strcmp(a, "--ctl-fd") == 0)
            ctl_fd = atoi(v), i++;
        else
            return usage();
    }
    if (!s.id || !s.bundle || !s.dir || !s.rt_root || ctl_fd < 3)
        return usage();

    pier_err_t err = NULL;
    if (setup(&s, ctl_fd, argv, &err) < 0 || create_container(&s, &err) < 0) {
        json_t *e = json_pack("{s:s, s:s}", "op", "error", "error", pier_error_msg(err));
        pier_err_t e2 = NULL;
        pier_msg_send(ctl_fd, e, -1, &e2);
        pier_error_free(&e2);
        json_decref(e);
        pier_log(PIER_LOG_ERROR, "pier-shim %s: %s", s.id, pier_error_msg(err));
        return 1;
    }
    json_t *m = json_pack("{s:s, s:i}", "op", "created", "pid", (int)s.pid);
    ctl_broadcast(&s, m);
    int rc = pier_loop_run(s.loop);
    cleanup_close int dfd = open(s.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
        unlinkat(dfd, SHIM_SOCK, 0);
    return rc;
}
