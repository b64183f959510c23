#include "attach.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/signals.h"

int check_tty(bool attach_stdin, bool tty, pier_err_t *err)
{
    if (attach_stdin && tty && !isatty(0))
        return pier_error(err, 0, "the input device is not a TTY");
    return 0;
}

const char *detach_keys(struct cli *cli, struct flagset *fs)
{
    const char *k = flag_str(fs, "detach-keys");
    return *k ? k : cli_config(cli, "detachKeys");
}

int attach_open(struct cli *cli, const struct io_opts *o, struct api_stream *s, pier_err_t *err)
{
    cleanup_buf struct buf q = BUF_INIT;
    buf_printf(&q, "/containers/%s/attach?", o->id);
    /* url.Values: keys sorted */
    if (o->detach_keys && *o->detach_keys) {
        buf_puts(&q, "detachKeys=");
        url_escape(o->detach_keys, &q);
        buf_putc(&q, '&');
    }
    if (o->err)
        buf_puts(&q, "stderr=1&");
    if (o->in)
        buf_puts(&q, "stdin=1&");
    if (o->out)
        buf_puts(&q, "stdout=1&");
    buf_puts(&q, "stream=1");
    return api_hijack(cli, q.data, NULL, s, err);
}

struct sigctx {
    struct cli *cli;
    const struct io_opts *o;
    int retry; /* resize retries done */
};

/* A retry of the initial resize; the delay to the next, or -1. */
static int on_timer(void *ctx)
{
    struct sigctx *c = ctx;
    if (resize_tty(c->cli, c->o->id, c->o->exec, 0, 0) == 0)
        return -1;
    if (++c->retry == 10) {
        fprintf(stderr, "failed to resize tty, using default size\n");
        return -1;
    }
    return (c->retry + 1) * 10;
}

static void on_signal(void *ctx, int sig)
{
    struct sigctx *c = ctx;
    if (sig == SIGWINCH && c->o->tty && isatty(1))
        resize_tty(c->cli, c->o->id, c->o->exec, 0, 0);
    if (!c->o->sig_proxy || c->o->exec)
        return;
    const char *name = pier_signal_name(sig);
    if (name == NULL)
        return;
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/kill?signal=%s", c->o->id, name + 3);
    struct api_resp r;
    pier_err_t err = NULL;
    if (api_call(c->cli, "POST", path, NULL, &r, &err) == 0)
        api_resp_free(&r);
    else if (c->cli->debug)
        fprintf(stderr, "Error sending signal: %s\n", pier_error_msg(err));
    pier_error_free(&err);
}

int attach_copy(struct cli *cli, const struct io_opts *o, struct api_stream *s, pier_err_t *err)
{
    struct escape esc = {0};
    bool use_escape = false;
    if (o->in && o->tty) {
        /* the keys docker's client itself watches for; bad keys fall back
         * to ctrl-p,ctrl-q */
        if (o->detach_keys == NULL || *o->detach_keys == '\0' ||
            escape_parse(o->detach_keys, &esc) < 0)
            escape_parse("ctrl-p,ctrl-q", &esc);
        use_escape = true;
        if (term_raw() < 0)
            return pier_error(
                err, 0, "unable to setup input stream: unable to set IO streams as raw terminal");
    }
    char pre[HTTP_BUF_SIZE];
    size_t npre = http_take_buffered(&s->conn, pre, sizeof pre);
    struct sigctx sc = {cli, o, 0};
    struct stream st = {
        .conn = s->conn.fd,
        .pre = pre,
        .npre = npre,
        .tty = o->tty,
        .in_fd = o->in ? 0 : -1,
        .out = o->out,
        .err = o->err,
        .escape = use_escape ? &esc : NULL,
        .on_signal = on_signal,
        .on_timer = on_timer,
        .timer_ms = o->resize_retry ? 10 : -1,
        .ctx = &sc,
    };
    int rc = stream_run(&st, err);
    term_restore();
    return rc;
}

int wait_open(struct cli *cli, const char *id, const char *condition, struct api_stream *s,
              pier_err_t *err)
{
    char path[256];
    if (condition && *condition)
        snprintf(path, sizeof path, "/containers/%s/wait?condition=%s", id, condition);
    else
        snprintf(path, sizeof path, "/containers/%s/wait", id);
    return api_stream_take(cli, "POST", path, s, err);
}

int wait_status(struct api_stream *s)
{
    char *body = NULL;
    size_t len = 0;
    pier_err_t err = NULL;
    int status = 125;
    if (http_read_body_all(&s->conn, &s->resp, 64 * 1024, &body, &len, &err) < 0) {
        cli_log_error("error waiting for container: %s", pier_error_msg(err));
        pier_error_free(&err);
        return 125;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *e = json_object_get(j, "Error");
    const char *msg = json_string_value(json_object_get(e, "Message"));
    if (j == NULL) {
        cli_log_error("error waiting for container: %s", *body ? body : "unexpected EOF");
    } else if (msg && *msg) {
        cli_log_error("Error waiting for container: %s", msg);
    } else {
        status = (int)json_integer_value(json_object_get(j, "StatusCode"));
    }
    if (j)
        json_decref(j);
    free(body);
    return status;
}

int resize_tty(struct cli *cli, const char *id, bool exec, unsigned dh, unsigned dw)
{
    unsigned rows, cols;
    term_size(1, &rows, &cols);
    if (rows == 0 && cols == 0)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "/%s/%s/resize?h=%u&w=%u", exec ? "exec" : "containers", id,
             rows + dh, cols + dw);
    struct api_resp r;
    pier_err_t err = NULL;
    int rc = api_call(cli, "POST", path, NULL, &r, &err);
    if (rc == 0)
        api_resp_free(&r);
    pier_error_free(&err);
    return rc;
}

bool init_tty_size(struct cli *cli, const char *id, bool exec)
{
    return resize_tty(cli, id, exec, 0, 0) == 0;
}
