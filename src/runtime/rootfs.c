#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "dev.h"
#include "mount.h"
#include "rootpath.h"

/* Whether a mountinfo line (up to eol) has the "shared:N" tag: its optional
 * fields come before " - ", and no path in it holds a space (escaped). */
static bool line_is_shared(const char *line, const char *eol)
{
    const char *sep = strstr(line, " - ");
    const char *tag = strstr(line, " shared:");
    return tag != NULL && sep != NULL && tag < sep && sep < eol;
}

/* The root's bind on itself would join the peer group of a shared parent
 * mount, and so show on the host; and pivot_root refuses a shared parent of
 * the new root or a shared current root.  Whatever rootfsPropagation left
 * shared of these two, in this namespace only, becomes private (as runc's
 * rootfsParentMountPrivate). */
static int make_parent_private(const char *rootfs, pier_err_t *err)
{
    cleanup_free char *mi = NULL;
    if (pier_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &mi, NULL, err) < 0)
        return -1;
    char best[PATH_MAX] = "/";
    size_t best_len = 1;
    bool best_shared = false, root_shared = false;
    for (char *line = mi; *line;) {
        char *eol = strchrnul(line, '\n');
        char *p = line;
        for (int f = 0; f < 4 && p < eol; f++) {
            p = strchr(p, ' ');
            if (p == NULL || p > eol)
                break;
            p++;
        }
        if (p != NULL && p < eol) {
            char *e = strchr(p, ' ');
            size_t n = e && e < eol ? (size_t)(e - p) : 0;
            if (n == 1 && p[0] == '/')
                root_shared = line_is_shared(line, eol);
            if (n > 0 && n < sizeof best && strncmp(rootfs, p, n) == 0 &&
                (rootfs[n] == '/' || rootfs[n] == '\0' || n == 1) && n >= best_len) {
                memcpy(best, p, n);
                best[n] = '\0';
                best_len = n;
                best_shared = line_is_shared(line, eol);
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    if (best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
        return pier_error(err, errno, "make `%s` private", best);
    if (root_shared && strcmp(best, "/") != 0 && mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
        return pier_error(err, errno, "make `/` private");
    return 0;
}

int rt_rootfs_prepare(const struct rt_spec *spec, bool userns, const struct rt_cgroup *cg,
                      const struct rt_host_mounts *hm, pier_err_t *err)
{
    unsigned long prop = spec->rootfs_propagation ? spec->rootfs_propagation : MS_SLAVE | MS_REC;
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return pier_error(err, errno, "set propagation of /");
    /* After a recursive change to anything but shared, nothing is shared:
     * no need to read the mount table. */
    bool none_shared = (prop & MS_REC) && !(prop & MS_SHARED);
    if (!none_shared && make_parent_private(spec->root_path, err) < 0)
        return -1;
    /* The root bound on itself, through fds the runtime opened: its path
     * may be out of reach from a user namespace.  Attached, the tree's fd
     * is the root of the new mount. */
    /* The tree was cloned before the propagation change above, which it
     * missed: a clone of a shared mount is its peer.  A shared one waits
     * until after pivot_root, which refuses it (rt_rootfs_pivot). */
    struct mount_attr pa = {.propagation =
                                (prop & MS_SHARED) ? MS_PRIVATE : prop & ~(unsigned long)MS_REC};
    if (mount_setattr(hm->root_tree, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &pa,
                      sizeof pa) < 0)
        return pier_error(err, errno, "set propagation of the root");
    if (rt_mount_attach(hm->root_tree, hm->root_dir, spec->root_path, err) < 0)
        return pier_error_wrap(err, "bind the root on itself");
    int rootfd = fcntl(hm->root_tree, F_DUPFD_CLOEXEC, 0);
    if (rootfd < 0)
        return pier_error(err, errno, "open the root `%s`", spec->root_path);

    struct rt_mount_env env = {.rootfd = rootfd,
                               .userns = userns,
                               .cgroupns = rt_spec_new_ns(spec, RT_NS_CGROUP),
                               .cg = cg,
                               .binds = hm->binds};
    for (size_t i = 0; i < spec->n_mounts; i++) {
        if (rt_mount_apply(&env, i, &spec->mounts[i], err) < 0) {
            close(rootfd);
            return pier_error_wrap(err, "mounts[%zu]", i);
        }
    }
    if (rt_dev_setup(rootfd, spec, userns, err) < 0) {
        close(rootfd);
        return -1;
    }
    /* runc makes a missing cwd, so that images need not ship it. */
    if (spec->has_process) {
        int fd = rt_mkdir_in_root(rootfd, spec->process.cwd, 0755, err);
        if (fd < 0) {
            close(rootfd);
            return pier_error_wrap(err, "process.cwd");
        }
        close(fd);
    }
    return rootfd;
}

int rt_rootfs_pivot(int rootfd, const struct rt_spec *spec, bool no_pivot, pier_err_t *err)
{
    if (fchdir(rootfd) < 0)
        return pier_error(err, errno, "chdir to the root");
    if (no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return pier_error(err, errno, "move the root to /");
        if (chroot(".") < 0)
            return pier_error(err, errno, "chroot");
    } else {
        /* pivot_root(".", ".") stacks the old root on the new one; detach it
         * without letting the unmount propagate anywhere.  "." must be the
         * old root for that, not our cwd, the new root: made a slave, the
         * container's own mounts would lose their propagation, and the old
         * root's shared mounts (rootfsPropagation "rshared") would pass the
         * unmount on to the host's. */
        cleanup_close int oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0)
            return pier_error(err, errno, "open the old root");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            return pier_error(err, errno, "pivot_root");
        if (fchdir(oldroot) < 0)
            return pier_error(err, errno, "chdir to the old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            return pier_error(err, errno, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
            return pier_error(err, errno, "detach the old root");
    }
    if (chdir("/") < 0)
        return pier_error(err, errno, "chdir /");
    if (spec->rootfs_propagation && (spec->rootfs_propagation & MS_SHARED) &&
        mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
        return pier_error(err, errno, "make / shared");
    return 0;
}

/* The /proc of the container must be a real procfs before anything is
 * written there or masked in it (CVE-2019-16884, CVE-2023-28642). */
static int check_procfs(int fd, const char *what, pier_err_t *err)
{
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return pier_error(err, errno, "statfs `%s`", what);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return pier_error(err, 0, "`%s` is not on procfs: refusing to use it", what);
    return 0;
}

static int write_sysctls(int rootfd, const struct rt_spec *spec, pier_err_t *err)
{
    for (size_t i = 0; i < spec->n_sysctl; i++) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "/proc/sys/%s", spec->sysctl[i].key);
        if (n < 0 || (size_t)n >= sizeof path)
            return pier_error(err, ENAMETOOLONG, "linux.sysctl.%s", spec->sysctl[i].key);
        for (char *p = path + 10; *p; p++)
            if (*p == '.')
                *p = '/';
        cleanup_close int fd =
            rt_open_in_root(rootfd, path, O_WRONLY | O_TRUNC, RESOLVE_NO_SYMLINKS);
        if (fd < 0)
            return pier_error(err, errno, "linux.sysctl.%s: open `%s`", spec->sysctl[i].key, path);
        if (check_procfs(fd, path, err) < 0)
            return -1;
        const char *v = spec->sysctl[i].value;
        if (pier_write_all(fd, v, strlen(v)) < 0)
            return pier_error(err, errno, "linux.sysctl.%s: write `%s`", spec->sysctl[i].key, v);
    }
    return 0;
}

/* /dev/null of the container, checked to be the null device, so that a
 * symlink or a file put in its place cannot be bound over a masked path
 * (CVE-2025-31133). */
static int open_dev_null(int rootfd, pier_err_t *err)
{
    int fd = rt_open_in_root(rootfd, "/dev/null", O_PATH, RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return pier_error(err, errno, "maskedPaths: open /dev/null in the container");
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return pier_error(err, 0, "maskedPaths: /dev/null in the container is not the null device");
    }
    return fd;
}

static int mask_paths(int rootfd, const struct rt_spec *spec, pier_err_t *err)
{
    if (spec->masked_paths == NULL || spec->masked_paths[0] == NULL)
        return 0;
    cleanup_close int null_fd = -1;
    for (char **p = spec->masked_paths; *p; p++) {
        cleanup_close int target = rt_open_in_root(rootfd, *p, O_PATH, 0);
        if (target < 0) {
            if (errno == ENOENT)
                continue;
            return pier_error(err, errno, "maskedPaths: open `%s`", *p);
        }
        if (strncmp(*p, "/proc/", 6) == 0 && check_procfs(target, *p, err) < 0)
            return pier_error_wrap(err, "maskedPaths");
        struct stat st;
        if (fstat(target, &st) < 0)
            return pier_error(err, errno, "maskedPaths: stat `%s`", *p);
        /* A directory is covered by an empty read-only tmpfs, anything else
         * by the null device. */
        cleanup_close int mnt = -1;
        if (S_ISDIR(st.st_mode)) {
            mnt = rt_mount_fs(
                "tmpfs", "tmpfs", "mode=0555",
                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
        } else {
            if (null_fd < 0 && (null_fd = open_dev_null(rootfd, err)) < 0)
                return -1;
            mnt = rt_mount_clone(null_fd, "", false, err);
        }
        if (mnt < 0 || rt_mount_attach(mnt, target, *p, err) < 0)
            return pier_error_wrap(err, "maskedPaths");
    }
    return 0;
}

static int readonly_paths(int rootfd, const struct rt_spec *spec, pier_err_t *err)
{
    for (char **p = spec->readonly_paths; p && *p; p++) {
        cleanup_close int target = rt_open_in_root(rootfd, *p, O_PATH, 0);
        if (target < 0) {
            if (errno == ENOENT)
                continue;
            return pier_error(err, errno, "readonlyPaths: open `%s`", *p);
        }
        if (strncmp(*p, "/proc/", 6) == 0 && check_procfs(target, *p, err) < 0)
            return pier_error_wrap(err, "readonlyPaths");
        cleanup_close int mnt = rt_mount_clone(target, "", true, err);
        if (mnt < 0 ||
            rt_mount_setattr(
                mnt, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                0, true, *p, err) < 0 ||
            rt_mount_attach(mnt, target, *p, err) < 0)
            return pier_error_wrap(err, "readonlyPaths");
    }
    return 0;
}

int rt_rootfs_finish(int rootfd, const struct rt_spec *spec, pier_err_t *err)
{
    if (write_sysctls(rootfd, spec, err) < 0 || readonly_paths(rootfd, spec, err) < 0 ||
        mask_paths(rootfd, spec, err) < 0)
        return -1;
    if (spec->root_readonly) {
        cleanup_close int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (top < 0 || rt_mount_setattr(top, MOUNT_ATTR_RDONLY, 0, false, "/", err) < 0)
            return top < 0 ? pier_error(err, errno, "open /")
                           : pier_error_wrap(err, "root.readonly");
    }
    return 0;
}
