/* Tars for the image store's tests, written with libarchive: a table of
 * entries in, an fd (a memfd, at offset 0) or the bytes out. */
#ifndef PIER_TEST_IMAGE_TAR_H
#define PIER_TEST_IMAGE_TAR_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct tar_entry {
    const char *name;
    char type;        /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char dev,
                         'b' block dev, 'p' fifo */
    const char *data; /* a file's content; a link's target */
    mode_t mode;      /* permission bits; 0: 0644 for files, 0755 for directories */
    unsigned uid, gid;
    unsigned major, minor;
    time_t mtime;
    const char *xattr; /* "name=value", or NULL */
};

/* compression: "none", "gzip", "bzip2", "xz" or "zstd".  Returns -1 on
 * failure. */
int tar_fd(const struct tar_entry *e, size_t n, const char *compression);
/* The same in a format of libarchive's by name: "paxr" (pax where needed,
 * tar_fd's), "pax", "gnutar", "ustar", "v7tar". */
int tar_fd_format(const struct tar_entry *e, size_t n, const char *compression, const char *format);
/* The same as bytes (heap), to compare with what the store kept. */
int tar_bytes(const struct tar_entry *e, size_t n, const char *compression, char **out,
              size_t *len);

/* A listing of the tree at path (names, types, modes, sizes, link counts,
 * mtimes, link targets) to compare before and after. */
char *tree_snapshot(const char *path);

/* A scratch directory "/tmp/pier-unit-img.XXXXXX" (heap). */
char *scratch_dir(void);

#endif
