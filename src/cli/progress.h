/* Pull and import progress (docker's jsonmessage stream). */
#ifndef PIER_CLI_PROGRESS_H
#define PIER_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

/* Print each message of the stream; an error message becomes the error.
 * aux, when given, receives the last aux.ID. */
int progress_display(struct api_stream *s, FILE *out, bool quiet, struct buf *aux, pier_err_t *err);
/* POST /images/create?fromImage=NAME&tag=TAG, with the credentials
 * docker login left for its registry; progress on out (stderr for
 * pull_image, as run and create show it). */
int pull_image_to(struct cli *cli, const char *image, const char *platform, FILE *out, bool quiet,
                  bool all_tags, pier_err_t *err);
int pull_image(struct cli *cli, const char *image, const char *platform, bool quiet,
               pier_err_t *err);

struct ref;
/* The NAME[:TAG] of pull or push, as docker's CLI reads it: with -a
 * (all) it may name no tag or digest; without, a bare name gets "latest",
 * said on stdout ("Using default tag: latest") unless quiet. */
int transfer_ref(const char *image, bool all, bool quiet, struct ref *r, pier_err_t *err);

#endif
