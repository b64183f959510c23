#include "image_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int set_filter(struct archive *a, const char *c)
{
    if (strcmp(c, "gzip") == 0)
        return archive_write_add_filter_gzip(a);
    if (strcmp(c, "bzip2") == 0)
        return archive_write_add_filter_bzip2(a);
    if (strcmp(c, "xz") == 0)
        return archive_write_add_filter_xz(a);
    if (strcmp(c, "zstd") == 0)
        return archive_write_add_filter_zstd(a);
    return archive_write_add_filter_none(a);
}

static int add(struct archive *a, const struct tar_entry *t)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, t->name);
    archive_entry_set_uid(e, t->uid);
    archive_entry_set_gid(e, t->gid);
    archive_entry_set_mtime(e, t->mtime ? t->mtime : 1700000000, 0);
    size_t size = 0;
    switch (t->type) {
    case 'd':
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, t->mode ? t->mode : 0755);
        break;
    case 'l':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t->data);
        archive_entry_set_perm(e, 0777);
        break;
    case 'h':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t->data);
        archive_entry_set_perm(e, t->mode ? t->mode : 0644);
        break;
    case 'c':
    case 'b':
        archive_entry_set_filetype(e, t->type == 'c' ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(e, t->major);
        archive_entry_set_rdevminor(e, t->minor);
        archive_entry_set_perm(e, t->mode ? t->mode : 0600);
        break;
    case 'p':
        archive_entry_set_filetype(e, AE_IFIFO);
        archive_entry_set_perm(e, t->mode ? t->mode : 0600);
        break;
    default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, t->mode ? t->mode : 0644);
        size = t->data ? strlen(t->data) : 0;
        archive_entry_set_size(e, (la_int64_t)size);
    }
    if (t->xattr != NULL) {
        char name[256];
        const char *eq = strchr(t->xattr, '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - t->xattr), t->xattr);
        archive_entry_xattr_add_entry(e, name, eq + 1, strlen(eq + 1));
    }
    int r = archive_write_header(a, e);
    if (r == ARCHIVE_OK && size > 0 && archive_write_data(a, t->data, size) != (la_ssize_t)size)
        r = ARCHIVE_FATAL;
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -1;
}

int tar_fd(const struct tar_entry *e, size_t n, const char *compression)
{
    return tar_fd_format(e, n, compression, "paxr");
}

int tar_fd_format(const struct tar_entry *e, size_t n, const char *compression, const char *format)
{
    int fd = memfd_create("tar", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    struct archive *a = archive_write_new();
    int ok = archive_write_set_format_by_name(a, format) == ARCHIVE_OK &&
             set_filter(a, compression) == ARCHIVE_OK &&
             archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
             archive_write_open_fd(a, fd) == ARCHIVE_OK;
    for (size_t i = 0; ok && i < n; i++)
        ok = add(a, &e[i]) == 0;
    if (archive_write_close(a) != ARCHIVE_OK)
        ok = 0;
    archive_write_free(a);
    if (!ok || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tar_bytes(const struct tar_entry *e, size_t n, const char *compression, char **out, size_t *len)
{
    int fd = tar_fd(e, n, compression);
    if (fd < 0)
        return -1;
    struct stat st;
    fstat(fd, &st);
    *out = malloc((size_t)st.st_size + 1);
    *len = (size_t)st.st_size;
    int ok = *out != NULL && read(fd, *out, *len) == (ssize_t)*len;
    close(fd);
    return ok ? 0 : -1;
}

static void snap(const char *path, const char *rel, char **buf, size_t *len, FILE *f)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[8192], r[8192], target[4096] = "";
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        snprintf(r, sizeof r, "%s/%s", rel, de->d_name);
        struct stat st;
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(p, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
        }
        fprintf(f, "%s %o %lld %lu %lld.%09ld %s\n", r, st.st_mode, (long long)st.st_size,
                (unsigned long)st.st_nlink, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                target);
        if (S_ISDIR(st.st_mode))
            snap(p, r, buf, len, f);
    }
    closedir(d);
}

char *tree_snapshot(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    struct stat st;
    if (lstat(path, &st) == 0)
        fprintf(f, ". %o %lld.%09ld\n", st.st_mode, (long long)st.st_mtim.tv_sec,
                st.st_mtim.tv_nsec);
    snap(path, "", &buf, &len, f);
    fclose(f);
    return buf;
}

char *scratch_dir(void)
{
    char *d = strdup("/tmp/pier-unit-img.XXXXXX");
    if (d != NULL && mkdtemp(d) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}
