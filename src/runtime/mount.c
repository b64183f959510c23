#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "rootpath.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

uint64_t rt_mount_flags_to_attr(unsigned long flags)
{
    uint64_t a = 0;
    if (flags & MS_RDONLY)
        a |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID)
        a |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV)
        a |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC)
        a |= MOUNT_ATTR_NOEXEC;
    if (flags & MS_NODIRATIME)
        a |= MOUNT_ATTR_NODIRATIME;
    if (flags & MS_NOSYMFOLLOW)
        a |= MOUNT_ATTR_NOSYMFOLLOW;
    if (flags & MS_NOATIME)
        a |= MOUNT_ATTR_NOATIME;
    else if (flags & MS_STRICTATIME)
        a |= MOUNT_ATTR_STRICTATIME;
    else if (flags & MS_RELATIME)
        a |= MOUNT_ATTR_RELATIME;
    return a;
}

/* The kernel explains fsconfig failures through the fs context fd. */
static void fs_context_message(int fsfd, char *buf, size_t cap)
{
    buf[0] = '\0';
    char line[512];
    ssize_t n;
    while ((n = read(fsfd, line, sizeof line - 1)) > 0) {
        line[n] = '\0';
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (line[0] == 'e' || line[0] == 'w')
            snprintf(buf, cap, " (%s)", line + 2);
    }
}

int rt_mount_fs(const char *type, const char *source, const char *data, uint64_t attrs,
                pier_err_t *err)
{
    cleanup_close int fsfd = fsopen(type, FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return pier_error(err, errno, "fsopen `%s`", type);
    char msg[512];
    if (source != NULL && source[0] != '\0' &&
        fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0) {
        int e = errno;
        fs_context_message(fsfd, msg, sizeof msg);
        return pier_error(err, e, "mount `%s`: source `%s`%s", type, source, msg);
    }
    if (data != NULL && data[0] != '\0') {
        cleanup_free char *copy = strdup(data);
        if (copy == NULL)
            return pier_error(err, ENOMEM, "mount `%s`", type);
        for (char *opt = copy; opt != NULL && *opt;) {
            char *next = strchr(opt, ',');
            if (next != NULL)
                *next++ = '\0';
            char *eq = strchr(opt, '=');
            int r;
            if (eq != NULL) {
                *eq = '\0';
                r = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
            } else {
                r = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
            }
            if (r < 0) {
                int e = errno;
                fs_context_message(fsfd, msg, sizeof msg);
                return pier_error(err, e, "mount `%s`: option `%s%s%s`%s", type, opt, eq ? "=" : "",
                                  eq ? eq + 1 : "", msg);
            }
            opt = next;
        }
    }
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        int e = errno;
        fs_context_message(fsfd, msg, sizeof msg);
        return pier_error(err, e, "mount `%s`%s", type, msg);
    }
    int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned int)attrs);
    if (mfd < 0)
        return pier_error(err, errno, "fsmount `%s`", type);
    return mfd;
}

int rt_mount_clone(int dirfd, const char *path, bool recursive, pier_err_t *err)
{
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    if (path[0] == '\0')
        flags |= AT_EMPTY_PATH;
    int fd = open_tree(dirfd, path, flags);
    if (fd < 0)
        return pier_error(err, errno, "bind `%s`", path[0] ? path : "(fd)");
    return fd;
}

int rt_mount_attach(int mntfd, int targetfd, const char *dest, pier_err_t *err)
{
    if (move_mount(mntfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return pier_error(err, errno, "mount on `%s`", dest);
    return 0;
}

int rt_mount_setattr(int fd, uint64_t set, uint64_t clr, bool recursive, const char *dest,
                     pier_err_t *err)
{
    if (set == 0 && clr == 0)
        return 0;
    /* The atime mode is one field: setting one means clearing the others. */
    if (set & MOUNT_ATTR__ATIME)
        clr |= MOUNT_ATTR__ATIME;
    struct mount_attr a = {.attr_set = set, .attr_clr = clr};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0)
        return pier_error(err, errno, "set mount attributes of `%s`", dest);
    return 0;
}

static int set_propagation(int fd, unsigned long prop, const char *dest, pier_err_t *err)
{
    if (prop == 0)
        return 0;
    struct mount_attr a = {.propagation = prop & ~(unsigned long)MS_REC};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof a) <
        0)
        return pier_error(err, errno, "set propagation of `%s`", dest);
    return 0;
}

/* tmpcopyup: the new tmpfs starts with a copy of what the image had there. */
static int copy_tree(int src, int dst, int depth, pier_err_t *err)
{
    if (depth > 64)
        return pier_error(err, ELOOP, "tmpcopyup: nested too deeply");
    int dupfd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dupfd < 0)
        return pier_error(err, errno, "tmpcopyup: open");
    DIR *d = fdopendir(dupfd);
    if (d == NULL) {
        close(dupfd);
        return pier_error(err, errno, "tmpcopyup: opendir");
    }
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            ret = pier_error(err, errno, "tmpcopyup: stat `%s`", n);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, n, st.st_mode & 07777) < 0 && errno != EEXIST) {
                ret = pier_error(err, errno, "tmpcopyup: mkdir `%s`", n);
                break;
            }
            cleanup_close int s2 = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            cleanup_close int d2 = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s2 < 0 || d2 < 0) {
                ret = pier_error(err, errno, "tmpcopyup: open `%s`", n);
                break;
            }
            ret = copy_tree(s2, d2, depth + 1, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t l = readlinkat(src, n, target, sizeof target - 1);
            if (l < 0) {
                ret = pier_error(err, errno, "tmpcopyup: readlink `%s`", n);
                break;
            }
            target[l] = '\0';
            if (symlinkat(target, dst, n) < 0) {
                ret = pier_error(err, errno, "tmpcopyup: symlink `%s`", n);
                break;
            }
        } else if (S_ISREG(st.st_mode)) {
            cleanup_close int in = openat(src, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            cleanup_close int out = openat(
                dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
            if (in < 0 || out < 0) {
                ret = pier_error(err, errno, "tmpcopyup: copy `%s`", n);
                break;
            }
            char buf[65536];
            ssize_t r;
            while ((r = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t)r) != r) {
                    r = -1;
                    break;
                }
            if (r < 0) {
                ret = pier_error(err, errno, "tmpcopyup: copy `%s`", n);
                break;
            }
        } else {
            if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0) {
                ret = pier_error(err, errno, "tmpcopyup: mknod `%s`", n);
                break;
            }
        }
        if (ret == 0) {
            fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
            if (!S_ISLNK(st.st_mode))
                fchmodat(dst, n, st.st_mode & 07777, 0);
        }
    }
    closedir(d);
    return ret;
}

static bool is_mount_type(const struct rt_mount *m, const char *t)
{
    return m->type != NULL && strcmp(m->type, t) == 0;
}

/* Some filesystems cannot be mounted from a user namespace that does not own
 * the matching namespace; fall back to a bind of the host's, as runc does. */
static const char *userns_fallback_source(const struct rt_mount *m)
{
    if (is_mount_type(m, "sysfs"))
        return "/sys";
    if (is_mount_type(m, "mqueue"))
        return "/dev/mqueue";
    return NULL;
}

static int mount_cgroup(const struct rt_mount_env *env, const struct rt_mount *m, int targetfd,
                        pier_err_t *err)
{
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    uint64_t attrs = rt_mount_flags_to_attr(m->flags);
    uint64_t rw_attrs = attrs & ~(uint64_t)MOUNT_ATTR_RDONLY;
    if (l->mode == RT_CG_V2) {
        int mfd = env->cgroupns ? rt_mount_fs("cgroup2", "cgroup", NULL, attrs, err) : -1;
        if (mfd < 0) {
            pier_error_free(err);
            const char *dir = env->cg ? rt_cgroup_dir(env->cg, NULL) : NULL;
            mfd = rt_mount_clone(AT_FDCWD, dir ? dir : "/sys/fs/cgroup", true, err);
            if (mfd < 0)
                return -1;
            if (rt_mount_setattr(mfd, attrs, 0, false, m->destination, err) < 0) {
                close(mfd);
                return -1;
            }
        }
        int r = rt_mount_attach(mfd, targetfd, m->destination, err);
        close(mfd);
        return r;
    }

    /* v1 and hybrid: a tmpfs holding one directory per hierarchy. */
    cleanup_close int tfd = rt_mount_fs("tmpfs", "tmpfs", "mode=755", rw_attrs, err);
    if (tfd < 0 || rt_mount_attach(tfd, targetfd, m->destination, err) < 0)
        return -1;
    /* Reopen by path: the fd of the target is under the new mount, not in it. */
    cleanup_close int top = rt_open_in_root(env->rootfd, m->destination, O_PATH | O_DIRECTORY, 0);
    if (top < 0)
        return pier_error(err, errno, "open `%s`", m->destination);
    for (size_t i = 0; i < l->n; i++) {
        const struct rt_cg_hier *h = &l->h[i];
        const char *name = strrchr(h->mountpoint, '/');
        name = name ? name + 1 : h->mountpoint;
        if (name[0] == '\0')
            continue;
        if (mkdirat(top, name, 0755) < 0 && errno != EEXIST)
            return pier_error(err, errno, "mkdir `%s/%s`", m->destination, name);
        cleanup_close int sub = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return pier_error(err, errno, "open `%s/%s`", m->destination, name);
        int mfd = -1;
        if (env->cgroupns)
            mfd = rt_mount_fs(h->v2 ? "cgroup2" : "cgroup", "cgroup", h->v2 ? NULL : h->controllers,
                              attrs, err);
        if (mfd < 0) {
            pier_error_free(err);
            const char *dir = NULL;
            for (size_t k = 0; env->cg != NULL && k < env->cg->n; k++)
                if (env->cg->h[k].ctrl == h->controllers)
                    dir = env->cg->h[k].dir;
            mfd = rt_mount_clone(AT_FDCWD, dir ? dir : h->mountpoint, false, err);
            if (mfd < 0)
                return -1;
            if (rt_mount_setattr(mfd, attrs, 0, false, m->destination, err) < 0) {
                close(mfd);
                return -1;
            }
        }
        int r = rt_mount_attach(mfd, sub, m->destination, err);
        close(mfd);
        if (r < 0)
            return -1;
        /* Co-mounted controllers ("cpu,cpuacct") are reachable by each name. */
        if (!h->v2 && strchr(name, ',') != NULL) {
            cleanup_free char *ctrls = strdup(name);
            for (char *c = ctrls, *next; c != NULL && *c; c = next) {
                next = strchr(c, ',');
                if (next)
                    *next++ = '\0';
                if (symlinkat(name, top, c) < 0 && errno != EEXIST)
                    return pier_error(err, errno, "symlink `%s/%s`", m->destination, c);
            }
        }
    }
    if ((attrs & MOUNT_ATTR_RDONLY) &&
        rt_mount_setattr(top, MOUNT_ATTR_RDONLY, 0, false, m->destination, err) < 0)
        return -1;
    return 0;
}

/* proc and sysfs on a symlink could be sent elsewhere, skipping the masks
 * meant for them (CVE-2019-16884): their destination must be a real
 * directory.  It is checked before anything is made, so that a dangling
 * link does not get its target created either. */
static int open_strict_target(int rootfd, const struct rt_mount *m, pier_err_t *err)
{
    const char *dest = m->destination;
    int fd = rt_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    if (fd < 0 && errno == ENOENT) {
        /* No link on the way to what is missing: it may be made. */
        int made = rt_mkdir_in_root(rootfd, dest, 0755, err);
        if (made < 0)
            return -1;
        close(made);
        fd = rt_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    }
    if (fd < 0 && errno == ELOOP)
        return pier_error(err, 0,
                          "mount `%s` on `%s`: the destination is a symlink, or passes through one",
                          m->type, dest);
    if (fd < 0)
        return pier_error(err, errno, "mount `%s` on `%s`: the destination cannot be opened",
                          m->type, dest);
    return fd;
}

int rt_mount_prepare(const struct rt_spec *spec, struct rt_host_mounts *hm, pier_err_t *err)
{
    hm->root_tree = hm->root_dir = -1;
    hm->binds = calloc(spec->n_mounts + 1, sizeof *hm->binds);
    if (hm->binds == NULL)
        return pier_error(err, ENOMEM, "mounts");
    struct rt_bind *binds = hm->binds;
    for (size_t i = 0; i < spec->n_mounts; i++)
        binds[i] = (struct rt_bind){.fd = -1};
    hm->root_dir = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (hm->root_dir < 0)
        return pier_error(err, errno, "root.path `%s`", spec->root_path);
    hm->root_tree = rt_mount_clone(hm->root_dir, "", true, err);
    if (hm->root_tree < 0)
        return pier_error_wrap(err, "root.path");
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct rt_mount *m = &spec->mounts[i];
        if (!m->bind)
            continue;
        struct stat st;
        if (stat(m->source, &st) < 0)
            return pier_error(err, errno, "mounts[%zu]: source `%s`", i, m->source);
        binds[i].is_dir = S_ISDIR(st.st_mode);
        binds[i].fd = rt_mount_clone(AT_FDCWD, m->source, m->recursive, err);
        if (binds[i].fd < 0)
            return pier_error_wrap(err, "mounts[%zu]", i);
        if (rt_mount_setattr(binds[i].fd, rt_mount_flags_to_attr(m->flags),
                             rt_mount_flags_to_attr(m->clear_flags), false, m->destination,
                             err) < 0 ||
            rt_mount_setattr(binds[i].fd, m->attr_set, m->attr_clr, true, m->destination, err) <
                0 ||
            set_propagation(binds[i].fd, m->propagation, m->destination, err) < 0)
            return pier_error_wrap(err, "mounts[%zu]", i);
    }
    return 0;
}

void rt_mount_close_prepared(struct rt_host_mounts *hm, size_t n_mounts)
{
    for (size_t i = 0; hm->binds != NULL && i < n_mounts; i++)
        if (hm->binds[i].fd >= 0)
            close(hm->binds[i].fd);
    free(hm->binds);
    hm->binds = NULL;
    if (hm->root_tree >= 0)
        close(hm->root_tree);
    if (hm->root_dir >= 0)
        close(hm->root_dir);
    hm->root_tree = hm->root_dir = -1;
}

int rt_mount_apply(const struct rt_mount_env *env, size_t i, const struct rt_mount *m,
                   pier_err_t *err)
{
    const char *dest = m->destination;
    cleanup_close int targetfd = -1;
    cleanup_close int mntfd = -1;
    const struct rt_bind *b = m->bind ? &env->binds[i] : NULL;
    if (b != NULL && b->fd < 0)
        return pier_error(err, 0, "mount on `%s`: the bind mount was not prepared", dest);

    if (is_mount_type(m, "proc") || is_mount_type(m, "sysfs"))
        targetfd = open_strict_target(env->rootfd, m, err);
    else if (b == NULL || b->is_dir)
        targetfd = rt_mkdir_in_root(env->rootfd, dest, 0755, err);
    else
        targetfd = rt_mkfile_in_root(env->rootfd, dest, 0644, err);
    if (targetfd < 0)
        return -1;

    if (is_mount_type(m, "cgroup") || is_mount_type(m, "cgroup2"))
        return mount_cgroup(env, m, targetfd, err);
    if (b != NULL)
        return rt_mount_attach(b->fd, targetfd, dest, err);

    uint64_t attrs = rt_mount_flags_to_attr(m->flags);
    mntfd = rt_mount_fs(m->type, m->source, m->data, attrs, err);
    if (mntfd < 0 && env->userns && (*err)->errnum == EPERM && userns_fallback_source(m)) {
        pier_error_free(err);
        mntfd = rt_mount_clone(AT_FDCWD, userns_fallback_source(m), true, err);
        if (mntfd >= 0 && rt_mount_setattr(mntfd, attrs, 0, false, dest, err) < 0)
            return -1;
    }
    if (mntfd < 0)
        return pier_error_wrap(err, "mount on `%s`", dest);
    if (m->tmpcopyup && is_mount_type(m, "tmpfs")) {
        cleanup_close int src = openat(targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int dst = openat(mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0 || dst < 0)
            return pier_error(err, errno, "tmpcopyup on `%s`", dest);
        if (copy_tree(src, dst, 0, err) < 0)
            return pier_error_wrap(err, "mount on `%s`", dest);
    }
    if (rt_mount_setattr(mntfd, m->attr_set, m->attr_clr, true, dest, err) < 0 ||
        set_propagation(mntfd, m->propagation, dest, err) < 0)
        return -1;
    return rt_mount_attach(mntfd, targetfd, dest, err);
}
