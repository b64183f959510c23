/* A directory in overlayfs form (a container's upper layer) written as a
 * layer tar in the OCI and Docker form, as Docker's overlay2 driver diffs
 * it: a whiteout (a 0:0 character device) becomes an empty `.wh.NAME`
 * file, an opaque directory (trusted.overlay.opaque=y) gets an empty
 * `.wh..wh..opq` inside it.  Names in byte order, as Go's filepath.Walk
 * gives them, so that the same tree always makes the same diff id.
 *
 * The tree may belong to a running container: everything is opened
 * fd-relative with O_NOFOLLOW, so that a symlink swapped in meanwhile is
 * archived as a symlink and never followed; a file that shrinks while read
 * is padded with zeros to the size its header announced.
 *
 * The mountpoints the engine made in the layer (an empty /etc/hosts for
 * its bind mount, an empty /proc when the image had none) are left out
 * when nothing else changed there: docker keeps them in an init layer
 * below the container's, so that its commits never hold them. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define COPY_BLOCK (128u << 10)
#define NAME_MAX_LEN 4096

struct link {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct tarw {
    const char *const *skip; /* mountpoints, "etc/hosts", "proc" */
    struct archive *a;
    struct archive_entry *e;
    void *links; /* tsearch tree of struct link: hard links seen */
    char *buf;
    uint64_t entries;
};

static int link_cmp(const void *x, const void *y)
{
    const struct link *a = x, *b = y;
    if (a->dev != b->dev)
        return a->dev < b->dev ? -1 : 1;
    return a->ino < b->ino ? -1 : a->ino > b->ino;
}

static void link_free(void *p)
{
    struct link *l = p;
    free(l->name);
    free(l);
}

static int write_header(struct tarw *t, const char *name, pier_err_t *err)
{
    if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
        return pier_error(err, 0, "write the tar entry `%s`: %s", name, archive_error_string(t->a));
    t->entries++;
    return 0;
}

/* Owner, mode and time from st: times to the second, as Go's tar writes
 * them in a ustar header. */
static void entry_from_stat(struct tarw *t, const char *name, const struct stat *st)
{
    archive_entry_clear(t->e);
    archive_entry_set_pathname(t->e, name);
    archive_entry_set_uid(t->e, st->st_uid);
    archive_entry_set_gid(t->e, st->st_gid);
    archive_entry_set_mode(t->e, st->st_mode);
    archive_entry_set_mtime(t->e, st->st_mtim.tv_sec, 0);
}

/* File capabilities and user attributes: what the unpacker keeps. */
static int add_xattrs(struct tarw *t, int fd, pier_err_t *err)
{
    char names[4096];
    ssize_t n = flistxattr(fd, names, sizeof names);
    if (n < 0)
        return errno == ENOTSUP || errno == E2BIG ? 0 : pier_error(err, errno, "list xattrs");
    for (char *p = names; p < names + n; p += strlen(p) + 1) {
        if (strncmp(p, "user.", 5) != 0 && strcmp(p, "security.capability") != 0)
            continue;
        char value[4096];
        ssize_t v = fgetxattr(fd, p, value, sizeof value);
        if (v >= 0)
            archive_entry_xattr_add_entry(t->e, p, value, (size_t)v);
    }
    return 0;
}

static bool is_opaque(int fd)
{
    char v[2];
    return fgetxattr(fd, OPAQUE_XATTR, v, sizeof v) == 1 && v[0] == 'y';
}

static int write_data(struct tarw *t, int fd, int64_t size, const char *name, pier_err_t *err)
{
    int64_t left = size;
    while (left > 0) {
        size_t want = left < COPY_BLOCK ? (size_t)left : COPY_BLOCK;
        ssize_t n = fd >= 0 ? read(fd, t->buf, want) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return pier_error(err, errno, "read `%s`", name);
        if (n == 0) {
            /* shrunk while read: the header's size stands */
            memset(t->buf, 0, want);
            n = (ssize_t)want;
        }
        if (archive_write_data(t->a, t->buf, (size_t)n) != n)
            return pier_error(err, 0, "write `%s` into the tar: %s", name,
                              archive_error_string(t->a));
        left -= n;
    }
    return 0;
}

/* A regular file, or a hard link to one already written. */
static int add_file(struct tarw *t, int dirfd, const char *base, const char *name,
                    const struct stat *st, pier_err_t *err)
{
    if (st->st_nlink > 1) {
        struct link key = {.dev = st->st_dev, .ino = st->st_ino};
        struct link **found = tfind(&key, &t->links, link_cmp);
        if (found != NULL) {
            archive_entry_set_filetype(t->e, AE_IFREG);
            archive_entry_set_hardlink(t->e, (*found)->name);
            archive_entry_set_size(t->e, 0);
            return write_header(t, name, err);
        }
        struct link *l = calloc(1, sizeof *l);
        if (l == NULL || (l->name = strdup(name)) == NULL) {
            free(l);
            return pier_error(err, ENOMEM, "tar `%s`", name);
        }
        l->dev = st->st_dev;
        l->ino = st->st_ino;
        if (tsearch(l, &t->links, link_cmp) == NULL) {
            link_free(l);
            return pier_error(err, ENOMEM, "tar `%s`", name);
        }
    }
    cleanup_close int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", name);
    if (add_xattrs(t, fd, err) < 0)
        return -1;
    archive_entry_set_size(t->e, st->st_size);
    if (write_header(t, name, err) < 0)
        return -1;
    return write_data(t, fd, st->st_size, name, err);
}

static int walk(struct tarw *t, int dirfd, char *path, size_t len, int depth, pier_err_t *err);

/* path is a mountpoint (*parent false) or holds one (*parent true). */
static bool mountpoint(const struct tarw *t, const char *path, bool *parent)
{
    size_t n = strlen(path);
    for (const char *const *m = t->skip; m && *m; m++) {
        if (strcmp(*m, path) == 0) {
            *parent = false;
            return true;
        }
        if (strncmp(*m, path, n) == 0 && (*m)[n] == '/') {
            *parent = true;
            return true;
        }
    }
    return false;
}

static int dir_names(int dirfd, char ***out, size_t *count, pier_err_t *err);

/* What the engine alone put at path: an empty file or a symlink where a
 * mountpoint is, an empty or all-mountpoint directory (never opaque). */
static bool only_mountpoints(const struct tarw *t, int dirfd, const char *base, const char *path,
                             int depth)
{
    bool parent = false;
    struct stat st;
    if (depth > 8 || !mountpoint(t, path, &parent) ||
        fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
        return !parent && (S_ISLNK(st.st_mode) || st.st_size == 0);
    if (!S_ISDIR(st.st_mode))
        return false;
    cleanup_close int fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || is_opaque(fd))
        return false;
    char **names = NULL;
    size_t n = 0;
    pier_err_t e = NULL;
    if (dir_names(fd, &names, &n, &e) < 0) {
        pier_error_free(&e);
        return false;
    }
    bool only = true;
    for (size_t i = 0; i < n; i++) {
        char child[NAME_MAX_LEN];
        snprintf(child, sizeof child, "%s/%s", path, names[i]);
        only = only && only_mountpoints(t, fd, names[i], child, depth + 1);
        free(names[i]);
    }
    free(names);
    return only;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a directory, sorted. */
static int dir_names(int dirfd, char ***out, size_t *count, pier_err_t *err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return pier_error(err, errno, "read a directory");
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int ret = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 32;
            char **nv = realloc(v, cap * sizeof *nv);
            if (nv == NULL) {
                ret = pier_error(err, ENOMEM, "read a directory");
                break;
            }
            v = nv;
        }
        if ((v[n] = strdup(de->d_name)) == NULL) {
            ret = pier_error(err, ENOMEM, "read a directory");
            break;
        }
        v[++n] = NULL;
    }
    closedir(d);
    if (ret < 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return -1;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_name);
    *out = v;
    *count = n;
    return 0;
}

static int add_one(struct tarw *t, int dirfd, const char *base, char *path, size_t len, int depth,
                   pier_err_t *err)
{
    struct stat st;
    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) /* gone meanwhile */
            return 0;
        return pier_error(err, errno, "stat `%s`", path);
    }
    if (S_ISSOCK(st.st_mode)) /* as Docker: sockets are not archived */
        return 0;
    if (t->skip && only_mountpoints(t, dirfd, base, path, 0))
        return 0;
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) {
        /* a whiteout: `.wh.NAME`, an empty file of mode 0600 */
        char name[NAME_MAX_LEN + 8];
        size_t dir = len - strlen(base);
        snprintf(name, sizeof name, "%.*s.wh.%s", (int)dir, path, base);
        entry_from_stat(t, name, &st);
        archive_entry_set_filetype(t->e, AE_IFREG);
        archive_entry_set_perm(t->e, 0600);
        archive_entry_set_size(t->e, 0);
        return write_header(t, name, err);
    }
    entry_from_stat(t, path, &st);
    if (S_ISREG(st.st_mode))
        return add_file(t, dirfd, base, path, &st, err);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, base, target, sizeof target - 1);
        if (n < 0)
            return pier_error(err, errno, "readlink `%s`", path);
        target[n] = '\0';
        archive_entry_set_symlink(t->e, target);
        return write_header(t, path, err);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        archive_entry_set_rdevmajor(t->e, major(st.st_rdev));
        archive_entry_set_rdevminor(t->e, minor(st.st_rdev));
        return write_header(t, path, err);
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    if (depth >= IMG_LAYER_MAX_DEPTH)
        return pier_error(err, 0, "`%s`: deeper than %d directories", path, IMG_LAYER_MAX_DEPTH);
    cleanup_close int fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : pier_error(err, errno, "open `%s`", path);
    if (len + 1 >= NAME_MAX_LEN)
        return pier_error(err, 0, "`%s`: name too long", path);
    path[len++] = '/';
    path[len] = '\0';
    if (add_xattrs(t, fd, err) < 0 || write_header(t, path, err) < 0)
        return -1;
    if (is_opaque(fd)) {
        /* Go's header for it: the directory's owner and permissions */
        char name[NAME_MAX_LEN + 16];
        snprintf(name, sizeof name, "%s.wh..wh..opq", path);
        entry_from_stat(t, name, &st);
        archive_entry_set_filetype(t->e, AE_IFREG);
        archive_entry_set_perm(t->e, st.st_mode & 0777);
        archive_entry_set_size(t->e, 0);
        archive_entry_set_mtime(t->e, 0, 0);
        if (write_header(t, name, err) < 0)
            return -1;
    }
    return walk(t, fd, path, len, depth + 1, err);
}

static int walk(struct tarw *t, int dirfd, char *path, size_t len, int depth, pier_err_t *err)
{
    char **names = NULL;
    size_t n = 0;
    if (dir_names(dirfd, &names, &n, err) < 0)
        return pier_error_wrap(err, "`%s`", len ? path : ".");
    int ret = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (ret == 0 && len + nl + 1 >= NAME_MAX_LEN)
            ret = pier_error(err, 0, "`%s%s`: name too long", path, names[i]);
        if (ret == 0) {
            memcpy(path + len, names[i], nl + 1);
            ret = add_one(t, dirfd, names[i], path, len + nl, depth, err);
            path[len] = '\0';
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int img_layer_tar(int dirfd, int out_fd, const char *const *skip, uint64_t *entries,
                  pier_err_t *err)
{
    struct tarw t = {.skip = skip};
    char path[NAME_MAX_LEN + 1] = "";
    t.a = archive_write_new();
    t.e = archive_entry_new();
    t.buf = malloc(COPY_BLOCK);
    int ret = -1;
    if (t.a == NULL || t.e == NULL || t.buf == NULL) {
        pier_error(err, ENOMEM, "write a layer tar");
        goto out;
    }
    /* ustar unless a name or a value needs more (pax then), and no padding
     * past the end-of-archive blocks, as Go's tar writer. */
    if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(t.a, out_fd) != ARCHIVE_OK) {
        pier_error(err, 0, "write a layer tar: %s", archive_error_string(t.a));
        goto out;
    }
    if (walk(&t, dirfd, path, 0, 0, err) < 0)
        goto out;
    if (archive_write_close(t.a) != ARCHIVE_OK) {
        pier_error(err, 0, "write a layer tar: %s", archive_error_string(t.a));
        goto out;
    }
    *entries = t.entries;
    ret = 0;
out:
    if (t.a != NULL)
        archive_write_free(t.a);
    if (t.e != NULL)
        archive_entry_free(t.e);
    tdestroy(t.links, link_free);
    free(t.buf);
    return ret;
}
