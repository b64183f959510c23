/* Tar-split (tarsplit.c): a layer's tar without its files' content, to
 * make the tar again from the unpacked layer (layer_read.c reads it). */
#ifndef PIER_IMAGE_TARSPLIT_H
#define PIER_IMAGE_TARSPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

#define IMG_TARSPLIT_FILE "tar-split"
#define IMG_TARSPLIT_MAGIC "PIERTS1\n"

struct img_tarsplit;
/* A builder writing to fd. */
int img_tarsplit_new(int fd, struct img_tarsplit **ts, pier_err_t *err);
/* The uncompressed tar, as it streams, every byte once and in order. */
void img_tarsplit_feed(struct img_tarsplit *ts, const void *data, size_t len);
/* From the unpacker: entry number `entry` (from 1, as it counts them),
 * named `name` in the tar, was unpacked as a regular file of size bytes at
 * `path` in the layer. */
void img_tarsplit_file(struct img_tarsplit *ts, uint64_t entry, const char *name, const char *path,
                       int64_t size);
/* From the unpacker: something it did may have made a named file no
 * longer hold what the tar had (an entry replaced another). */
void img_tarsplit_doubt(struct img_tarsplit *ts);
/* 1: the record is whole and usable; 0: it is not (the caller keeps the
 * tar itself instead); -1: it could not be written. */
int img_tarsplit_finish(struct img_tarsplit *ts, uint64_t tar_size, pier_err_t *err);
void img_tarsplit_free(struct img_tarsplit *ts);

#endif
