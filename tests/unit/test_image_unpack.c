/* The layer unpacker: what a layer holds lands in its directory in
 * overlayfs form, and no tar, however hostile, writes outside it.  Each
 * hostile case checks that the tree beside the target (with a sentinel
 * file) and /etc/passwd are untouched, and that a refusal names the
 * entry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/image/unpack.h"
#include "image_tar.h"
#include "unit.h"

struct env {
    char target[512], outside[512];
    char *before;
    struct stat passwd;
    pier_err_t err;
    struct img_unpack_result res;
};

static bool env_init(struct env *v, const char *dir)
{
    memset(v, 0, sizeof *v);
    snprintf(v->target, sizeof v->target, "%s/target", dir);
    snprintf(v->outside, sizeof v->outside, "%s/outside", dir);
    char sentinel[600];
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", v->outside);
    if (mkdir(v->target, 0755) < 0 || mkdir(v->outside, 0755) < 0)
        return false;
    pier_err_t err = NULL;
    if (pier_write_file_atomic_at(AT_FDCWD, sentinel, "original", 8, 0644, 0, &err) < 0) {
        pier_error_free(&err);
        return false;
    }
    v->before = tree_snapshot(v->outside);
    return v->before != NULL && stat("/etc/passwd", &v->passwd) == 0;
}

static void env_free(struct env *v)
{
    free(v->before);
    pier_error_free(&v->err);
}

/* Unpack entries into the target; the return of img_unpack_stream. */
static int unpack(struct env *v, const struct tar_entry *e, size_t n, const char *compression)
{
    cleanup_close int fd = tar_fd(e, n, compression);
    cleanup_close int root = open(v->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || root < 0)
        return -2;
    struct img_unpack_opts o = {.blob_fd = -1};
    pier_error_free(&v->err);
    return img_unpack_stream(fd, root, &o, &v->res, &v->err);
}

/* Nothing beside the target changed, nor /etc/passwd. */
static bool untouched(struct env *v)
{
    char *now = tree_snapshot(v->outside);
    bool same = now != NULL && strcmp(now, v->before) == 0;
    free(now);
    struct stat st;
    return same && stat("/etc/passwd", &st) == 0 && st.st_size == v->passwd.st_size &&
           st.st_nlink == v->passwd.st_nlink && st.st_mtim.tv_sec == v->passwd.st_mtim.tv_sec &&
           st.st_mtim.tv_nsec == v->passwd.st_mtim.tv_nsec;
}

static char *read_at(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, path, 1 << 20, &s, NULL, &err) < 0)
        pier_error_free(&err);
    return s;
}

static bool lstat_at(const char *dir, const char *name, struct stat *st)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, st) == 0;
}

#define SETUP()                                                                                    \
    cleanup_dir char *dir = scratch_dir();                                                         \
    CHECK(dir != NULL);                                                                            \
    struct env v;                                                                                  \
    CHECK(env_init(&v, dir))

#define REFUSED(entry_name, why)                                                                   \
    do {                                                                                           \
        CHECK(rc == -1);                                                                           \
        CHECK_CONTAINS(pier_error_msg(v.err), "layer entry `" entry_name);                         \
        CHECK_CONTAINS(pier_error_msg(v.err), why);                                                \
        CHECK(untouched(&v));                                                                      \
    } while (0)

TEST(image_unpack_files_modes_owners_times)
{
    SETUP();
    struct tar_entry e[] = {
        {.name = "./", .type = 'd', .mode = 0751, .mtime = 1600000000},
        {.name = "etc/", .type = 'd', .mode = 0755, .mtime = 1500000000},
        {.name = "etc/motd",
         .type = 'f',
         .data = "hello\n",
         .mode = 0640,
         .uid = 1000,
         .gid = 1001,
         .mtime = 1400000000},
        {.name = "bin/su", .type = 'f', .data = "#!", .mode = 04755},
        {.name = "etc/link", .type = 'l', .data = "motd", .uid = 7, .gid = 8},
        {.name = "etc/hard", .type = 'h', .data = "etc/motd"},
        {.name = "run/fifo", .type = 'p', .mode = 0620},
        {.name = "dev/null", .type = 'c', .major = 1, .minor = 3, .mode = 0666},
        {.name = "etc/attr", .type = 'f', .data = "x", .xattr = "user.pier=yes"},
        {.name = "etc/redirect", .type = 'd', .xattr = "trusted.overlay.redirect=/etc"},
    };
    int rc = unpack(&v, e, ARRAY_SIZE(e), "none");
    CHECK(rc == 0);
    CHECK(v.res.entries == ARRAY_SIZE(e));
    CHECK(v.res.size == 6 + 2 + 1);
    CHECK_STR(v.res.compression, "none");
    cleanup_free char *motd = read_at(v.target, "etc/motd");
    CHECK_STR(motd, "hello\n");
    struct stat st, st2;
    CHECK(lstat_at(v.target, "etc/motd", &st));
    CHECK((st.st_mode & 07777) == 0640 && st.st_uid == 1000 && st.st_gid == 1001);
    CHECK(st.st_mtim.tv_sec == 1400000000);
    CHECK(lstat_at(v.target, "bin/su", &st) && (st.st_mode & 07777) == 04755);
    /* A missing parent is made 0755, as Docker does. */
    CHECK(lstat_at(v.target, "bin", &st) && (st.st_mode & 07777) == 0755);
    CHECK(lstat_at(v.target, "etc/link", &st) && S_ISLNK(st.st_mode) && st.st_uid == 7);
    CHECK(lstat_at(v.target, "etc/hard", &st2) && lstat_at(v.target, "etc/motd", &st));
    CHECK(st.st_ino == st2.st_ino && st.st_nlink == 2);
    CHECK(lstat_at(v.target, "run/fifo", &st) && S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0620);
    CHECK(lstat_at(v.target, "dev/null", &st) && S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
    /* Directory times are set after their entries went in. */
    CHECK(lstat_at(v.target, "etc", &st) && st.st_mtim.tv_sec == 1500000000);
    CHECK(lstat(v.target, &st) == 0 && st.st_mtim.tv_sec == 1600000000);
    CHECK((st.st_mode & 07777) == 0751);
    char path[600], val[16];
    snprintf(path, sizeof path, "%s/etc/attr", v.target);
    ssize_t n = getxattr(path, "user.pier", val, sizeof val);
    CHECK(n == 3 && memcmp(val, "yes", 3) == 0);
    /* Overlay redirects from a tar are dropped. */
    snprintf(path, sizeof path, "%s/etc/redirect", v.target);
    CHECK(getxattr(path, "trusted.overlay.redirect", val, sizeof val) < 0);
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_whiteouts_in_overlay_form)
{
    SETUP();
    struct tar_entry e[] = {
        {.name = "etc/", .type = 'd'},
        {.name = "etc/.wh.passwd", .type = 'f'},
        {.name = "opt/", .type = 'd'},
        {.name = "opt/.wh..wh..opq", .type = 'f'},
        {.name = "opt/new", .type = 'f', .data = "n"},
        {.name = ".wh..wh.plnk", .type = 'd'},
        {.name = "var/.wh.cache", .type = 'f'},
    };
    int rc = unpack(&v, e, ARRAY_SIZE(e), "none");
    CHECK(rc == 0);
    struct stat st;
    CHECK(lstat_at(v.target, "etc/passwd", &st) && S_ISCHR(st.st_mode) && st.st_rdev == 0);
    CHECK(!lstat_at(v.target, "etc/.wh.passwd", &st));
    CHECK(lstat_at(v.target, "var/cache", &st) && S_ISCHR(st.st_mode) && st.st_rdev == 0);
    CHECK(!lstat_at(v.target, ".wh..wh.plnk", &st));
    char path[600], val[4];
    snprintf(path, sizeof path, "%s/opt", v.target);
    ssize_t n = getxattr(path, "trusted.overlay.opaque", val, sizeof val);
    CHECK(n == 1 && val[0] == 'y');
    CHECK(lstat_at(v.target, "opt/new", &st) && S_ISREG(st.st_mode));
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_later_entries_replace_earlier)
{
    SETUP();
    struct tar_entry e[] = {
        {.name = "a", .type = 'f', .data = "file"},
        {.name = "a/", .type = 'd'},
        {.name = "a/x", .type = 'f', .data = "x"},
        {.name = "b/", .type = 'd'},
        {.name = "b/y", .type = 'f', .data = "y"},
        {.name = "b", .type = 'f', .data = "now a file"},
        {.name = "c/", .type = 'd', .mode = 0700},
        {.name = "c/z", .type = 'f', .data = "z"},
        {.name = "c/", .type = 'd', .mode = 0750},
    };
    int rc = unpack(&v, e, ARRAY_SIZE(e), "none");
    CHECK(rc == 0);
    struct stat st;
    CHECK(lstat_at(v.target, "a", &st) && S_ISDIR(st.st_mode));
    cleanup_free char *b = read_at(v.target, "b");
    CHECK_STR(b, "now a file");
    /* A directory entry merges into the one there. */
    CHECK(lstat_at(v.target, "c/z", &st));
    CHECK(lstat_at(v.target, "c", &st) && (st.st_mode & 07777) == 0750);
    env_free(&v);
}

TEST(image_unpack_every_compression)
{
    static const char *const kinds[] = {"none", "gzip", "bzip2", "xz", "zstd"};
    struct tar_entry e[] = {{.name = "f", .type = 'f', .data = "same content"}};
    char first[72] = "";
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        SETUP();
        int rc = unpack(&v, e, 1, kinds[i]);
        if (rc != 0)
            printf("    %s: %s\n", kinds[i], pier_error_msg(v.err));
        CHECK(rc == 0);
        CHECK_STR(v.res.compression, kinds[i]);
        /* The diff id is of the uncompressed tar, whatever came in. */
        if (i == 0)
            memcpy(first, v.res.diff_id, sizeof first);
        CHECK_STR(v.res.diff_id, first);
        CHECK(i == 0 || strcmp(v.res.digest, v.res.diff_id) != 0);
        env_free(&v);
    }
}

TEST(image_unpack_refuses_garbage_and_empty_input)
{
    SETUP();
    cleanup_close int root = open(v.target, O_RDONLY | O_DIRECTORY);
    struct img_unpack_opts o = {.blob_fd = -1};
    int fd = memfd_create("x", 0);
    CHECK(fd >= 0);
    CHECK(img_unpack_stream(fd, root, &o, &v.res, &v.err) == -1);
    CHECK_CONTAINS(pier_error_msg(v.err), "empty");
    CHECK(write(fd, "this is not a tar at all, not even close.", 41) == 41);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    pier_error_free(&v.err);
    CHECK(img_unpack_stream(fd, root, &o, &v.res, &v.err) == -1);
    close(fd);
    /* A gzip stream cut short. */
    char *gz = NULL;
    size_t len = 0;
    struct tar_entry e[] = {{.name = "f", .type = 'f', .data = "some data to compress"}};
    CHECK(tar_bytes(e, 1, "gzip", &gz, &len) == 0);
    fd = memfd_create("x", 0);
    CHECK(write(fd, gz, len / 2) == (ssize_t)(len / 2));
    free(gz);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    pier_error_free(&v.err);
    CHECK(img_unpack_stream(fd, root, &o, &v.res, &v.err) == -1);
    close(fd);
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_caps_the_uncompressed_size)
{
    SETUP();
    static char big[1 << 16];
    memset(big, 'a', sizeof big - 1);
    struct tar_entry e[] = {{.name = "big", .type = 'f', .data = big}};
    cleanup_close int fd = tar_fd(e, 1, "gzip");
    cleanup_close int root = open(v.target, O_RDONLY | O_DIRECTORY);
    struct img_unpack_opts o = {.blob_fd = -1, .max_bytes = 8192};
    CHECK(img_unpack_stream(fd, root, &o, &v.res, &v.err) == -1);
    CHECK_CONTAINS(pier_error_msg(v.err), "larger than the limit of 8192 bytes");
    env_free(&v);
}

/* --- hostile tars --- */

TEST(image_unpack_escape_absolute_path)
{
    SETUP();
    char name[600];
    snprintf(name, sizeof name, "%s/pwned", v.outside);
    struct tar_entry e[] = {{.name = name, .type = 'f', .data = "PWNED"}};
    int rc = unpack(&v, e, 1, "none");
    CHECK(rc == -1);
    CHECK_CONTAINS(pier_error_msg(v.err), name);
    CHECK_CONTAINS(pier_error_msg(v.err), "absolute path");
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_escape_dotdot)
{
    SETUP();
    struct tar_entry e1[] = {{.name = "../outside/pwned", .type = 'f', .data = "PWNED"}};
    int rc = unpack(&v, e1, 1, "none");
    REFUSED("../outside/pwned", "`..` in the path");
    struct tar_entry e2[] = {{.name = "a/", .type = 'd'},
                             {.name = "a/../../outside/sentinel", .type = 'f', .data = "PWNED"}};
    rc = unpack(&v, e2, 2, "none");
    REFUSED("a/../../outside/sentinel", "`..` in the path");
    struct tar_entry e3[] = {{.name = "../.wh.sentinel", .type = 'f'}};
    rc = unpack(&v, e3, 1, "none");
    REFUSED("../.wh.sentinel", "`..`");
    env_free(&v);
}

TEST(image_unpack_escape_symlink_then_write_through_it)
{
    SETUP();
    /* A relative link climbing out is refused, as Docker refuses it. */
    struct tar_entry e1[] = {{.name = "esc", .type = 'l', .data = "../outside"},
                             {.name = "esc/pwned", .type = 'f', .data = "PWNED"}};
    int rc = unpack(&v, e1, 2, "none");
    REFUSED("esc", "points outside the layer");
    /* An absolute one names a path in the layer: followed there, where
     * nothing is. */
    struct tar_entry e2[] = {{.name = "abs", .type = 'l', .data = v.outside},
                             {.name = "abs/pwned", .type = 'f', .data = "PWNED"}};
    rc = unpack(&v, e2, 2, "none");
    REFUSED("abs/pwned", "symbolic link to nothing");
    /* A link to / then a write through it stays in the layer. */
    struct tar_entry e3[] = {{.name = "root", .type = 'l', .data = "/"},
                             {.name = "root/etc/passwd", .type = 'f', .data = "PWNED"}};
    rc = unpack(&v, e3, 2, "none");
    CHECK(rc == 0);
    cleanup_free char *inside = read_at(v.target, "etc/passwd");
    CHECK_STR(inside, "PWNED");
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_escape_hardlink_to_host_file)
{
    SETUP();
    struct tar_entry e1[] = {{.name = "h", .type = 'h', .data = "/etc/passwd"}};
    int rc = unpack(&v, e1, 1, "none");
    REFUSED("h", "hard link to `/etc/passwd`: absolute path");
    struct tar_entry e2[] = {{.name = "h", .type = 'h', .data = "../outside/sentinel"}};
    rc = unpack(&v, e2, 1, "none");
    REFUSED("h", "`..` in the path");
    /* Through a symlink: resolved in the layer, where there is no passwd. */
    struct tar_entry e3[] = {{.name = "s", .type = 'l', .data = "/etc"},
                             {.name = "h", .type = 'h', .data = "s/passwd"}};
    rc = unpack(&v, e3, 2, "none");
    REFUSED("h", "hard link to `s/passwd`, which is not in the layer");
    /* A link to itself: a loop, refused. */
    struct tar_entry e5[] = {{.name = "etc", .type = 'l', .data = "/etc"},
                             {.name = "h", .type = 'h', .data = "etc/passwd"}};
    rc = unpack(&v, e5, 2, "none");
    REFUSED("h", "Too many levels of symbolic links");
    char abs[600];
    snprintf(abs, sizeof abs, "%s/sentinel", v.outside);
    struct tar_entry e4[] = {{.name = "s", .type = 'l', .data = abs},
                             {.name = "h", .type = 'h', .data = "s"},
                             {.name = "h", .type = 'f', .data = "PWNED"}};
    rc = unpack(&v, e4, 3, "none");
    CHECK(rc == 0);
    cleanup_free char *h = read_at(v.target, "h");
    CHECK_STR(h, "PWNED");
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_escape_symlink_chain)
{
    SETUP();
    struct tar_entry e1[] = {{.name = "l1", .type = 'l', .data = "l2"},
                             {.name = "l2", .type = 'l', .data = "l3"},
                             {.name = "l3", .type = 'l', .data = "/../../.."},
                             {.name = "l1/pwned", .type = 'f', .data = "PWNED"}};
    int rc = unpack(&v, e1, 4, "none");
    CHECK(rc == 0);
    cleanup_free char *p = read_at(v.target, "pwned");
    CHECK_STR(p, "PWNED");
    CHECK(untouched(&v));
    /* Lexically inside, physically above the root: held at the root. */
    struct tar_entry e2[] = {{.name = "d/", .type = 'd'},
                             {.name = "d/up", .type = 'l', .data = ".."},
                             {.name = "d/up2", .type = 'l', .data = "up/.."},
                             {.name = "d/up2/pwned2", .type = 'f', .data = "x"}};
    rc = unpack(&v, e2, 4, "none");
    CHECK(rc == 0);
    struct stat st;
    CHECK(lstat_at(v.target, "pwned2", &st) && S_ISREG(st.st_mode));
    CHECK(untouched(&v));
    struct tar_entry e4[] = {{.name = "e/", .type = 'd'},
                             {.name = "e/up", .type = 'l', .data = "../.."}};
    rc = unpack(&v, e4, 2, "none");
    REFUSED("e/up", "points outside the layer");
    /* A loop is an error, not a hang. */
    struct tar_entry e3[] = {{.name = "x1", .type = 'l', .data = "x2"},
                             {.name = "x2", .type = 'l', .data = "x1"},
                             {.name = "x1/f", .type = 'f', .data = "x"}};
    rc = unpack(&v, e3, 3, "none");
    REFUSED("x1/f", "x1");
    env_free(&v);
}

TEST(image_unpack_escape_file_then_symlink_of_same_name)
{
    SETUP();
    char abs[600];
    snprintf(abs, sizeof abs, "%s/sentinel", v.outside);
    struct tar_entry e[] = {{.name = "f", .type = 'f', .data = "first"},
                            {.name = "f", .type = 'l', .data = abs},
                            {.name = "f", .type = 'f', .data = "PWNED"},
                            {.name = "d", .type = 'l', .data = v.outside},
                            {.name = "d", .type = 'd', .mode = 0777},
                            {.name = "n", .type = 'c', .major = 1, .minor = 3},
                            {.name = "n", .type = 'f', .data = "not into /dev/null"}};
    int rc = unpack(&v, e, ARRAY_SIZE(e), "none");
    CHECK(rc == 0);
    struct stat st;
    cleanup_free char *f = read_at(v.target, "f");
    CHECK_STR(f, "PWNED");
    CHECK(lstat_at(v.target, "d", &st) && S_ISDIR(st.st_mode));
    cleanup_free char *n = read_at(v.target, "n");
    CHECK_STR(n, "not into /dev/null");
    CHECK(lstat_at(v.target, "n", &st) && S_ISREG(st.st_mode));
    CHECK(untouched(&v));
    env_free(&v);
}

TEST(image_unpack_escape_very_long_names)
{
    SETUP();
    char longname[400];
    memset(longname, 'n', 300);
    longname[300] = '\0';
    struct tar_entry e1[] = {{.name = longname, .type = 'f', .data = "x"}};
    int rc = unpack(&v, e1, 1, "none");
    REFUSED("nnnnnnnnnn", "a name longer than 255 bytes");
    /* Over PATH_MAX in all, each name short. */
    static char deep[6000];
    size_t w = 0;
    while (w + 101 < sizeof deep - 1) {
        memset(deep + w, 'd', 100);
        deep[w + 100] = '/';
        w += 101;
    }
    memcpy(deep + w, "f", 2);
    struct tar_entry e2[] = {{.name = deep, .type = 'f', .data = "x"}};
    rc = unpack(&v, e2, 1, "none");
    REFUSED("dddd", "path longer than 4095 bytes");
    /* A long symlink target. */
    static char target[5000];
    memset(target, 't', sizeof target - 1);
    struct tar_entry e3[] = {{.name = "l", .type = 'l', .data = target}};
    rc = unpack(&v, e3, 1, "none");
    REFUSED("l", "longer than");
    env_free(&v);
}

TEST(image_unpack_escape_deep_nesting)
{
    SETUP();
    static char deep[1200];
    size_t w = 0;
    for (int i = 0; i < 250; i++) {
        memcpy(deep + w, "a/", 2);
        w += 2;
    }
    memcpy(deep + w, "f", 2);
    struct tar_entry e[] = {{.name = deep, .type = 'f', .data = "x"}};
    int rc = unpack(&v, e, 1, "none");
    REFUSED("a/a/a/", "nested deeper than 200 directories");
    struct stat st;
    CHECK(!lstat_at(v.target, "a", &st));
    env_free(&v);
}

TEST(image_unpack_escape_root_replaced_or_whited_out)
{
    SETUP();
    struct tar_entry e1[] = {{.name = ".", .type = 'f', .data = "x"}};
    int rc = unpack(&v, e1, 1, "none");
    REFUSED(".", "the layer's root must be a directory");
    struct tar_entry e2[] = {{.name = ".wh..", .type = 'f'}};
    rc = unpack(&v, e2, 1, "none");
    REFUSED(".wh..", "whiteout of no name");
    env_free(&v);
}
