/* A docker archive read in one pass, as it arrives: its entries come in
 * any order (docker writes its layers before manifest.json, which says
 * what they are), so each regular file is either kept in memory (the small
 * ones: manifest.json, configs, repositories) or handed to the caller as
 * its bytes come (the layers), and what names point where is noted; the
 * caller makes sense of it all at the end, from manifest.json. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "archive.h"

#define READ_BLOCK (256u << 10)
#define MAX_HOPS 16

void img_archive_index_free(struct img_archive_index *idx)
{
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->e[i].name);
        free(idx->e[i].link);
        free(idx->e[i].data);
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

/* The input, for libarchive: what it read, and whether it ended whole. */
struct input {
    int fd;
    unsigned char *buf;
    uint64_t total;
    const struct img_archive_scan *ops;
    pier_err_t err; /* why the input failed, when it did */
};

/* The input's own error, as the scan's (the archive's is a copy of it). */
static int input_failed(struct input *in, pier_err_t *err)
{
    pier_error_free(err);
    if (err != NULL)
        *err = in->err;
    else
        pier_error_free(&in->err);
    in->err = NULL;
    return -1;
}

static la_ssize_t input_read(struct archive *a, void *data, const void **out)
{
    struct input *in = data;
    ssize_t n;
    do
        n = read(in->fd, in->buf, READ_BLOCK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        pier_error(&in->err, errno, "read the archive");
        archive_set_error(a, errno, "%s", pier_error_msg(in->err));
        return -1;
    }
    if (n == 0 && in->ops->input_end != NULL && in->err == NULL &&
        in->ops->input_end(in->ops->data, &in->err) < 0) {
        archive_set_error(a, EIO, "%s", pier_error_msg(in->err));
        return -1;
    }
    in->total += (uint64_t)n;
    *out = in->buf;
    return n;
}

/* An entry's data, the first block kept back while the scan decided. */
struct img_archive_in {
    struct archive *a;
    const void *first;
    size_t first_len;
    const char *name;
};

int img_archive_in_read(struct img_archive_in *in, const void **buf, size_t *len, pier_err_t *err)
{
    if (in->first != NULL) {
        *buf = in->first;
        *len = in->first_len;
        in->first = NULL;
        return 1;
    }
    for (;;) {
        la_int64_t off;
        int rc = archive_read_data_block(in->a, buf, len, &off);
        if (rc == ARCHIVE_EOF)
            return 0;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return pier_error(err, 0, "read %s: %s", in->name, archive_error_string(in->a));
        if (*len > 0)
            return 1;
    }
}

/* A small file whose bytes are kept, or one too big or not of JSON for
 * memory, which the caller reads as it comes.  Small files of other kinds
 * (small layers) are kept while the total allows. */
static bool keep(const struct img_archive_scan *sc, size_t kept, int64_t size, const void *first,
                 size_t n)
{
    const char *p = first;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    bool json = i < n && (p[i] == '{' || p[i] == '[');
    if (sc->stream == NULL)
        return size <= IMG_ARCHIVE_KEEP_JSON;
    if (size <= IMG_ARCHIVE_KEEP_SMALL && kept + (size_t)size <= IMG_ARCHIVE_KEEP_TOTAL)
        return true;
    return json && size <= IMG_ARCHIVE_KEEP_JSON;
}

static int keep_bytes(struct img_archive_in *in, struct img_archive_entry *e, size_t *kept,
                      pier_err_t *err)
{
    size_t n = (size_t)e->size;
    if (*kept + n > IMG_ARCHIVE_KEEP_TOTAL)
        return pier_error(err, 0, "%s: the small files of the archive come to more than %u MiB",
                          e->name, IMG_ARCHIVE_KEEP_TOTAL >> 20);
    e->data = malloc(n + 1);
    if (e->data == NULL)
        return pier_error(err, ENOMEM, "read %s", e->name);
    size_t got = 0;
    const void *p;
    size_t len;
    int rc;
    while ((rc = img_archive_in_read(in, &p, &len, err)) > 0) {
        if (len > n - got)
            return pier_error(err, 0, "read %s: longer than its header says", e->name);
        memcpy(e->data + got, p, len);
        got += len;
    }
    if (rc < 0)
        return -1;
    if (got != n)
        return pier_error(err, 0, "read %s: the archive ends in it", e->name);
    e->data[n] = '\0';
    *kept += n;
    return 0;
}

/* One entry: a regular file's bytes kept or streamed, a link's target. */
static int entry(struct archive *a, struct archive_entry *ae, const struct img_archive_scan *sc,
                 struct img_archive_index *idx, size_t *cap, size_t *kept, pier_err_t *err)
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
    struct img_archive_entry e = {.size = -1};
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
        if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) < 0)
            return pier_error(err, 0, "entry %s: no size", name);
        e.size = archive_entry_size(ae);
    }
    e.name = strdup(name);
    if (e.name == NULL || (e.size < 0 && e.link == NULL)) {
        free(e.name);
        free(e.link);
        return pier_error(err, ENOMEM, "read the archive");
    }
    int ret = 0;
    if (e.link == NULL) {
        struct img_archive_in in = {.a = a, .name = e.name};
        int rc = img_archive_in_read(&in, &in.first, &in.first_len, err);
        if (rc < 0)
            ret = -1;
        else if (rc == 0)
            in.first = NULL;
        if (ret == 0 && keep(sc, *kept, e.size, in.first, in.first_len))
            ret = keep_bytes(&in, &e, kept, err);
        else if (ret == 0 && sc->stream != NULL)
            ret = sc->stream(sc->data, &e, &in, err);
    }
    if (ret < 0 || add(idx, cap, &e, err) < 0) {
        if (sc->drop != NULL && e.user != NULL)
            sc->drop(sc->data, e.user);
        free(e.name);
        free(e.link);
        free(e.data);
        return -1;
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

int img_archive_scan(int fd, const struct img_archive_scan *sc, struct img_archive_index *idx,
                     pier_err_t *err)
{
    memset(idx, 0, sizeof *idx);
    struct input in = {.fd = fd, .buf = malloc(READ_BLOCK), .ops = sc};
    struct archive *a = archive_read_new();
    if (a == NULL || in.buf == NULL) {
        free(in.buf);
        if (a != NULL)
            archive_read_free(a);
        return pier_error(err, ENOMEM, "libarchive");
    }
    size_t cap = 0, kept = 0;
    int ret = 0;
    /* gzip, bzip2, xz, zstd: what docker's DecompressStream takes */
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
        archive_read_support_filter_xz(a) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open(a, &in, NULL, input_read, NULL) != ARCHIVE_OK) {
        if (in.err != NULL)
            ret = input_failed(&in, err);
        else if (in.total == 0)
            ret = pier_error(err, 0, "the archive is empty");
        else
            ret = pier_error(err, 0, "not a tar archive: %s", archive_error_string(a));
        goto out;
    }
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (in.err != NULL)
                ret = input_failed(&in, err);
            else
                ret = pier_error(err, 0, "read the archive%s: %s", idx->n ? "" : " (is it a tar?)",
                                 archive_error_string(a));
            goto out;
        }
        if (entry(a, ae, sc, idx, &cap, &kept, err) < 0) {
            if (in.err != NULL)
                input_failed(&in, err);
            ret = pier_error_wrap(err, "read the archive");
            goto out;
        }
    }
    /* whatever follows the tar's end is read too: the input must have
     * come whole (a client that went away is no archive) */
    while (sc->input_end != NULL && in.err == NULL) {
        const void *p;
        if (input_read(a, &in, &p) <= 0)
            break;
    }
    if (in.err != NULL) {
        ret = input_failed(&in, err);
        goto out;
    }
    /* Sorted by name, then by place: the last of a name comes last. */
    if (idx->n > 0)
        qsort(idx->e, idx->n, sizeof *idx->e, by_name);
out:
    archive_read_free(a);
    free(in.buf);
    pier_error_free(&in.err);
    if (ret < 0)
        img_archive_scan_free(idx, sc);
    return ret;
}

void img_archive_scan_free(struct img_archive_index *idx, const struct img_archive_scan *sc)
{
    for (size_t i = 0; i < idx->n; i++)
        if (idx->e[i].user != NULL && sc != NULL && sc->drop != NULL)
            sc->drop(sc->data, idx->e[i].user);
    img_archive_index_free(idx);
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

int img_archive_data(const struct img_archive_entry *e, size_t max, const char **out, size_t *len,
                     pier_err_t *err)
{
    if (e->size < 0 || (uint64_t)e->size > max)
        return pier_error(err, 0, "%s: larger than %zu bytes", e->name, max);
    if (e->data == NULL)
        return pier_error(err, 0, "%s: not a small file of JSON", e->name);
    *out = e->data;
    *len = (size_t)e->size;
    return 0;
}
