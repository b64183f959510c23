/* The layer stream: bytes from an fd, decompressed, hashed and unpacked in
 * one pass, with no temporary copy of the input.
 *
 *   fd --read--> [dec: libarchive, gzip|bzip2|xz|zstd|none, "raw" format]
 *      --uncompressed blocks--> sha256 (the diff id), blob copy
 *      --> [tar: libarchive, tar format, no filter] --> unpack.c
 *
 * Two libarchive readers in a chain: the first only decompresses (its raw
 * format yields the stream as one entry), the second reads the tar from
 * the first's blocks through a read callback.  That callback sees every
 * uncompressed byte exactly once, in order, which is what the diff id is
 * the digest of; what the tar reader leaves after its end-of-archive
 * blocks is drained into the digest too.  The bytes as read from the fd
 * get their own digest (a registry's blob digest, for pulls). */
#include <archive.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "internal.h"
#include "tarsplit.h"
#include "unpack_int.h"

#define READ_BLOCK (256u << 10)

struct stream {
    int fd;
    unsigned char *buf;
    struct archive *dec;
    EVP_MD_CTX *raw_md, *tar_md;
    int blob_fd;
    struct img_tarsplit *split;
    uint64_t raw_bytes, tar_bytes, max_bytes;
    bool dec_eof;
    /* Set by a callback that failed for a reason of ours (not libarchive's). */
    int cb_errno;
    char cb_msg[256];
};

static la_ssize_t raw_read(struct archive *a, void *data, const void **out)
{
    struct stream *st = data;
    ssize_t n;
    for (;;) {
        n = read(st->fd, st->buf, READ_BLOCK);
        if (n >= 0 || errno != EAGAIN) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        /* A non-blocking pipe or socket from the API: wait for it. */
        struct pollfd pfd = {.fd = st->fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            break;
    }
    if (n < 0) {
        st->cb_errno = errno;
        snprintf(st->cb_msg, sizeof st->cb_msg, "read the input");
        archive_set_error(a, errno, "read the input");
        return -1;
    }
    if (n > 0 && EVP_DigestUpdate(st->raw_md, st->buf, (size_t)n) != 1) {
        snprintf(st->cb_msg, sizeof st->cb_msg, "sha256 failed");
        archive_set_error(a, EIO, "sha256 failed");
        return -1;
    }
    st->raw_bytes += (uint64_t)n;
    *out = st->buf;
    return n;
}

/* The next block of the uncompressed stream, digested and copied to the
 * blob; 0 at its end. */
static la_ssize_t next_block(struct stream *st, const void **out)
{
    while (!st->dec_eof) {
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(st->dec, out, &size, &off);
        if (r == ARCHIVE_EOF) {
            st->dec_eof = true;
            break;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (st->cb_msg[0] == '\0')
                snprintf(st->cb_msg, sizeof st->cb_msg, "decompress: %s",
                         archive_error_string(st->dec));
            return -1;
        }
        if (size == 0)
            continue;
        if (st->tar_bytes + size > st->max_bytes) {
            snprintf(st->cb_msg, sizeof st->cb_msg,
                     "the uncompressed layer is larger than the limit of %llu bytes",
                     (unsigned long long)st->max_bytes);
            return -1;
        }
        if (EVP_DigestUpdate(st->tar_md, *out, size) != 1) {
            snprintf(st->cb_msg, sizeof st->cb_msg, "sha256 failed");
            return -1;
        }
        if (st->blob_fd >= 0 && pier_write_all(st->blob_fd, *out, size) < 0) {
            st->cb_errno = errno;
            snprintf(st->cb_msg, sizeof st->cb_msg, "write the layer's blob");
            return -1;
        }
        img_tarsplit_feed(st->split, *out, size);
        st->tar_bytes += size;
        return (la_ssize_t)size;
    }
    return 0;
}

static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
    struct stream *st = data;
    la_ssize_t n = next_block(st, out);
    if (n < 0)
        archive_set_error(a, st->cb_errno ? st->cb_errno : EIO, "%s", st->cb_msg);
    return n;
}

/* An error that came through libarchive: ours if a callback left one. */
static int stream_error(struct stream *st, struct archive *a, const char *what, pier_err_t *err)
{
    if (st->cb_msg[0] != '\0')
        return pier_error(err, st->cb_errno, "%s", st->cb_msg);
    return pier_error(err, 0, "%s: %s", what, archive_error_string(a));
}

static const char *filter_name(struct archive *dec)
{
    switch (archive_filter_code(dec, 0)) {
    case ARCHIVE_FILTER_GZIP:
        return "gzip";
    case ARCHIVE_FILTER_BZIP2:
        return "bzip2";
    case ARCHIVE_FILTER_XZ:
        return "xz";
    case ARCHIVE_FILTER_ZSTD:
        return "zstd";
    default:
        return "none";
    }
}

/* Only the compressions Docker accepts, each through its library: never
 * one that would run an external program. */
static int open_decompressor(struct stream *st, pier_err_t *err)
{
    st->dec = archive_read_new();
    if (st->dec == NULL)
        return pier_error(err, ENOMEM, "libarchive");
    if (archive_read_support_filter_gzip(st->dec) != ARCHIVE_OK ||
        archive_read_support_filter_bzip2(st->dec) != ARCHIVE_OK ||
        archive_read_support_filter_xz(st->dec) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(st->dec) != ARCHIVE_OK ||
        archive_read_support_format_raw(st->dec) != ARCHIVE_OK)
        return pier_error(err, 0, "libarchive lacks a decompressor: %s",
                          archive_error_string(st->dec));
    struct archive_entry *e;
    if (archive_read_open(st->dec, st, NULL, raw_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(st->dec, &e) != ARCHIVE_OK) {
        if (st->raw_bytes == 0 && st->cb_msg[0] == '\0')
            return pier_error(err, 0, "the layer is empty");
        return stream_error(st, st->dec, "read the layer", err);
    }
    return 0;
}

static int unpack_tar(struct stream *st, int rootfd, const struct img_unpack_opts *opts,
                      struct img_unpack_result *res, pier_err_t *err)
{
    struct archive *tar = archive_read_new();
    if (tar == NULL)
        return pier_error(err, ENOMEM, "libarchive");
    int ret = 0;
    if (archive_read_support_format_tar(tar) != ARCHIVE_OK) {
        ret = pier_error(err, 0, "libarchive: %s", archive_error_string(tar));
    } else if (archive_read_open(tar, st, NULL, tar_read, NULL) != ARCHIVE_OK) {
        /* Not our callback's failure: no format bid for these bytes. */
        if (st->cb_msg[0] == '\0')
            ret = pier_error(err, 0, "not a tar archive (compression: %s): %s", res->compression,
                             archive_error_string(tar));
        else
            ret = stream_error(st, tar, "read the tar", err);
    } else if (img_unpack_entries(tar, rootfd, opts, res, err) < 0) {
        /* A failed read callback shows through libarchive's message; say
         * ours instead. */
        if (st->cb_msg[0] != '\0')
            pier_error(err, st->cb_errno, "%s", st->cb_msg);
        ret = -1;
    }
    archive_read_free(tar);
    return ret;
}

int img_unpack_stream(int in_fd, int rootfd, const struct img_unpack_opts *opts,
                      struct img_unpack_result *res, pier_err_t *err)
{
    memset(res, 0, sizeof *res);
    res->compression = "none";
    struct stream st = {.fd = in_fd, .blob_fd = opts->blob_fd, .split = opts->split};
    st.max_bytes = opts->max_bytes ? opts->max_bytes : IMG_LAYER_MAX_BYTES;
    st.buf = malloc(READ_BLOCK);
    st.raw_md = EVP_MD_CTX_new();
    st.tar_md = EVP_MD_CTX_new();
    int ret = -1;
    if (st.buf == NULL || st.raw_md == NULL || st.tar_md == NULL) {
        pier_error(err, ENOMEM, "unpack the layer");
        goto out;
    }
    if (EVP_DigestInit_ex(st.raw_md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(st.tar_md, EVP_sha256(), NULL) != 1) {
        pier_error(err, 0, "sha256: OpenSSL failed");
        goto out;
    }
    if (open_decompressor(&st, err) < 0)
        goto out;
    res->compression = filter_name(st.dec);
    if (unpack_tar(&st, rootfd, opts, res, err) < 0)
        goto out;
    /* Past the tar's end: padding, which the diff id covers too. */
    for (;;) {
        const void *p;
        la_ssize_t n = next_block(&st, &p);
        if (n == 0)
            break;
        if (n < 0) {
            stream_error(&st, st.dec, "read the layer", err);
            goto out;
        }
    }
    res->tar_size = st.tar_bytes;
    if (img_sha256_final(st.tar_md, res->diff_id, err) < 0 ||
        img_sha256_final(st.raw_md, res->digest, err) < 0)
        goto out;
    ret = 0;
out:
    if (st.dec != NULL)
        archive_read_free(st.dec);
    EVP_MD_CTX_free(st.raw_md);
    EVP_MD_CTX_free(st.tar_md);
    free(st.buf);
    return ret;
}
