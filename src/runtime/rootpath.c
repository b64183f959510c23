#include "rootpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"

int rt_open_in_root(int rootfd, const char *path, int flags, uint64_t extra_resolve)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
    };
    if (flags & O_CREAT)
        how.mode = 0644;
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    int fd;
    do
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    return fd;
}

/* A dangling symlink stands where something must be created: what it names,
 * resolved as RESOLVE_IN_ROOT would (absolute from the root, relative from
 * its directory), followed by the rest of the path. */
static int expand_link(int parent, const char *dir, const char *name, const char *rest, char *out,
                       size_t cap)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
    if (n < 0)
        return -1;
    target[n] = '\0';
    int w;
    if (target[0] == '/')
        w = snprintf(out, cap, "%s%s%s", target, *rest ? "/" : "", rest);
    else
        w = snprintf(out, cap, "%s/%s%s%s", dir, target, *rest ? "/" : "", rest);
    if (w < 0 || (size_t)w >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static bool is_symlink(int parent, const char *name)
{
    struct stat st;
    return fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

#define MAX_LINKS 40

static int mkdir_in_root(int rootfd, const char *path, mode_t mode, int links, pier_err_t *err)
{
    int fd = rt_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return pier_error(err, errno, "open `%s` in the container", path);

    char prefix[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof prefix)
        return pier_error(err, ENAMETOOLONG, "`%s`", path);
    cleanup_close int parent = rt_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
    if (parent < 0)
        return pier_error(err, errno, "open the container's root");
    const char *s = path;
    size_t parent_len = 0;
    while (*s) {
        while (*s == '/')
            s++;
        if (*s == '\0')
            break;
        const char *e = strchrnul(s, '/');
        size_t upto = (size_t)(e - path);
        memcpy(prefix, path, upto);
        prefix[upto] = '\0';
        int next = rt_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        if (next < 0 && errno == ENOENT) {
            char comp[NAME_MAX + 1];
            size_t cl = (size_t)(e - s);
            if (cl > NAME_MAX)
                return pier_error(err, ENAMETOOLONG, "`%s`", path);
            memcpy(comp, s, cl);
            comp[cl] = '\0';
            /* mkdirat never follows a symlink in the last component: one
             * already there makes EEXIST; a dangling one is followed by
             * hand, inside the root. */
            if (mkdirat(parent, comp, mode) < 0 && errno != EEXIST)
                return pier_error(err, errno, "mkdir `%s` in the container", prefix);
            if (is_symlink(parent, comp)) {
                char dir[PATH_MAX], expanded[PATH_MAX];
                snprintf(dir, sizeof dir, "/%.*s", (int)parent_len, path);
                if (++links > MAX_LINKS)
                    return pier_error(err, ELOOP, "`%s` in the container", path);
                if (expand_link(parent, dir, comp, *e ? e + 1 : e, expanded, sizeof expanded) < 0)
                    return pier_error(err, errno, "follow `%s` in the container", prefix);
                return mkdir_in_root(rootfd, expanded, mode, links, err);
            }
            next = rt_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        }
        if (next < 0)
            return pier_error(err, errno, "open `%s` in the container", prefix);
        close(parent);
        parent = next;
        parent_len = upto;
        s = e;
    }
    return steal_fd(&parent);
}

int rt_mkdir_in_root(int rootfd, const char *path, mode_t mode, pier_err_t *err)
{
    return mkdir_in_root(rootfd, path, mode, 0, err);
}

int rt_parent_in_root(int rootfd, const char *path, char *base, pier_err_t *err)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len >= sizeof dir)
        return pier_error(err, ENAMETOOLONG, "`%s`", path);
    memcpy(dir, path, len);
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    const char *name = slash ? slash + 1 : dir;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return pier_error(err, EINVAL, "`%s` names no file", path);
    snprintf(base, NAME_MAX + 1, "%s", name);
    if (slash != NULL)
        *slash = '\0';
    else
        dir[0] = '\0';
    return rt_mkdir_in_root(rootfd, dir[0] ? dir : "/", 0755, err);
}

static int mkfile_in_root(int rootfd, const char *path, mode_t mode, int links, pier_err_t *err)
{
    int fd = rt_open_in_root(rootfd, path, O_PATH, 0);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return pier_error(err, errno, "open `%s` in the container", path);
    char base[PATH_MAX];
    cleanup_close int parent = rt_parent_in_root(rootfd, path, base, err);
    if (parent < 0)
        return -1;
    int f = openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (f < 0 && errno != EEXIST)
        return pier_error(err, errno, "create `%s` in the container", path);
    if (f >= 0)
        close(f);
    if (f < 0 && is_symlink(parent, base)) {
        char dir[PATH_MAX], expanded[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        if (++links > MAX_LINKS)
            return pier_error(err, ELOOP, "`%s` in the container", path);
        if (expand_link(parent, dir, base, "", expanded, sizeof expanded) < 0)
            return pier_error(err, errno, "follow `%s` in the container", path);
        return mkfile_in_root(rootfd, expanded, mode, links, err);
    }
    fd = rt_open_in_root(rootfd, path, O_PATH, 0);
    if (fd < 0)
        return pier_error(err, errno, "open `%s` in the container", path);
    return fd;
}

int rt_mkfile_in_root(int rootfd, const char *path, mode_t mode, pier_err_t *err)
{
    return mkfile_in_root(rootfd, path, mode, 0, err);
}
