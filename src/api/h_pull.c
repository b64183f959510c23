/* POST /images/create?fromImage=NAME&tag=TAG[&platform=P]: a pull, on a
 * thread of its own, its progress streamed as docker's JSON messages.
 *
 * The pull's threads hand each message to a queue (under a mutex) and wake
 * the loop through an eventfd; the loop writes them to the stream, which
 * only the loop may touch.  The reply starts with the first message: an
 * error before it (a bad reference, no such manifest, refused credentials)
 * is an HTTP status with {"message"}, one after it a last line
 * {"errorDetail":{"message"},"error"}, as docker's daemon does.  A client
 * that goes away cancels the pull. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../image/pull.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/work.h"
#include "routes.h"

struct pull_op {
    struct api_req *r;
    struct engine *e;
    char *ref, *platform, *auth;
    struct img_pull_opts opts;
    atomic_bool cancel;
    pthread_mutex_t lock;
    json_t *queue; /* messages from the pull's threads, under lock */
    int efd;
    struct pier_watch *w;
    struct api_stream *s;
    bool started;  /* the reply is the stream */
    bool gone;     /* the stream ended or its client went */
    bool finished; /* the pull returned */
    struct img_pull_result res;
    pier_err_t err;
};

static void op_free(struct pull_op *op)
{
    free(op->ref);
    free(op->platform);
    free(op->auth);
    json_decref(op->queue);
    pier_error_free(&op->err);
    pthread_mutex_destroy(&op->lock);
    free(op);
}

/* On the pull's threads. */
static void progress(void *data, json_t *msg)
{
    struct pull_op *op = data;
    pthread_mutex_lock(&op->lock);
    json_array_append_new(op->queue, msg);
    pthread_mutex_unlock(&op->lock);
    uint64_t one = 1;
    while (write(op->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void stream_closed(void *data)
{
    struct pull_op *op = data;
    op->gone = true;
    atomic_store(&op->cancel, true);
    if (op->finished)
        op_free(op);
}

static void start_stream(struct pull_op *op)
{
    if (op->started)
        return;
    op->started = true;
    op->s = api_reply_stream(op->r, 200, "application/json", stream_closed, op);
    if (op->s == NULL)
        op->gone = true;
}

/* What the threads queued, to the client. */
static void flush(struct pull_op *op)
{
    json_t *fresh = json_array();
    if (fresh == NULL)
        return;
    pthread_mutex_lock(&op->lock);
    json_t *q = op->queue;
    op->queue = fresh;
    pthread_mutex_unlock(&op->lock);
    if (json_array_size(q) > 0)
        start_stream(op);
    size_t i;
    json_t *m;
    json_array_foreach (q, i, m) {
        if (op->gone)
            break;
        api_stream_json_line(op->s, m);
    }
    json_decref(q);
}

static void woken(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct pull_op *op = data;
    uint64_t n;
    while (read(op->efd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    flush(op);
}

static void pull_run(void *data)
{
    struct pull_op *op = data;
    img_pull(engine_images(op->e), &op->opts, &op->res, &op->err);
}

static void pull_done(void *data)
{
    struct pull_op *op = data;
    flush(op);
    if (op->w)
        pier_watch_del(op->w);
    op->w = NULL;
    close(op->efd);
    op->finished = true;
    if (op->err == NULL)
        engine_event(op->e, "image", "pull", op->res.familiar,
                     json_pack("{s:s}", "name", op->res.familiar));
    if (!op->started && op->err != NULL) {
        api_reply_err(op->r, &op->err);
        op_free(op);
        return;
    }
    start_stream(op);
    if (op->gone) {
        /* no stream, or its client left: nobody to tell */
        op_free(op);
        return;
    }
    if (op->err != NULL) {
        const char *msg = pier_error_msg(op->err);
        cleanup_json json_t *j =
            json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg);
        if (j)
            api_stream_json_line(op->s, j);
    }
    /* the stream's close frees op, maybe at once */
    api_stream_end(op->s);
}

/* fromImage and tag as one reference: the tag may be a digest, and it
 * replaces a tag fromImage has. */
static char *pull_ref(const char *from, const char *tag)
{
    if (tag == NULL || *tag == '\0')
        return strdup(from);
    const char *slash = strrchr(from, '/');
    const char *colon = strrchr(slash ? slash : from, ':');
    int n = colon && !strchr(from, '@') ? (int)(colon - from) : (int)strlen(from);
    char *s = NULL;
    if (asprintf(&s, "%.*s%s%s", n, from, strchr(tag, ':') ? "@" : ":", tag) < 0)
        return NULL;
    return s;
}

void h_images_pull(struct api_req *r)
{
    const char *from = api_query(r, "fromImage");
    if (from == NULL || *from == '\0') {
        api_reply_error(r, 400, "fromImage or fromSrc is required");
        return;
    }
    pier_err_t err = NULL;
    cleanup_free char *ref = pull_ref(from, api_query(r, "tag"));
    cleanup_free char *norm = NULL;
    if (ref == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    if (img_normalize(ref, &norm, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    struct pull_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    pthread_mutex_init(&op->lock, NULL);
    op->r = r;
    op->e = api_engine(r);
    op->efd = -1;
    op->ref = steal_pointer(&ref);
    const char *platform = api_query(r, "platform");
    const char *auth = api_header(r, "X-Registry-Auth");
    op->platform = platform && *platform ? strdup(platform) : NULL;
    op->auth = auth && *auth ? strdup(auth) : NULL;
    op->queue = json_array();
    op->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (op->queue == NULL || (platform && *platform && op->platform == NULL) ||
        (auth && *auth && op->auth == NULL) || op->efd < 0) {
        if (op->efd >= 0)
            close(op->efd);
        op_free(op);
        api_reply_error(r, 500, "pull: out of memory or file descriptors");
        return;
    }
    op->opts = (struct img_pull_opts){.ref = op->ref,
                                      .platform = op->platform,
                                      .registry_auth = op->auth,
                                      .progress = progress,
                                      .data = op,
                                      .cancel = &op->cancel};
    struct pier_loop *loop = engine_loop(op->e);
    op->w = pier_watch_add(loop, op->efd, EPOLLIN, woken, op, &err);
    if (op->w == NULL) {
        close(op->efd);
        op_free(op);
        api_reply_err(r, &err);
        return;
    }
    api_defer(r);
    if (pier_work(loop, pull_run, pull_done, op, &op->err) < 0)
        pull_done(op);
}
