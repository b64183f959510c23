/* Pushes to registries (the OCI distribution spec), as docker's daemon
 * does them: for each tag, the image's layers gzip-compressed (each
 * skipped when the repository has it), its config, then a Docker v2
 * schema 2 manifest at the tag, whose digest the store records. */
#ifndef PIER_IMAGE_PUSH_H
#define PIER_IMAGE_PUSH_H

#include <jansson.h>
#include <stdatomic.h>

#include "../lib/error.h"
#include "image.h"

struct img_push_opts {
    /* "host:5000/a/b:tag", or without a tag: every tag of the repository */
    const char *ref;
    const char *registry_auth; /* X-Registry-Auth, may be NULL */
    /* docker's JSON progress messages (taken); may be NULL */
    void (*progress)(void *data, json_t *msg);
    void *data;
    const atomic_bool *cancel; /* may be NULL */
};

/* ENOENT before any message when the store has no such tag: docker's "An
 * image does not exist locally with the tag: NAME".  *pushed (may be NULL)
 * gets the familiar "name:tag" of each tag pushed, also on failure. */
int img_push(struct img_store *s, const struct img_push_opts *o, json_t **pushed, pier_err_t *err);

#endif
