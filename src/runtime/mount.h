/* Mounts in a container's root, built with the new mount API: a detached
 * mount (fsopen/fsmount, or open_tree for binds) gets its attributes and
 * propagation, then move_mount attaches it through an fd of its target that
 * was resolved inside the root. */
#ifndef PIER_RT_MOUNT_H
#define PIER_RT_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "cgroup.h"
#include "spec.h"

/* A bind mount made ready, detached, with its attributes and propagation,
 * before the container's process becomes root of its user namespace. */
struct rt_bind {
    int fd; /* detached mount, attributes and propagation set; -1 if not a bind */
    bool is_dir;
};

/* What the container's process opens first, while it is still the host's
 * root: the root as a detached recursive bind (attached on itself, it
 * becomes the mount pivot_root wants), and the bind mounts.  These are host
 * paths, which the container's root, an unprivileged uid on the host, may
 * not be allowed to reach. */
struct rt_host_mounts {
    int root_tree;         /* detached recursive bind of root.path */
    int root_dir;          /* root.path itself, where root_tree is attached */
    struct rt_bind *binds; /* one per entry of spec->mounts */
};

int rt_mount_prepare(const struct rt_spec *spec, struct rt_host_mounts *hm, pier_err_t *err);
void rt_mount_close_prepared(struct rt_host_mounts *hm, size_t n_mounts);

struct rt_mount_env {
    int rootfd; /* the container's root, opened after its bind mount on itself */
    bool userns;
    bool cgroupns; /* a new cgroup namespace */
    const struct rt_cgroup *cg;
    const struct rt_bind *binds; /* from rt_mount_prepare_binds */
};

/* Entry i of config.json's mounts, in the container's root. */
int rt_mount_apply(const struct rt_mount_env *env, size_t i, const struct rt_mount *m,
                   pier_err_t *err);

/* A new detached filesystem mount; data is "opt,opt=val,...".  Returns the
 * mount fd. */
int rt_mount_fs(const char *type, const char *source, const char *data, uint64_t attrs,
                pier_err_t *err);

/* A detached copy of the mount at dirfd/path ("" with dirfd alone). */
int rt_mount_clone(int dirfd, const char *path, bool recursive, pier_err_t *err);

/* Attach a detached mount on the object targetfd refers to. */
int rt_mount_attach(int mntfd, int targetfd, const char *dest, pier_err_t *err);

/* Set MOUNT_ATTR_* (and clear others) on the mount at fd. */
int rt_mount_setattr(int fd, uint64_t set, uint64_t clr, bool recursive, const char *dest,
                     pier_err_t *err);

/* MS_* mount flags to MOUNT_ATTR_* attributes. */
uint64_t rt_mount_flags_to_attr(unsigned long flags);

#endif
