/* A stored layer (its uncompressed tar, blobs/sha256/<diff id>) as a
 * registry gets it: gzip-compressed into an unlinked temporary file of
 * the store, its digest and size computed as it is written.  zlib at its
 * default level writes the same bytes every time, so a layer pushed once
 * has the same digest the next time and is found by a HEAD. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../lib/file.h"
#include "push_int.h"

#define BLOCK (256u << 10)

/* Deflate what strm holds (flush: Z_NO_FLUSH or Z_FINISH) into fd. */
static int drain(z_stream *z, int flush, unsigned char *out, int fd, EVP_MD_CTX *md, int64_t *size,
                 pier_err_t *err)
{
    int zr;
    do {
        z->next_out = out;
        z->avail_out = BLOCK;
        zr = deflate(z, flush);
        if (zr == Z_STREAM_ERROR)
            return pier_error(err, 0, "gzip: %s", z->msg ? z->msg : "stream error");
        size_t n = BLOCK - z->avail_out;
        if (n > 0 && (EVP_DigestUpdate(md, out, n) != 1 || pier_write_all(fd, out, n) < 0))
            return pier_error(err, errno ? errno : EIO, "write the compressed layer");
        *size += (int64_t)n;
    } while (z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

int push_compress(struct img_store *s, const char *diff_id, int *fd_out, struct reg_desc *d,
                  const atomic_bool *cancel, pier_err_t *err)
{
    *fd_out = -1;
    int in = openat(s->blobfd, diff_id + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return pier_error(err, errno, "layer %s: its tar", diff_id);
    int out = img_tmp_file(s, "upload", err);
    unsigned char *ibuf = malloc(BLOCK), *obuf = malloc(BLOCK);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    z_stream z = {0};
    bool zinit = false;
    int ret = 0;
    if (out < 0)
        ret = -1;
    else if (ibuf == NULL || obuf == NULL || md == NULL ||
             EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        ret = pier_error(err, ENOMEM, "compress");
    else if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
             Z_OK)
        ret = pier_error(err, ENOMEM, "gzip");
    else
        zinit = true;
    d->size = 0;
    while (ret == 0) {
        if (cancel && atomic_load(cancel)) {
            ret = pier_fail(err, ECANCELED, "the push was cancelled");
            break;
        }
        ssize_t n = read(in, ibuf, BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = pier_error(err, errno, "layer %s: read its tar", diff_id);
            break;
        }
        z.next_in = ibuf;
        z.avail_in = (uInt)n;
        ret = drain(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH, obuf, out, md, &d->size, err);
        if (n == 0)
            break;
    }
    if (ret == 0 && img_sha256_final(md, d->digest, err) < 0)
        ret = -1;
    if (zinit)
        deflateEnd(&z);
    EVP_MD_CTX_free(md);
    free(ibuf);
    free(obuf);
    close(in);
    if (ret < 0) {
        if (out >= 0)
            close(out);
        return -1;
    }
    snprintf(d->media_type, sizeof d->media_type, "%s", PUSH_MT_LAYER);
    *fd_out = out;
    return 0;
}
