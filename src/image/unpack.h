/* Unpacking one layer: a tar stream, plain or compressed, into an empty
 * directory in overlayfs form.  Whatever the tar holds, nothing is written
 * outside that directory: every path is resolved from an fd of it with
 * openat2(RESOLVE_IN_ROOT), as if chrooted there; the last component of a
 * path is never followed; absolute names, `..`, and relative symlinks that
 * climb out of the layer are refused, naming the entry. */
#ifndef PIER_IMAGE_UNPACK_H
#define PIER_IMAGE_UNPACK_H

#include <stdint.h>

#include "../lib/error.h"

struct img_tarsplit;

/* Defaults of the caps below. */
#define IMG_LAYER_MAX_BYTES (256ull << 30) /* the uncompressed tar */
#define IMG_LAYER_MAX_ENTRIES (4u << 20)
/* Deeper than this, rm -rf of a layer (pier_rm_rf_at) would refuse. */
#define IMG_LAYER_MAX_DEPTH 200

struct img_unpack_opts {
    uint64_t max_bytes;   /* of the uncompressed tar; 0: IMG_LAYER_MAX_BYTES */
    uint64_t max_entries; /* 0: IMG_LAYER_MAX_ENTRIES */
    int blob_fd;          /* the uncompressed tar is copied here as it streams; -1: not kept */
    struct img_tarsplit *split; /* fed the uncompressed tar and told of its files; may be NULL */
};

struct img_unpack_result {
    char diff_id[72];        /* sha256:<hex> of the uncompressed tar */
    char digest[72];         /* sha256:<hex> of the bytes as read from the fd */
    int64_t size;            /* bytes of regular file content, as Docker counts a layer */
    uint64_t entries;        /* tar entries applied */
    uint64_t tar_size;       /* bytes of the uncompressed tar */
    const char *compression; /* "none", "gzip", "bzip2", "xz" or "zstd" */
};

/* Unpack the tar read from in_fd into the directory rootfd (which should be
 * empty: an existing tree is merged into, but is no lower layer).  On error
 * the directory holds part of the layer: callers unpack into a temporary
 * directory and drop it. */
int img_unpack_stream(int in_fd, int rootfd, const struct img_unpack_opts *opts,
                      struct img_unpack_result *res, pier_err_t *err);

#endif
