/* A directory in overlayfs form (a container's upper layer) as a layer tar:
 * whiteouts and opaque directories in docker's form, hard links and
 * symlinks kept, names sorted; unpacked again, the same tree.  Needs root
 * (whiteouts are device nodes, the opaque mark a trusted.* attribute). */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../src/image/internal.h"
#include "../../src/lib/buf.h"
#include "../../src/lib/cleanup.h"
#include "image_tar.h"
#include "unit.h"

/* "name type [-> link]" per entry of the tar at fd. */
static char *listing(int fd)
{
    struct buf b = BUF_INIT;
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    struct archive_entry *e;
    lseek(fd, 0, SEEK_SET);
    if (archive_read_open_fd(a, fd, 4096) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
        buf_printf(&b, "%s %o%s%s\n", archive_entry_pathname(e), (unsigned)archive_entry_mode(e),
                   hl || sl ? " -> " : "",
                   hl   ? hl
                   : sl ? sl
                        : "");
    }
    archive_read_free(a);
    return buf_steal(&b);
}

TEST(image_layer_tar_converts_whiteouts_and_round_trips)
{
    if (geteuid() != 0) {
        printf("    skipped: needs root\n");
        return;
    }
    cleanup_dir char *dir = scratch_dir();
    CHECK(dir != NULL);
    char upper[600], p[700];
    snprintf(upper, sizeof upper, "%s/upper", dir);
    CHECK(mkdir(upper, 0755) == 0);
    snprintf(p, sizeof p, "%s/a", upper);
    int f = open(p, O_WRONLY | O_CREAT, 0640);
    CHECK(f >= 0 && write(f, "xyz", 3) == 3);
    close(f);
    char p2[700];
    snprintf(p2, sizeof p2, "%s/a2", upper);
    CHECK(link(p, p2) == 0);
    snprintf(p, sizeof p, "%s/gone", upper);
    CHECK(mknod(p, S_IFCHR | 0600, makedev(0, 0)) == 0);
    snprintf(p, sizeof p, "%s/dir", upper);
    CHECK(mkdir(p, 0750) == 0);
    if (setxattr(p, "trusted.overlay.opaque", "y", 1, 0) < 0) {
        printf("    skipped: no trusted.* attributes on %s\n", dir);
        return;
    }
    snprintf(p, sizeof p, "%s/dir/f", upper);
    CHECK((f = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
    close(f);
    snprintf(p, sizeof p, "%s/ln", upper);
    CHECK(symlink("a", p) == 0);
    snprintf(p, sizeof p, "%s/sock", upper);
    CHECK(mknod(p, S_IFSOCK | 0600, 0) == 0);

    cleanup_close int dfd = open(upper, O_RDONLY | O_DIRECTORY);
    cleanup_close int out = open(dir, O_RDWR | O_TMPFILE, 0600);
    CHECK(dfd >= 0 && out >= 0);
    uint64_t entries = 0;
    pier_err_t err = NULL;
    CHECK(img_layer_tar(dfd, out, NULL, &entries, &err) == 0);
    CHECK(entries == 7);
    cleanup_free char *list = listing(out);
    CHECK_STR(list, "a 100640\n"
                    "a2 640 -> a\n" /* libarchive reads a hard link typeless */
                    "dir/ 40750\n"
                    "dir/.wh..wh..opq 100750\n"
                    "dir/f 100644\n"
                    ".wh.gone 100600\n"
                    "ln 120777 -> a\n");
    /* unpacked again: the same tree in overlayfs form, sockets left out */
    char back[600];
    snprintf(back, sizeof back, "%s/back", dir);
    CHECK(mkdir(back, 0755) == 0);
    cleanup_close int bfd = open(back, O_RDONLY | O_DIRECTORY);
    CHECK(bfd >= 0 && lseek(out, 0, SEEK_SET) == 0);
    struct img_unpack_opts opts = {.blob_fd = -1};
    struct img_unpack_result res;
    CHECK(img_unpack_stream(out, bfd, &opts, &res, &err) == 0);
    struct stat a, a2, gone, fst;
    char target[8] = "";
    CHECK(fstatat(bfd, "a", &a, 0) == 0 && fstatat(bfd, "a2", &a2, 0) == 0);
    CHECK(a.st_ino == a2.st_ino && a.st_size == 3 && (a.st_mode & 07777) == 0640);
    CHECK(fstatat(bfd, "gone", &gone, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(gone.st_mode) &&
          gone.st_rdev == makedev(0, 0));
    CHECK(readlinkat(bfd, "ln", target, sizeof target - 1) == 1 && target[0] == 'a');
    CHECK(fstatat(bfd, "dir/f", &fst, 0) == 0 && S_ISREG(fst.st_mode));
    CHECK(fstatat(bfd, "sock", &fst, AT_SYMLINK_NOFOLLOW) < 0);
    char v[4] = "";
    snprintf(p, sizeof p, "%s/dir", back);
    CHECK(getxattr(p, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y');
    /* an empty directory: no entry at all, docker's empty layer */
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    CHECK(mkdir(empty, 0755) == 0);
    cleanup_close int efd = open(empty, O_RDONLY | O_DIRECTORY);
    cleanup_close int eout = open(dir, O_RDWR | O_TMPFILE, 0600);
    CHECK(img_layer_tar(efd, eout, NULL, &entries, &err) == 0 && entries == 0);
    CHECK(lseek(eout, 0, SEEK_END) == 1024);
}

TEST(image_until_values_parse_as_docker_reads_them)
{
    int64_t sec;
    long nsec;
    CHECK(img_until_parse("1700000000", &sec, &nsec) == 0 && sec == 1700000000 && nsec == 0);
    CHECK(img_until_parse("1700000000.25", &sec, &nsec) == 0 && nsec == 250000000);
    CHECK(img_until_parse("2024-01-02T03:04:05Z", &sec, &nsec) == 0 && sec == 1704164645);
    CHECK(img_until_parse("2024-01-02T03:04:05.5+01:00", &sec, &nsec) == 0 &&
          sec == 1704164645 - 3600 && nsec == 500000000);
    time_t now = time(NULL);
    CHECK(img_until_parse("1h30m", &sec, &nsec) == 0 && llabs(sec - (now - 5400)) <= 2);
    CHECK(img_until_parse("90s", &sec, &nsec) == 0 && llabs(sec - (now - 90)) <= 2);
    CHECK(img_until_parse("2024-01-02", &sec, &nsec) == 0);
    CHECK(img_until_parse("soon", &sec, &nsec) < 0);
    CHECK(img_until_parse("1x", &sec, &nsec) < 0);
    CHECK(img_until_parse("", &sec, &nsec) < 0);
}

/* Mountpoints the engine made (empty, or directories holding only them)
 * are left out; a real change beside them is kept. */
TEST(image_layer_tar_leaves_the_engines_mountpoints_out)
{
    cleanup_dir char *dir = scratch_dir();
    CHECK(dir != NULL);
    static const char *const skip[] = {"etc/hosts", "etc/hostname", "proc", "dev", NULL};
    char p[700];
    const char *made[] = {"up", "up/etc", "up/proc", "up/dev"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, made[i]);
        CHECK(mkdir(p, 0755) == 0);
    }
    snprintf(p, sizeof p, "%s/up/etc/hosts", dir);
    int f = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(f >= 0);
    close(f);
    snprintf(p, sizeof p, "%s/up", dir);
    cleanup_close int dfd = open(p, O_RDONLY | O_DIRECTORY);
    cleanup_close int out = open(dir, O_RDWR | O_TMPFILE, 0600);
    uint64_t entries = 1;
    pier_err_t err = NULL;
    CHECK(img_layer_tar(dfd, out, skip, &entries, &err) == 0 && entries == 0);
    /* a file of its own in /etc, and a non-empty mountpoint: kept */
    snprintf(p, sizeof p, "%s/up/etc/real", dir);
    CHECK((f = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
    close(f);
    snprintf(p, sizeof p, "%s/up/proc/x", dir);
    CHECK((f = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
    close(f);
    cleanup_close int out2 = open(dir, O_RDWR | O_TMPFILE, 0600);
    CHECK(img_layer_tar(dfd, out2, skip, &entries, &err) == 0);
    cleanup_free char *list = listing(out2);
    CHECK_STR(list, "etc/ 40755\n"
                    "etc/real 100644\n"
                    "proc/ 40755\n"
                    "proc/x 100644\n");
}
