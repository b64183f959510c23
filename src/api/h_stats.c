/* GET /containers/{id}/stats: one sample, two a second apart (so that CPU
 * use can be computed from precpu_stats), or a stream of one a second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "routes.h"

struct stats_op {
    struct engine *e;
    struct api_req *r;    /* a deferred reply, or NULL when streaming */
    struct api_stream *s; /* streaming */
    char id[65];
    json_t *prev; /* the last sample's cpu_stats */
    struct pier_watch *timer;
};

/* A sample with precpu_stats from the one before (empty for the first). */
static int sample(struct stats_op *op, json_t **out)
{
    pier_err_t err = NULL;
    struct container *c = engine_find(op->e, op->id, &err);
    if (c == NULL || engine_stats(op->e, c, out, &err) < 0) {
        pier_error_free(&err);
        return -1;
    }
    json_t *cpu = json_object_get(*out, "cpu_stats");
    json_object_set_new(*out, "precpu_stats",
                        op->prev ? json_incref(op->prev)
                                 : json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:n}}", "cpu_usage",
                                             "total_usage", 0, "usage_in_kernelmode", 0,
                                             "usage_in_usermode", 0, "throttling_data", "periods",
                                             0, "throttled_periods", 0, "throttled_time"));
    json_decref(op->prev);
    op->prev = json_incref(cpu);
    return 0;
}

static void op_free(struct stats_op *op)
{
    if (op->timer)
        pier_timer_del(op->timer);
    json_decref(op->prev);
    free(op);
}

static void tick(struct pier_loop *l, struct pier_watch *w, uint32_t ev, void *data)
{
    (void)l;
    (void)w;
    (void)ev;
    struct stats_op *op = data;
    json_t *j;
    if (sample(op, &j) < 0) {
        /* the container is gone */
        if (op->r) {
            api_reply_error(op->r, 404, "No such container: %s", op->id);
            op_free(op);
        } else {
            api_stream_end(op->s);
        }
        return;
    }
    if (op->r) {
        api_reply_json(op->r, 200, j);
        op_free(op);
        return;
    }
    api_stream_json_line(op->s, j);
    json_decref(j);
}

static void stream_closed(void *data)
{
    op_free(data);
}

void h_containers_stats(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    bool stream = api_query(r, "stream") == NULL || api_query_bool(r, "stream");
    struct stats_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    op->e = api_engine(r);
    snprintf(op->id, sizeof op->id, "%s", container_id(c));
    json_t *first;
    if (sample(op, &first) < 0) {
        op_free(op);
        api_reply_error(r, 500, "stats of %s: cannot read its cgroup", container_id(c));
        return;
    }
    if (!stream && api_query_bool(r, "one-shot")) {
        op_free(op);
        api_reply_json(r, 200, first);
        return;
    }
    json_decref(first);
    if (!stream) {
        /* docker answers with the second of two samples a second apart */
        op->r = r;
        api_defer(r);
        op->timer = pier_timer_add(engine_loop(op->e), 1000, 0, tick, op, NULL);
        return;
    }
    op->s = api_reply_stream(r, 200, "application/json", stream_closed, op);
    if (op->s == NULL) {
        op_free(op);
        return;
    }
    op->timer = pier_timer_add(engine_loop(op->e), 1000, 1000, tick, op, NULL);
    /* the first frame at once, as docker's */
    pier_timer_set(op->timer, 0, 1000);
}
