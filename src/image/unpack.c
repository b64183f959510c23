/* One tar entry at a time into the layer directory, in overlayfs form:
 * `.wh.NAME` becomes a 0:0 character device NAME, `.wh..wh..opq` marks its
 * directory opaque (trusted.overlay.opaque=y).  Files are created with
 * O_EXCL|O_NOFOLLOW after whatever stood there was removed, so that no
 * entry ever writes through a symlink or a device node; ownership, modes,
 * a few extended attributes and times follow, as Docker's unpacker does. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "tarsplit.h"
#include "unpack_int.h"

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"
/* Extended attributes per entry, and how long one may be. */
#define MAX_XATTRS 128
#define MAX_XATTR_VALUE 65536

/* A directory's times are set once all of its entries are in. */
struct dirtime {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    struct archive *a;
    int root;
    const struct img_unpack_opts *o;
    struct img_unpack_result *r;
    struct img_dircache dc;
    struct dirtime *dirs;
    size_t ndirs, capdirs;
};

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
    for (int i = 0; i < 2; i++)
        if (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999)
            ts[i].tv_nsec = 0;
}

static int entry_owner(struct archive_entry *e, uid_t *uid, gid_t *gid, pier_err_t *err)
{
    int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);
    /* (uid_t)-1 would mean "leave unchanged" to chown. */
    if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
        return pier_error(err, 0, "owner %lld:%lld out of range", (long long)u, (long long)g);
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

/* Only what a container needs and overlayfs cannot be fooled by: user
 * attributes, file capabilities, and the opaque mark.  Other trusted.* and
 * security.* names (overlay redirects, SELinux labels of another host) are
 * dropped. */
static bool xattr_allowed(const char *name)
{
    return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0 ||
           strcmp(name, OPAQUE_XATTR) == 0;
}

static int set_xattrs(int fd, struct archive_entry *e, pier_err_t *err)
{
    const char *name;
    const void *value;
    size_t size, n = 0;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (++n > MAX_XATTRS)
            return pier_error(err, 0, "more than %d extended attributes", MAX_XATTRS);
        if (name == NULL || !xattr_allowed(name))
            continue;
        if (size > MAX_XATTR_VALUE)
            return pier_error(err, 0, "extended attribute `%s` longer than %d bytes", name,
                              MAX_XATTR_VALUE);
        /* A filesystem without user attributes: as Docker, do without. */
        if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
            return pier_error(err, errno, "set extended attribute `%s`", name);
    }
    return 0;
}

/* Owner, then attributes (a chown clears security.capability), then mode
 * (a chown clears set-id bits), on an open file or directory. */
static int set_meta_fd(int fd, struct archive_entry *e, pier_err_t *err)
{
    uid_t uid;
    gid_t gid;
    if (entry_owner(e, &uid, &gid, err) < 0)
        return -1;
    if (fchown(fd, uid, gid) < 0)
        return pier_error(err, errno, "chown %u:%u", (unsigned)uid, (unsigned)gid);
    if (set_xattrs(fd, e, err) < 0)
        return -1;
    if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        return pier_error(err, errno, "chmod");
    return 0;
}

/* The same for what cannot be opened without side effects (symlinks,
 * fifos, device nodes): by name in its directory, never following it. */
static int set_meta_at(int parent, const char *base, struct archive_entry *e, bool chmod,
                       pier_err_t *err)
{
    uid_t uid;
    gid_t gid;
    if (entry_owner(e, &uid, &gid, err) < 0)
        return -1;
    if (fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "chown %u:%u", (unsigned)uid, (unsigned)gid);
    /* fchmodat follows a symlink, but this is the fifo or node we just
     * made in a directory nobody else writes to. */
    if (chmod && fchmodat(parent, base, archive_entry_perm(e) & 07777, 0) < 0)
        return pier_error(err, errno, "chmod");
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "set times");
    return 0;
}

static int write_at(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return 0;
}

static int make_file(struct unpack *u, int parent, const char *base, struct archive_entry *e,
                     pier_err_t *err)
{
    int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    uint64_t max = u->o->max_bytes ? u->o->max_bytes : IMG_LAYER_MAX_BYTES;
    if (size < 0 || (uint64_t)size > max)
        return pier_error(err, 0, "size %lld out of range", (long long)size);
    cleanup_close int fd =
        openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return pier_error(err, errno, "create");
    int64_t end = 0;
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(u->a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return pier_error(err, 0, "read its data: %s", archive_error_string(u->a));
        if (off < 0 || off < end || off + (int64_t)len > size)
            return pier_error(err, 0, "data block out of order");
        if (len > 0 && write_at(fd, buf, len, (off_t)off) < 0)
            return pier_error(err, errno, "write");
        end = off + (int64_t)len;
    }
    /* A sparse file may end in a hole. */
    if (end < size && ftruncate(fd, (off_t)size) < 0)
        return pier_error(err, errno, "truncate to %lld bytes", (long long)size);
    u->r->size += size;
    if (set_meta_fd(fd, e, err) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return pier_error(err, errno, "set times");
    return 0;
}

static int remember_dir_time(struct unpack *u, const char *path, struct archive_entry *e,
                             pier_err_t *err)
{
    if (u->ndirs == u->capdirs) {
        size_t cap = u->capdirs ? 2 * u->capdirs : 64;
        struct dirtime *d = realloc(u->dirs, cap * sizeof *d);
        if (d == NULL)
            return pier_error(err, ENOMEM, "remember directory times");
        u->dirs = d;
        u->capdirs = cap;
    }
    char *copy = strdup(path);
    if (copy == NULL)
        return pier_error(err, ENOMEM, "remember directory times");
    u->dirs[u->ndirs].path = copy;
    entry_times(e, u->dirs[u->ndirs].ts);
    u->ndirs++;
    return 0;
}

static int make_dir(struct unpack *u, int parent, const char *base, const char *path,
                    struct archive_entry *e, pier_err_t *err)
{
    if (mkdirat(parent, base, 0700) < 0 && errno != EEXIST)
        return pier_error(err, errno, "mkdir");
    cleanup_close int fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open the directory");
    if (set_meta_fd(fd, e, err) < 0)
        return -1;
    return remember_dir_time(u, path, e, err);
}

/* Docker refuses a relative symlink that climbs above the layer's root
 * (an absolute one is read inside the container's root, and so is safe);
 * so do we, though following one could not leave the root anyway. */
static int check_symlink(const struct img_path *p, const char *target, pier_err_t *err)
{
    if (target[0] == '\0')
        return pier_error(err, 0, "symbolic link to an empty name");
    if (strlen(target) >= PATH_MAX)
        return pier_error(err, 0, "symbolic link target longer than %d bytes", PATH_MAX - 1);
    if (target[0] == '/')
        return 0;
    long depth = (long)p->depth - 1; /* of the link's directory */
    for (const char *s = target; *s;) {
        const char *e = strchrnul(s, '/');
        size_t n = (size_t)(e - s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return pier_error(err, 0, "symbolic link to `%s` points outside the layer", target);
        } else if (n > 0 && !(n == 1 && s[0] == '.')) {
            depth++;
        }
        s = *e ? e + 1 : e;
    }
    return 0;
}

static int make_symlink(int parent, const struct img_path *p, struct archive_entry *e,
                        pier_err_t *err)
{
    const char *target = archive_entry_symlink(e);
    if (target == NULL)
        return pier_error(err, 0, "symbolic link without a target");
    if (check_symlink(p, target, err) < 0)
        return -1;
    if (symlinkat(target, parent, p->base) < 0)
        return pier_error(err, errno, "symlink");
    return set_meta_at(parent, p->base, e, false, err);
}

/* The target is an entry of this layer, by its name in the tar: looked up
 * from the root (without creating anything), its last component not
 * followed, so a hard link to a symlink links the symlink. */
static int make_hardlink(struct unpack *u, int parent, const struct img_path *p, const char *target,
                         pier_err_t *err)
{
    struct img_path t;
    if (img_path_clean(target, &t, err) < 0)
        return pier_error_wrap(err, "hard link to `%s`", target);
    if (t.base == NULL)
        return pier_error(err, 0, "hard link to the layer's root");
    if (strcmp(t.buf, p->buf) == 0)
        return 0; /* to itself: nothing to do */
    char dir[PATH_MAX];
    memcpy(dir, t.buf, t.dirlen);
    dir[t.dirlen] = '\0';
    cleanup_close int tparent = img_open_in_root(u->root, dir, O_PATH | O_DIRECTORY);
    struct stat st;
    if (tparent < 0 || fstatat(tparent, t.base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return pier_error(err, 0, "hard link to `%s`, which is not in the layer", target);
        return pier_error(err, errno, "hard link to `%s`", target);
    }
    if (S_ISDIR(st.st_mode))
        return pier_error(err, 0, "hard link to `%s`, a directory", target);
    if (img_clear_path(parent, p->base, false, &u->dc, err) < 0)
        return -1;
    if (linkat(tparent, t.base, parent, p->base, 0) < 0)
        return pier_error(err, errno, "hard link to `%s`", target);
    return 0;
}

static int make_node(int parent, const char *base, struct archive_entry *e, pier_err_t *err)
{
    mode_t type = archive_entry_filetype(e);
    dev_t dev = 0;
    if (type == AE_IFCHR || type == AE_IFBLK)
        dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (mknodat(parent, base, type | 0600, dev) < 0)
        return pier_error(err, errno, "mknod");
    return set_meta_at(parent, base, e, true, err);
}

/* `.wh..wh..opq`: the directory hides what lower layers hold in it;
 * `.wh.NAME`: NAME is deleted from the lower layers. */
static int whiteout(struct unpack *u, const struct img_path *p, struct archive_entry *e,
                    pier_err_t *err)
{
    int parent = img_parent_dir(u->root, &u->dc, p, err);
    if (parent < 0)
        return -1;
    if (strcmp(p->base, WH_OPAQUE) == 0) {
        cleanup_close int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return pier_error(err, errno, "open its directory");
        if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
            return pier_error(err, errno, "set %s", OPAQUE_XATTR);
        return 0;
    }
    /* aufs' own bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content. */
    if (strncmp(p->base, WH_META_PREFIX, strlen(WH_META_PREFIX)) == 0)
        return 0;
    const char *name = p->base + strlen(WH_PREFIX);
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return pier_error(err, 0, "whiteout of no name");
    if (img_clear_path(parent, name, false, &u->dc, err) < 0)
        return -1;
    if (mknodat(parent, name, S_IFCHR, makedev(0, 0)) < 0)
        return pier_error(err, errno, "mknod whiteout `%s`", name);
    uid_t uid;
    gid_t gid;
    if (entry_owner(e, &uid, &gid, err) < 0)
        return -1;
    if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "chown whiteout `%s`", name);
    return 0;
}

static int root_entry(struct unpack *u, struct archive_entry *e, pier_err_t *err)
{
    if (archive_entry_hardlink(e) != NULL || archive_entry_filetype(e) != AE_IFDIR)
        return pier_error(err, 0, "the layer's root must be a directory");
    cleanup_close int fd = openat(u->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open the layer's root");
    if (set_meta_fd(fd, e, err) < 0)
        return -1;
    return remember_dir_time(u, "", e, err);
}

static int apply(struct unpack *u, struct archive_entry *e, const char *name, pier_err_t *err)
{
    struct img_path p;
    if (img_path_clean(name, &p, err) < 0)
        return -1;
    if (p.base == NULL)
        return root_entry(u, e, err);
    if (strncmp(p.base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
        return whiteout(u, &p, e, err);
    int parent = img_parent_dir(u->root, &u->dc, &p, err);
    if (parent < 0)
        return -1;
    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink != NULL)
        return make_hardlink(u, parent, &p, hardlink, err);
    mode_t type = archive_entry_filetype(e);
    if (img_clear_path(parent, p.base, type == AE_IFDIR, &u->dc, err) < 0)
        return -1;
    switch (type) {
    case AE_IFREG:
        if (make_file(u, parent, p.base, e, err) < 0)
            return -1;
        /* a sparse file's bytes in the tar are not its content */
        if (archive_entry_sparse_count(e) > 0)
            img_tarsplit_doubt(u->o->split);
        else if (archive_entry_size(e) > 0)
            img_tarsplit_file(u->o->split, u->r->entries, name, p.buf, archive_entry_size(e));
        return 0;
    case AE_IFDIR:
        return make_dir(u, parent, p.base, p.buf, e, err);
    case AE_IFLNK:
        return make_symlink(parent, &p, e, err);
    case AE_IFIFO:
    case AE_IFCHR:
    case AE_IFBLK:
        return make_node(parent, p.base, e, err);
    default:
        return pier_error(err, 0, "unsupported entry type 0%o", (unsigned)type);
    }
}

/* Last, directory times, in reverse order; a directory since replaced is
 * skipped. */
static int apply_dir_times(struct unpack *u, pier_err_t *err)
{
    for (size_t i = u->ndirs; i-- > 0;) {
        cleanup_close int fd =
            img_open_in_root(u->root, u->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                continue;
            return pier_error(err, errno, "open `%s`", u->dirs[i].path);
        }
        if (futimens(fd, u->dirs[i].ts) < 0)
            return pier_error(err, errno, "set the times of `%s`", u->dirs[i].path);
    }
    return 0;
}

static void unpack_free(struct unpack *u)
{
    img_dircache_drop(&u->dc);
    for (size_t i = 0; i < u->ndirs; i++)
        free(u->dirs[i].path);
    free(u->dirs);
}

int img_unpack_entries(struct archive *a, int rootfd, const struct img_unpack_opts *o,
                       struct img_unpack_result *res, pier_err_t *err)
{
    struct unpack u = {.a = a, .root = rootfd, .o = o, .r = res, .dc = {.fd = -1}};
    uint64_t max = o->max_entries ? o->max_entries : IMG_LAYER_MAX_ENTRIES;
    int ret = 0;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        /* ARCHIVE_WARN: a name not in this locale's charset; its bytes
         * are still there, as on disk. */
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            ret = pier_error(err, 0, "read the tar after %llu entries: %s",
                             (unsigned long long)res->entries, archive_error_string(a));
            break;
        }
        if (++res->entries > max) {
            ret = pier_error(err, 0, "more than %llu entries", (unsigned long long)max);
            break;
        }
        const char *name = archive_entry_pathname(e);
        if (name == NULL)
            name = "";
        if (apply(&u, e, name, err) < 0) {
            char label[160];
            ret = pier_error_wrap(err, "layer entry `%s`",
                                  img_entry_label(name, label, sizeof label));
            break;
        }
    }
    if (ret == 0)
        ret = apply_dir_times(&u, err);
    /* an entry that replaced another may have taken a file named to the
     * tar-split */
    if (u.dc.cleared > 0)
        img_tarsplit_doubt(o->split);
    unpack_free(&u);
    return ret;
}
