#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int pier_read_fd(int fd, const char *what, size_t max, char **out, size_t *len, pier_err_t *err)
{
    size_t cap = 4096, n = 0;
    cleanup_free char *buf = malloc(cap + 1);
    if (buf == NULL)
        return pier_error(err, ENOMEM, "read `%s`", what);
    for (;;) {
        if (n == cap) {
            if (cap > max)
                return pier_error(err, 0, "read `%s`: larger than the limit of %zu bytes", what,
                                  max);
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL)
                return pier_error(err, ENOMEM, "read `%s`", what);
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return pier_error(err, errno, "read `%s`", what);
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            return pier_error(err, 0, "read `%s`: larger than the limit of %zu bytes", what, max);
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    *out = steal_pointer(&buf);
    return 0;
}

int pier_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
                      pier_err_t *err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", path);
    return pier_read_fd(fd, path, max, out, len, err);
}

int pier_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int pier_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    bool sock = true;
    while (len > 0) {
        ssize_t w = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (w < 0) {
            if (errno == ENOTSOCK && sock)
                sock = false;
            else if (errno != EINTR)
                return -1;
            continue;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int pier_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                              mode_t mode, unsigned flags, pier_err_t *err)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-%d", name, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return pier_error(err, ENAMETOOLONG, "write `%s`", name);
    cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return pier_error(err, errno, "create `%s`", tmp);
    if (pier_write_all(fd, data, len) < 0 || ((flags & PIER_DURABLE) && fsync(fd) < 0)) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return pier_error(err, e, "write `%s`", tmp);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return pier_error(err, e, "rename `%s` to `%s`", tmp, name);
    }
    return 0;
}

int pier_write_string_at(int dirfd, const char *path, const char *s, pier_err_t *err)
{
    /* O_TRUNC as a shell's `>` does: kernel knobs ignore it, files need it. */
    cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", path);
    size_t len = strlen(s);
    ssize_t w;
    do
        w = write(fd, s, len);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return pier_error(err, errno, "write `%s` to `%s`", s, path);
    if ((size_t)w != len)
        return pier_error(err, 0, "write `%s` to `%s`: short write", s, path);
    return 0;
}

int pier_mkdir_p(const char *path, mode_t mode, pier_err_t *err)
{
    /* Most often only the last component is missing. */
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return pier_error(err, ENAMETOOLONG, "mkdir `%s`", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return pier_error(err, errno, "mkdir `%s`", buf);
        *p = saved;
        if (saved == '\0')
            break;
    }
    return 0;
}

static int rm_rf_dir(int dfd, dev_t dev, int depth, pier_err_t *err)
{
    if (depth > 256)
        return pier_error(err, ELOOP, "remove directory tree: nested too deeply");
    int dupfd = dup(dfd);
    if (dupfd < 0)
        return pier_error(err, errno, "dup");
    DIR *d = fdopendir(dupfd);
    if (d == NULL) {
        close(dupfd);
        return pier_error(err, errno, "opendir");
    }
    int ret = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            ret = pier_error(err, errno, "stat `%s`", de->d_name);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                ret = pier_error(err, EBUSY, "remove `%s`: a mount point", de->d_name);
                break;
            }
            int cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0) {
                ret = pier_error(err, errno, "open `%s`", de->d_name);
                break;
            }
            ret = rm_rf_dir(cfd, dev, depth + 1, err);
            close(cfd);
            if (ret < 0) {
                pier_error_wrap(err, "%s", de->d_name);
                break;
            }
            if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                ret = pier_error(err, errno, "rmdir `%s`", de->d_name);
                break;
            }
        } else if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
            ret = pier_error(err, errno, "unlink `%s`", de->d_name);
            break;
        }
    }
    closedir(d);
    return ret;
}

int pier_rm_rf_at(int dirfd, const char *name, pier_err_t *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return pier_error(err, errno, "stat `%s`", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return pier_error(err, errno, "unlink `%s`", name);
        return 0;
    }
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", name);
    if (rm_rf_dir(fd, st.st_dev, 0, err) < 0)
        return pier_error_wrap(err, "remove `%s`", name);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return pier_error(err, errno, "rmdir `%s`", name);
    return 0;
}
