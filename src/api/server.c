#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/log.h"
#include "../lib/trim.h"
#include "routes.h"

#define STREAM_LOW (256u << 10)
#define MAX_HEADERS 4

struct api_server {
    struct MHD_Daemon *d;
    struct pier_loop *loop;
    struct pier_watch *mhd_w;
    struct pier_watch *timer; /* MHD's timeouts, and runs after a resume */
    /* idle trim: requests seen, as of the last tick, and whether any came
     * since the last trim */
    struct pier_watch *idle_timer;
    unsigned long requests, requests_at_tick;
    bool busy_since_trim;
    struct engine *engine;
    /* suspended connections: MHD refuses to stop while any is */
    struct MHD_Connection **suspended;
    size_t nsuspended, csuspended;
    bool stopping;
};

enum req_state { REQ_NEW, REQ_HANDLED, REQ_DEFERRED, REQ_READY };

struct api_req {
    struct api_server *srv;
    /* NULL once the client has gone while the handler held the request
     * (deferred, its body arriving): the reply then only frees it */
    struct MHD_Connection *conn;
    const char *method;
    char path[1024];
    int version;
    const struct api_route *route;
    char *params[4];
    int nparams;
    char *body;
    size_t body_len;
    bool body_too_large;
    /* API_STREAM: the body's pipe, written as it arrives; replies are held
     * while body_open */
    struct api_body *pipe_body;
    int body_wfd;
    struct pier_watch *body_w; /* the pipe's room, while suspended for it */
    bool body_open, body_taken;
    enum req_state state;
    /* a reply made while deferred, queued when the connection resumes */
    struct MHD_Response *response;
    int status;
    void *data;
    void (*data_free)(void *);
    struct api_stream *stream;
    const char *hdr_name[MAX_HEADERS], *hdr_value[MAX_HEADERS];
    int nhdr;
    const char **all; /* api_query_all */
};

struct api_stream {
    struct api_server *srv;
    struct MHD_Connection *conn;
    char *buf;
    size_t len, cap, off;
    bool ended, suspended, closed;
    /* not yet queued (the request's body is still arriving): what is
     * written is kept whole, and no writer is told to wait, since nothing
     * drains it until the body has come */
    bool held;
    bool peer_gone;              /* the client hung up while nothing was to send */
    struct pier_watch *hangup_w; /* while suspended: MHD does not watch then */
    void (*on_close)(void *data);
    void (*on_drain)(void *data);
    void *data;
};

static void suspend(struct api_server *s, struct MHD_Connection *c)
{
    if (s->nsuspended == s->csuspended) {
        size_t n = s->csuspended ? s->csuspended * 2 : 64;
        struct MHD_Connection **v = realloc(s->suspended, n * sizeof *v);
        if (v == NULL)
            return; /* only the shutdown misses it */
        s->suspended = v;
        s->csuspended = n;
    }
    s->suspended[s->nsuspended++] = c;
    MHD_suspend_connection(c);
}

static void resume(struct api_server *s, struct MHD_Connection *c)
{
    for (size_t i = 0; i < s->nsuspended; i++)
        if (s->suspended[i] == c) {
            s->suspended[i] = s->suspended[--s->nsuspended];
            break;
        }
    MHD_resume_connection(c);
}

static void kick(struct api_server *s)
{
    /* Let the loop run MHD again: a connection was resumed. */
    pier_timer_set(s->timer, 0, 0);
}

/* ---- replies ---- */

static void common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Server", "pier/0.1 (linux)");
}

static void req_free(struct api_req *r);

static void queue(struct api_req *r, int status, struct MHD_Response *resp)
{
    if (r->conn == NULL) {
        MHD_destroy_response(resp);
        req_free(r);
        return;
    }
    common_headers(resp);
    for (int i = 0; i < r->nhdr; i++)
        MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
    if (r->body_open) {
        /* queued once the body has all arrived (on_request) */
        r->response = resp;
        r->status = status;
        r->state = REQ_READY;
        if (r->stream != NULL)
            r->stream->held = true;
        return;
    }
    if (r->state == REQ_DEFERRED) {
        r->response = resp;
        r->status = status;
        r->state = REQ_READY;
        resume(r->srv, r->conn);
        kick(r->srv);
        return;
    }
    MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->state = REQ_HANDLED;
}

void api_set_header(struct api_req *r, const char *name, const char *value)
{
    if (r->nhdr < MAX_HEADERS) {
        r->hdr_name[r->nhdr] = name;
        r->hdr_value[r->nhdr++] = value;
    }
}

void api_reply_text(struct api_req *r, int status, const char *ctype, const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    queue(r, status, resp);
}

void api_reply_json(struct api_req *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body)
        json_decref(body);
    if (text == NULL) {
        api_reply_text(r, 500, "application/json", "{\"message\":\"out of memory\"}\n");
        return;
    }
    size_t n = strlen(text);
    /* docker's encoder ends JSON bodies with a newline */
    char *t = realloc(text, n + 2);
    if (t != NULL) {
        text = t;
        text[n++] = '\n';
        text[n] = '\0';
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    queue(r, status, resp);
}

void api_reply_empty(struct api_req *r, int status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    queue(r, status, resp);
}

void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pier_debug("%s %s: %d %s", r->method, r->path, status, msg);
    api_reply_json(r, status, json_pack("{s:s}", "message", msg));
}

void api_reply_err(struct api_req *r, pier_err_t *err)
{
    int status;
    switch (*err ? (*err)->errnum : 0) {
    case ENOENT:
        status = 404;
        break;
    case EEXIST:
    case EBUSY:
        status = 409;
        break;
    case EINVAL:
        status = 400;
        break;
    case EALREADY:
        status = 304;
        break;
    case EPERM:
    case EACCES:
        status = 403;
        break;
    case ENOTSUP:
        status = 501;
        break;
    default:
        status = 500;
    }
    if (status == 304) {
        api_reply_empty(r, 304);
    } else {
        /* The message is for users: no strerror suffix of the status. */
        api_reply_error(r, status, "%s", pier_error_msg(*err));
    }
    pier_error_free(err);
}

void api_defer(struct api_req *r)
{
    r->state = REQ_DEFERRED;
    /* A body still arriving is read on; the request waits at its end
     * (on_request). */
    if (!r->body_open)
        suspend(r->srv, r->conn);
}

/* ---- streams ---- */

static void stream_wake(struct api_stream *s)
{
    if (s->hangup_w) {
        pier_watch_del(s->hangup_w);
        s->hangup_w = NULL;
    }
    if (s->suspended) {
        s->suspended = false;
        resume(s->srv, s->conn);
        kick(s->srv);
    }
}

/* A suspended connection is not polled by MHD: a client that went away
 * (docker run -d leaves its /wait) would hold it until the stream has
 * something to say.  Its hang-up is watched here instead. */
static void on_hangup(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct api_stream *s = data;
    s->peer_gone = true;
    stream_wake(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct api_stream *s = cls;
    if (s->peer_gone)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t avail = s->len - s->off;
    if (avail == 0) {
        if (s->ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        s->suspended = true;
        suspend(s->srv, s->conn);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(s->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL && s->hangup_w == NULL)
            s->hangup_w =
                pier_watch_add(s->srv->loop, ci->connect_fd, EPOLLRDHUP, on_hangup, s, NULL);
        return 0;
    }
    size_t n = avail < max ? avail : max;
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    if (s->off == s->len)
        s->off = s->len = 0;
    if (s->on_drain && s->len - s->off < STREAM_LOW && s->len - s->off + n >= STREAM_LOW)
        s->on_drain(s->data);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct api_stream *s = cls;
    if (s->hangup_w)
        pier_watch_del(s->hangup_w);
    if (!s->closed && s->on_close)
        s->on_close(s->data);
    free(s->buf);
    free(s);
}

struct api_stream *api_reply_stream(struct api_req *r, int status, const char *ctype,
                                    void (*on_close)(void *data), void *data)
{
    if (r->conn == NULL) {
        req_free(r); /* its client is gone: the stream would be too */
        return NULL;
    }
    struct api_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        api_reply_error(r, 500, "out of memory");
        return NULL;
    }
    *s = (struct api_stream){.srv = r->srv, .conn = r->conn, .on_close = on_close, .data = data};
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32768, stream_read, s, stream_free);
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    r->stream = s;
    queue(r, status, resp);
    return s;
}

size_t api_stream_write(struct api_stream *s, const void *p, size_t n)
{
    if (s->ended || s->closed)
        return 0;
    if (s->len + n > s->cap) {
        if (s->off > 0) {
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off;
            s->off = 0;
        }
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + n)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (b == NULL)
            return s->len - s->off;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    stream_wake(s);
    return s->held ? 0 : s->len - s->off;
}

size_t api_stream_json_line(struct api_stream *s, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (text == NULL)
        return 0;
    size_t n = strlen(text);
    text[n] = '\n'; /* over the NUL: the n + 1 bytes are ours */
    size_t r = api_stream_write(s, text, n + 1);
    free(text);
    return r;
}

void api_stream_end(struct api_stream *s)
{
    if (s->ended)
        return;
    s->ended = true;
    stream_wake(s);
}

void api_stream_abort(struct api_stream *s)
{
    /* as if the client had gone: MHD closes the connection mid-body */
    s->peer_gone = true;
    s->ended = true;
    stream_wake(s);
}

void api_stream_on_drain(struct api_stream *s, void (*fn)(void *data))
{
    s->on_drain = fn;
}

/* ---- hijack ---- */

struct upgrade {
    struct api_server *srv;
    void (*fn)(void *data, int fd);
    void *data;
};

static void on_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra,
                        size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)c;
    (void)req_cls;
    struct upgrade *u = cls;
    if (extra_len > 0)
        pier_warn("hijack: %zu bytes sent before the upgrade were lost", extra_len);
    (void)extra;
    int fd = fcntl(sock, F_DUPFD_CLOEXEC, 3);
    /* blocking again: whoever takes it decides */
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    /* MHD closes its copy when it next runs: soon, or the client would not
     * see the end of the stream when the shim closes it */
    kick(u->srv);
    if (fd >= 0)
        u->fn(u->data, fd);
    free(u);
}

bool api_wants_upgrade(struct api_req *r)
{
    const char *up = api_header(r, "Upgrade");
    return up != NULL && strcasecmp(up, "tcp") == 0;
}

void api_reply_upgrade(struct api_req *r, const char *ctype, void (*fn)(void *data, int fd),
                       void *data)
{
    struct upgrade *u = malloc(sizeof *u);
    if (u == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    u->srv = r->srv;
    u->fn = fn;
    u->data = data;
    struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, u);
    MHD_add_response_header(resp, "Upgrade", "tcp");
    MHD_add_response_header(resp, "Content-Type", ctype);
    queue(r, 101, resp);
}

/* ---- the request ---- */

struct engine *api_engine(struct api_req *r)
{
    return r->srv->engine;
}

const char *api_method(struct api_req *r)
{
    return r->method;
}

const char *api_param(struct api_req *r, int i)
{
    return i < r->nparams ? r->params[i] : "";
}

const char *api_query(struct api_req *r, const char *key)
{
    if (r->conn == NULL)
        return NULL;
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct collect {
    const char *key;
    const char **v;
    size_t n;
};

static enum MHD_Result collect_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct collect *c = cls;
    if (value == NULL || strcmp(key, c->key) != 0)
        return MHD_YES;
    const char **v = realloc(c->v, (c->n + 2) * sizeof *v);
    if (v == NULL)
        return MHD_NO;
    v[c->n++] = value;
    v[c->n] = NULL;
    c->v = v;
    return MHD_YES;
}

const char **api_query_all(struct api_req *r, const char *key)
{
    static const char *none[] = {NULL};
    struct collect c = {.key = key};
    if (r->conn == NULL)
        return none;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_one, &c);
    if (c.v == NULL)
        return none;
    free(r->all);
    r->all = c.v;
    return c.v;
}

int api_query_filters(struct api_req *r, json_t **out, pier_err_t *err)
{
    *out = NULL;
    const char *f = api_query(r, "filters");
    if (f == NULL || *f == '\0')
        return 0;
    json_error_t je;
    json_t *j = json_loads(f, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return pier_fail(err, EINVAL, "invalid filter: %s", j ? "not a JSON object" : je.text);
    }
    *out = j;
    return 0;
}

bool api_query_bool(struct api_req *r, const char *key)
{
    const char *v = api_query(r, key);
    if (v == NULL)
        return false;
    return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
}

long long api_query_int(struct api_req *r, const char *key, long long dflt)
{
    const char *v = api_query(r, key);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? n : dflt;
}

const char *api_header(struct api_req *r, const char *name)
{
    if (r->conn == NULL)
        return NULL;
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int api_version(struct api_req *r)
{
    return r->version;
}

int api_body_json(struct api_req *r, json_t **out, pier_err_t *err)
{
    *out = NULL;
    if (r->body_too_large)
        return pier_error(err, EINVAL, "request body larger than %u bytes", API_BODY_MAX);
    if (r->body_len == 0)
        return 0;
    json_error_t je;
    *out = json_loadb(r->body, r->body_len, 0, &je);
    if (*out == NULL) {
        pier_fail(err, EINVAL, "invalid JSON: %s", je.text);
        return -1;
    }
    return 0;
}

int api_body_object(struct api_req *r, json_t **out, const char *missing)
{
    pier_err_t err = NULL;
    if (api_body_json(r, out, &err) < 0) {
        api_reply_err(r, &err);
        return -1;
    }
    if (!json_is_object(*out)) {
        api_reply_error(r, 400, "%s", missing);
        return -1;
    }
    return 0;
}

const char *api_body(struct api_req *r, size_t *len)
{
    *len = r->body_len;
    return r->body ? r->body : "";
}

void api_set_data(struct api_req *r, void *data, void (*fn)(void *))
{
    r->data = data;
    r->data_free = fn;
}

void *api_data(struct api_req *r)
{
    return r->data;
}

/* "/v1.51/containers/json" -> version 51, path "/containers/json" */
static void split_version(struct api_req *r, const char *url)
{
    r->version = 51;
    if (url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9') {
        const char *p = url + 2;
        char *end;
        long major = strtol(p, &end, 10);
        if (*end == '.') {
            long minor = strtol(end + 1, &end, 10);
            if (*end == '/' && major == 1) {
                r->version = (int)minor;
                url = end;
            }
        }
    }
    snprintf(r->path, sizeof r->path, "%s", url);
}

/* ---- a body read as it arrives (API_STREAM) ---- */

enum { BODY_ARRIVING, BODY_WHOLE, BODY_CUT };

/* The server's and the taker's; the read end is the taker's, closed when
 * it is done, so that the server's next write fails (EPIPE) rather than
 * waits for room that never comes. */
struct api_body {
    atomic_int refs;
    atomic_int state;
    int rfd;
};

static void body_unref(struct api_body *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
        if (b->rfd >= 0)
            close(b->rfd);
        free(b);
    }
}

struct api_body *api_body_take(struct api_req *r)
{
    if (r->pipe_body == NULL || r->body_taken)
        return NULL;
    r->body_taken = true;
    atomic_fetch_add(&r->pipe_body->refs, 1);
    return r->pipe_body;
}

int api_body_pipe(const struct api_body *b)
{
    return b->rfd;
}

int api_body_whole(const struct api_body *b, pier_err_t *err)
{
    if (atomic_load(&b->state) == BODY_WHOLE)
        return 0;
    return pier_error(err, ECONNRESET, "the client went away before the end of the request body");
}

void api_body_release(struct api_body *b)
{
    if (b == NULL)
        return;
    close(b->rfd);
    b->rfd = -1;
    body_unref(b);
}

static void body_unwatch(struct api_req *r)
{
    if (r->body_w != NULL) {
        pier_watch_del(r->body_w);
        r->body_w = NULL;
    }
}

/* The pipe's write end closed, once: whole (the reader sees its end) or
 * cut, said before the reader can see the end. */
static void body_close(struct api_req *r, int state)
{
    body_unwatch(r);
    if (r->body_wfd < 0)
        return;
    atomic_store(&r->pipe_body->state, state);
    close(r->body_wfd);
    r->body_wfd = -1;
}

static void on_body_room(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct api_req *r = data;
    body_unwatch(r);
    resume(r->srv, r->conn);
    kick(r->srv);
}

static int body_open(struct api_req *r)
{
    int p[2];
    struct api_body *b = calloc(1, sizeof *b);
    if (b == NULL || pipe2(p, O_CLOEXEC) < 0) {
        pier_warn("request body: %s", b ? strerror(errno) : "out of memory");
        free(b);
        return -1;
    }
    /* a larger pipe: fewer suspends of the connection while it is read */
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
    atomic_init(&b->refs, 1);
    atomic_init(&b->state, BODY_ARRIVING);
    b->rfd = p[0];
    r->pipe_body = b;
    r->body_wfd = p[1];
    r->body_open = true;
    return 0;
}

/* Into the pipe what it takes now; when full, the connection waits (not
 * the loop) for room, and MHD gives the rest again on resume. */
static void body_write(struct api_req *r, const char *upload, size_t *upload_size)
{
    if (r->body_wfd < 0) {
        *upload_size = 0; /* no reader (any more): dropped */
        return;
    }
    ssize_t n = write(r->body_wfd, upload, *upload_size);
    if (n < 0 && errno == EINTR)
        return;
    if (n < 0 && errno != EAGAIN) {
        /* EPIPE: the reader finished early; the rest is not wanted */
        body_close(r, BODY_CUT);
        *upload_size = 0;
        return;
    }
    if (n > 0)
        *upload_size -= (size_t)n;
    if (*upload_size == 0)
        return;
    pier_err_t err = NULL;
    r->body_w = pier_watch_add(r->srv->loop, r->body_wfd, EPOLLOUT, on_body_room, r, &err);
    if (r->body_w == NULL) {
        pier_warn("request body: %s", pier_error_msg(err));
        pier_error_free(&err);
        body_close(r, BODY_CUT);
        *upload_size = 0;
        return;
    }
    suspend(r->srv, r->conn);
}

static void req_free(struct api_req *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    free(r->body);
    free(r->all);
    body_close(r, BODY_CUT); /* a body still open here was cut short */
    body_unref(r->pipe_body);
    if (r->response)
        MHD_destroy_response(r->response);
    if (r->data_free)
        r->data_free(r->data);
    free(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    struct api_server *srv = cls;
    struct api_req *r = *con_cls;
    *con_cls = NULL;
    if (r == NULL)
        return;
    if (r->state == REQ_DEFERRED && !srv->stopping) {
        /* The client left while its body arrived, and the handler holds
         * the request: the body's reader sees it cut, the reply frees it. */
        body_close(r, BODY_CUT);
        r->conn = NULL;
        return;
    }
    req_free(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct api_server *srv = cls;
    struct api_req *r = *con_cls;
    if (r == NULL) {
        srv->requests++;
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->body_wfd = -1;
        split_version(r, url);
        r->route = api_route_match(method, r->path, r->params, &r->nparams);
        *con_cls = r;
        if (r->route != NULL && (r->route->flags & API_STREAM) && body_open(r) == 0) {
            pier_debug("%s %s", method, url);
            r->route->fn(r);
            if (r->state == REQ_NEW)
                api_reply_error(r, 500, "internal error: no reply to %s %s", method, r->path);
            if (!r->body_taken) {
                close(r->pipe_body->rfd);
                r->pipe_body->rfd = -1;
            }
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (r->pipe_body != NULL) {
            body_write(r, upload, upload_size);
            return MHD_YES;
        }
        if (r->body_len + *upload_size > API_BODY_MAX) {
            r->body_too_large = true;
        } else {
            char *b = realloc(r->body, r->body_len + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            memcpy(b + r->body_len, upload, *upload_size);
            r->body = b;
            r->body_len += *upload_size;
            r->body[r->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->body_open) {
        /* all of it came: the reader sees its end, the held reply goes */
        r->body_open = false;
        body_close(r, BODY_WHOLE);
        if (r->stream != NULL)
            r->stream->held = false;
        if (r->state == REQ_DEFERRED) {
            suspend(srv, conn); /* until the reply comes (queue) */
            return MHD_YES;
        }
    }
    switch (r->state) {
    case REQ_NEW:
        pier_debug("%s %s", method, url);
        if (r->route == NULL) {
            if (api_route_path_known(r->path))
                api_reply_error(r, 405, "method %s not allowed on %s", method, r->path);
            else
                api_reply_error(r, 404, "page not found");
        } else if (r->body_too_large) {
            api_reply_error(r, 400, "request body larger than %u bytes", API_BODY_MAX);
        } else {
            r->route->fn(r);
            if (r->state == REQ_NEW)
                api_reply_error(r, 500, "internal error: no reply to %s %s", method, r->path);
        }
        return MHD_YES;
    case REQ_READY: {
        struct MHD_Response *resp = r->response;
        r->response = NULL;
        r->state = REQ_HANDLED;
        enum MHD_Result q = MHD_queue_response(conn, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
        return q;
    }
    default:
        return MHD_YES;
    }
}

/* MHD reports what a client did to its connection (went away early, sent
 * garbage): not pierd's errors, so only for debugging. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    pier_debug("http: %s", msg);
}

/* ---- the loop ---- */

/* MHD moves at most one buffer (32 KiB) per connection in a run and says
 * so with a timeout of 0: run it again at once, a bounded number of times
 * before the loop's other watches get their turn (the timer then fires on
 * the loop's next round). */
#define MHD_RUNS_PER_WAKE 64

static void run_mhd(struct api_server *s)
{
    MHD_UNSIGNED_LONG_LONG to = 0;
    bool known = false;
    for (int i = 0; i < MHD_RUNS_PER_WAKE; i++) {
        MHD_run(s->d);
        known = MHD_get_timeout(s->d, &to) == MHD_YES;
        if (!known || to != 0)
            break;
    }
    if (known)
        pier_timer_set(s->timer, to, 0);
}

static void on_mhd(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    run_mhd(data);
}

/* After a quiet tick, pierd gives back the pages of what it did (an import's
 * libarchive and libcrypto, start-up's TLS library): an idle daemon is
 * small, as users measure it. */
#define IDLE_TICK_MS 10000

static void on_idle_tick(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct api_server *s = data;
    if (s->requests != s->requests_at_tick) {
        s->requests_at_tick = s->requests;
        s->busy_since_trim = true;
        return;
    }
    if (s->busy_since_trim) {
        engine_idle(s->engine);
        pier_trim_memory();
        s->busy_since_trim = false;
    }
}

int api_server_start(struct pier_loop *loop, int listen_fd, struct engine *e,
                     struct api_server **out, pier_err_t *err)
{
    struct api_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pier_error(err, ENOMEM, "server");
    s->loop = loop;
    s->engine = e;
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_LISTEN_SOCKET,
        listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)65536, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_END);
    if (s->d == NULL) {
        free(s);
        return pier_error(err, 0, "start the HTTP server");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
    s->mhd_w = pier_watch_add(loop, info->epoll_fd, EPOLLIN, on_mhd, s, err);
    s->timer = pier_timer_add(loop, 1000, 0, on_mhd, s, err);
    s->busy_since_trim = true; /* start-up itself */
    s->idle_timer = pier_timer_add(loop, IDLE_TICK_MS, IDLE_TICK_MS, on_idle_tick, s, err);
    if (s->mhd_w == NULL || s->timer == NULL || s->idle_timer == NULL) {
        api_server_stop(s);
        return -1;
    }
    *out = s;
    return 0;
}

void api_server_stop(struct api_server *s)
{
    if (s == NULL)
        return;
    if (s->mhd_w)
        pier_watch_del(s->mhd_w);
    if (s->timer)
        pier_timer_del(s->timer);
    if (s->idle_timer)
        pier_timer_del(s->idle_timer);
    s->stopping = true;
    if (s->nsuspended > 0)
        pier_debug("http: %zu connections still waiting at shutdown", s->nsuspended);
    while (s->nsuspended > 0)
        resume(s, s->suspended[0]);
    if (s->d)
        MHD_stop_daemon(s->d);
    free(s->suspended);
    free(s);
}
