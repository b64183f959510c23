/* Pulls from registries (the OCI distribution spec): a reference's
 * manifest (the platform's, from an index), its config and its layers,
 * downloaded a few at a time and unpacked in order as they arrive; layers
 * already stored are not downloaded again.  Everything fetched is verified
 * against its digest, and a pull that fails or is stopped leaves no image;
 * the layers it completed stay, whole and verified, for the next pull to
 * take up (img_layers_prune removes them if none does). */
#ifndef PIER_IMAGE_PULL_H
#define PIER_IMAGE_PULL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../lib/error.h"
#include "image.h"

struct img_pull_opts {
    const char *ref;      /* "busybox", "host:5000/a/b:tag", "name@sha256:..." */
    bool all_tags;        /* a ref without tag or digest: every tag (else :latest) */
    const char *platform; /* "linux/arm64", or NULL: the host's */
    /* X-Registry-Auth as the client sent it (may be NULL): a bad one is
     * EINVAL, "invalid X-Registry-Auth header: ..." */
    const char *registry_auth;
    /* docker's JSON progress messages, one at a time (taken), from the
     * pull's threads; may be NULL */
    void (*progress)(void *data, json_t *msg);
    void *data;
    const atomic_bool *cancel; /* may be NULL */
};

struct img_pull_result {
    char image_id[72];  /* sha256:<hex> */
    char digest[72];    /* of the manifest (the index's, for an index) */
    char familiar[600]; /* "busybox:latest", "busybox@sha256:..." */
    bool updated;       /* the reference names another image than before */
};

int img_pull(struct img_store *s, const struct img_pull_opts *o, struct img_pull_result *res,
             pier_err_t *err);

/* A registry ("HOST[:PORT]", or HOST for any port) to reach over plain
 * http, as pierd's --insecure-registry names them; before any pull. */
int img_pull_insecure_add(const char *host, pier_err_t *err);
/* Where the CA certificates of registries are, as docker's certs.d
 * (the *.crt files of <dir>/<HOST[:PORT]>; default /etc/docker/certs.d). */
int img_registry_certs_dir(const char *dir, pier_err_t *err);

/* docker login's check (POST /auth): whether the registry server
 * ("HOST[:PORT]", a URL, or "" for Docker Hub) takes these credentials.
 * EACCES with docker's "login attempt to URL failed with status: 401
 * Unauthorized" when it does not. */
int img_registry_login(const char *server, const char *username, const char *password,
                       pier_err_t *err);

#endif
