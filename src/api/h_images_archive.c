/* docker save (GET /images/get, /images/{name}/get) and docker load
 * (POST /images/load).
 *
 * The archive work runs on a thread (pier_work) that writes what the
 * client is to get into one end of a socketpair; the loop reads the other
 * end into the response only as fast as the client takes it (reading
 * stops above API_STREAM_HIGH buffered and resumes on drain).  A slow
 * client makes the thread wait, never the loop; a client that leaves
 * closes the pair, and the thread's next write fails (EPIPE) and ends it.
 * A save that fails once its 200 went out cuts the response short, so
 * that the client sees a broken stream; a load reports in the stream, as
 * docker does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../image/archive.h"
#include "../image/registry.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/progress_text.h"
#include "../lib/work.h"
#include "routes.h"

#define READ_CHUNK (64u << 10)

struct pump {
    struct engine *e;
    struct api_stream *s; /* NULL once the client's stream is gone */
    struct pier_watch *w; /* on rfd while reading */
    int rfd, wfd;
    bool done, eof;
    bool failed;        /* the thread's */
    bool broken;        /* the loop's: the pair could not be watched */
    const char *action; /* "save", "load": the events of the images */
    json_t *ids;        /* the images saved or loaded */
    struct img_save *sv;
    struct api_body *body;        /* load: the archive as it arrives */
    bool quiet;                   /* load: no progress of layers */
    struct reg_platform platform; /* the platform parameter's, when has_platform */
    bool has_platform;
    pier_err_t err;
};

/* The request's platform parameter (JSON or os/arch), when it has one;
 * a bad one is a 400. */
static int platform_param(struct api_req *r, struct pump *p)
{
    const char *q = api_query(r, "platform");
    if (q == NULL || *q == '\0')
        return 0;
    pier_err_t err = NULL;
    if (reg_platform_query(q, &p->platform, &err) < 0) {
        api_reply_error(r, 400, "%s", pier_error_msg(err));
        pier_error_free(&err);
        return -1;
    }
    p->has_platform = true;
    return 0;
}

static void pump_free(struct pump *p)
{
    if (p->w)
        pier_watch_del(p->w);
    if (p->rfd >= 0)
        close(p->rfd);
    if (p->wfd >= 0)
        close(p->wfd);
    api_body_release(p->body);
    img_save_free(p->sv);
    json_decref(p->ids);
    pier_error_free(&p->err);
    free(p);
}

static void finish(struct pump *p)
{
    if (!p->eof || !p->done || p->s == NULL)
        return;
    if (p->failed || p->broken)
        api_stream_abort(p->s);
    else
        api_stream_end(p->s);
}

static void unwatch(struct pump *p)
{
    if (p->w) {
        pier_watch_del(p->w);
        p->w = NULL;
    }
}

static void on_readable(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct pump *p = data;
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = read(p->rfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            /* the thread closed its end (or the pair broke: the thread
             * sees that too, and says what failed) */
            p->eof = true;
            unwatch(p);
            finish(p);
            return;
        }
        if (api_stream_write(p->s, buf, (size_t)n) >= API_STREAM_HIGH) {
            unwatch(p); /* until the client drains it */
            return;
        }
    }
}

static void watch(struct pump *p)
{
    pier_err_t err = NULL;
    p->w = pier_watch_add(engine_loop(p->e), p->rfd, EPOLLIN, on_readable, p, &err);
    if (p->w == NULL) {
        /* the thread's writes then fail (EPIPE) and it ends */
        pier_warn("%s: %s", p->action, pier_error_msg(err));
        pier_error_free(&err);
        close(p->rfd);
        p->rfd = -1;
        p->eof = p->broken = true;
        finish(p);
    }
}

static void on_drain(void *data)
{
    struct pump *p = data;
    if (!p->eof && p->w == NULL && p->rfd >= 0)
        watch(p);
}

static void on_closed(void *data)
{
    struct pump *p = data;
    p->s = NULL;
    unwatch(p);
    if (p->rfd >= 0) {
        close(p->rfd);
        p->rfd = -1;
    }
    if (p->done)
        pump_free(p);
}

static void on_done(void *data)
{
    struct pump *p = data;
    p->done = true;
    if (p->err != NULL) {
        /* a client that left is no failure of pierd's */
        if (p->s == NULL || p->err->errnum == EPIPE || p->err->errnum == ECONNRESET)
            pier_debug("%s: %s", p->action, pier_error_msg(p->err));
        else
            pier_warn("%s: %s", p->action, pier_error_msg(p->err));
    }
    size_t i;
    json_t *id;
    json_array_foreach (p->ids, i, id) {
        const char *s = json_string_value(id);
        engine_event(p->e, "image", p->action, s, json_pack("{s:s}", "name", s));
    }
    finish(p);
    if (p->s == NULL)
        pump_free(p);
}

/* The stream and the pair; then fn runs on a thread.  Replies (an error)
 * and frees p itself when it cannot start. */
static void pump_start(struct api_req *r, struct pump *p, const char *ctype, void (*fn)(void *))
{
    pier_err_t err = NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        api_reply_error(r, 500, "%s: socketpair: %s", p->action, strerror(errno));
        pump_free(p);
        return;
    }
    p->rfd = sv[0];
    p->wfd = sv[1];
    fcntl(p->rfd, F_SETFL, fcntl(p->rfd, F_GETFL) | O_NONBLOCK);
    p->s = api_reply_stream(r, 200, ctype, on_closed, p);
    if (p->s == NULL) {
        pump_free(p);
        return;
    }
    api_stream_on_drain(p->s, on_drain);
    watch(p);
    if (pier_work(engine_loop(p->e), fn, on_done, p, &err) < 0) {
        pier_warn("%s: %s", p->action, pier_error_msg(err));
        pier_error_free(&err);
        close(p->wfd);
        p->wfd = -1;
        p->broken = true;
        json_array_clear(p->ids);
        on_done(p);
    }
}

static struct pump *pump_new(struct api_req *r, const char *action)
{
    struct pump *p = calloc(1, sizeof *p);
    if (p == NULL || (p->ids = json_array()) == NULL) {
        free(p);
        api_reply_error(r, 500, "out of memory");
        return NULL;
    }
    p->e = api_engine(r);
    p->action = action;
    p->rfd = p->wfd = -1;
    return p;
}

/* ---- save ---- */

static void save_run(void *data)
{
    struct pump *p = data;
    if (img_save_write(p->sv, p->wfd, &p->err) < 0)
        p->failed = true;
    close(p->wfd);
    p->wfd = -1;
    if (p->failed)
        json_array_clear(p->ids);
}

static void save(struct api_req *r, const char *const *names)
{
    struct pump *p = pump_new(r, "save");
    if (p == NULL)
        return;
    pier_err_t err = NULL;
    if (platform_param(r, p) < 0) {
        pump_free(p);
        return;
    }
    if (img_save_open(engine_images(p->e), names, p->has_platform ? &p->platform : NULL, &p->sv,
                      &err) < 0) {
        pump_free(p);
        api_reply_err(r, &err);
        return;
    }
    for (size_t i = 0; i < img_save_count(p->sv); i++)
        json_array_append_new(p->ids, json_string(img_save_id(p->sv, i)));
    pump_start(r, p, "application/x-tar", save_run);
}

void h_images_get(struct api_req *r)
{
    const char *names[] = {api_param(r, 0), NULL};
    save(r, names);
}

void h_images_get_all(struct api_req *r)
{
    save(r, api_query_all(r, "names"));
}

/* ---- load ---- */

/* One message of docker's JSON stream. */
static void send_message(struct pump *p, json_t *j)
{
    size_t n;
    char *text = j ? pier_json_crlf(j, &n) : NULL;
    json_decref(j);
    if (text == NULL)
        return;
    /* a client that left does not stop the load: it is finished regardless */
    if (pier_send_all(p->wfd, text, n) < 0)
        pier_debug("load: its message: %s", strerror(errno));
    free(text);
}

static void load_line(void *data, const char *text)
{
    send_message(data, json_pack("{s:s}", "stream", text));
}

/* docker's progress of a layer it loaded, as its daemon sends it at the
 * end of the layer: the id is its diff id's, the total its size in the
 * archive. */
static void load_layer(void *data, const char *diff_id, int64_t size)
{
    struct pump *p = data;
    if (p->quiet)
        return;
    char id[13], text[128];
    snprintf(id, sizeof id, "%.12s", diff_id + strlen("sha256:"));
    /* as docker's daemon, which has no terminal: the width of 200 */
    pier_progress_text(size, size, 200, text, sizeof text);
    send_message(p, json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", "Loading layer",
                              "progressDetail", "current", (json_int_t)size, "total",
                              (json_int_t)size, "progress", text, "id", id));
}

static int load_input_end(void *data, pier_err_t *err)
{
    struct pump *p = data;
    return api_body_whole(p->body, err);
}

static void load_loaded(void *data, const char *image_id)
{
    struct pump *p = data;
    json_array_append_new(p->ids, json_string(image_id));
}

static void load_run(void *data)
{
    struct pump *p = data;
    struct img_load_report rep = {.line = load_line,
                                  .loaded = load_loaded,
                                  .layer = load_layer,
                                  .input_end = load_input_end,
                                  .data = p,
                                  .platform = p->has_platform ? &p->platform : NULL};
    if (img_load(engine_images(p->e), api_body_pipe(p->body), &rep, &p->err) < 0) {
        const char *msg = pier_error_msg(p->err);
        send_message(p, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
    }
    /* the rest of the body, if any, is not wanted: the server drops it */
    api_body_release(p->body);
    p->body = NULL;
    close(p->wfd);
    p->wfd = -1;
}

/* Runs as soon as the headers are in (API_STREAM): the thread reads the
 * archive as the client sends it, and the reply, held by the server until
 * the body has all come, carries what the thread said meanwhile. */
void h_images_load(struct api_req *r)
{
    struct pump *p = pump_new(r, "load");
    if (p == NULL)
        return;
    if (platform_param(r, p) < 0) {
        pump_free(p);
        return;
    }
    p->body = api_body_take(r);
    if (p->body == NULL) {
        api_reply_error(r, 500, "load: the request body cannot be read");
        pump_free(p);
        return;
    }
    p->quiet = api_query_bool(r, "quiet");
    pump_start(r, p, "application/json", load_run);
}
