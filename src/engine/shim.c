/* pierd's side of a container's shim: launching it, its messages, and the
 * reconnection after pierd restarted (see src/shim/proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/msg.h"
#include "../shim/proto.h"
#include "internal.h"

extern char **environ;

struct expect {
    char ops[64]; /* "created|error" */
    shim_reply_fn fn;
    void *data;
    struct expect *next;
};

struct shim_conn {
    struct engine *e;
    struct container *c;
    int fd;
    struct pier_watch *w;
    struct expect *expects;
    bool dispatching; /* a message is being handled: a close frees later */
    bool closed;
};

static bool op_in(const char *op, const char *ops)
{
    size_t n = strlen(op);
    for (const char *p = ops; *p;) {
        const char *e = strchrnul(p, '|');
        if ((size_t)(e - p) == n && strncmp(p, op, n) == 0)
            return true;
        p = *e ? e + 1 : e;
    }
    return false;
}

void shim_expect(struct shim_conn *s, const char *ops, shim_reply_fn fn, void *data)
{
    struct expect *x = calloc(1, sizeof *x);
    if (x == NULL) {
        fn(data, NULL);
        return;
    }
    snprintf(x->ops, sizeof x->ops, "%s", ops);
    x->fn = fn;
    x->data = data;
    struct expect **p = &s->expects;
    while (*p)
        p = &(*p)->next;
    *p = x;
}

int shim_send(struct shim_conn *s, json_t *msg, int fd, pier_err_t *err)
{
    return pier_msg_send(s->fd, msg, fd, err);
}

void shim_close(struct shim_conn *s)
{
    if (s == NULL || s->closed)
        return;
    s->closed = true;
    /* whoever still waits hears that the shim is gone */
    while (s->expects) {
        struct expect *x = s->expects;
        s->expects = x->next;
        x->fn(x->data, NULL);
        free(x);
    }
    if (s->w)
        pier_watch_del(s->w);
    s->w = NULL;
    close(s->fd);
    if (s->c && s->c->shim == s)
        s->c->shim = NULL;
    if (!s->dispatching)
        free(s);
}

/* The shim went away without telling the exit: what it left on disk. */
static void shim_lost(struct shim_conn *s)
{
    struct container *c = s->c;
    struct engine *e = s->e;
    shim_close(s);
    if (c == NULL || !container_running(c))
        return;
    lc_exited_as_recorded(e, c, "the container's monitor (pier-shim) died");
}

static void on_msg(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct shim_conn *s = data;
    for (;;) {
        json_t *m = NULL;
        int fd = -1;
        pier_err_t err = NULL;
        int r = pier_msg_recv(s->fd, &m, &fd, &err);
        if (r < 0 && err && err->errnum == EAGAIN) {
            pier_error_free(&err);
            return;
        }
        if (r <= 0) {
            if (r < 0)
                pier_debug("shim of %s: %s", s->c ? s->c->id : "?", pier_error_msg(err));
            pier_error_free(&err);
            shim_lost(s);
            return;
        }
        if (fd >= 0)
            close(fd);
        const char *op = json_string_value(json_object_get(m, "op"));
        if (op == NULL)
            op = "";
        struct expect **p = &s->expects;
        while (*p && !op_in(op, (*p)->ops))
            p = &(*p)->next;
        s->dispatching = true;
        if (*p) {
            struct expect *x = *p;
            *p = x->next;
            x->fn(x->data, m);
            free(x);
        } else if (strcmp(op, "exit") == 0 && s->c) {
            lc_exited(s->e, s->c, (int)json_integer_value(json_object_get(m, "exit_code")),
                      json_string_value(json_object_get(m, "finished_at")),
                      json_is_true(json_object_get(m, "oom_killed")));
        } else if (strncmp(op, "exec-", 5) == 0 && s->c) {
            lc_exec_event(s->e, s->c, m);
        } else if (strcmp(op, "status") == 0 && s->c) {
            if (!json_is_true(json_object_get(m, "running")) && container_running(s->c))
                lc_exited(s->e, s->c, (int)json_integer_value(json_object_get(m, "exit_code")),
                          json_string_value(json_object_get(m, "finished_at")),
                          json_is_true(json_object_get(m, "oom_killed")));
        }
        json_decref(m);
        s->dispatching = false;
        if (s->closed) {
            free(s);
            return;
        }
    }
}

void shim_drain(struct shim_conn *s)
{
    on_msg(NULL, NULL, 0, s);
}

static int conn_new(struct engine *e, struct container *c, int fd, pier_err_t *err)
{
    struct shim_conn *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pier_error(err, ENOMEM, "shim connection");
    s->e = e;
    s->c = c;
    s->fd = fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->w = pier_watch_add(e->loop, fd, EPOLLIN, on_msg, s, err);
    if (s->w == NULL) {
        free(s);
        return -1;
    }
    c->shim = s;
    return 0;
}

int shim_launch(struct engine *e, struct container *c, pier_err_t *err)
{
    char run[PATH_MAX], log[PATH_MAX], exe[64];
    ct_run_dir(c, run, sizeof run);
    ct_log_path(c, log, sizeof log);
    snprintf(exe, sizeof exe, "/proc/self/fd/%d", e->shim_exe);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return pier_error(err, errno, "socketpair");
    const char *argv[20];
    int n = 0;
    argv[n++] = "pier-shim";
    argv[n++] = "--id";
    argv[n++] = c->id;
    argv[n++] = "--bundle";
    argv[n++] = run;
    argv[n++] = "--dir";
    argv[n++] = run;
    argv[n++] = "--runtime-root";
    argv[n++] = e->rt_root;
    if (log[0] != '\0') {
        argv[n++] = "--log";
        argv[n++] = log;
    }
    argv[n++] = "--ctl-fd";
    argv[n++] = "3";
    if (container_tty(c))
        argv[n++] = "--tty";
    if (json_is_true(json_object_get(c->config, "OpenStdin")))
        argv[n++] = "--stdin";
    if (json_is_true(json_object_get(c->config, "StdinOnce")))
        argv[n++] = "--stdin-once";
    argv[n] = NULL;

    /* posix_spawn: a vfork-like clone, cheap whatever pierd's size; the
     * shim gets a session of its own and survives pierd. */
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sp[1], 3);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    pid_t pid;
    int r = posix_spawn(&pid, exe, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sp[1]);
    if (r != 0) {
        close(sp[0]);
        return pier_error(err, r, "start pier-shim");
    }
    if (conn_new(e, c, sp[0], err) < 0) {
        close(sp[0]);
        return -1;
    }
    return 0;
}

int shim_reconnect(struct engine *e, struct container *c, pier_err_t *err)
{
    char run[PATH_MAX];
    ct_run_dir(c, run, sizeof run);
    cleanup_close int dfd = open(run, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", run);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dfd, SHIM_SOCK);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return pier_error(err, errno, "socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e2 = errno;
        close(fd);
        return pier_error(err, e2, "connect to the shim of %s", c->id);
    }
    if (conn_new(e, c, fd, err) < 0) {
        close(fd);
        return -1;
    }
    json_t *m = json_pack("{s:s}", "op", "status");
    int rc = shim_send(c->shim, m, -1, err);
    json_decref(m);
    return rc;
}
