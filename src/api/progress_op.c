/* Long work streamed as docker's progress messages: see progress_op.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/work.h"
#include "progress_op.h"

struct progress_op {
    struct api_req *r;
    struct engine *e;
    const struct progress_op_kind *kind;
    void *data;
    atomic_bool cancel;
    pthread_mutex_t lock;
    json_t *queue; /* messages from the work's threads, under lock */
    int efd;
    struct pier_watch *w;
    struct api_stream *s;
    bool started;  /* the reply is the stream */
    bool gone;     /* the stream ended or its client went */
    bool finished; /* the work returned */
    pier_err_t err;
};

static void op_free(struct progress_op *op)
{
    if (op->kind->free_data)
        op->kind->free_data(op->data);
    json_decref(op->queue);
    pier_error_free(&op->err);
    pthread_mutex_destroy(&op->lock);
    free(op);
}

const atomic_bool *progress_op_cancel(struct progress_op *op)
{
    return &op->cancel;
}

struct engine *progress_op_engine(struct progress_op *op)
{
    return op->e;
}

/* On the work's threads. */
void progress_op_emit(void *data, json_t *msg)
{
    struct progress_op *op = data;
    if (msg == NULL)
        return;
    pthread_mutex_lock(&op->lock);
    json_array_append_new(op->queue, msg);
    pthread_mutex_unlock(&op->lock);
    uint64_t one = 1;
    while (write(op->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void stream_closed(void *data)
{
    struct progress_op *op = data;
    op->gone = true;
    atomic_store(&op->cancel, true);
    if (op->finished)
        op_free(op);
}

static void start_stream(struct progress_op *op)
{
    if (op->started)
        return;
    op->started = true;
    op->s = api_reply_stream(op->r, 200, "application/json", stream_closed, op);
    if (op->s == NULL)
        op->gone = true;
}

/* What the threads queued, to the client. */
static void flush(struct progress_op *op)
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
    struct progress_op *op = data;
    uint64_t n;
    while (read(op->efd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    flush(op);
}

static void op_run(void *data)
{
    struct progress_op *op = data;
    op->kind->run(op, op->data, &op->err);
}

static void op_done(void *data)
{
    struct progress_op *op = data;
    flush(op);
    if (op->w)
        pier_watch_del(op->w);
    op->w = NULL;
    close(op->efd);
    op->efd = -1;
    op->finished = true;
    if (op->kind->done)
        op->kind->done(op, op->data, op->err == NULL);
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

struct progress_op *progress_op_new(struct api_req *r, const struct progress_op_kind *kind,
                                    void *data)
{
    struct progress_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        if (kind->free_data)
            kind->free_data(data);
        api_reply_error(r, 500, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&op->lock, NULL);
    op->r = r;
    op->e = api_engine(r);
    op->kind = kind;
    op->data = data;
    op->queue = json_array();
    op->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pier_err_t err = NULL;
    if (op->queue == NULL || op->efd < 0) {
        if (op->efd >= 0)
            close(op->efd);
        op_free(op);
        api_reply_error(r, 500, "out of memory or file descriptors");
        return NULL;
    }
    op->w = pier_watch_add(engine_loop(op->e), op->efd, EPOLLIN, woken, op, &err);
    if (op->w == NULL) {
        close(op->efd);
        op_free(op);
        api_reply_err(r, &err);
        return NULL;
    }
    return op;
}

void progress_op_start(struct progress_op *op)
{
    api_defer(op->r);
    if (pier_work(engine_loop(op->e), op_run, op_done, op, &op->err) < 0)
        op_done(op);
}
