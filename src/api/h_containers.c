/* /containers/...: create, list, inspect and the lifecycle. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/signals.h"
#include "params.h"
#include "routes.h"

void h_containers_create(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *body = NULL;
    if (api_body_object(r, &body, "config cannot be empty in order to create a container") < 0)
        return;
    json_t *warnings = NULL; /* engine_create makes it */
    struct container *c;
    if (engine_create(api_engine(r), api_query(r, "name"), body, &warnings, &c, &err) < 0) {
        json_decref(warnings);
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 201, json_pack("{s:s, s:o}", "Id", container_id(c), "Warnings", warnings));
}

void h_containers_list(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    cleanup_free char *out = NULL;
    if (api_query_filters(r, &filters, &err) < 0 ||
        engine_list(api_engine(r), api_query_bool(r, "all"), filters,
                    (int)api_query_int(r, "limit", -1), api_query_bool(r, "size"), &out,
                    &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_text(r, 200, "application/json", out);
}

void h_containers_inspect(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c)
        api_reply_json(r, 200, engine_inspect(api_engine(r), c, api_query_bool(r, "size")));
}

/* ---- replies that come when the engine is done ---- */

static void reply_done(void *data, pier_err_t err)
{
    struct api_req *r = data;
    if (err)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 204);
}

void h_containers_start(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    api_defer(r);
    engine_start(api_engine(r), c, reply_done, r);
}

/* `t` (or `timeout`, as some clients send): seconds; -1 when absent. */
static int stop_timeout(struct api_req *r)
{
    long long t = api_query_int(r, "t", api_query_int(r, "timeout", -1));
    return t < -1 ? -1 : t > 1000000 ? 1000000 : (int)t;
}

void h_containers_stop(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    const char *sig = api_query(r, "signal");
    if (sig && *sig && pier_signal_parse(sig) <= 0) {
        api_reply_error(r, 400, "Invalid signal: %s", sig);
        return;
    }
    api_defer(r);
    engine_stop(api_engine(r), c, stop_timeout(r), sig, reply_done, r);
}

void h_containers_restart(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    api_defer(r);
    engine_restart(api_engine(r), c, stop_timeout(r), reply_done, r);
}

void h_containers_kill(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    const char *name = api_query(r, "signal");
    int sig = name && *name ? pier_signal_parse(name) : SIGKILL;
    if (sig <= 0) {
        api_reply_error(r, 400, "Invalid signal: %s", name);
        return;
    }
    pier_err_t err = NULL;
    if (engine_kill(api_engine(r), c, sig, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 204);
}

/* ---- wait: the headers now, the status at the exit ---- */

struct wait_op {
    struct engine *e;
    struct api_stream *s;
    void *handle;
    bool fired;
};

static void wait_fired(void *data, int code, const char *error)
{
    struct wait_op *w = data;
    w->fired = true;
    json_t *j = json_pack("{s:i}", "StatusCode", code);
    json_object_set_new(j, "Error",
                        error && *error ? json_pack("{s:s}", "Message", error) : json_null());
    api_stream_json_line(w->s, j);
    json_decref(j);
    api_stream_end(w->s);
}

static void wait_closed(void *data)
{
    struct wait_op *w = data;
    if (!w->fired)
        engine_wait_cancel(w->e, w->handle);
    free(w);
}

void h_containers_wait(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    const char *cond = api_query(r, "condition");
    enum engine_wait how;
    if (cond == NULL || *cond == '\0' || strcmp(cond, "not-running") == 0)
        how = WAIT_NOT_RUNNING;
    else if (strcmp(cond, "next-exit") == 0)
        how = WAIT_NEXT_EXIT;
    else if (strcmp(cond, "removed") == 0)
        how = WAIT_REMOVED;
    else {
        api_reply_error(r, 400, "invalid condition: \"%s\"", cond);
        return;
    }
    struct wait_op *w = calloc(1, sizeof *w);
    if (w == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    w->e = api_engine(r);
    w->s = api_reply_stream(r, 200, "application/json", wait_closed, w);
    if (w->s == NULL) {
        free(w);
        return;
    }
    w->handle = engine_wait(w->e, c, how, wait_fired, w);
}

/* ---- remove ---- */

static void removed(void *data, int code, const char *error)
{
    (void)code;
    (void)error;
    api_reply_empty(data, 204);
}

void h_containers_remove(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    if (api_query_bool(r, "link")) {
        api_reply_error(r, 400, "legacy links are not supported");
        return;
    }
    pier_err_t err = NULL;
    struct engine *e = api_engine(r);
    int n = engine_remove(e, c, api_query_bool(r, "force"), api_query_bool(r, "v"), &err);
    if (n < 0) {
        api_reply_err(r, &err);
    } else if (n == 0) {
        api_reply_empty(r, 204);
    } else {
        /* a forced removal of a running container: answered once it is gone,
         * so that its name is free when the client goes on */
        api_defer(r);
        engine_wait(e, c, WAIT_REMOVED, removed, r);
    }
}

/* ---- logs ---- */

struct logs_op {
    struct api_stream *s;
    struct log_reader *reader;
};

static int logs_emit(void *data, const char *p, size_t n)
{
    struct logs_op *op = data;
    return api_stream_write(op->s, p, n) > API_STREAM_HIGH;
}

static void logs_drained(void *data)
{
    struct logs_op *op = data;
    log_reader_kick(op->reader);
}

static void logs_done(void *data)
{
    struct logs_op *op = data;
    op->reader = NULL;
    api_stream_end(op->s);
}

static void logs_closed(void *data)
{
    struct logs_op *op = data;
    log_reader_stop(op->reader);
    free(op);
}

static const char *stream_type(struct container *c)
{
    return container_tty(c) ? "application/vnd.docker.raw-stream"
                            : "application/vnd.docker.multiplexed-stream";
}

void h_containers_logs(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    struct log_opts o = {.out = api_query_bool(r, "stdout"),
                         .err = api_query_bool(r, "stderr"),
                         .timestamps = api_query_bool(r, "timestamps"),
                         .follow = api_query_bool(r, "follow"),
                         .tail = -1};
    if (!o.out && !o.err) {
        api_reply_error(r, 400, "Bad parameters: you must choose at least one stream");
        return;
    }
    const char *tail = api_query(r, "tail");
    if (tail && *tail && strcmp(tail, "all") != 0) {
        char *end;
        long long n = strtoll(tail, &end, 10);
        if (*end == '\0')
            o.tail = n < 0 ? -1 : n;
    }
    pier_err_t err = NULL;
    if (param_time(r, "since", &o.since_ns, &err) < 0 ||
        param_time(r, "until", &o.until_ns, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    struct logs_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct engine *e = api_engine(r);
    if (engine_logs(e, c, &o, logs_emit, logs_done, op, &op->reader, &err) < 0) {
        free(op);
        api_reply_err(r, &err);
        return;
    }
    op->s = api_reply_stream(r, 200, stream_type(c), logs_closed, op);
    if (op->s == NULL) {
        log_reader_stop(op->reader);
        free(op);
        return;
    }
    api_stream_on_drain(op->s, logs_drained);
}

/* ---- attach ---- */

struct attach_op {
    struct engine *e;
    char id[65];
    bool in, out, err;
    char keys[64];
};

static void attach_upgraded(void *data, int fd)
{
    struct attach_op *op = data;
    pier_err_t err = NULL;
    struct container *c = engine_find(op->e, op->id, &err);
    if (c == NULL || engine_attach(op->e, c, fd, op->in, op->out, op->err, op->keys, &err) < 0) {
        pier_warn("attach %s: %s", op->id, pier_error_msg(err));
        pier_error_free(&err);
        if (c == NULL)
            close(fd);
    }
    free(op);
}

void h_containers_attach(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    if (!api_query_bool(r, "stream")) {
        /* logs=1 without stream: what was logged, then the end */
        if (api_query_bool(r, "logs")) {
            h_containers_logs(r);
            return;
        }
        api_reply_error(r, 400, "at least one of stream or logs must be set");
        return;
    }
    struct attach_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    op->e = api_engine(r);
    snprintf(op->id, sizeof op->id, "%s", container_id(c));
    op->in = api_query_bool(r, "stdin");
    op->out = api_query_bool(r, "stdout");
    op->err = api_query_bool(r, "stderr");
    const char *keys = api_query(r, "detachKeys");
    snprintf(op->keys, sizeof op->keys, "%s", keys ? keys : "");
    api_reply_upgrade(r, stream_type(c), attach_upgraded, op);
}

/* ---- the rest ---- */

void h_containers_resize(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    long long h = api_query_int(r, "h", -1), w = api_query_int(r, "w", -1);
    if (h < 0 || w < 0 || h > 65535 || w > 65535) {
        api_reply_error(r, 400, "invalid terminal size: h=%s w=%s", api_query(r, "h") ?: "",
                        api_query(r, "w") ?: "");
        return;
    }
    pier_err_t err = NULL;
    if (engine_resize(api_engine(r), c, (unsigned)h, (unsigned)w, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 200);
}

void h_containers_top(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    pier_err_t err = NULL;
    json_t *out;
    if (engine_top(api_engine(r), c, api_query(r, "ps_args"), &out, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_json(r, 200, out);
}

void h_containers_rename(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    pier_err_t err = NULL;
    if (engine_rename(api_engine(r), c, api_query(r, "name"), &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 204);
}

static void pause_or_not(struct api_req *r, bool pause)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    pier_err_t err = NULL;
    if (engine_pause(api_engine(r), c, pause, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 204);
}

void h_containers_pause(struct api_req *r)
{
    pause_or_not(r, true);
}

void h_containers_unpause(struct api_req *r)
{
    pause_or_not(r, false);
}

void h_containers_prune(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    json_t *out;
    if (api_query_filters(r, &filters, &err) < 0 ||
        engine_prune(api_engine(r), filters, &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 200, out);
}
