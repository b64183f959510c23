/* POST /commit: a container's writable layer becomes an image.  A running
 * container is paused (unless pause=0) while its layer is archived, on a
 * thread of its own, so that the loop goes on serving everyone else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/work.h"
#include "routes.h"

struct commit_op {
    struct api_req *r;
    struct img_store *store;
    struct engine_commit_src src;
    struct img_commit_opts opts;
    json_t *config;
    char *author, *comment, *repo_tag, *norm;
    bool paused; /* by us */
    char *id;
    pier_err_t err;
};

static void commit_run(void *data)
{
    struct commit_op *op = data;
    img_commit(op->store, &op->opts, &op->id, &op->err);
}

static void commit_free(struct commit_op *op)
{
    engine_commit_src_free(&op->src);
    json_decref(op->config);
    free(op->author);
    free(op->comment);
    free(op->repo_tag);
    free(op->norm);
    free(op->id);
    pier_error_free(&op->err);
    free(op);
}

static void commit_done(void *data)
{
    struct commit_op *op = data;
    struct api_req *r = op->r;
    struct engine *e = api_engine(r);
    if (op->paused) {
        /* as docker's deferred unpause: whatever became of the container
         * meanwhile (unpaused, stopped, removed), the commit stands */
        pier_err_t err = NULL;
        struct container *c = engine_find(e, op->src.id, &err);
        if (c != NULL && engine_pause(e, c, false, &err) < 0)
            pier_warn("commit of %s: unpause: %s", op->src.id, pier_error_msg(err));
        pier_error_free(&err);
    }
    if (op->err != NULL) {
        api_reply_err(r, &op->err);
        commit_free(op);
        return;
    }
    engine_event(e, "image", "create", op->id, json_pack("{s:s}", "name", op->id));
    if (op->norm)
        engine_event(e, "image", "tag", op->id, json_pack("{s:s}", "name", op->norm));
    engine_commit_done(e, op->src.id, op->id, op->norm, op->comment);
    api_reply_json(r, 201, json_pack("{s:s}", "Id", op->id));
    commit_free(op);
}

/* repo and tag as the query has them: "name", "name:tag" or both. */
static int repo_tag(struct api_req *r, char **out, char **norm, pier_err_t *err)
{
    const char *repo = api_query(r, "repo"), *tag = api_query(r, "tag");
    *out = *norm = NULL;
    if (repo == NULL || *repo == '\0')
        return 0;
    if ((tag && *tag ? asprintf(out, "%s:%s", repo, tag) : asprintf(out, "%s", repo)) < 0) {
        *out = NULL;
        return pier_error(err, ENOMEM, "commit");
    }
    return img_normalize(*out, norm, err);
}

void h_commit(struct api_req *r)
{
    struct engine *e = api_engine(r);
    const char *name = api_query(r, "container");
    pier_err_t err = NULL;
    struct container *c = engine_find(e, name ? name : "", &err);
    if (c == NULL) {
        api_reply_err(r, &err);
        return;
    }
    struct commit_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    cleanup_json json_t *body = NULL;
    const char *author = api_query(r, "author"), *comment = api_query(r, "comment");
    const char *pause = api_query(r, "pause");
    if (repo_tag(r, &op->repo_tag, &op->norm, &err) < 0 || api_body_json(r, &body, &err) < 0 ||
        engine_commit_source(e, c, &op->src, &err) < 0 ||
        img_commit_config(body, api_query_all(r, "changes"), op->src.config, &op->config, &err) <
            0) {
        if (err && err->errnum == 0)
            err->errnum = EINVAL;
        api_reply_err(r, &err);
        commit_free(op);
        return;
    }
    op->r = r;
    op->store = engine_images(e);
    op->author = author ? strdup(author) : NULL;
    op->comment = comment ? strdup(comment) : NULL;
    op->opts = (struct img_commit_opts){
        .upper = op->src.upper,
        .mountpoints = engine_mountpoints,
        .parent = op->src.image_id,
        .config = op->config,
        .container_config = op->src.config,
        .container_id = op->src.id,
        .author = op->author,
        .comment = op->comment,
        .repo_tag = op->repo_tag,
    };
    /* pause defaults to true (API 1.13 and later) */
    bool want_pause = pause == NULL || *pause == '\0' || api_query_bool(r, "pause");
    if (want_pause && op->src.running) {
        if (engine_pause(e, c, true, &err) < 0) {
            api_reply_err(r, &err);
            commit_free(op);
            return;
        }
        op->paused = true;
    }
    api_defer(r);
    if (pier_work(engine_loop(e), commit_run, commit_done, op, &op->err) < 0)
        commit_done(op);
}
