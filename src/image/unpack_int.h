/* Between the parts of the layer unpacker: stream.c (decompression and
 * digests), unpack.c (one tar entry at a time), unpack_path.c (names and
 * directories inside the layer). */
#ifndef PIER_IMAGE_UNPACK_INT_H
#define PIER_IMAGE_UNPACK_INT_H

#include <archive.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "unpack.h"

/* A tar entry's name, checked and cleaned: components joined by '/', no
 * "", "." or ".." among them. */
struct img_path {
    char buf[PATH_MAX]; /* "" for the layer's root */
    size_t len;
    size_t dirlen;    /* buf[0..dirlen) is the parent directory */
    const char *base; /* the last component, in buf; NULL for the root */
    size_t depth;
};

/* Refuses absolute names, "..", names over NAME_MAX, paths over PATH_MAX
 * and nesting deeper than IMG_LAYER_MAX_DEPTH, saying which. */
int img_path_clean(const char *name, struct img_path *p, pier_err_t *err);

/* openat2 from the layer's root with RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS
 * and RESOLVE_NO_XDEV; "" is the root.  Returns the fd or -1 with errno. */
int img_open_in_root(int rootfd, const char *path, int flags);

/* The last parent directory opened, since tar entries come directory by
 * directory. */
struct img_dircache {
    char path[PATH_MAX];
    int fd;                /* -1 when empty */
    bool valid;            /* false: fd stays open for whoever borrowed it, unused after */
    unsigned long cleared; /* entries img_clear_path removed */
};
void img_dircache_drop(struct img_dircache *c);

/* An O_PATH fd of p's parent directory, borrowed from the cache, missing
 * directories created (0755, as Docker does).  Symlinks met on the way
 * resolve inside the root; a dangling one is an error. */
int img_parent_dir(int rootfd, struct img_dircache *c, const struct img_path *p, pier_err_t *err);

/* Make way for an entry named base in parent: whatever is there goes,
 * unless it is a directory and keep_dir (a directory entry merges into an
 * existing one).  When something went, the cache is no longer trusted (a
 * symlink removed may have been on the cached path); parent stays open. */
int img_clear_path(int parent, const char *base, bool keep_dir, struct img_dircache *c,
                   pier_err_t *err);

/* A name fit for an error message: long names shortened. */
const char *img_entry_label(const char *name, char *buf, size_t cap);

/* Apply every entry of the tar a to rootfd; fills res->size and entries. */
int img_unpack_entries(struct archive *a, int rootfd, const struct img_unpack_opts *o,
                       struct img_unpack_result *res, pier_err_t *err);

#endif
