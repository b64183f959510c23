/* The container's root filesystem, in the order runc builds it: propagation,
 * the root bound on itself, the mounts of config.json, /dev; then, after the
 * createRuntime and createContainer hooks, pivot_root; then sysctls, masked
 * and read-only paths, and the read-only root. */
#ifndef PIER_RT_ROOTFS_H
#define PIER_RT_ROOTFS_H

#include <stdbool.h>

#include "../lib/error.h"
#include "cgroup.h"
#include "spec.h"

struct rt_host_mounts;
/* Returns an O_PATH fd of the prepared root; hm from rt_mount_prepare. */
int rt_rootfs_prepare(const struct rt_spec *spec, bool userns, const struct rt_cgroup *cg,
                      const struct rt_host_mounts *hm, pier_err_t *err);

/* Make rootfd the root: pivot_root, or with no_pivot MS_MOVE and chroot. */
int rt_rootfs_pivot(int rootfd, const struct rt_spec *spec, bool no_pivot, pier_err_t *err);

/* After the pivot: sysctls, masked paths, read-only paths, read-only root. */
int rt_rootfs_finish(int rootfd, const struct rt_spec *spec, pier_err_t *err);

#endif
