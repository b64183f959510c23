/* One HTTP exchange with a registry through libcurl: the headers that
 * matter (Content-Type, Docker-Content-Digest, WWW-Authenticate, each
 * response's own after a redirect), the body capped and hashed as it
 * arrives, stopped when the pull is, and registry errors worded as
 * docker words them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "registry_int.h"

#define USER_AGENT "pier/0.1"

/* ---- one request ---- */

static void resp_reset(struct resp *r)
{
    r->status = 0;
    r->ctype[0] = r->digest[0] = r->location[0] = '\0';
    free(r->challenge);
    r->challenge = NULL;
    buf_free(&r->body);
    buf_free(&r->ebody);
    r->body.max = r->limit >= 0 && (uint64_t)r->limit < BUF_DEFAULT_MAX ? (size_t)r->limit + 1
                                                                        : BUF_DEFAULT_MAX;
    r->ebody.max = REG_ERROR_MAX;
    r->got = 0;
    r->over = r->stopped = false;
    r->werrno = 0;
    r->errbuf[0] = '\0';
    if (r->md)
        EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
}

void reg_resp_free(struct resp *r)
{
    free(r->challenge);
    buf_free(&r->body);
    buf_free(&r->ebody);
    EVP_MD_CTX_free(r->md);
}

static void copy_value(char *out, size_t cap, const char *v, size_t n)
{
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nitems, void *data)
{
    struct resp *r = data;
    size_t n = size * nitems;
    /* a new response (after a redirect): forget the last one's headers */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        r->ctype[0] = r->digest[0] = r->location[0] = '\0';
        free(r->challenge);
        r->challenge = NULL;
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (colon == NULL)
        return n;
    size_t klen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    if (klen == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
        copy_value(r->ctype, sizeof r->ctype, v, vlen);
    } else if (klen == 21 && strncasecmp(p, "Docker-Content-Digest", 21) == 0) {
        copy_value(r->digest, sizeof r->digest, v, vlen);
    } else if (klen == 8 && strncasecmp(p, "Location", 8) == 0) {
        copy_value(r->location, sizeof r->location, v, vlen);
    } else if (klen == 16 && strncasecmp(p, "WWW-Authenticate", 16) == 0 && r->challenge == NULL &&
               vlen <= REG_HEADER_MAX) {
        r->challenge = malloc(vlen + 1);
        if (r->challenge)
            copy_value(r->challenge, vlen + 1, v, vlen);
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
    struct resp *r = data;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code >= 300) {
        /* only its message matters: the rest is dropped */
        if (r->ebody.len + n <= REG_ERROR_MAX)
            buf_put(&r->ebody, p, n);
        return n;
    }
    if (r->limit >= 0 && r->got + (int64_t)n > r->limit) {
        r->over = true;
        return 0;
    }
    if (r->md && EVP_DigestUpdate(r->md, p, n) != 1) {
        r->werrno = EIO;
        return 0;
    }
    if (r->fd >= 0) {
        if (pier_write_all(r->fd, p, n) < 0) {
            r->werrno = errno;
            return 0;
        }
    } else {
        buf_put(&r->body, p, n);
        if (r->body.failed) {
            r->werrno = ENOMEM;
            return 0;
        }
    }
    r->got += (int64_t)n;
    return n;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    struct resp *r = data;
    if (r->cancel && atomic_load(r->cancel))
        return 1;
    bool up = r->method && (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0);
    if (r->go && !r->go(r->go_data, up ? r->in_off + ulnow : r->got)) {
        r->stopped = true;
        return 1;
    }
    return 0;
}

/* A PUT's or PATCH's body, from memory or a file (read at its offset, so
 * that a request repeated after a 401 sends the same bytes). */
static size_t on_read(char *p, size_t size, size_t nitems, void *data)
{
    struct resp *r = data;
    size_t n = size * nitems;
    if (r->in_data != NULL) {
        size_t left = (size_t)(r->in_size - r->sent);
        if (n > left)
            n = left;
        memcpy(p, r->in_data + r->sent, n);
        r->sent += (int64_t)n;
        return n;
    }
    if ((int64_t)n > r->in_size - r->sent)
        n = (size_t)(r->in_size - r->sent);
    ssize_t got;
    while ((got = pread(r->in_fd, p, n, r->in_off + r->sent)) < 0 && errno == EINTR)
        ;
    if (got < 0) {
        r->werrno = errno;
        return CURL_READFUNC_ABORT;
    }
    r->sent += got;
    return (size_t)got;
}

/* A token as it is now (a copy: another thread may renew it). */
static char *token_copy(struct reg_client *c)
{
    pthread_mutex_lock(&c->lock);
    char *t = c->token ? strdup(c->token) : NULL;
    pthread_mutex_unlock(&c->lock);
    return t;
}

/* One transfer.  post: a form body (tokens for identity tokens). */
int reg_perform(struct reg_client *c, CURL *h, const char *url, const char *accept,
                enum auth_use auth, const char *post, struct resp *r, pier_err_t *err)
{
    resp_reset(r);
    r->h = h;
    r->cancel = c->cancel;
    curl_easy_reset(h);
    struct curl_slist *hdrs = NULL;
    if (accept != NULL && (hdrs = curl_slist_append(NULL, accept)) == NULL)
        return pier_error(err, ENOMEM, "request");
    bool patch = r->method && strcmp(r->method, "PATCH") == 0;
    bool put = patch || (r->method && strcmp(r->method, "PUT") == 0);
    const char *more_hdrs[] = {put ? r->in_type : NULL, patch ? r->in_range : NULL};
    for (size_t i = 0; i < ARRAY_SIZE(more_hdrs); i++) {
        if (more_hdrs[i] == NULL)
            continue;
        struct curl_slist *more = curl_slist_append(hdrs, more_hdrs[i]);
        if (more == NULL) {
            curl_slist_free_all(hdrs);
            return pier_error(err, ENOMEM, "request");
        }
        hdrs = more;
    }
    /* a request repeated after a 401 sends its body again */
    r->sent = 0;
    cleanup_free char *token = NULL;
    enum reg_scheme scheme = REG_AUTH_NONE;
    if (auth == AUTH_REGISTRY) {
        pthread_mutex_lock(&c->lock);
        scheme = c->scheme;
        pthread_mutex_unlock(&c->lock);
        if (scheme == REG_AUTH_BEARER)
            token = token_copy(c);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    /* a stalled transfer ends after a minute without a byte */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cas.len > 0) {
        struct curl_blob cas = {.data = c->cas.data, .len = c->cas.len, .flags = CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &cas);
    }
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (post != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    if (r->method && strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (r->method && strcmp(r->method, "POST") == 0 && post == NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (put) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        if (patch)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
        /* a layer's MiBs in fewer reads, sends and polls than 64 KiB at a time */
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, r);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->in_size);
    }
    if (token != NULL) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, token);
    } else if ((auth == AUTH_BASIC_CREDS || (auth == AUTH_REGISTRY && scheme == REG_AUTH_BASIC)) &&
               c->creds.username != NULL) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->creds.username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->creds.password ? c->creds.password : "");
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    const char *method = patch                                         ? "Patch"
                         : put                                         ? "Put"
                         : r->method && strcmp(r->method, "HEAD") == 0 ? "Head"
                         : post || r->method                           ? "Post"
                                                                       : "Get";
    if (rc == CURLE_OK)
        return 0;
    if (c->cancel && atomic_load(c->cancel))
        return pier_fail(err, ECANCELED, "the %s was cancelled", c->push ? "push" : "pull");
    if (r->stopped)
        return pier_fail(err, ECANCELED, "stopped");
    if (r->over)
        return pier_error(err, 0, "%s \"%s\": the answer is larger than %lld bytes", method, url,
                          (long long)r->limit);
    if (r->werrno)
        return pier_error(err, r->werrno, "%s \"%s\": keep the answer", method, url);
    return pier_error(err, 0, "%s \"%s\": %s", method, url,
                      r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
}

/* A registry's error body {"errors":[{"code","message"}]} as docker words
 * it ("manifest unknown: manifest unknown"); code gets the first code. */
static void error_text(const struct resp *r, char *code, size_t ccap, char *out, size_t cap)
{
    code[0] = out[0] = '\0';
    cleanup_json json_t *j = r->ebody.len ? json_loadb(r->ebody.data, r->ebody.len, 0, NULL) : NULL;
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    const char *c = json_string_value(json_object_get(e, "code"));
    const char *m = json_string_value(json_object_get(e, "message"));
    if (c == NULL)
        return;
    snprintf(code, ccap, "%.40s", c);
    char lower[64];
    size_t i = 0;
    for (; c[i] && i + 1 < sizeof lower; i++)
        lower[i] = c[i] == '_' ? ' ' : (char)(c[i] >= 'A' && c[i] <= 'Z' ? c[i] - 'A' + 'a' : c[i]);
    lower[i] = '\0';
    /* what the registry says is shown to users: keep it short and printable */
    char msg[300] = "";
    size_t k = 0;
    for (const char *p = m ? m : ""; *p && k + 1 < sizeof msg; p++)
        msg[k++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    msg[k] = '\0';
    snprintf(out, cap, "%s: %s", lower, msg[0] ? msg : lower);
}

const char *reg_status_text(long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "";
    }
}

/* The error of a response that is not 2xx; code gets the registry's. */
int reg_status_error(const struct resp *r, const char *url, char *code, size_t ccap,
                     pier_err_t *err)
{
    char text[400];
    error_text(r, code, ccap, text, sizeof text);
    int errnum = 0;
    if (strcmp(code, "MANIFEST_UNKNOWN") == 0 || strcmp(code, "NAME_UNKNOWN") == 0 ||
        strcmp(code, "BLOB_UNKNOWN") == 0 || strcmp(code, "DENIED") == 0 ||
        (code[0] == '\0' && r->status == 404))
        errnum = ENOENT;
    if (text[0])
        return pier_fail(err, errnum, "%s", text);
    if (r->status == 401)
        return pier_fail(err, 0, "unauthorized: authentication required");
    return pier_fail(err, errnum, "unexpected status from %s request to %s: %ld %s",
                     r->method ? r->method : "GET", url, r->status, reg_status_text(r->status));
}
