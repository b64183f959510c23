/* Where the files of a plain tar are, read once: a docker archive's
 * entries come in any order (docker writes its layers before
 * manifest.json), and layers must be unpacked in the manifest's order, so
 * the loader reads each file's bytes straight from the tar by offset
 * instead of unpacking the archive first, as docker does.
 *
 * libarchive's tar reader has consumed exactly an entry's headers (pax and
 * GNU extensions included) when it returns it: the position of its input
 * is then where the entry's data begins. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "archive.h"

#define MAX_HOPS 16

void img_archive_index_free(struct img_archive_index *idx)
{
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->e[i].name);
        free(idx->e[i].link);
    }
    free(idx->e);
    idx->e = NULL;
    idx->n = 0;
}

/* a/b/../c as c's folder sees it: ".." allowed while it stays inside. */
static int resolve(const char *in, char *out, size_t cap, pier_err_t *err)
{
    size_t o = 0;
    if (in[0] == '/')
        return pier_error(err, 0, "\"%s\" is an absolute path", in);
    if (strlen(in) >= cap)
        return pier_error(err, 0, "a path longer than %zu bytes", cap - 1);
    for (const char *p = in; *p;) {
        const char *e = strchrnul(p, '/');
        size_t len = (size_t)(e - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0)
                return pier_error(err, 0, "\"%s\" climbs out of the archive (..)", in);
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (o > 0)
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = *e ? e + 1 : e;
    }
    out[o] = '\0';
    return 0;
}

static int add(struct img_archive_index *idx, size_t *cap, struct img_archive_entry *e,
               pier_err_t *err)
{
    if (idx->n == IMG_ARCHIVE_MAX_ENTRIES)
        return pier_error(err, 0, "more than %d entries", IMG_ARCHIVE_MAX_ENTRIES);
    if (idx->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct img_archive_entry *v = realloc(idx->e, c * sizeof *v);
        if (v == NULL)
            return pier_error(err, ENOMEM, "index the archive");
        idx->e = v;
        *cap = c;
    }
    e->seq = idx->n;
    idx->e[idx->n++] = *e;
    return 0;
}

/* One entry: a regular file where its data is, a link where it points. */
static int entry(struct archive *a, struct archive_entry *ae, struct img_archive_index *idx,
                 size_t *cap, pier_err_t *err)
{
    const char *raw = archive_entry_pathname(ae);
    if (raw == NULL)
        return pier_error(err, 0, "an entry without a name");
    char name[IMG_ARCHIVE_PATH_MAX];
    const char *hard = archive_entry_hardlink(ae);
    mode_t type = archive_entry_filetype(ae);
    if (type == AE_IFDIR || (hard == NULL && type != AE_IFREG && type != AE_IFLNK))
        return 0; /* folders, devices, fifos: nothing a loader reads */
    if (img_archive_path(raw, name, sizeof name, err) < 0)
        return pier_error_wrap(err, "entry");
    struct img_archive_entry e = {.offset = -1, .size = -1};
    char target[IMG_ARCHIVE_PATH_MAX];
    if (hard != NULL) {
        if (img_archive_path(hard, target, sizeof target, err) < 0)
            return pier_error_wrap(err, "entry %s: hard link", name);
        e.link = strdup(target);
    } else if (type == AE_IFLNK) {
        const char *to = archive_entry_symlink(ae);
        if (to == NULL || *to == '\0')
            return pier_error(err, 0, "entry %s: a symlink without a target", name);
        /* relative to the link's folder; resolved when looked up */
        const char *slash = strrchr(name, '/');
        int n = snprintf(target, sizeof target, "%.*s%s%s", slash ? (int)(slash - name) : 0, name,
                         slash ? "/" : "", to);
        if (n < 0 || (size_t)n >= sizeof target)
            return pier_error(err, 0, "entry %s: symlink target too long", name);
        e.link = strdup(target);
        e.symlink = true;
    } else {
        if (archive_entry_sparse_count(ae) > 0)
            return pier_error(err, 0, "entry %s: a sparse file", name);
        e.offset = archive_filter_bytes(a, 0);
        e.size = archive_entry_size(ae);
        if (e.offset < 0 || e.size < 0)
            return pier_error(err, 0, "entry %s: no size or position", name);
    }
    e.name = strdup(name);
    if (e.name == NULL || (e.offset < 0 && e.link == NULL) || add(idx, cap, &e, err) < 0) {
        free(e.name);
        free(e.link);
        return err && *err ? -1 : pier_error(err, ENOMEM, "index the archive");
    }
    return 0;
}

/* By name; a name given twice is its last entry, as tar extracts it. */
static int by_name(const void *a, const void *b)
{
    const struct img_archive_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int img_archive_index_read(int fd, struct img_archive_index *idx, pier_err_t *err)
{
    memset(idx, 0, sizeof *idx);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return pier_error(err, errno, "read the archive: not seekable");
    struct archive *a = archive_read_new();
    if (a == NULL)
        return pier_error(err, ENOMEM, "libarchive");
    size_t cap = 0;
    int ret = 0;
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open_fd(a, fd, 64 << 10) != ARCHIVE_OK) {
        ret = pier_error(err, 0, "not a tar archive: %s", archive_error_string(a));
        goto out;
    }
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            ret = pier_error(err, 0, "read the archive%s: %s", idx->n ? "" : " (is it a tar?)",
                             archive_error_string(a));
            goto out;
        }
        if (entry(a, ae, idx, &cap, err) < 0) {
            ret = pier_error_wrap(err, "read the archive");
            goto out;
        }
    }
    /* Sorted by name, then by place: the last of a name comes last. */
    if (idx->n > 0)
        qsort(idx->e, idx->n, sizeof *idx->e, by_name);
out:
    archive_read_free(a);
    if (ret < 0)
        img_archive_index_free(idx);
    return ret;
}

static const struct img_archive_entry *find(const struct img_archive_index *idx, const char *name)
{
    size_t lo = 0, hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx->e[mid].name, name) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* lo is past the last entry <= name */
    if (lo > 0 && strcmp(idx->e[lo - 1].name, name) == 0)
        return &idx->e[lo - 1];
    return NULL;
}

const struct img_archive_entry *img_archive_lookup(const struct img_archive_index *idx,
                                                   const char *path, pier_err_t *err)
{
    char cur[IMG_ARCHIVE_PATH_MAX];
    if (resolve(path, cur, sizeof cur, err) < 0)
        return NULL;
    for (int hop = 0; hop <= MAX_HOPS; hop++) {
        const struct img_archive_entry *e = find(idx, cur);
        if (e == NULL) {
            pier_error(err, 0, "the archive has no file %s%s%s", path,
                       strcmp(cur, path) ? " -> " : "", strcmp(cur, path) ? cur : "");
            return NULL;
        }
        if (e->link == NULL)
            return e;
        char next[IMG_ARCHIVE_PATH_MAX];
        if (resolve(e->link, next, sizeof next, err) < 0) {
            pier_error_wrap(err, "%s: link %s", path, e->name);
            return NULL;
        }
        snprintf(cur, sizeof cur, "%s", next);
    }
    pier_error(err, 0, "%s: more than %d links in a row", path, MAX_HOPS);
    return NULL;
}

int img_archive_read(int fd, const struct img_archive_entry *e, size_t max, char **out, size_t *len,
                     pier_err_t *err)
{
    if (e->size < 0 || (uint64_t)e->size > max)
        return pier_error(err, 0, "%s: larger than %zu bytes", e->name, max);
    size_t n = (size_t)e->size;
    cleanup_free char *buf = malloc(n + 1);
    if (buf == NULL)
        return pier_error(err, ENOMEM, "read %s", e->name);
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, buf + got, n - got, e->offset + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return pier_error(err, errno, "read %s", e->name);
        if (r == 0)
            return pier_error(err, 0, "read %s: the archive ends in it", e->name);
        got += (size_t)r;
    }
    buf[n] = '\0';
    *out = steal_pointer(&buf);
    *len = n;
    return 0;
}
