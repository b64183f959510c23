/* What the files of a pull share: its layers, the pipeline that downloads
 * and unpacks them, and docker's progress messages. */
#ifndef PIER_IMAGE_PULL_INT_H
#define PIER_IMAGE_PULL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "pull.h"
#include "registry.h"

struct pull_layer {
    struct reg_desc desc;
    char id[16];                /* the digest's first 12 hex digits, as docker shows it */
    char diff[IMG_DIGEST_SIZE]; /* from the config */
    char chain[IMG_DIGEST_SIZE];
    bool exists; /* stored before this pull: not downloaded */
    /* the download, shared with the threads of the pipeline (under its lock) */
    int fd; /* an unlinked temporary file; -1 until the download starts */
    int64_t written;
    bool done;
    pier_err_t err;
};

/* Download the layers that do not exist (a few at a time) and unpack them
 * in order, each as its bytes arrive; a failure stops everything, and the
 * layers unpacked by then stay for the next pull. */
int pull_layers(struct img_store *s, struct reg_client *c, const struct img_pull_opts *o,
                struct pull_layer *l, size_t n, pier_err_t *err);

/* Progress messages, as docker's daemon sends them: {"status","id"} and,
 * for a layer, "progressDetail" ({} or {current,total}) and "progress"
 * (the bar docker's CLI would draw). */
void pull_msg(const struct img_pull_opts *o, const char *id, const char *status);
void pull_layer_msg(const struct img_pull_opts *o, const char *id, const char *status);
void pull_layer_progress(const struct img_pull_opts *o, const char *id, const char *status,
                         int64_t current, int64_t total);
/* docker's units.HumanSize: "1.978MB", "740B". */

#endif
