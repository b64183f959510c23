/* What the files of a push share. */
#ifndef PIER_IMAGE_PUSH_INT_H
#define PIER_IMAGE_PUSH_INT_H

#include "push.h"
#include "registry.h"

#define PUSH_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define PUSH_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define PUSH_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* The layer diff_id (stored uncompressed) gzip-compressed into fd (a
 * temporary file), each part made ready in st (may be NULL) as it is
 * written; d gets its digest, size and media type.  Stops when st's
 * upload fails. */
int push_compress(struct img_store *s, const char *diff_id, int fd, struct reg_stream *st,
                  struct reg_desc *d, const atomic_bool *cancel, pier_err_t *err);

#endif
