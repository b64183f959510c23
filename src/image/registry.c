/* The registry client: the /v2/ probe, tokens, manifests, tag lists and blobs, and
 * docker login's check, over the exchanges of registry_http.c.  Every body
 * has a cap (a blob's is the size its descriptor gives), and what comes
 * back is hashed as it arrives, so that a digest that does not match is
 * an error before anything is kept.
 *
 * Authentication follows the probe's challenge: a Bearer token for
 * repository:<path>:pull (fetched anonymously, with the client's Basic
 * credentials, or for an identity token), renewed once when a request is
 * refused; or Basic credentials on every request.  curl sends neither to
 * another host when a blob redirects to a CDN. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "pull.h"
#include "registry_int.h"

#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_HOST "registry-1.docker.io"
#define MAX_INSECURE 64

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

/* ---- TLS: docker's certs.d, and insecure registries over https ---- */

static char *certs_dir;

int img_registry_certs_dir(const char *dir, pier_err_t *err)
{
    if (*dir != '/')
        return pier_fail(err, EINVAL, "registry certificates `%s`: not an absolute path", dir);
    free(certs_dir);
    certs_dir = strdup(dir);
    return certs_dir ? 0 : pier_error(err, ENOMEM, "registry certificates");
}

/* The CA certificates that certs.d holds for host ("HOST[:PORT]"): every
 * *.crt of <dir>/<host>/, joined; none when there is no such directory. */
static int load_cas(const char *host, struct buf *out, pier_err_t *err)
{
    if (host[0] == '.' || strchr(host, '/') != NULL)
        return 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", certs_dir ? certs_dir : "/etc/docker/certs.d", host);
    cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : pier_error(err, errno, "open `%s`", path);
    DIR *d = fdopendir(dup(dfd));
    if (d == NULL)
        return pier_error(err, errno, "open `%s`", path);
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".crt") != 0)
            continue;
        cleanup_free char *pem = NULL;
        size_t len = 0;
        if (pier_read_file_at(dfd, de->d_name, 1 << 20, &pem, &len, err) < 0)
            ret = pier_error_wrap(err, "registry certificates `%s`", path);
        else
            buf_printf(out, "%.*s\n", (int)len, pem);
    }
    closedir(d);
    if (ret == 0 && out->failed)
        ret = pier_error(err, ENOMEM, "registry certificates");
    return ret;
}

/* Insecure hosts that answered over plain http, so that the next client
 * does not try https with them first. */
#define MAX_PLAIN 32
static pthread_mutex_t plain_lock = PTHREAD_MUTEX_INITIALIZER;
static char plain[MAX_PLAIN][IMG_NAME_MAX + 1];
static size_t nplain;

static bool plain_known(const char *host)
{
    pthread_mutex_lock(&plain_lock);
    bool yes = false;
    for (size_t i = 0; i < nplain && !yes; i++)
        yes = strcmp(plain[i], host) == 0;
    pthread_mutex_unlock(&plain_lock);
    return yes;
}

static void plain_remember(const char *host)
{
    if (plain_known(host))
        return;
    pthread_mutex_lock(&plain_lock);
    snprintf(plain[nplain++ % MAX_PLAIN], sizeof plain[0], "%s", host);
    pthread_mutex_unlock(&plain_lock);
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

/* ---- authentication ---- */

/* On h, idle between the transfers of the thread that asks. */
static int fetch_token(struct reg_client *c, CURL *h, const struct reg_challenge *ch,
                       pier_err_t *err)
{
    /* Our repository's scope (a login asks for none: only whether the
     * credentials are good), and what else the challenge asks for: a
     * mount's source repository. */
    char scope[IMG_NAME_MAX + 32 + sizeof ch->scope] = "";
    if (c->ref.path[0])
        snprintf(scope, sizeof scope, "repository:%s:%s", c->ref.path,
                 c->push ? "pull,push" : "pull");
    size_t ours = strlen(scope);
    for (const char *p = ch->scope; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && (n != ours || strncmp(p, scope, n) != 0) && ours + n + 2 < sizeof scope)
            snprintf(scope + strlen(scope), sizeof scope - strlen(scope), "%s%.*s",
                     scope[0] ? " " : "", (int)n, p);
        p += n + (p[n] == ' ');
    }
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
        /* a GET names each scope in a parameter of its own */
        const char *sep = strchr(ch->realm, '?') ? "&" : "?";
        for (const char *p = scope; *p;) {
            size_t n = strcspn(p, " ");
            cleanup_free char *e = curl_easy_escape(h, p, (int)n);
            if (e == NULL)
                return pier_error(err, ENOMEM, "token");
            buf_printf(&url, "%sscope=%s", sep, e);
            sep = "&";
            p += n + (p[n] == ' ');
        }
        if (ch->service[0])
            buf_printf(&url, "%sservice=%s", sep, e_service);
    }
    if (url.failed || form.failed)
        return pier_error(err, ENOMEM, "token");
    struct resp r = {.fd = -1, .limit = REG_TOKEN_MAX};
    int ret = reg_perform(c, h, url.data, "Accept: application/json",
                          c->creds.username ? AUTH_BASIC_CREDS : AUTH_NONE, post, &r, err);
    if (ret == 0 && (r.status < 200 || r.status >= 300)) {
        char code[64];
        reg_status_error(&r, url.data, code, sizeof code, err);
        if (r.status == 401 || r.status == 403)
            (*err)->errnum = EACCES;
        ret = pier_error_wrap(err, "%s \"%s\"", post ? "Post" : "Get", ch->realm);
    }
    char *token = NULL;
    if (ret == 0 && reg_token_parse(r.body.data ? r.body.data : "", r.body.len, &token, err) < 0)
        ret = pier_error_wrap(err, "%s \"%s\"", post ? "Post" : "Get", ch->realm);
    reg_resp_free(&r);
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
int reg_request(struct reg_client *c, CURL *h, const char *url, const char *accept, struct resp *r,
                pier_err_t *err)
{
    if (reg_perform(c, h, url, accept, AUTH_REGISTRY, NULL, r, err) < 0)
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
    return reg_perform(c, h, url, accept, AUTH_REGISTRY, NULL, r, err);
}

/* The 401 of `url` (/v2/) answered: a bearer token (the client's own, or
 * one fetched for the challenge's realm), else Basic from now on. */
static int first_challenge(struct reg_client *c, const char *url, const struct resp *r,
                           pier_err_t *err)
{
    struct reg_challenge ch;
    if (reg_challenge_parse(r->challenge, &ch, err) < 0)
        return pier_error_wrap(err, "Get \"%s\"", url);
    c->challenge = ch;
    if (ch.scheme != REG_AUTH_BEARER) {
        c->scheme = REG_AUTH_BASIC;
        return 0;
    }
    if (c->creds.registry_token == NULL)
        return fetch_token(c, c->h, &ch, err);
    c->token = strdup(c->creds.registry_token);
    c->scheme = REG_AUTH_BEARER;
    return c->token ? 0 : pier_error(err, ENOMEM, "token");
}

/* The /v2/ probe.  An insecure registry is asked over https first (its
 * certificate not verified), then over plain http when https fails, as
 * docker does; one that answered over http is asked so from then on. */
static int probe_v2(struct reg_client *c, enum auth_use auth, struct resp *r, pier_err_t *err)
{
    char url[sizeof c->base + 8];
    snprintf(url, sizeof url, "%s/v2/", c->base);
    if (reg_perform(c, c->h, url, NULL, auth, NULL, r, err) == 0)
        return 0;
    if (!c->insecure || strncmp(c->base, "https://", 8) != 0 || (*err)->errnum == ECANCELED)
        return -1;
    pier_error_free(err);
    char host[sizeof c->base];
    snprintf(host, sizeof host, "%s", c->base + 8);
    snprintf(c->base, sizeof c->base, "http://%s", host);
    snprintf(url, sizeof url, "%s/v2/", c->base);
    if (reg_perform(c, c->h, url, NULL, auth, NULL, r, err) < 0)
        return -1;
    plain_remember(host);
    return 0;
}

static int probe(struct reg_client *c, pier_err_t *err)
{
    char url[sizeof c->base + 8];
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = probe_v2(c, AUTH_NONE, &r, err);
    snprintf(url, sizeof url, "%s/v2/", c->base);
    if (ret == 0 && r.status == 401) {
        ret = first_challenge(c, url, &r, err);
    } else if (ret == 0 && r.status >= 500) {
        char code[64];
        ret = reg_status_error(&r, url, code, sizeof code, err);
        pier_error_wrap(err, "Get \"%s\"", url);
    }
    reg_resp_free(&r);
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
    buf_free(&c->cas);
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
    c->cas = (struct buf)BUF_INIT;
    c->insecure = reg_host_insecure(host);
    snprintf(c->base, sizeof c->base, "%s://%s",
             c->insecure && plain_known(host) ? "http" : "https", host);
    /* docker reads certs.d for the registries it verifies only */
    if ((!c->insecure && load_cas(host, &c->cas, err) < 0) ||
        dup_creds(creds, &c->creds, err) < 0 || (c->h = curl_easy_init()) == NULL) {
        if (c->h == NULL)
            pier_error(err, ENOMEM, "libcurl");
        reg_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

int reg_client_open(const struct img_ref *ref, const struct reg_creds *creds, bool push,
                    const atomic_bool *cancel, struct reg_client **out, pier_err_t *err)
{
    struct reg_client *c = NULL;
    if (client_new(ref, creds, cancel, &c, err) < 0)
        return -1;
    c->push = push;
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
    struct resp r = {.fd = -1, .limit = REG_ERROR_MAX};
    int ret = probe_v2(c, AUTH_NONE, &r, err);
    snprintf(url, sizeof url, "%s/v2/", c->base);
    if (ret == 0 && r.status == 401) {
        ret = first_challenge(c, url, &r, err);
        if (ret == 0)
            ret = reg_perform(c, c->h, url, NULL, AUTH_REGISTRY, NULL, &r, err);
    }
    if (ret == 0 && r.status != 200)
        ret = pier_fail(err, EACCES, "login attempt to %s failed with status: %ld %s", url,
                        r.status, reg_status_text(r.status));
    reg_resp_free(&r);
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

/* A pull's refusal in docker's words: a repository the registry does not
 * know (or will not show), or a tag_or_digest it does not have (NULL: the
 * tag list, which has no tag to miss). */
static int pull_error(struct reg_client *c, const struct resp *r, const char *url,
                      const char *tag_or_digest, pier_err_t *err)
{
    char code[64], name[IMG_REF_MAX + 80];
    pier_err_t e = NULL;
    reg_status_error(r, url, code, sizeof code, &e);
    int ret;
    if (strcmp(code, "NAME_UNKNOWN") == 0 || strcmp(code, "DENIED") == 0) {
        familiar(c, "", false, name, sizeof name);
        ret = pier_fail(err, ENOENT,
                        "pull access denied for %s, repository does not exist or may require "
                        "'docker login': %s",
                        name, pier_error_msg(e));
    } else if (e->errnum == ENOENT && tag_or_digest != NULL) {
        familiar(c, tag_or_digest, true, name, sizeof name);
        ret = pier_fail(err, ENOENT, "manifest for %s not found: %s", name, pier_error_msg(e));
    } else {
        ret = pier_fail(err, e->errnum, "%s", pier_error_msg(e));
    }
    pier_error_free(&e);
    return ret;
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
    int ret = r.md ? reg_request(c, c->h, url.data, reg_manifest_accept, &r, err)
                   : pier_error(err, ENOMEM, "sha256");
    if (ret == 0 && (r.status < 200 || r.status >= 300)) {
        ret = pull_error(c, &r, url.data, tag_or_digest, err);
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
    reg_resp_free(&r);
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
    if (reg_request(c, h, url.data, NULL, r, err) < 0) {
        if (r->over)
            pier_fail(err, EBADMSG, "the registry sent more than the %lld bytes the manifest says",
                      (long long)d->size);
        return -1;
    }
    if (r->status < 200 || r->status >= 300) {
        char code[64];
        return reg_status_error(r, url.data, code, sizeof code, err);
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
    reg_resp_free(&r);
    return ret;
}

int reg_fetch_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                   void *data, pier_err_t *err)
{
    CURL *h = curl_easy_init();
    struct resp r = {.fd = fd, .md = EVP_MD_CTX_new(), .go = go, .go_data = data};
    int ret = h && r.md ? blob_get(c, h, d, &r, err) : pier_error(err, ENOMEM, "download");
    reg_resp_free(&r);
    if (h)
        curl_easy_cleanup(h);
    return ret;
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, the distribution spec's tag */
static bool tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
        return false;
    return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* One page: registries send every tag unless the client asks for fewer
 * (n=).  A tag that is not a valid one is left out rather than trusted
 * into a reference. */
int reg_list_tags(struct reg_client *c, json_t **tags, pier_err_t *err)
{
    *tags = NULL;
    cleanup_buf struct buf url = BUF_INIT;
    buf_printf(&url, "%s/v2/%s/tags/list", c->base, c->ref.path);
    if (url.failed)
        return pier_error(err, ENOMEM, "tags");
    struct resp r = {.fd = -1, .limit = REG_TAGS_MAX};
    int ret = reg_request(c, c->h, url.data, "application/json", &r, err);
    if (ret == 0 && r.status != 200)
        ret = pull_error(c, &r, url.data, NULL, err);
    else if (ret < 0 && r.over)
        pier_error(err, 0, "the tag list of %s is larger than %u bytes", c->ref.path, REG_TAGS_MAX);
    cleanup_json json_t *doc = NULL;
    if (ret == 0)
        ret =
            pier_json_parse(r.body.data ? r.body.data : "", r.body.len, "the tag list", &doc, err);
    reg_resp_free(&r);
    if (ret < 0)
        return -1;
    json_t *list = json_object_get(doc, "tags");
    if (list != NULL && !json_is_array(list) && !json_is_null(list))
        return pier_error(err, 0, "the tag list of %s: \"tags\" is not an array", c->ref.path);
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v)
        if (json_is_string(v) && tag_valid(json_string_value(v)))
            json_array_append(out, v);
    if (out == NULL)
        return pier_error(err, ENOMEM, "tags");
    *tags = out;
    return 0;
}
