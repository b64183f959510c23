/* A stored layer (its uncompressed tar, blobs/sha256/<diff id>) as a
 * registry gets it: gzip-compressed into an unlinked temporary file of
 * the store, its digest and size computed as it is written.
 *
 * Compressed on every core, as pigz does: the tar is cut into blocks of
 * BLOCK bytes, each deflated on its own (primed with the 32 KiB before it,
 * so the ratio hardly suffers) and ended on a byte boundary with a sync
 * flush, and the raw deflate streams are joined under one gzip header and
 * trailer (the CRC-32s combined).  The bytes depend on the block size and
 * level only, not on the number of threads, so a layer pushed once has the
 * same digest the next time and is found by a HEAD. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../lib/file.h"
#include "push_int.h"

#define BLOCK (1u << 20)
#define WINDOW (32u << 10)
#define MAX_THREADS 8

struct block {
    const unsigned char *in, *dict;
    size_t len, dict_len;
    bool last;
    unsigned char *out;
    size_t out_cap, out_len;
    uLong crc;
    bool failed;
};

struct batch {
    struct block *b;
    size_t n;
    pthread_mutex_t lock;
    size_t next;
};

static void deflate_block(struct block *b)
{
    z_stream z = {0};
    b->failed = true;
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return;
    if (b->dict_len == 0 || deflateSetDictionary(&z, b->dict, (uInt)b->dict_len) == Z_OK) {
        z.next_in = (unsigned char *)b->in;
        z.avail_in = (uInt)b->len;
        z.next_out = b->out;
        z.avail_out = (uInt)b->out_cap;
        int zr = deflate(&z, b->last ? Z_FINISH : Z_SYNC_FLUSH);
        /* out_cap is deflateBound plus room for the flush: all of it fits */
        if ((b->last ? zr == Z_STREAM_END : zr == Z_OK) && z.avail_in == 0) {
            b->out_len = b->out_cap - z.avail_out;
            b->failed = false;
        }
    }
    deflateEnd(&z);
    b->crc = crc32(0, b->in, (uInt)b->len);
}

static void *worker(void *arg)
{
    struct batch *t = arg;
    for (;;) {
        pthread_mutex_lock(&t->lock);
        size_t i = t->next < t->n ? t->next++ : SIZE_MAX;
        pthread_mutex_unlock(&t->lock);
        if (i == SIZE_MAX)
            return NULL;
        deflate_block(&t->b[i]);
    }
}

/* Deflate the batch's blocks on up to nthreads threads (this one among them). */
static void run_batch(struct batch *t, size_t nthreads)
{
    pthread_t th[MAX_THREADS];
    size_t started = 0;
    t->next = 0;
    while (started + 1 < nthreads && started + 1 < t->n &&
           pthread_create(&th[started], NULL, worker, t) == 0)
        started++;
    worker(t);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

static int emit(int fd, EVP_MD_CTX *md, const void *p, size_t n, int64_t *size, pier_err_t *err)
{
    if (EVP_DigestUpdate(md, p, n) != 1 || pier_write_all(fd, p, n) < 0)
        return pier_error(err, errno ? errno : EIO, "write the compressed layer");
    *size += (int64_t)n;
    return 0;
}

/* Read up to len bytes at off; short only at the end of the file. */
static ssize_t read_at(int fd, unsigned char *p, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

struct gz {
    int in, out;
    size_t nthreads, per_batch;
    unsigned char *in_buf, *prev; /* the batch's input; the 32 KiB before it */
    size_t prev_len;
    struct block *blocks;
    EVP_MD_CTX *md;
};

static int gz_stream(struct gz *g, const char *diff_id, struct reg_desc *d,
                     const atomic_bool *cancel, pier_err_t *err)
{
    /* gzip's header: no name, no time, OS unknown (as zlib writes it) */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    if (emit(g->out, g->md, header, sizeof header, &d->size, err) < 0)
        return -1;
    uLong crc = crc32(0, NULL, 0);
    uint64_t total = 0;
    off_t off = 0;
    for (bool last = false; !last;) {
        if (cancel && atomic_load(cancel))
            return pier_fail(err, ECANCELED, "the push was cancelled");
        ssize_t n = read_at(g->in, g->in_buf, g->per_batch * BLOCK, off);
        if (n < 0)
            return pier_error(err, errno, "layer %s: read its tar", diff_id);
        off += n;
        last = (size_t)n < g->per_batch * BLOCK;
        if (!last) {
            /* a tar that ends on a batch boundary: the next read is empty */
            unsigned char probe;
            ssize_t m = pread(g->in, &probe, 1, off);
            if (m < 0)
                return pier_error(err, errno, "layer %s: read its tar", diff_id);
            last = m == 0;
        }
        /* the last batch has one block at least: the one that ends the stream */
        struct batch t = {.b = g->blocks, .n = n > 0 ? ((size_t)n + BLOCK - 1) / BLOCK : 1};
        pthread_mutex_init(&t.lock, NULL);
        for (size_t i = 0; i < t.n; i++) {
            struct block *b = &g->blocks[i];
            size_t pos = i * BLOCK;
            *b = (struct block){.in = g->in_buf + pos,
                                .len = (size_t)n - pos < BLOCK ? (size_t)n - pos : BLOCK,
                                .dict = i > 0 ? g->in_buf + pos - WINDOW : g->prev,
                                .dict_len = i > 0 ? WINDOW : g->prev_len,
                                .last = last && i + 1 == t.n,
                                .out = b->out,
                                .out_cap = b->out_cap};
        }
        run_batch(&t, g->nthreads);
        pthread_mutex_destroy(&t.lock);
        for (size_t i = 0; i < t.n; i++) {
            struct block *b = &g->blocks[i];
            if (b->failed)
                return pier_error(err, 0, "layer %s: gzip failed", diff_id);
            if (emit(g->out, g->md, b->out, b->out_len, &d->size, err) < 0)
                return -1;
            crc = crc32_combine(crc, b->crc, (z_off_t)b->len);
        }
        total += (uint64_t)n;
        if (n >= (ssize_t)WINDOW) {
            memcpy(g->prev, g->in_buf + n - WINDOW, WINDOW);
            g->prev_len = WINDOW;
        }
    }
    unsigned char trailer[8];
    for (int i = 0; i < 4; i++) {
        trailer[i] = (unsigned char)(crc >> (8 * i));
        trailer[4 + i] = (unsigned char)(total >> (8 * i));
    }
    return emit(g->out, g->md, trailer, sizeof trailer, &d->size, err);
}

int push_compress(struct img_store *s, const char *diff_id, int *fd_out, struct reg_desc *d,
                  const atomic_bool *cancel, pier_err_t *err)
{
    *fd_out = -1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct gz g = {.nthreads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus};
    g.per_batch = 2 * g.nthreads;
    g.in = openat(s->blobfd, diff_id + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (g.in < 0)
        return pier_error(err, errno, "layer %s: its tar", diff_id);
    g.out = img_tmp_file(s, "upload", err);
    g.in_buf = malloc(g.per_batch * BLOCK);
    g.prev = malloc(WINDOW);
    g.blocks = calloc(g.per_batch, sizeof *g.blocks);
    g.md = EVP_MD_CTX_new();
    int ret = 0;
    if (g.out < 0)
        ret = -1;
    else if (g.in_buf == NULL || g.prev == NULL || g.blocks == NULL || g.md == NULL ||
             EVP_DigestInit_ex(g.md, EVP_sha256(), NULL) != 1)
        ret = pier_error(err, ENOMEM, "compress");
    for (size_t i = 0; ret == 0 && i < g.per_batch; i++) {
        /* a sync flush adds an empty stored block (5 bytes) to the bound */
        g.blocks[i].out_cap = deflateBound(NULL, BLOCK) + 16;
        g.blocks[i].out = malloc(g.blocks[i].out_cap);
        if (g.blocks[i].out == NULL)
            ret = pier_error(err, ENOMEM, "compress");
    }
    d->size = 0;
    if (ret == 0)
        ret = gz_stream(&g, diff_id, d, cancel, err);
    if (ret == 0 && img_sha256_final(g.md, d->digest, err) < 0)
        ret = -1;
    for (size_t i = 0; g.blocks && i < g.per_batch; i++)
        free(g.blocks[i].out);
    free(g.blocks);
    free(g.prev);
    free(g.in_buf);
    EVP_MD_CTX_free(g.md);
    close(g.in);
    if (ret < 0) {
        if (g.out >= 0)
            close(g.out);
        return -1;
    }
    snprintf(d->media_type, sizeof d->media_type, "%s", PUSH_MT_LAYER);
    *fd_out = g.out;
    return 0;
}
