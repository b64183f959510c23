/* POST /images/create?fromImage=NAME&tag=TAG[&platform=P]: a pull (of
 * every tag when neither NAME nor TAG has one, as docker's), on a
 * thread of its own, its progress streamed as docker's JSON messages
 * (progress_op.c): an error before the first message (a bad reference, no
 * such manifest, refused credentials) is an HTTP status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/pull.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "progress_op.h"

struct pull_op {
    char *ref, *platform, *auth;
    struct img_pull_opts opts;
    struct img_pull_result res;
};

static void pull_free(void *data)
{
    struct pull_op *p = data;
    free(p->ref);
    free(p->platform);
    free(p->auth);
    free(p);
}

static int pull_run(struct progress_op *op, void *data, pier_err_t *err)
{
    struct pull_op *p = data;
    return img_pull(engine_images(progress_op_engine(op)), &p->opts, &p->res, err);
}

static void pull_done(struct progress_op *op, void *data, bool ok)
{
    struct pull_op *p = data;
    if (ok)
        engine_event(progress_op_engine(op), "image", "pull", p->res.familiar,
                     json_pack("{s:s}", "name", p->res.familiar));
}

static const struct progress_op_kind pull_kind = {pull_run, pull_done, pull_free};

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
    struct pull_op *p = calloc(1, sizeof *p);
    if (p == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    p->ref = steal_pointer(&ref);
    const char *platform = api_query(r, "platform");
    const char *auth = api_header(r, "X-Registry-Auth");
    p->platform = platform && *platform ? strdup(platform) : NULL;
    p->auth = auth && *auth ? strdup(auth) : NULL;
    if ((platform && *platform && p->platform == NULL) || (auth && *auth && p->auth == NULL)) {
        pull_free(p);
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct progress_op *op = progress_op_new(r, &pull_kind, p);
    if (op == NULL)
        return;
    const char *tag = api_query(r, "tag");
    p->opts = (struct img_pull_opts){.ref = p->ref,
                                     .all_tags = tag == NULL || *tag == '\0',
                                     .platform = p->platform,
                                     .registry_auth = p->auth,
                                     .progress = progress_op_emit,
                                     .data = op,
                                     .cancel = progress_op_cancel(op)};
    progress_op_start(op);
}
