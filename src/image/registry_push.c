/* The push half of the registry client: whether a blob is there (HEAD),
 * a blob mounted from another repository of the registry, a blob's upload
 * (POST to open it, then one PUT of the whole blob with its digest, a
 * monolithic upload; or, for a large one, PATCHes of REG_CHUNK bytes and
 * a PUT without a body, a chunked upload, whose failed request is all
 * that is sent again; the same requests for a blob still being written,
 * each chunk once it is, and the PUT once the digest is known), and a
 * manifest's PUT at its tag.  Authentication is the client's (a token
 * for repository:<path>:pull,push, or Basic).  The blob calls may run on several threads at once:
 * each has a connection of its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/buf.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "registry_int.h"

/* A refused push in docker's words: a Basic registry the client has no
 * credentials for is "no basic auth credentials". */
static int push_error(struct reg_client *c, const struct resp *r, const char *url, pier_err_t *err)
{
    pthread_mutex_lock(&c->lock);
    bool basic = c->scheme == REG_AUTH_BASIC;
    pthread_mutex_unlock(&c->lock);
    if (r->status == 401 && basic && c->creds.username == NULL)
        return pier_fail(err, EACCES, "no basic auth credentials");
    char code[64];
    reg_status_error(r, url, code, sizeof code, err);
    if (r->status == 401 || r->status == 403)
        (*err)->errnum = EACCES;
    return -1;
}

static void curl_cleanup(CURL **h)
{
    if (*h)
        curl_easy_cleanup(*h);
}
#define cleanup_curl __attribute__((cleanup(curl_cleanup)))

int reg_blob_exists(struct reg_client *c, const char *digest, bool *exists, pier_err_t *err)
{
    *exists = false;
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/blobs/%s", c->base, c->ref.path, digest);
    cleanup_curl CURL *h = curl_easy_init();
    if (url.failed || h == NULL)
        return pier_error(err, ENOMEM, "blob");
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX, .method = "HEAD"};
    int ret = reg_request(c, h, url.data, NULL, &r, err);
    if (ret == 0 && r.status == 200)
        *exists = true;
    else if (ret == 0 && r.status != 404)
        ret = push_error(c, &r, url.data, err);
    reg_resp_free(&r);
    return ret;
}

int reg_mount_blob(struct reg_client *c, const char *digest, const char *from, bool *mounted,
                   pier_err_t *err)
{
    *mounted = false;
    cleanup_curl CURL *h = curl_easy_init();
    cleanup_free char *d = h ? curl_easy_escape(h, digest, 0) : NULL;
    cleanup_free char *f = h ? curl_easy_escape(h, from, 0) : NULL;
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", c->base, c->ref.path, d ? d : "",
               f ? f : "");
    if (url.failed || d == NULL || f == NULL)
        return pier_error(err, ENOMEM, "mount");
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX, .method = "POST"};
    int ret = reg_request(c, h, url.data, NULL, &r, err);
    /* 202: the registry opened an upload instead, left to expire */
    if (ret == 0 && r.status == 201)
        *mounted = true;
    else if (ret == 0 && r.status != 202)
        ret = push_error(c, &r, url.data, err);
    reg_resp_free(&r);
    return ret;
}

/* Where an upload goes on: the Location of the registry's last answer,
 * which may be a path on the registry. */
static int next_url(struct reg_client *c, const struct resp *r, struct buf *url, pier_err_t *err)
{
    if (r->location[0] == '\0')
        return pier_error(err, 0, "the registry answered an upload without a Location");
    if (r->location[0] == '/')
        buf_puts(url, c->base);
    else if (strncmp(r->location, "http://", 7) != 0 && strncmp(r->location, "https://", 8) != 0)
        return pier_error(err, 0, "upload Location %.200s: not a URL", r->location);
    buf_puts(url, r->location);
    return url->failed ? pier_error(err, ENOMEM, "upload") : 0;
}

/* The upload's URL with the blob's digest added, for the PUT that ends it. */
static int with_digest(CURL *h, const struct buf *at, const char *digest, struct buf *url,
                       pier_err_t *err)
{
    cleanup_free char *e = curl_easy_escape(h, digest, 0);
    if (e == NULL)
        return pier_error(err, ENOMEM, "upload");
    buf_printf(url, "%s%sdigest=%s", at->data, strchr(at->data, '?') ? "&" : "?", e);
    return url->failed ? pier_error(err, ENOMEM, "upload") : 0;
}

/* The n bytes of fd at off in one PATCH to url, which becomes where the
 * upload goes on. */
static int put_chunk(struct reg_client *c, CURL *h, struct resp *r, int fd, int64_t off, int64_t n,
                     struct buf *url, pier_err_t *err)
{
    char range[80];
    snprintf(range, sizeof range, "Content-Range: %lld-%lld", (long long)off,
             (long long)(off + n - 1));
    r->method = "PATCH";
    r->in_fd = fd;
    r->in_off = off;
    r->in_size = n;
    r->in_range = range;
    int ret = reg_request(c, h, url->data, NULL, r, err);
    r->in_range = NULL;
    if (ret < 0)
        return -1;
    if (r->status != 202)
        return push_error(c, r, url->data, err);
    buf_free(url);
    *url = (struct buf)BUF_INIT;
    return next_url(c, r, url, err);
}

/* The bytes of fd from off to size, in PATCHes of REG_CHUNK. */
static int put_chunks(struct reg_client *c, CURL *h, struct resp *r, int fd, int64_t off,
                      int64_t size, struct buf *url, pier_err_t *err)
{
    for (; off < size; off += REG_CHUNK) {
        int64_t n = size - off < REG_CHUNK ? size - off : REG_CHUNK;
        if (put_chunk(c, h, r, fd, off, n, url, err) < 0)
            return -1;
    }
    return 0;
}

/* The POST that opens an upload; *at gets where it goes on. */
static int open_upload(struct reg_client *c, CURL *h, struct resp *r, struct buf *at,
                       pier_err_t *err)
{
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/blobs/uploads/", c->base, c->ref.path);
    if (url.failed)
        return pier_error(err, ENOMEM, "upload");
    r->method = "POST";
    if (reg_request(c, h, url.data, NULL, r, err) < 0)
        return -1;
    if (r->status != 202)
        return push_error(c, r, url.data, err);
    return next_url(c, r, at, err);
}

/* The rest of an upload at `at` whose first off bytes (whole chunks) are
 * sent: PATCHes when it is larger than REG_CHUNK, then the PUT with the
 * digest (and the body, when it is no larger). */
static int finish_upload(struct reg_client *c, CURL *h, struct resp *r, const struct reg_desc *d,
                         int fd, int64_t off, struct buf *at, pier_err_t *err)
{
    cleanup_buf struct buf put = BUF_INIT;
    bool chunked = d->size > REG_CHUNK;
    if (chunked && put_chunks(c, h, r, fd, off, d->size, at, err) < 0)
        return -1;
    if (with_digest(h, at, d->digest, &put, err) < 0)
        return -1;
    r->method = "PUT";
    r->in_fd = fd;
    r->in_off = chunked ? d->size : 0;
    r->in_size = chunked ? 0 : d->size;
    if (reg_request(c, h, put.data, NULL, r, err) < 0)
        return -1;
    return r->status == 201 ? 0 : push_error(c, r, put.data, err);
}

int reg_put_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                 void *data, pier_err_t *err)
{
    cleanup_buf struct buf at = BUF_INIT;
    cleanup_curl CURL *h = curl_easy_init();
    if (h == NULL)
        return pier_error(err, ENOMEM, "upload");
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = open_upload(c, h, &r, &at, err);
    r.go = go;
    r.go_data = data;
    r.in_type = "Content-Type: application/octet-stream";
    if (ret == 0)
        ret = finish_upload(c, h, &r, d, fd, 0, &at, err);
    reg_resp_free(&r);
    return ret;
}

void reg_stream_init(struct reg_stream *st)
{
    *st = (struct reg_stream){.state = REG_STREAM_OPEN};
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->changed, NULL);
}

void reg_stream_destroy(struct reg_stream *st)
{
    pthread_cond_destroy(&st->changed);
    pthread_mutex_destroy(&st->lock);
}

void reg_stream_grow(struct reg_stream *st, int64_t ready)
{
    pthread_mutex_lock(&st->lock);
    st->ready = ready;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
}

void reg_stream_end(struct reg_stream *st, enum reg_stream_state state, const struct reg_desc *d)
{
    pthread_mutex_lock(&st->lock);
    /* an upload that failed stays failed */
    if (st->state == REG_STREAM_OPEN) {
        st->state = state;
        if (d)
            st->desc = *d;
    }
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
}

bool reg_stream_failed(struct reg_stream *st)
{
    pthread_mutex_lock(&st->lock);
    bool failed = st->state == REG_STREAM_FAILED;
    pthread_mutex_unlock(&st->lock);
    return failed;
}

/* The stream's state once more than `past` bytes are ready or the writer
 * has ended; *d its descriptor then.  A cancelled push is FAILED. */
static enum reg_stream_state stream_wait(struct reg_client *c, struct reg_stream *st, int64_t past,
                                         struct reg_desc *d)
{
    bool cancelled = false;
    pthread_mutex_lock(&st->lock);
    while (st->state == REG_STREAM_OPEN && st->ready <= past &&
           !(cancelled = c->cancel && atomic_load(c->cancel))) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&st->changed, &st->lock, &until);
    }
    enum reg_stream_state state = cancelled ? REG_STREAM_FAILED : st->state;
    *d = st->desc;
    pthread_mutex_unlock(&st->lock);
    return state;
}

/* Each chunk goes up as soon as the writer has made more than it: the
 * requests are those of reg_put_blob, only sooner. */
static int stream_upload(struct reg_client *c, CURL *h, struct reg_stream *st, int fd,
                         reg_progress_fn go, void *data, struct resp *r, pier_err_t *err)
{
    cleanup_buf struct buf at = BUF_INIT;
    struct reg_desc d;
    if (open_upload(c, h, r, &at, err) < 0)
        return -1;
    r->go = go;
    r->go_data = data;
    r->in_type = "Content-Type: application/octet-stream";
    for (int64_t off = 0;; off += REG_CHUNK) {
        enum reg_stream_state state = stream_wait(c, st, off + REG_CHUNK, &d);
        if (state == REG_STREAM_EXISTS)
            return 0;
        if (state == REG_STREAM_FAILED)
            return pier_fail(err, ECANCELED, "the push was stopped");
        if (state == REG_STREAM_DONE)
            return finish_upload(c, h, r, &d, fd, off, &at, err);
        if (put_chunk(c, h, r, fd, off, REG_CHUNK, &at, err) < 0)
            return -1;
    }
}

int reg_put_blob_stream(struct reg_client *c, struct reg_stream *st, int fd, reg_progress_fn go,
                        void *data, pier_err_t *err)
{
    cleanup_curl CURL *h = curl_easy_init();
    if (h == NULL) {
        reg_stream_end(st, REG_STREAM_FAILED, NULL);
        return pier_error(err, ENOMEM, "upload");
    }
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = stream_upload(c, h, st, fd, go, data, &r, err);
    reg_resp_free(&r);
    /* the writer stops early */
    if (ret < 0)
        reg_stream_end(st, REG_STREAM_FAILED, NULL);
    return ret;
}

int reg_put_manifest(struct reg_client *c, const char *tag, const char *media_type,
                     const char *body, size_t len, pier_err_t *err)
{
    char digest[IMG_DIGEST_SIZE], ctype[200];
    if (img_sha256(body, len, digest, err) < 0)
        return -1;
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/manifests/%s", c->base, c->ref.path, tag);
    if (url.failed)
        return pier_error(err, ENOMEM, "manifest");
    snprintf(ctype, sizeof ctype, "Content-Type: %s", media_type);
    struct resp r = {.fd = -1,
                     .limit = REG_ERROR_MAX,
                     .method = "PUT",
                     .in_data = body,
                     .in_size = (int64_t)len,
                     .in_type = ctype};
    int ret = reg_request(c, c->h, url.data, NULL, &r, err);
    if (ret == 0 && r.status != 201)
        ret = push_error(c, &r, url.data, err);
    if (ret == 0 && strncmp(r.digest, "sha256:", 7) == 0 && strcmp(r.digest, digest) != 0)
        ret = pier_error(err, 0, "the registry names the manifest %.80s, its content is %s",
                         r.digest, digest);
    reg_resp_free(&r);
    return ret;
}

static json_t *desc_json(const struct reg_desc *d)
{
    return json_pack("{s:s, s:I, s:s}", "mediaType", d->media_type, "size", (json_int_t)d->size,
                     "digest", d->digest);
}

int reg_manifest_build(const struct reg_desc *config, const struct reg_desc *layers, size_t n,
                       char **out, size_t *len, pier_err_t *err)
{
    *out = NULL;
    cleanup_json json_t *ls = json_array();
    cleanup_json json_t *m = NULL;
    for (size_t i = 0; ls != NULL && i < n; i++)
        if (json_array_append_new(ls, desc_json(&layers[i])) < 0)
            return pier_error(err, ENOMEM, "manifest");
    if (ls != NULL)
        m = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
                      "application/vnd.docker.distribution.manifest.v2+json", "config",
                      desc_json(config), "layers", ls);
    char *s = m ? json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER) : NULL;
    if (s == NULL)
        return pier_error(err, ENOMEM, "manifest");
    *out = s;
    *len = strlen(s);
    return 0;
}
