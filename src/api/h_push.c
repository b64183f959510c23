/* POST /images/{name}/push?tag=TAG: a push, on a thread of its own, its
 * progress streamed as docker's JSON messages (progress_op.c): an image
 * the store does not have is an HTTP 404 before any message, as docker's
 * daemon answers.  Without a tag every tag of the repository goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/push.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "progress_op.h"

struct push_op {
    char *ref, *auth;
    struct img_push_opts opts;
    json_t *pushed;
};

static void push_free(void *data)
{
    struct push_op *p = data;
    free(p->ref);
    free(p->auth);
    json_decref(p->pushed);
    free(p);
}

static int push_run(struct progress_op *op, void *data, pier_err_t *err)
{
    struct push_op *p = data;
    return img_push(engine_images(progress_op_engine(op)), &p->opts, &p->pushed, err);
}

/* docker's "push" event, for each tag that went */
static void push_done(struct progress_op *op, void *data, bool ok)
{
    (void)ok;
    struct push_op *p = data;
    size_t i;
    json_t *v;
    json_array_foreach (p->pushed, i, v) {
        const char *ref = json_string_value(v);
        engine_event(progress_op_engine(op), "image", "push", ref, json_pack("{s:s}", "name", ref));
    }
}

static const struct progress_op_kind push_kind = {push_run, push_done, push_free};

void h_images_push(struct api_req *r)
{
    const char *name = api_param(r, 0);
    const char *tag = api_query(r, "tag");
    struct push_op *p = calloc(1, sizeof *p);
    if (p == NULL ||
        asprintf(&p->ref, "%s%s%s", name, tag && *tag ? ":" : "", tag && *tag ? tag : "") < 0) {
        if (p)
            p->ref = NULL;
        push_free(p);
        api_reply_error(r, 500, "out of memory");
        return;
    }
    pier_err_t err = NULL;
    cleanup_free char *norm = NULL;
    if (img_normalize(p->ref, &norm, &err) < 0) {
        push_free(p);
        api_reply_err(r, &err);
        return;
    }
    const char *auth = api_header(r, "X-Registry-Auth");
    if (auth && *auth && (p->auth = strdup(auth)) == NULL) {
        push_free(p);
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct progress_op *op = progress_op_new(r, &push_kind, p);
    if (op == NULL)
        return;
    p->opts = (struct img_push_opts){.ref = p->ref,
                                     .registry_auth = p->auth,
                                     .progress = progress_op_emit,
                                     .data = op,
                                     .cancel = progress_op_cancel(op)};
    progress_op_start(op);
}
