/* Names and directories inside a layer being unpacked.  Every lookup starts
 * from the layer's root fd with openat2(RESOLVE_IN_ROOT): a symlink in the
 * layer, absolute or relative, resolves inside it as it would in the
 * container, never on the host; mount points are not crossed; magic links
 * are refused. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "unpack_int.h"

/* openat2 says EAGAIN when a rename raced a lookup; nobody renames in a
 * layer being unpacked, so a few tries are plenty. */
#define OPENAT2_TRIES 16

const char *img_entry_label(const char *name, char *buf, size_t cap)
{
    if (name == NULL)
        return "(no name)";
    size_t n = strlen(name);
    if (n + 1 <= cap)
        return name;
    snprintf(buf, cap, "%.*s...", (int)(cap > 4 ? cap - 4 : 0), name);
    return buf;
}

int img_path_clean(const char *name, struct img_path *p, pier_err_t *err)
{
    memset(p, 0, sizeof *p);
    if (name[0] == '/')
        return pier_error(err, 0, "absolute path");
    size_t w = 0;
    const char *s = name;
    size_t last = 0;
    while (*s) {
        const char *e = strchrnul(s, '/');
        size_t n = (size_t)(e - s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return pier_error(err, 0, "`..` in the path");
        if (n > NAME_MAX)
            return pier_error(err, 0, "a name longer than %d bytes", NAME_MAX);
        if (n > 0 && !(n == 1 && s[0] == '.')) {
            if (++p->depth > IMG_LAYER_MAX_DEPTH)
                return pier_error(err, 0, "nested deeper than %d directories", IMG_LAYER_MAX_DEPTH);
            if (w + (w > 0) + n >= sizeof p->buf)
                return pier_error(err, 0, "path longer than %zu bytes", sizeof p->buf - 1);
            if (w > 0)
                p->buf[w++] = '/';
            last = w;
            memcpy(p->buf + w, s, n);
            w += n;
        }
        s = *e ? e + 1 : e;
    }
    p->buf[w] = '\0';
    p->len = w;
    if (w == 0) {
        if (name[0] == '\0')
            return pier_error(err, 0, "empty name");
        return 0; /* "." or "./": the root */
    }
    p->base = p->buf + last;
    p->dirlen = last > 0 ? last - 1 : 0;
    return 0;
}

int img_open_in_root(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    if (path[0] == '\0')
        path = ".";
    int fd = -1;
    for (int i = 0; i < OPENAT2_TRIES; i++) {
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    return fd;
}

void img_dircache_drop(struct img_dircache *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->path[0] = '\0';
    c->valid = false;
}

static bool is_symlink(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

static int dir_error(int e, const char *path, pier_err_t *err)
{
    if (e == ENOTDIR)
        return pier_error(err, 0, "`%s` is not a directory", path);
    return pier_error(err, e, "open directory `%s`", path);
}

/* mkdir -p of dir[0..len) inside the root, one component at a time, each
 * looked up again from the root so that a symlink on the way resolves
 * there. */
static int make_dirs(int rootfd, const char *dir, size_t len, pier_err_t *err)
{
    char prefix[PATH_MAX];
    cleanup_close int parent = img_open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
    if (parent < 0)
        return pier_error(err, errno, "open the layer's root");
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && dir[e] != '/')
            e++;
        memcpy(prefix, dir, e);
        prefix[e] = '\0';
        int next = img_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            char comp[NAME_MAX + 1];
            memcpy(comp, dir + i, e - i);
            comp[e - i] = '\0';
            if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST)
                return pier_error(err, errno, "mkdir `%s`", prefix);
            next = img_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
            if (next < 0 && errno == ENOENT && is_symlink(parent, comp))
                return pier_error(err, 0, "`%s` is a symbolic link to nothing", prefix);
        }
        if (next < 0)
            return dir_error(errno, prefix, err);
        close(parent);
        parent = next;
        i = e + 1;
    }
    return steal_fd(&parent);
}

int img_parent_dir(int rootfd, struct img_dircache *c, const struct img_path *p, pier_err_t *err)
{
    if (c->valid && strlen(c->path) == p->dirlen && memcmp(c->path, p->buf, p->dirlen) == 0)
        return c->fd;
    char dir[PATH_MAX];
    memcpy(dir, p->buf, p->dirlen);
    dir[p->dirlen] = '\0';
    int fd = img_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT)
        fd = make_dirs(rootfd, dir, p->dirlen, err);
    else if (fd < 0)
        return dir_error(errno, dir, err);
    if (fd < 0)
        return -1;
    img_dircache_drop(c);
    memcpy(c->path, dir, p->dirlen + 1);
    c->fd = fd;
    c->valid = true;
    return fd;
}

int img_clear_path(int parent, const char *base, bool keep_dir, struct img_dircache *c,
                   pier_err_t *err)
{
    struct stat st;
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return pier_error(err, errno, "stat `%s`", base);
    }
    if (S_ISDIR(st.st_mode) && keep_dir)
        return 0;
    c->valid = false;
    c->cleared++;
    if (S_ISDIR(st.st_mode))
        return pier_rm_rf_at(parent, base, err);
    if (unlinkat(parent, base, 0) < 0)
        return pier_error(err, errno, "remove `%s`", base);
    return 0;
}
