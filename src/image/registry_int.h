/* What the two halves of the registry client share: the client itself
 * and one HTTP exchange (registry_http.c), which registry.c builds the
 * probe, tokens, manifests and blobs on. */
#ifndef PIER_IMAGE_REGISTRY_INT_H
#define PIER_IMAGE_REGISTRY_INT_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "../lib/buf.h"
#include "registry.h"

struct reg_client {
    struct img_ref ref;
    char base[IMG_NAME_MAX + 16]; /* "https://registry-1.docker.io" */
    struct reg_creds creds;
    const atomic_bool *cancel;
    bool push;            /* tokens ask for repository:<path>:pull,push */
    bool insecure;        /* https unverified, else plain http (--insecure-registry, loopback) */
    struct buf cas;       /* PEM CA certificates from certs.d: the only ones trusted */
    CURL *h;              /* the opening thread's requests: probe, tokens, manifests, config */
    pthread_mutex_t lock; /* guards what follows: downloads renew tokens too */
    enum reg_scheme scheme;
    struct reg_challenge challenge;
    char *token;
};

/* One response: its headers, its body (kept in memory, or written to fd
 * and hashed), capped at limit bytes. */
struct resp {
    CURL *h;
    long status;
    char ctype[128];
    char digest[160];    /* Docker-Content-Digest */
    char location[2048]; /* Location: where an upload goes on */
    char *challenge;     /* WWW-Authenticate (the first one) */
    struct buf body;     /* a 2xx body kept in memory (fd < 0) */
    struct buf ebody;    /* an error body, for its message */
    int fd;
    EVP_MD_CTX *md;
    int64_t got, limit;
    bool over;
    int werrno;
    reg_progress_fn go;
    void *go_data;
    bool stopped;
    const atomic_bool *cancel;
    /* the request, when not a GET (or a POST of a form): set by the
     * caller, kept by the reset */
    const char *method; /* "HEAD", "POST", "PUT", "PATCH" */
    int in_fd;          /* a PUT's or PATCH's body from this fd (in_size bytes at in_off)... */
    int64_t in_off;
    const char *in_data; /* ...or from memory */
    int64_t in_size, sent;
    const char *in_type;  /* its Content-Type header, "Content-Type: ..." */
    const char *in_range; /* a PATCH's Content-Range header, or NULL */
    char errbuf[CURL_ERROR_SIZE];
};

/* Which credentials a request carries: none, what the registry's
 * challenge asked for (a token, Basic), or Basic to a token server. */
enum auth_use { AUTH_NONE, AUTH_REGISTRY, AUTH_BASIC_CREDS };

/* One transfer of url (post: a form body); *r is reset first.  Not a
 * failure when the status is not 2xx: the caller looks. */
int reg_perform(struct reg_client *c, CURL *h, const char *url, const char *accept,
                enum auth_use auth, const char *post, struct resp *r, pier_err_t *err);
void reg_resp_free(struct resp *r);
/* reg_perform with the registry's authentication: one more try after a
 * 401 whose challenge could be answered (a token renewed, Basic offered). */
int reg_request(struct reg_client *c, CURL *h, const char *url, const char *accept, struct resp *r,
                pier_err_t *err);
/* The error of a response that is not 2xx, in docker's words; code gets
 * the registry's error code ("MANIFEST_UNKNOWN"), "" when none. */
int reg_status_error(const struct resp *r, const char *url, char *code, size_t ccap,
                     pier_err_t *err);
const char *reg_status_text(long status);

#endif
