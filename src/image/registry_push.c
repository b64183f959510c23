/* The push half of the registry client: whether a blob is there (HEAD),
 * a blob mounted from another repository of the registry, a blob's upload
 * (POST to open it, then one PUT of the whole blob with its digest, a
 * monolithic upload; or, for a large one, PATCHes of REG_CHUNK bytes and
 * a PUT without a body, a chunked upload, whose failed request is all
 * that is sent again), and a manifest's PUT at its tag.  Authentication is the client's (a token
 * for repository:<path>:pull,push, or Basic).  The blob calls may run on several threads at once:
 * each has a connection of its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int put_chunks(struct reg_client *c, CURL *h, struct resp *r, int fd, int64_t size,
                      struct buf *url, pier_err_t *err)
{
    for (int64_t off = 0; off < size; off += REG_CHUNK) {
        int64_t n = size - off < REG_CHUNK ? size - off : REG_CHUNK;
        char range[80];
        snprintf(range, sizeof range, "Content-Range: %lld-%lld", (long long)off,
                 (long long)(off + n - 1));
        r->method = "PATCH";
        r->in_fd = fd;
        r->in_off = off;
        r->in_size = n;
        r->in_range = range;
        if (reg_request(c, h, url->data, NULL, r, err) < 0)
            return -1;
        if (r->status != 202)
            return push_error(c, r, url->data, err);
        buf_free(url);
        *url = (struct buf)BUF_INIT;
        if (next_url(c, r, url, err) < 0)
            return -1;
    }
    r->in_range = NULL;
    return 0;
}

int reg_put_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                 void *data, pier_err_t *err)
{
    cleanup_buf struct buf url = BUF_INIT;
    cleanup_buf struct buf at = BUF_INIT;
    cleanup_buf struct buf put = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/blobs/uploads/", c->base, c->ref.path);
    cleanup_curl CURL *h = curl_easy_init();
    if (url.failed || h == NULL)
        return pier_error(err, ENOMEM, "upload");
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX, .method = "POST"};
    int ret = reg_request(c, h, url.data, NULL, &r, err);
    if (ret == 0 && r.status != 202)
        ret = push_error(c, &r, url.data, err);
    if (ret == 0)
        ret = next_url(c, &r, &at, err);
    r.go = go;
    r.go_data = data;
    r.in_type = "Content-Type: application/octet-stream";
    /* large blobs in chunks, the last PUT then without a body */
    bool chunked = d->size > REG_CHUNK;
    if (ret == 0 && chunked)
        ret = put_chunks(c, h, &r, fd, d->size, &at, err);
    if (ret == 0)
        ret = with_digest(h, &at, d->digest, &put, err);
    if (ret == 0) {
        r.method = "PUT";
        r.in_fd = fd;
        r.in_off = chunked ? d->size : 0;
        r.in_size = chunked ? 0 : d->size;
        ret = reg_request(c, h, put.data, NULL, &r, err);
        if (ret == 0 && r.status != 201)
            ret = push_error(c, &r, put.data, err);
    }
    reg_resp_free(&r);
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
