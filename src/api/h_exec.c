/* /containers/{id}/exec and /exec/{id}/...: processes run in a running
 * container, their stdio on the hijacked connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "params.h"
#include "routes.h"

void h_exec_create(struct api_req *r)
{
    struct container *c = param_container(r);
    if (c == NULL)
        return;
    pier_err_t err = NULL;
    cleanup_json json_t *body = NULL;
    if (api_body_object(r, &body, "No exec command specified") < 0)
        return;
    char *id = NULL;
    if (engine_exec_create(api_engine(r), c, body, &id, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 201, json_pack("{s:s}", "Id", id));
    free(id);
}

struct exec_op {
    struct engine *e;
    char id[65];
};

static void exec_upgraded(void *data, int fd)
{
    struct exec_op *op = data;
    pier_err_t err = NULL;
    if (engine_exec_start(op->e, op->id, fd, false, &err) < 0) {
        pier_warn("exec %s: %s", op->id, pier_error_msg(err));
        pier_error_free(&err);
    }
    free(op);
}

void h_exec_start(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *body = NULL;
    if (api_body_json(r, &body, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    struct engine *e = api_engine(r);
    const char *id = api_param(r, 0);
    if (engine_exec_check(e, id, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    if (json_is_true(json_object_get(body, "Detach"))) {
        if (engine_exec_start(e, id, -1, true, &err) < 0)
            api_reply_err(r, &err);
        else
            api_reply_empty(r, 200);
        return;
    }
    struct exec_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    op->e = e;
    snprintf(op->id, sizeof op->id, "%s", id);
    api_reply_upgrade(r,
                      json_is_true(json_object_get(body, "Tty"))
                          ? "application/vnd.docker.raw-stream"
                          : "application/vnd.docker.multiplexed-stream",
                      exec_upgraded, op);
}

void h_exec_inspect(struct api_req *r)
{
    pier_err_t err = NULL;
    json_t *out;
    if (engine_exec_inspect(api_engine(r), api_param(r, 0), &out, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_json(r, 200, out);
}

void h_exec_resize(struct api_req *r)
{
    long long h = api_query_int(r, "h", -1), w = api_query_int(r, "w", -1);
    if (h < 0 || w < 0 || h > 65535 || w > 65535) {
        api_reply_error(r, 400, "invalid terminal size");
        return;
    }
    pier_err_t err = NULL;
    if (engine_exec_resize(api_engine(r), api_param(r, 0), (unsigned)h, (unsigned)w, &err) < 0)
        api_reply_err(r, &err);
    else
        api_reply_empty(r, 200);
}
