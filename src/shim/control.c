/* pierd's connections to the shim: the socketpair it was started with, and
 * reconnections on shim.sock after pierd restarted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/trim.h"
#include "../lib/msg.h"
#include "../runtime/container.h"
#include "proto.h"
#include "shim.h"

static void ctl_drop(struct ctl *c)
{
    struct shim *s = c->shim;
    for (struct ctl **p = &s->ctls; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pier_watch_del(c->w);
    close(c->fd);
    free(c);
}

static void send_to(struct ctl *c, json_t *msg)
{
    pier_err_t err = NULL;
    if (pier_msg_send(c->fd, msg, -1, &err) < 0) {
        pier_debug("shim: %s", pier_error_msg(err));
        pier_error_free(&err);
    }
}

void ctl_broadcast(struct shim *s, json_t *msg)
{
    for (struct ctl *c = s->ctls; c; c = c->next)
        send_to(c, msg);
    json_decref(msg);
}

static void reply_error(struct ctl *c, const char *op, const char *id, pier_err_t *err)
{
    json_t *m = json_pack("{s:s, s:s}", "op", op, "error", pier_error_msg(*err));
    if (id)
        json_object_set_new(m, "id", json_string(id));
    send_to(c, m);
    json_decref(m);
    pier_error_free(err);
}

static json_t *status_msg(struct shim *s)
{
    return json_pack("{s:s, s:i, s:b, s:i, s:s, s:b}", "op", "status", "pid", (int)s->pid,
                     "running", s->started && !s->exited, "exit_code", s->exit_code, "finished_at",
                     s->finished_at, "oom_killed", s->oom_killed);
}

static void handle(struct ctl *c, json_t *m, int fd)
{
    struct shim *s = c->shim;
    pier_err_t err = NULL;
    const char *op = json_string_value(json_object_get(m, "op"));
    if (op == NULL)
        op = "";
    bool in = json_is_true(json_object_get(m, "stdin"));
    bool out = json_is_true(json_object_get(m, "stdout"));
    bool er = json_is_true(json_object_get(m, "stderr"));
    const char *keys = json_string_value(json_object_get(m, "detach_keys"));
    if (strcmp(op, "attach") == 0) {
        if (fd < 0) {
            pier_error(&err, 0, "attach without a connection");
        } else if (s->exited && s->io.out < 0 && s->io.err < 0) {
            close(fd); /* nothing more will come */
            return;
        } else if (stdio_attach(&s->io, fd, in && s->open_stdin, out, er, keys, &err) == 0) {
            return;
        } else {
            close(fd);
        }
        reply_error(c, "attach-error", NULL, &err);
    } else if (strcmp(op, "start") == 0) {
        if (fd >= 0)
            close(fd);
        if (shim_start(s, &err) < 0) {
            reply_error(c, "error", NULL, &err);
        } else {
            json_t *r = json_pack("{s:s, s:i}", "op", "started", "pid", (int)s->pid);
            send_to(c, r);
            json_decref(r);
            /* from here the shim moves stdio and waits: what built the
             * container need not stay resident for its whole life */
            pier_trim_memory();
        }
    } else if (strcmp(op, "resize") == 0) {
        struct winsize ws = {.ws_row = (unsigned short)json_integer_value(json_object_get(m, "h")),
                             .ws_col = (unsigned short)json_integer_value(json_object_get(m, "w"))};
        if (s->tty && s->io.out >= 0)
            ioctl(s->io.out, TIOCSWINSZ, &ws);
    } else if (strcmp(op, "exec") == 0) {
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *proc = json_string_value(json_object_get(m, "process"));
        if (id == NULL || proc == NULL) {
            if (fd >= 0)
                close(fd);
            pier_error(&err, 0, "exec: id and process are required");
            reply_error(c, "exec-error", id, &err);
        } else if (exec_start(s, id, proc, json_is_true(json_object_get(m, "tty")), in, out, er,
                              keys, fd, &err) < 0) {
            /* As dockerd: the reason on the exec's stdout, and pierd told
             * first, so that the exit code is known when the client sees
             * the end of its stream. */
            char why[1024];
            snprintf(why, sizeof why, "OCI runtime exec failed: %s: unknown\r\n",
                     pier_error_msg(err));
            reply_error(c, "exec-error", id, &err);
            if (fd >= 0) {
                if (out)
                    stdio_send_once(fd, json_is_true(json_object_get(m, "tty")), why);
                close(fd);
            }
        }
    } else if (strcmp(op, "exec-resize") == 0) {
        const char *id = json_string_value(json_object_get(m, "id"));
        if (id != NULL &&
            exec_resize(s, id, (unsigned)json_integer_value(json_object_get(m, "h")),
                        (unsigned)json_integer_value(json_object_get(m, "w")), &err) < 0)
            pier_error_free(&err);
    } else if (strcmp(op, "status") == 0) {
        json_t *r = status_msg(s);
        send_to(c, r);
        json_decref(r);
    } else {
        if (fd >= 0)
            close(fd);
        pier_error(&err, 0, "unknown op `%s`", op);
        reply_error(c, "error", NULL, &err);
    }
}

static void on_ctl(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct ctl *c = data;
    json_t *m = NULL;
    int fd = -1;
    pier_err_t err = NULL;
    int r = pier_msg_recv(c->fd, &m, &fd, &err);
    if (r <= 0) {
        if (r < 0)
            pier_debug("shim: %s", pier_error_msg(err));
        pier_error_free(&err);
        ctl_drop(c);
        return;
    }
    handle(c, m, fd);
    json_decref(m);
}

int ctl_add(struct shim *s, int fd, pier_err_t *err)
{
    struct ctl *c = calloc(1, sizeof *c);
    if (c == NULL)
        return pier_error(err, ENOMEM, "control connection");
    c->shim = s;
    c->fd = fd;
    c->w = pier_watch_add(s->loop, fd, EPOLLIN, on_ctl, c, err);
    if (c->w == NULL) {
        free(c);
        return -1;
    }
    c->next = s->ctls;
    s->ctls = c;
    return 0;
}

void ctl_accept(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct shim *s = data;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    pier_err_t err = NULL;
    if (ctl_add(s, fd, &err) < 0) {
        close(fd);
        pier_error_free(&err);
        return;
    }
    /* A pierd that reconnects learns where things stand. */
    if (s->exited) {
        json_t *m = status_msg(s);
        send_to(s->ctls, m);
        json_decref(m);
    }
}
