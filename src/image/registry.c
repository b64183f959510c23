/* HTTP to registries through libcurl: the /v2/ probe, tokens, manifests
 * and blobs.  Every body has a cap (a blob's is the size its descriptor
 * gives), and what comes back is hashed as it arrives, so that a digest
 * that does not match is an error before anything is kept.
 *
 * Authentication follows the probe's challenge: a Bearer token for
 * repository:<path>:pull (fetched anonymously, with the client's Basic
 * credentials, or for an identity token), renewed once when a request is
 * refused; or Basic credentials on every request.  curl sends neither to
 * another host when a blob redirects to a CDN. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/buf.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "pull.h"
#include "registry.h"

#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_HOST "registry-1.docker.io"
#define USER_AGENT "pier/0.1"
#define MAX_INSECURE 64

struct reg_client {
    struct img_ref ref;
    char base[IMG_NAME_MAX + 16]; /* "https://registry-1.docker.io" */
    struct reg_creds creds;
    const atomic_bool *cancel;
    CURL *h;              /* the opening thread's requests: probe, tokens, manifests, config */
    pthread_mutex_t lock; /* guards what follows: downloads renew tokens too */
    enum reg_scheme scheme;
    struct reg_challenge challenge;
    char *token;
};

/* ---- insecure registries ---- */

static char *insecure[MAX_INSECURE];
static size_t ninsecure;

int img_pull_insecure_add(const char *host, pier_err_t *err)
{
    if (strstr(host, "://") != NULL)
        return pier_fail(err, EINVAL, "insecure registry %s should not contain '://'", host);
    if (*host == '\0' || strchr(host, '/') != NULL || strlen(host) > IMG_NAME_MAX)
        return pier_fail(err, EINVAL, "insecure registry `%s`: expected HOST[:PORT]", host);
    if (ninsecure == MAX_INSECURE)
        return pier_fail(err, EINVAL, "more than %d insecure registries", MAX_INSECURE);
    insecure[ninsecure] = strdup(host);
    if (insecure[ninsecure] == NULL)
        return pier_error(err, ENOMEM, "insecure registry");
    ninsecure++;
    return 0;
}

/* The host without its port: "[::1]:5000" is "::1". */
static void host_only(const char *host, char *out, size_t cap)
{
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        size_t n = close ? (size_t)(close - host - 1) : strlen(host + 1);
        snprintf(out, cap, "%.*s", (int)n, host + 1);
        return;
    }
    snprintf(out, cap, "%.*s", (int)strcspn(host, ":"), host);
}

bool reg_host_insecure(const char *host)
{
    char h[IMG_NAME_MAX + 1];
    host_only(host, h, sizeof h);
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(h, "localhost") == 0 ||
        (inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
        (inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)))
        return true;
    for (size_t i = 0; i < ninsecure; i++)
        if (strcasecmp(insecure[i], host) == 0 ||
            (strchr(insecure[i], ':') == NULL && strcasecmp(insecure[i], h) == 0))
            return true;
    return false;
}

/* ---- one request ---- */

struct resp {
    CURL *h;
    long status;
    char ctype[128];
    char digest[160]; /* Docker-Content-Digest */
    char *challenge;  /* WWW-Authenticate (the first one) */
    struct buf body;  /* a 2xx body kept in memory (fd < 0) */
    struct buf ebody; /* an error body, for its message */
    int fd;
    EVP_MD_CTX *md;
    int64_t got, limit;
    bool over;
    int werrno;
    reg_progress_fn go;
    void *go_data;
    bool stopped;
    const atomic_bool *cancel;
    char errbuf[CURL_ERROR_SIZE];
};

static void resp_reset(struct resp *r)
{
    r->status = 0;
    r->ctype[0] = r->digest[0] = '\0';
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

static void resp_free(struct resp *r)
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
        r->ctype[0] = r->digest[0] = '\0';
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
    if (r->go && !r->go(r->go_data, r->got)) {
        r->stopped = true;
        return 1;
    }
    return 0;
}

/* A token as it is now (a copy: another thread may renew it). */
static char *token_copy(struct reg_client *c)
{
    pthread_mutex_lock(&c->lock);
    char *t = c->token ? strdup(c->token) : NULL;
    pthread_mutex_unlock(&c->lock);
    return t;
}

enum auth_use { AUTH_NONE, AUTH_REGISTRY, AUTH_BASIC_CREDS };

/* One transfer.  post: a form body (tokens for identity tokens). */
static int perform(struct reg_client *c, CURL *h, const char *url, const char *accept,
                   enum auth_use auth, const char *post, struct resp *r, pier_err_t *err)
{
    resp_reset(r);
    r->h = h;
    r->cancel = c->cancel;
    curl_easy_reset(h);
    struct curl_slist *hdrs = NULL;
    if (accept != NULL && (hdrs = curl_slist_append(NULL, accept)) == NULL)
        return pier_error(err, ENOMEM, "request");
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
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (post != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
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
    const char *method = post ? "Post" : "Get";
    if (rc == CURLE_OK)
        return 0;
    if (c->cancel && atomic_load(c->cancel))
        return pier_fail(err, ECANCELED, "the pull was cancelled");
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

static const char *status_text(long status)
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
static int status_error(const struct resp *r, const char *url, char *code, size_t ccap,
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
    return pier_fail(err, errnum, "unexpected status from GET request to %s: %ld %s", url,
                     r->status, status_text(r->status));
}

/* ---- authentication ---- */

/* On h, idle between the transfers of the thread that asks. */
static int fetch_token(struct reg_client *c, CURL *h, const struct reg_challenge *ch,
                       pier_err_t *err)
{
    char scope[IMG_NAME_MAX + 32] = "";
    /* a login asks for no scope: only whether the credentials are good */
    if (c->ref.path[0])
        snprintf(scope, sizeof scope, "repository:%s:pull", c->ref.path);
    cleanup_free char *e_scope = curl_easy_escape(h, scope, 0);
    cleanup_free char *e_service = curl_easy_escape(h, ch->service, 0);
    if (e_scope == NULL || e_service == NULL)
        return pier_error(err, ENOMEM, "token");
    cleanup_buf struct buf url = BUF_INIT;
    cleanup_buf struct buf form = BUF_INIT;
    const char *post = NULL;
    buf_puts(&url, ch->realm);
    if (c->creds.identity_token != NULL) {
        /* an OAuth refresh token, as docker login keeps for some registries */
        cleanup_free char *e_tok = curl_easy_escape(h, c->creds.identity_token, 0);
        if (e_tok == NULL)
            return pier_error(err, ENOMEM, "token");
        buf_printf(&form,
                   "grant_type=refresh_token&client_id=docker&service=%s&scope=%s&"
                   "refresh_token=%s",
                   e_service, e_scope, e_tok);
        post = form.data;
    } else {
        const char *sep = strchr(ch->realm, '?') ? "&" : "?";
        if (scope[0]) {
            buf_printf(&url, "%sscope=%s", sep, e_scope);
            sep = "&";
        }
        if (ch->service[0])
            buf_printf(&url, "%sservice=%s", sep, e_service);
    }
    if (url.failed || form.failed)
        return pier_error(err, ENOMEM, "token");
    struct resp r = {.fd = -1, .limit = REG_TOKEN_MAX};
    int ret = perform(c, h, url.data, "Accept: application/json",
                      c->creds.username ? AUTH_BASIC_CREDS : AUTH_NONE, post, &r, err);
    if (ret == 0 && (r.status < 200 || r.status >= 300)) {
        char code[64];
        status_error(&r, url.data, code, sizeof code, err);
        if (r.status == 401 || r.status == 403)
            (*err)->errnum = EACCES;
        ret = pier_error_wrap(err, "%s \"%s\"", post ? "Post" : "Get", ch->realm);
    }
    char *token = NULL;
    if (ret == 0 && reg_token_parse(r.body.data ? r.body.data : "", r.body.len, &token, err) < 0)
        ret = pier_error_wrap(err, "%s \"%s\"", post ? "Post" : "Get", ch->realm);
    resp_free(&r);
    if (ret < 0)
        return -1;
    pthread_mutex_lock(&c->lock);
    free(c->token);
    c->token = token;
    c->scheme = REG_AUTH_BEARER;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* A 401: take up the challenge once (a token renewed, Basic credentials
 * offered).  True when the request is worth repeating. */
static bool answer_challenge(struct reg_client *c, CURL *h, const struct resp *r, pier_err_t *err)
{
    struct reg_challenge ch;
    pier_err_t e = NULL;
    if (reg_challenge_parse(r->challenge, &ch, &e) < 0) {
        pier_error_free(&e);
        return false;
    }
    if (ch.scheme == REG_AUTH_BEARER) {
        if (c->creds.registry_token != NULL)
            return false;
        return fetch_token(c, h, &ch, err) == 0;
    }
    pthread_mutex_lock(&c->lock);
    bool again = c->scheme != REG_AUTH_BASIC && c->creds.username != NULL;
    c->scheme = REG_AUTH_BASIC;
    pthread_mutex_unlock(&c->lock);
    return again;
}

/* A request with the registry's authentication; one more try after a 401
 * whose challenge could be answered.  A failed renewal's error is kept. */
static int request(struct reg_client *c, CURL *h, const char *url, const char *accept,
                   struct resp *r, pier_err_t *err)
{
    if (perform(c, h, url, accept, AUTH_REGISTRY, NULL, r, err) < 0)
        return -1;
    if (r->status != 401)
        return 0;
    pier_err_t e = NULL;
    if (!answer_challenge(c, h, r, &e)) {
        if (e != NULL) {
            pier_error(err, e->errnum, "%s", pier_error_msg(e));
            pier_error_free(&e);
            return -1;
        }
        return 0;
    }
    return perform(c, h, url, accept, AUTH_REGISTRY, NULL, r, err);
}

static int probe(struct reg_client *c, pier_err_t *err)
{
    char url[sizeof c->base + 8];
    snprintf(url, sizeof url, "%s/v2/", c->base);
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = perform(c, c->h, url, NULL, AUTH_NONE, NULL, &r, err);
    if (ret == 0 && r.status == 401) {
        struct reg_challenge ch;
        if (reg_challenge_parse(r.challenge, &ch, err) < 0) {
            ret = pier_error_wrap(err, "Get \"%s\"", url);
        } else if (ch.scheme == REG_AUTH_BEARER) {
            c->challenge = ch;
            if (c->creds.registry_token != NULL) {
                c->token = strdup(c->creds.registry_token);
                c->scheme = REG_AUTH_BEARER;
                if (c->token == NULL)
                    ret = pier_error(err, ENOMEM, "token");
            } else {
                ret = fetch_token(c, c->h, &ch, err);
            }
        } else {
            c->challenge = ch;
            c->scheme = REG_AUTH_BASIC;
        }
    } else if (ret == 0 && r.status >= 500) {
        char code[64];
        ret = status_error(&r, url, code, sizeof code, err);
        pier_error_wrap(err, "Get \"%s\"", url);
    }
    resp_free(&r);
    return ret;
}

/* ---- the client ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int dup_creds(const struct reg_creds *in, struct reg_creds *out, pier_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (in == NULL)
        return 0;
    const char *src[] = {in->username, in->password, in->identity_token, in->registry_token};
    char **dst[] = {&out->username, &out->password, &out->identity_token, &out->registry_token};
    for (size_t i = 0; i < ARRAY_SIZE(src); i++)
        if (src[i] != NULL && (*dst[i] = strdup(src[i])) == NULL)
            return pier_error(err, ENOMEM, "credentials");
    return 0;
}

void reg_client_free(struct reg_client *c)
{
    if (c == NULL)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    reg_creds_free(&c->creds);
    free(c->token);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int client_new(const struct img_ref *ref, const struct reg_creds *creds,
                      const atomic_bool *cancel, struct reg_client **out, pier_err_t *err)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return pier_error(err, 0, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    struct reg_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return pier_error(err, ENOMEM, "registry client");
    pthread_mutex_init(&c->lock, NULL);
    c->ref = *ref;
    c->cancel = cancel;
    const char *host = strcmp(ref->domain, DOCKER_HUB) == 0 ? DOCKER_HUB_HOST : ref->domain;
    snprintf(c->base, sizeof c->base, "%s://%s", reg_host_insecure(host) ? "http" : "https", host);
    if (dup_creds(creds, &c->creds, err) < 0 || (c->h = curl_easy_init()) == NULL) {
        if (c->h == NULL)
            pier_error(err, ENOMEM, "libcurl");
        reg_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int reg_client_open(const struct img_ref *ref, const struct reg_creds *creds,
                    const atomic_bool *cancel, struct reg_client **out, pier_err_t *err)
{
    struct reg_client *c = NULL;
    if (client_new(ref, creds, cancel, &c, err) < 0)
        return -1;
    if (probe(c, err) < 0) {
        reg_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* ---- login ---- */

/* What docker login names ("127.0.0.1:5000", "https://index.docker.io/v1/")
 * as a registry domain. */
static int login_domain(const char *server, char *out, size_t cap, pier_err_t *err)
{
    const char *p = server ? server : "";
    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    size_t n = strcspn(p, "/");
    if (n == 0 || (n == 15 && strncmp(p, "index.docker.io", 15) == 0) ||
        (n == 20 && strncmp(p, DOCKER_HUB_HOST, 20) == 0))
        p = DOCKER_HUB, n = strlen(DOCKER_HUB);
    if (n >= cap)
        return pier_fail(err, EINVAL, "registry `%s`: the name is too long", server);
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || strchr(".-:[]", p[i])))
            return pier_fail(err, EINVAL, "invalid registry `%.100s`", server);
    snprintf(out, cap, "%.*s", (int)n, p);
    return 0;
}

int img_registry_login(const char *server, const char *username, const char *password,
                       pier_err_t *err)
{
    struct img_ref ref = {0};
    if (login_domain(server, ref.domain, sizeof ref.domain, err) < 0)
        return -1;
    struct reg_creds creds = {.username = (char *)username, .password = (char *)password};
    struct reg_client *c = NULL;
    if (client_new(&ref, &creds, NULL, &c, err) < 0)
        return -1;
    char url[sizeof c->base + 8];
    snprintf(url, sizeof url, "%s/v2/", c->base);
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = perform(c, c->h, url, NULL, AUTH_NONE, NULL, &r, err);
    if (ret == 0 && r.status == 401) {
        struct reg_challenge ch;
        if (reg_challenge_parse(r.challenge, &ch, err) < 0)
            ret = pier_error_wrap(err, "Get \"%s\"", url);
        else if (ch.scheme == REG_AUTH_BEARER)
            ret = fetch_token(c, c->h, &ch, err);
        else
            c->scheme = REG_AUTH_BASIC;
        if (ret == 0)
            ret = perform(c, c->h, url, NULL, AUTH_REGISTRY, NULL, &r, err);
    }
    if (ret == 0 && r.status != 200)
        ret = pier_fail(err, EACCES, "login attempt to %s failed with status: %ld %s", url,
                        r.status, status_text(r.status));
    resp_free(&r);
    reg_client_free(c);
    return ret;
}

const char *reg_client_base(const struct reg_client *c)
{
    return c->base;
}

/* ---- manifests and blobs ---- */

static void familiar(const struct reg_client *c, const char *tag_or_digest, bool with_ref,
                     char *out, size_t cap)
{
    struct img_ref r = c->ref;
    r.tag[0] = r.digest[0] = '\0';
    char name[IMG_REF_MAX];
    img_ref_familiar(&r, false, name, sizeof name);
    if (!with_ref)
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s%s%s", name, strncmp(tag_or_digest, "sha256:", 7) == 0 ? "@" : ":",
                 tag_or_digest);
}

int reg_get_manifest(struct reg_client *c, const char *tag_or_digest, char **body, size_t *len,
                     char content_type[128], char digest[IMG_DIGEST_SIZE], pier_err_t *err)
{
    *body = NULL;
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/manifests/%s", c->base, c->ref.path, tag_or_digest);
    if (url.failed)
        return pier_error(err, ENOMEM, "manifest");
    struct resp r = {.fd = -1, .limit = REG_MANIFEST_MAX, .md = EVP_MD_CTX_new()};
    int ret = r.md ? request(c, c->h, url.data, reg_manifest_accept, &r, err)
                   : pier_error(err, ENOMEM, "sha256");
    char name[IMG_REF_MAX + 80];
    if (ret == 0 && (r.status < 200 || r.status >= 300)) {
        char code[64];
        pier_err_t e = NULL;
        status_error(&r, url.data, code, sizeof code, &e);
        if (strcmp(code, "NAME_UNKNOWN") == 0 || strcmp(code, "DENIED") == 0) {
            familiar(c, tag_or_digest, false, name, sizeof name);
            ret = pier_fail(err, ENOENT,
                            "pull access denied for %s, repository does not exist or may require "
                            "'docker login': %s",
                            name, pier_error_msg(e));
        } else if (e->errnum == ENOENT) {
            familiar(c, tag_or_digest, true, name, sizeof name);
            ret = pier_fail(err, ENOENT, "manifest for %s not found: %s", name, pier_error_msg(e));
        } else {
            ret = pier_fail(err, e->errnum, "%s", pier_error_msg(e));
        }
        pier_error_free(&e);
    } else if (ret < 0 && r.over) {
        pier_error(err, 0, "the manifest of %s is larger than %u bytes", tag_or_digest,
                   REG_MANIFEST_MAX);
    }
    if (ret == 0 && img_sha256_final(r.md, digest, err) < 0)
        ret = -1;
    if (ret == 0) {
        if (strncmp(tag_or_digest, "sha256:", 7) == 0 && strcmp(digest, tag_or_digest) != 0)
            ret = pier_error(err, 0,
                             "manifest verification failed for digest %s (its content is "
                             "%s)",
                             tag_or_digest, digest);
        else if (strncmp(r.digest, "sha256:", 7) == 0 && strcmp(r.digest, digest) != 0)
            ret = pier_error(err, 0,
                             "manifest verification failed for digest %.80s (its content "
                             "is %s)",
                             r.digest, digest);
    }
    if (ret == 0) {
        snprintf(content_type, 128, "%s", r.ctype);
        *len = r.body.len;
        *body = buf_steal(&r.body);
    }
    resp_free(&r);
    return ret;
}

/* After a blob's transfer: its size and digest. */
static int blob_check(const struct reg_desc *d, struct resp *r, pier_err_t *err)
{
    char got[IMG_DIGEST_SIZE];
    if (r->got != d->size)
        return pier_fail(err, EBADMSG, "the registry sent %lld bytes, the manifest says %lld",
                         (long long)r->got, (long long)d->size);
    if (img_sha256_final(r->md, got, err) < 0)
        return -1;
    if (strcmp(got, d->digest) != 0)
        return pier_fail(err, EBADMSG, "the registry sent content whose digest is %s", got);
    return 0;
}

static int blob_get(struct reg_client *c, CURL *h, const struct reg_desc *d, struct resp *r,
                    pier_err_t *err)
{
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/blobs/%s", c->base, c->ref.path, d->digest);
    if (url.failed)
        return pier_error(err, ENOMEM, "blob");
    r->limit = d->size;
    if (request(c, h, url.data, NULL, r, err) < 0) {
        if (r->over)
            pier_fail(err, EBADMSG, "the registry sent more than the %lld bytes the manifest says",
                      (long long)d->size);
        return -1;
    }
    if (r->status < 200 || r->status >= 300) {
        char code[64];
        return status_error(r, url.data, code, sizeof code, err);
    }
    return blob_check(d, r, err);
}

int reg_get_blob(struct reg_client *c, const struct reg_desc *d, size_t max, char **body,
                 size_t *len, pier_err_t *err)
{
    *body = NULL;
    if (d->size < 0 || (uint64_t)d->size > max)
        return pier_error(err, 0, "blob %s: %lld bytes, more than the limit of %zu", d->digest,
                          (long long)d->size, max);
    struct resp r = {.fd = -1, .md = EVP_MD_CTX_new()};
    int ret = r.md ? blob_get(c, c->h, d, &r, err) : pier_error(err, ENOMEM, "sha256");
    if (ret == 0) {
        *len = r.body.len;
        *body = buf_steal(&r.body);
    }
    resp_free(&r);
    return ret;
}

int reg_fetch_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                   void *data, pier_err_t *err)
{
    CURL *h = curl_easy_init();
    struct resp r = {.fd = fd, .md = EVP_MD_CTX_new(), .go = go, .go_data = data};
    int ret = h && r.md ? blob_get(c, h, d, &r, err) : pier_error(err, ENOMEM, "download");
    resp_free(&r);
    if (h)
        curl_easy_cleanup(h);
    return ret;
}
