/* Where a layer has been seen in registries (docker's "v2 metadata"): for
 * each diff id, the compressed blobs it was pulled from or pushed as, and
 * the repository ("domain/path") that holds each.  A push uses them to
 * skip compressing a layer the repository already has, or to mount it
 * from another repository of the same registry.  A cache: losing it costs
 * a compression, never an image. */
#ifndef PIER_IMAGE_DISTRIBUTION_H
#define PIER_IMAGE_DISTRIBUTION_H

#include "internal.h"
#include "registry.h"

/* Entries kept per layer, the newest first. */
#define IMG_DIST_MAX 8

struct img_dist {
    struct reg_desc blob;
    char repo[2 * IMG_NAME_MAX + 2]; /* "127.0.0.1:5000/library/busybox" */
};

/* The entries of diff_id, newest first (none when there is no record or
 * it cannot be read). */
size_t img_dist_get(struct img_store *s, const char *diff_id, struct img_dist *out, size_t max);
/* Record that d->repo has diff_id as d->blob; a failure is only logged. */
void img_dist_add(struct img_store *s, const char *diff_id, const struct img_dist *d);
/* "domain/path" of a reference, as the entries name repositories. */
void img_dist_repo(const struct img_ref *r, char *out, size_t cap);

#endif
