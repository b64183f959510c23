/* Paths inside a container's root, resolved relative to an fd of the root
 * with openat2(RESOLVE_IN_ROOT): ".." and symlinks, absolute or relative,
 * stay inside, and a symlink swapped in at any moment cannot lead a mount
 * or a write to the host (CVE-2021-30465, CVE-2023-27561). */
#ifndef PIER_RT_ROOTPATH_H
#define PIER_RT_ROOTPATH_H

#include <linux/openat2.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra).
 * Returns the fd or -1 with errno set. */
int rt_open_in_root(int rootfd, const char *path, int flags, uint64_t extra_resolve);

/* mkdir -p of path inside the root; returns an O_PATH fd of the directory. */
int rt_mkdir_in_root(int rootfd, const char *path, mode_t mode, pier_err_t *err);

/* Make sure path exists as a non-directory (an empty file is created, and
 * its parents); returns an O_PATH fd of it. */
int rt_mkfile_in_root(int rootfd, const char *path, mode_t mode, pier_err_t *err);

/* The parent directory of path (created if missing) and the last component
 * of path, into base (which must hold PATH_MAX bytes). */
int rt_parent_in_root(int rootfd, const char *path, char *base, pier_err_t *err);

#endif
