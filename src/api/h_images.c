/* /images/...: import (a rootfs tarball becomes an image), list, inspect,
 * tag and remove.  An import runs as soon as the headers are in
 * (API_STREAM): a thread of its own unpacks the tarball as the client
 * sends it, the loop serving everyone else meanwhile, and the reply is
 * held until the body has all come. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/filters.h"
#include "../lib/log.h"
#include "../lib/work.h"
#include "params.h"
#include "routes.h"

/* ---- import ---- */

struct import_op {
    struct api_req *r;
    struct img_store *store;
    struct api_body *body;
    char *repo_tag;
    char *message;
    json_t *config;
    char *id;
    pier_err_t err;
};

static int import_input_end(void *data, pier_err_t *err)
{
    struct import_op *op = data;
    return api_body_whole(op->body, err);
}

static void import_run(void *data)
{
    struct import_op *op = data;
    struct img_import_opts o = {.repo_tag = op->repo_tag,
                                .config = op->config,
                                .message = op->message,
                                .input_end = import_input_end,
                                .data = op};
    img_import(op->store, api_body_pipe(op->body), &o, &op->id, &op->err);
    /* the rest of the body, if any, is not wanted: the server drops it */
    api_body_release(op->body);
    op->body = NULL;
}

static void import_free(struct import_op *op)
{
    api_body_release(op->body);
    free(op->repo_tag);
    free(op->message);
    free(op->id);
    json_decref(op->config);
    pier_error_free(&op->err);
    free(op);
}

/* docker streams the progress of an import; its last line names the image */
static void import_reply(struct api_req *r, const char *id)
{
    cleanup_json json_t *j = json_pack("{s:s}", "status", id);
    size_t len;
    cleanup_free char *text = j ? pier_json_crlf(j, &len) : NULL;
    if (text == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    api_reply_text(r, 200, "application/json", text);
}

static void import_done(void *data)
{
    struct import_op *op = data;
    struct api_req *r = op->r;
    if (op->err != NULL) {
        api_reply_err(r, &op->err);
    } else {
        engine_event(api_engine(r), "image", "import", op->id,
                     json_pack("{s:s}", "name", op->repo_tag ? op->repo_tag : op->id));
        import_reply(r, op->id);
    }
    import_free(op);
}

/* repo and tag as docker's import takes them: "name", "name:tag", or both. */
static char *import_ref(struct api_req *r)
{
    const char *repo = api_query(r, "repo");
    const char *tag = api_query(r, "tag");
    if (repo == NULL || *repo == '\0')
        return NULL;
    char *s = NULL;
    if (tag && *tag) {
        if (asprintf(&s, "%s:%s", repo, tag) < 0)
            return NULL;
        return s;
    }
    return strdup(repo);
}

/* Runs as soon as the headers are in (API_STREAM), for a pull as for an
 * import. */
void h_images_create(struct api_req *r)
{
    const char *src = api_query(r, "fromSrc");
    if (src == NULL) {
        h_images_pull(r);
        return;
    }
    if (strcmp(src, "-") != 0) {
        api_reply_error(r, 400, "import from a URL (%s) is not supported: send the tarball", src);
        return;
    }
    struct import_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    pier_err_t err = NULL;
    if (img_changes(api_query_all(r, "changes"), &op->config, &err) < 0) {
        import_free(op);
        api_reply_err(r, &err);
        return;
    }
    op->body = api_body_take(r);
    if (op->body == NULL) {
        import_free(op);
        api_reply_error(r, 500, "import: the request body cannot be read");
        return;
    }
    op->r = r;
    op->store = engine_images(api_engine(r));
    op->repo_tag = import_ref(r);
    const char *msg = api_query(r, "message");
    op->message = msg ? strdup(msg) : NULL;
    api_defer(r);
    if (pier_work(engine_loop(api_engine(r)), import_run, import_done, op, &op->err) < 0)
        import_done(op);
}

/* ---- list ---- */

/* reference.FamiliarMatch: the pattern against the familiar reference,
 * then against its name alone; path.Match's '*' stops at '/'. */
static bool ref_matches(const char *pattern, void *data)
{
    const char *ref = data;
    char name[512];
    size_t n = strcspn(ref, "@");
    const char *colon = memrchr(ref, ':', n);
    if (colon != NULL && strchr(colon, '/') == NULL)
        n = (size_t)(colon - ref);
    snprintf(name, sizeof name, "%.*s", (int)n, ref);
    return fnmatch(pattern, ref, FNM_PATHNAME) == 0 || fnmatch(pattern, name, FNM_PATHNAME) == 0;
}

/* Of key's names, those the reference filter matches; whether any. */
static bool keep_matching(json_t *filters, json_t *row, const char *key)
{
    json_t *kept = json_array();
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(row, key), i, t) {
        const char *ref = json_string_value(t);
        if (ref && pier_filters_any(filters, "reference", ref_matches, (void *)ref))
            json_array_append(kept, t);
    }
    bool any = json_array_size(kept) > 0;
    json_object_set_new(row, key, kept);
    return any;
}

/* As docker's: a reference filter keeps, of each image, only the names
 * (tags and digests) it matches; an image none of whose names match goes. */
static bool keep_matching_refs(json_t *filters, json_t *row)
{
    if (!pier_filters_has(filters, "reference"))
        return true;
    bool tags = keep_matching(filters, row, "RepoTags");
    bool digests = keep_matching(filters, row, "RepoDigests");
    return tags || digests;
}

/* dangling=true: untagged images (digests or not) that no other image is
 * built on (docker's Heads; parents holds the list's ParentIds); false:
 * images with any reference. */
static bool dangling_ok(int dangling, json_t *row, json_t *parents)
{
    size_t tags = json_array_size(json_object_get(row, "RepoTags"));
    size_t refs = tags + json_array_size(json_object_get(row, "RepoDigests"));
    const char *id = json_string_value(json_object_get(row, "Id"));
    if (dangling < 0)
        return true;
    if (dangling)
        return tags == 0 && (id == NULL || json_object_get(parents, id) == NULL);
    return refs > 0;
}

/* A bound on creation times, to the nanosecond. */
struct bound {
    bool set;
    int64_t sec;
    long nsec;
};

static int cmp_time(int64_t s1, long n1, int64_t s2, long n2)
{
    return s1 != s2 ? (s1 < s2 ? -1 : 1) : n1 != n2 ? (n1 < n2 ? -1 : 1) : 0;
}

/* Tighten b with t: the earliest (before) or the latest (since). */
static void tighten(struct bound *b, int64_t sec, long nsec, bool earliest)
{
    int c = cmp_time(sec, nsec, b->sec, b->nsec);
    if (!b->set || (earliest ? c < 0 : c > 0)) {
        b->set = true;
        b->sec = sec;
        b->nsec = nsec;
    }
}

struct bounds {
    struct img_store *store;
    struct bound before, since;
    pier_err_t err;
};

/* An image's creation time as a bound (an unknown image is an error). */
static bool add_created(struct bounds *b, const char *v, struct bound *into, bool earliest)
{
    int64_t sec;
    long nsec;
    if (b->err == NULL && img_created(b->store, v, &sec, &nsec, &b->err) == 0)
        tighten(into, sec, nsec, earliest);
    return true;
}

static bool add_before(const char *v, void *data)
{
    struct bounds *b = data;
    return add_created(b, v, &b->before, true);
}

static bool add_until(const char *v, void *data)
{
    struct bounds *b = data;
    int64_t sec;
    long nsec;
    if (b->err == NULL && img_until_parse(v, &sec, &nsec) < 0)
        pier_fail(&b->err, EINVAL, "failed to parse value as time or duration: \"%s\"", v);
    else if (b->err == NULL)
        tighten(&b->before, sec, nsec, true);
    return true;
}

static bool add_since(const char *v, void *data)
{
    struct bounds *b = data;
    return add_created(b, v, &b->since, false);
}

/* before and until: created strictly earlier; since: strictly later. */
static bool in_bounds(struct bounds *b, json_t *row)
{
    if (!b->before.set && !b->since.set)
        return true;
    int64_t sec;
    long nsec;
    pier_err_t err = NULL;
    if (img_created(b->store, json_string_value(json_object_get(row, "Id")), &sec, &nsec, &err) <
        0) {
        pier_error_free(&err);
        return false;
    }
    return (!b->before.set || cmp_time(sec, nsec, b->before.sec, b->before.nsec) < 0) &&
           (!b->since.set || cmp_time(sec, nsec, b->since.sec, b->since.nsec) > 0);
}

static const char *const image_filters[] = {"before", "dangling", "label", "reference",
                                            "since",  "until",    NULL};

/* The list, filtered as docker's Images does; *list is replaced. */
static int filter_list(struct img_store *store, json_t *filters, json_t **list, pier_err_t *err)
{
    struct bounds b = {.store = store};
    int dangling = -1;
    if (pier_filters_check(filters, image_filters, err) < 0 ||
        pier_filters_bool(filters, "dangling", &dangling, err) < 0)
        return -1;
    pier_filters_any(filters, "before", add_before, &b);
    pier_filters_any(filters, "until", add_until, &b);
    pier_filters_any(filters, "since", add_since, &b);
    if (b.err != NULL) {
        *err = b.err;
        return -1;
    }
    cleanup_json json_t *parents = json_object();
    json_t *kept = json_array();
    if (kept == NULL || parents == NULL) {
        json_decref(kept);
        return pier_error(err, ENOMEM, "list images");
    }
    size_t i;
    json_t *row;
    json_array_foreach (*list, i, row) {
        const char *parent = json_string_value(json_object_get(row, "ParentId"));
        if (parent && *parent)
            json_object_set_new(parents, parent, json_true());
    }
    json_array_foreach (*list, i, row) {
        if (dangling_ok(dangling, row, parents) &&
            pier_filters_labels(filters, "label", json_object_get(row, "Labels")) &&
            in_bounds(&b, row) && keep_matching_refs(filters, row))
            json_array_append(kept, row);
    }
    json_decref(*list);
    *list = kept;
    return 0;
}

void h_images_list(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    json_t *list = NULL;
    struct img_store *store = engine_images(api_engine(r));
    if (api_query_filters(r, &filters, &err) < 0 ||
        img_list(store, api_query_bool(r, "all"), &list, &err) < 0 ||
        (filters && filter_list(store, filters, &list, &err) < 0)) {
        json_decref(list);
        api_reply_err(r, &err);
        return;
    }
    img_list_compat(list, api_version(r));
    api_reply_json(r, 200, list);
}

void h_images_inspect(struct api_req *r)
{
    pier_err_t err = NULL;
    json_t *out;
    if (img_inspect(engine_images(api_engine(r)), api_param(r, 0), &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    img_inspect_compat(out, api_version(r));
    api_reply_json(r, 200, out);
}

void h_images_tag(struct api_req *r)
{
    const char *repo = api_query(r, "repo");
    const char *tag = api_query(r, "tag");
    if (repo == NULL || *repo == '\0') {
        api_reply_error(r, 400, "repository name must have at least one component");
        return;
    }
    char ref[1024];
    snprintf(ref, sizeof ref, "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "");
    pier_err_t err = NULL;
    struct img_store *store = engine_images(api_engine(r));
    cleanup_free char *id = NULL, *norm = NULL;
    if (img_resolve(store, api_param(r, 0), &id, &err) < 0 ||
        img_tag(store, api_param(r, 0), ref, &err) < 0 || img_normalize(ref, &norm, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    engine_event(api_engine(r), "image", "tag", id, json_pack("{s:s}", "name", norm));
    api_reply_empty(r, 201);
}

static bool image_user(const char *image_id, struct img_user *user, void *data)
{
    return engine_image_user(data, image_id, user->container_id, &user->running);
}

/* The untag and delete events of DELETE's (or prune's) records. */
static void removal_events(struct engine *e, json_t *records)
{
    size_t i;
    json_t *item;
    json_array_foreach (records, i, item) {
        const char *untagged = json_string_value(json_object_get(item, "Untagged"));
        const char *deleted = json_string_value(json_object_get(item, "Deleted"));
        if (untagged)
            engine_event(e, "image", "untag", untagged, json_pack("{s:s}", "name", untagged));
        if (deleted)
            engine_event(e, "image", "delete", deleted, json_pack("{s:s}", "name", deleted));
    }
}

void h_images_remove(struct api_req *r)
{
    pier_err_t err = NULL;
    json_t *out;
    struct engine *e = api_engine(r);
    if (img_remove_ex(engine_images(e), api_param(r, 0), api_query_bool(r, "force"), image_user, e,
                      &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    removal_events(e, out);
    api_reply_json(r, 200, out);
}

void h_images_history(struct api_req *r)
{
    pier_err_t err = NULL;
    json_t *out;
    if (img_history(engine_images(api_engine(r)), api_param(r, 0), api_query(r, "platform"), &out,
                    &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 200, out);
}

void h_images_prune(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    json_t *out;
    struct engine *e = api_engine(r);
    if (api_query_filters(r, &filters, &err) < 0 ||
        img_prune(engine_images(e), filters, image_user, e, &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    removal_events(e, json_object_get(out, "ImagesDeleted"));
    char reclaimed[32];
    snprintf(reclaimed, sizeof reclaimed, "%lld",
             (long long)json_integer_value(json_object_get(out, "SpaceReclaimed")));
    engine_event(e, "image", "prune", "", json_pack("{s:s}", "reclaimed", reclaimed));
    api_reply_json(r, 200, out);
}
