/* The registry client of pulls (the OCI distribution spec, as Docker's
 * registries speak it): credentials from the API's X-Registry-Auth, the
 * WWW-Authenticate challenge and the token server's answer (auth.c);
 * manifests, indexes and platforms (manifest.c); HTTP through libcurl
 * (registry.c).  Everything a registry sends is untrusted: each parser has
 * a cap and names what is wrong, and the pieces that need no network are
 * unit-tested and fuzzed on their own. */
#ifndef PIER_IMAGE_REGISTRY_H
#define PIER_IMAGE_REGISTRY_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Caps on what a registry or a client sends. */
#define REG_MANIFEST_MAX (4u << 20) /* a manifest or index: docker's own cap */
#define REG_TOKEN_MAX (1u << 20)    /* the token server's answer */
#define REG_TAGS_MAX (4u << 20)     /* a tag list */
#define REG_CHUNK (16 << 20)        /* a larger blob goes up in PATCHes of this size */
#define REG_ERROR_MAX (64u << 10)   /* an error body, read for its message */
#define REG_HEADER_MAX 8192         /* one WWW-Authenticate value */
#define REG_AUTH_HEADER_MAX (64u << 10)
#define REG_INDEX_MAX 1024 /* entries of a manifest list or index */
#define REG_BLOB_MAX (INT64_C(1) << 40)

/* ---- credentials and challenges (auth.c) ---- */

/* What a client sent for this registry; every field may be NULL. */
struct reg_creds {
    char *username, *password;
    char *identity_token; /* an OAuth refresh token (docker login to some registries) */
    char *registry_token; /* a bearer token to use as it is */
};
void reg_creds_free(struct reg_creds *c);
bool reg_creds_any(const struct reg_creds *c);
/* X-Registry-Auth: base64url (padded or not, either alphabet) of the JSON
 * {"username","password","auth","serveraddress","identitytoken",
 * "registrytoken"}.  NULL, "" and "{}" are no credentials.  EINVAL with
 * "invalid X-Registry-Auth header: ..." otherwise. */
int reg_creds_decode(const char *header, struct reg_creds *c, pier_err_t *err);

enum reg_scheme { REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };
struct reg_challenge {
    enum reg_scheme scheme;
    char realm[1024];
    char service[256];
    char scope[512];
};
/* The challenge of a WWW-Authenticate value (RFC 7235: several challenges,
 * comma-separated auth-params, quoted strings): Bearer if offered (it
 * needs an http(s) realm), else Basic; other schemes are skipped. */
int reg_challenge_parse(const char *header, struct reg_challenge *c, pier_err_t *err);
/* The token server's JSON answer: "token", else "access_token"; a heap
 * string of visible ASCII only (it becomes a header). */
int reg_token_parse(const char *body, size_t len, char **token, pier_err_t *err);

/* ---- manifests and platforms (manifest.c) ---- */

enum reg_media {
    REG_MT_DOCKER_MANIFEST, /* application/vnd.docker.distribution.manifest.v2+json */
    REG_MT_OCI_MANIFEST,    /* application/vnd.oci.image.manifest.v1+json */
    REG_MT_DOCKER_LIST,     /* application/vnd.docker.distribution.manifest.list.v2+json */
    REG_MT_OCI_INDEX,       /* application/vnd.oci.image.index.v1+json */
};
/* What Accept lists for a manifest request. */
extern const char reg_manifest_accept[];

struct reg_desc {
    char media_type[128];
    char digest[IMG_DIGEST_SIZE]; /* sha256:<hex> */
    int64_t size;
};
struct reg_manifest {
    struct reg_desc config;
    size_t nlayers;
    struct reg_desc *layers;
};

/* A manifest document: at most REG_MANIFEST_MAX bytes of a JSON object. */
int reg_doc_parse(const char *body, size_t len, json_t **doc, pier_err_t *err);
/* Its kind: the response's Content-Type (may be NULL) when it names one,
 * else the document's mediaType, else its shape (OCI allows no mediaType).
 * A schema 1 manifest and anything else is refused by name. */
int reg_media_kind(const char *content_type, json_t *doc, enum reg_media *out, pier_err_t *err);
bool reg_media_is_index(enum reg_media m);
/* An image manifest (Docker v2 schema 2 or OCI): a container image config
 * and at most IMG_MAX_LAYERS layers of the media types an engine unpacks. */
int reg_manifest_parse(json_t *doc, struct reg_manifest *m, pier_err_t *err);
void reg_manifest_free(struct reg_manifest *m);

struct reg_platform {
    char os[32], arch[32], variant[32];
};
/* linux, the host's architecture and variant (arm64 is v8, arm v7). */
void reg_platform_host(struct reg_platform *p);
/* "os[/arch[/variant]]" or "arch", normalised as containerd does
 * (x86_64 is amd64, aarch64 is arm64, arm64's v8 is implied). */
int reg_platform_parse(const char *s, struct reg_platform *p, pier_err_t *err);
void reg_platform_format(const struct reg_platform *p, char *out, size_t cap);
/* A platform as the API's platform parameter gives it: JSON ({"os",
 * "architecture", "variant"}, docker 28's), or os[/arch[/variant]]. */
int reg_platform_query(const char *q, struct reg_platform *p, pier_err_t *err);
/* Whether an image config's platform runs as want asks; ENOENT with
 * docker's words for the image ref names when it does not. */
int reg_platform_check(json_t *config, const struct reg_platform *want, const char *ref,
                       pier_err_t *err);
/* Whether an image of `have` runs as `want` asks (a variant left out of
 * either matches any). */
bool reg_platform_match(const struct reg_platform *want, const struct reg_platform *have);
/* The manifest of an index for want: the same os and architecture, the
 * exact variant first, else a compatible older one (arm v6 on v7), else
 * one without a variant.  ENOENT: docker's "no matching manifest for
 * linux/arm64 in the manifest list entries". */
int reg_index_select(json_t *doc, const struct reg_platform *want, struct reg_desc *out,
                     pier_err_t *err);

/* ---- the HTTP client (registry.c) ---- */

struct reg_client;
/* For a repository: probe /v2/, then authenticate as the challenge asks
 * (a token for repository:<path>:pull, or :pull,push for a push; or Basic).  Plain http for
 * loopback and --insecure-registry hosts, https otherwise.  cancel (may be
 * NULL) stops every transfer when set. */
int reg_client_open(const struct img_ref *ref, const struct reg_creds *creds, bool push,
                    const atomic_bool *cancel, struct reg_client **out, pier_err_t *err);
void reg_client_free(struct reg_client *c);
/* The base URL, "https://registry-1.docker.io", for messages. */
const char *reg_client_base(const struct reg_client *c);

/* A manifest by tag or digest: its bytes (heap, NUL-terminated), its
 * Content-Type and its digest (computed; it must be the one asked for, and
 * the one the registry names in Docker-Content-Digest).  Not found is
 * ENOENT, with docker's "manifest for NAME not found: ..." or "pull access
 * denied for NAME, ..." words. */
int reg_get_manifest(struct reg_client *c, const char *tag_or_digest, char **body, size_t *len,
                     char content_type[128], char digest[IMG_DIGEST_SIZE], pier_err_t *err);
/* A small blob (an image config) into memory, its size and digest checked. */
int reg_get_blob(struct reg_client *c, const struct reg_desc *d, size_t max, char **body,
                 size_t *len, pier_err_t *err);
/* A blob into fd as it comes; go is called with the bytes so far (often:
 * at least once a second while waiting) and stops the transfer by
 * returning false.  Its size and digest are checked at the end.  Callable
 * from several threads at once (each has its own connection). */
typedef bool (*reg_progress_fn)(void *data, int64_t bytes);
int reg_fetch_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                   void *data, pier_err_t *err);

/* The repository's tags, a JSON array of strings. */
int reg_list_tags(struct reg_client *c, json_t **tags, pier_err_t *err);

/* ---- pushes (registry_push.c) ---- */

/* Whether the repository has the blob (HEAD). */
int reg_blob_exists(struct reg_client *c, const char *digest, bool *exists, pier_err_t *err);
/* The blob mounted into the repository from another one of the registry
 * (from: its path, "library/busybox"); *mounted false when the registry
 * would not (it does not have it there, or does not mount). */
int reg_mount_blob(struct reg_client *c, const char *digest, const char *from, bool *mounted,
                   pier_err_t *err);
/* A blob of size bytes read from fd (from its start), uploaded after the
 * POST that opens the upload: in one PUT up to REG_CHUNK bytes, else in
 * PATCHes of REG_CHUNK and a PUT that ends it; go as for reg_fetch_blob,
 * with the bytes sent so far. */
int reg_put_blob(struct reg_client *c, const struct reg_desc *d, int fd, reg_progress_fn go,
                 void *data, pier_err_t *err);
/* A blob being written to a file while it is uploaded: the writer says
 * how much of the file is ready (reg_stream_grow) and then that it is
 * complete with its descriptor (reg_stream_end), or that it failed. */
enum reg_stream_state { REG_STREAM_OPEN, REG_STREAM_DONE, REG_STREAM_FAILED, REG_STREAM_EXISTS };
struct reg_stream {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int64_t ready; /* bytes of the file that may be sent */
    enum reg_stream_state state;
    struct reg_desc desc; /* once DONE */
};
void reg_stream_init(struct reg_stream *st);
void reg_stream_destroy(struct reg_stream *st);
void reg_stream_grow(struct reg_stream *st, int64_t ready);
/* state DONE (d: the blob), FAILED or EXISTS (the registry has the blob:
 * the upload is dropped) */
void reg_stream_end(struct reg_stream *st, enum reg_stream_state state, const struct reg_desc *d);
/* Whether the upload failed: the writer may stop. */
bool reg_stream_failed(struct reg_stream *st);
/* The blob of st, read from fd as the writer makes it ready: the requests
 * of reg_put_blob, each PATCH sent once more than its chunk is ready, the
 * rest once the writer has ended.  A state other than DONE ends it
 * without the PUT (EXISTS is no error); a failure ends the stream FAILED.
 * go as for reg_put_blob. */
int reg_put_blob_stream(struct reg_client *c, struct reg_stream *st, int fd, reg_progress_fn go,
                        void *data, pier_err_t *err);
/* A manifest of media_type at a tag; the registry must name the digest
 * that the bytes have. */
int reg_put_manifest(struct reg_client *c, const char *tag, const char *media_type,
                     const char *body, size_t len, pier_err_t *err);
/* A Docker v2 schema 2 manifest of a config and layers (gzip tars), as
 * docker's daemon writes it (indented by three spaces); a heap string. */
int reg_manifest_build(const struct reg_desc *config, const struct reg_desc *layers, size_t n,
                       char **out, size_t *len, pier_err_t *err);

/* Whether a registry host ("127.0.0.1:5000", "[::1]:5000", "localhost")
 * is served over plain http: loopback, or named by --insecure-registry. */
bool reg_host_insecure(const char *host);

#endif
