/* Processes exec'd in the container: the shim's children, so that it reaps
 * them and reports their exit codes, with their stdio held as the
 * container's is (but not logged). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/trim.h"
#include "../runtime/container.h"
#include "../runtime/dev.h"
#include "shim.h"

static struct exec_session *find(struct shim *s, const char *id)
{
    for (struct exec_session *e = s->execs; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

static void session_free(struct exec_session *e)
{
    struct shim *s = e->shim;
    for (struct exec_session **p = &s->execs; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    stdio_close(&e->io);
    free(e);
}

/* Both its output ended and it was reaped: its exit code goes to pierd. */
static void maybe_done(struct exec_session *e)
{
    if (!e->exited || e->reported || e->io.out >= 0 || e->io.err >= 0)
        return;
    /* pierd hears the exit code before the client sees the end of its
     * stream, and so knows it when the client asks. */
    json_t *m =
        json_pack("{s:s, s:s, s:i}", "op", "exec-exit", "id", e->id, "exit_code", e->exit_code);
    ctl_broadcast(e->shim, m);
    e->reported = true;
    stdio_end_clients(&e->io); /* frees e (on_idle) once no client is left */
}

static void on_drained(struct stdio *io)
{
    struct exec_session *e =
        (struct exec_session *)((char *)io - offsetof(struct exec_session, io));
    maybe_done(e);
}

static void on_idle(struct stdio *io)
{
    struct exec_session *e =
        (struct exec_session *)((char *)io - offsetof(struct exec_session, io));
    if (e->reported)
        session_free(e);
}

bool exec_reaped(struct shim *s, pid_t pid, int status)
{
    for (struct exec_session *e = s->execs; e; e = e->next) {
        if (e->pid != pid)
            continue;
        e->exited = true;
        e->exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        maybe_done(e);
        return true;
    }
    return false;
}

/* rt_exec joins the container's net, ipc, uts and pid namespaces in the
 * caller, for the child to inherit: come back to the shim's own. */
static void back_to_own_namespaces(struct shim *s)
{
    static const int types[] = {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};
    for (int i = 0; i < 3; i++)
        if (s->own_ns[i] >= 0)
            setns(s->own_ns[i], types[i]);
    if (s->own_pidns >= 0)
        setns(s->own_pidns, CLONE_NEWPID);
}

int exec_start(struct shim *s, const char *id, const char *process, bool tty, bool in, bool out,
               bool err_, const char *keys, int client_fd, pier_err_t *err)
{
    if (find(s, id) != NULL) {
        return pier_error(err, 0, "exec `%s` is already running", id);
    }
    if (!s->started || s->exited) {
        return pier_error(err, 0, "container %s is not running", s->id);
    }
    struct exec_session *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return pier_error(err, ENOMEM, "exec");
    }
    e->shim = s;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->io = (struct stdio){.shim = s,
                           .tty = tty,
                           .stdin_once = true,
                           .hold_clients = true,
                           .in = -1,
                           .out = -1,
                           .err = -1,
                           .drained = on_drained,
                           .idle = on_idle};
    struct rt_exec_opts o = {
        .root = s->rt_root, .id = s->id, .process_json = process, .console_fd = -1};
    int child[3] = {-1, -1, -1};
    int console[2] = {-1, -1};
    int saved[3] = {-1, -1, -1};
    int r = -1;
    if (tty) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) {
            pier_error(err, errno, "socketpair");
            goto out;
        }
        o.console_fd = console[1];
    } else {
        if (stdio_setup_pipes(&e->io, in, child, err) < 0)
            goto out;
        for (int i = 0; i < 3; i++) {
            saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
            dup2(child[i], i);
        }
    }
    r = rt_exec(&o, &e->pid, err);
    back_to_own_namespaces(s);
    for (int i = 0; i < 3; i++)
        if (saved[i] >= 0) {
            dup2(saved[i], i);
            close(saved[i]);
        }
    if (r < 0)
        goto out;
    if (tty) {
        close(console[1]);
        console[1] = -1;
        int master = rt_recv_fd(console[0], err);
        if (master < 0) {
            r = -1;
            goto out;
        }
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        e->io.out = master;
        if (in)
            e->io.in = fcntl(master, F_DUPFD_CLOEXEC, 0);
    }
    r = stdio_watch(&e->io, err);
    if (r == 0 && client_fd >= 0) {
        r = stdio_attach(&e->io, client_fd, in, out, err_, keys, err);
        if (r == 0)
            client_fd = -1;
    }
out:
    for (int i = 0; i < 3; i++)
        if (child[i] >= 0)
            close(child[i]);
    for (int i = 0; i < 2; i++)
        if (console[i] >= 0)
            close(console[i]);
    if (r < 0 && e->pid <= 0) {
        stdio_close(&e->io);
        free(e);
        return -1; /* the caller reports it on client_fd */
    }
    if (client_fd >= 0)
        close(client_fd);
    e->next = s->execs;
    s->execs = e;
    json_t *m = json_pack("{s:s, s:s, s:i}", "op", "exec-started", "id", e->id, "pid", (int)e->pid);
    ctl_broadcast(s, m);
    pier_trim_memory();
    return 0;
}

int exec_resize(struct shim *s, const char *id, unsigned h, unsigned w, pier_err_t *err)
{
    struct exec_session *e = find(s, id);
    if (e == NULL)
        return pier_error(err, 0, "no exec `%s`", id);
    struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
    if (e->io.tty && e->io.out >= 0 && ioctl(e->io.out, TIOCSWINSZ, &ws) < 0)
        return pier_error(err, errno, "resize");
    return 0;
}
