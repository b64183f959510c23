/* Long work of a request (a pull, a push) on a thread of its own, its
 * progress streamed as docker's JSON messages.
 *
 * The work's threads hand each message to a queue (under a mutex) and wake
 * the loop through an eventfd; the loop writes them to the stream, which
 * only the loop may touch.  The reply starts with the first message: an
 * error before it is an HTTP status with {"message"}, one after it a last
 * line {"errorDetail":{"message"},"error"}, as docker's daemon does.  A
 * client that goes away cancels the work. */
#ifndef PIER_API_PROGRESS_OP_H
#define PIER_API_PROGRESS_OP_H

#include <jansson.h>
#include <stdatomic.h>

#include "../lib/error.h"
#include "routes.h"

struct progress_op;

struct progress_op_kind {
    /* on a thread: the work; its error ends the reply */
    int (*run)(struct progress_op *op, void *data, pier_err_t *err);
    /* on the loop, after run, before the reply ends (events); may be NULL */
    void (*done)(struct progress_op *op, void *data, bool ok);
    void (*free_data)(void *data);
};

/* An operation of request r, owning data; NULL (the reply sent) on
 * failure, and data freed. */
struct progress_op *progress_op_new(struct api_req *r, const struct progress_op_kind *kind,
                                    void *data);
/* Run it: the request is deferred until the work is done. */
void progress_op_start(struct progress_op *op);

/* The work's progress callback (data is the op): takes msg. */
void progress_op_emit(void *op, json_t *msg);
const atomic_bool *progress_op_cancel(struct progress_op *op);
struct engine *progress_op_engine(struct progress_op *op);

#endif
