/* File helpers: capped reads, atomic writes, directory creation and removal. */
#ifndef PIER_FILE_H
#define PIER_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read the whole file at dirfd/path (dirfd may be AT_FDCWD) into a
 * NUL-terminated heap buffer.  A file larger than max is an error. */
int pier_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
                      pier_err_t *err);
int pier_read_fd(int fd, const char *what, size_t max, char **out, size_t *len, pier_err_t *err);

/* Write data to dirfd/name atomically: a temporary file in the same
 * directory, renamed over the target, so that readers see the old file or
 * the new one, never a torn one.  PIER_DURABLE adds an fsync before the
 * rename, for what must survive a power cut; state under /run, which a
 * reboot loses anyway, goes without (an fsync costs a millisecond). */
#define PIER_DURABLE 1u
int pier_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                              mode_t mode, unsigned flags, pier_err_t *err);

/* Write a string to an existing file (cgroup, proc and sysfs knobs):
 * no create, truncated, one write(2). */
int pier_write_string_at(int dirfd, const char *path, const char *s, pier_err_t *err);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int pier_write_all(int fd, const void *buf, size_t len);

/* The same with send(2) and MSG_NOSIGNAL: a peer that went away is EPIPE,
 * not SIGPIPE.  An fd that is no socket (a file) is written. */
int pier_send_all(int fd, const void *buf, size_t len);

/* mkdir -p, each missing component created with mode. */
int pier_mkdir_p(const char *path, mode_t mode, pier_err_t *err);

/* rm -rf of dirfd/name, staying on the one filesystem and never following
 * symlinks.  A missing target is not an error. */
int pier_rm_rf_at(int dirfd, const char *name, pier_err_t *err);

#endif
