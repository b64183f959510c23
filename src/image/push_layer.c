/* A stored layer (its uncompressed tar, from img_tar_open) as a
 * registry gets it: gzip-compressed into an unlinked temporary file of
 * the store, its digest and size computed as it is written, and each
 * block made ready to upload as soon as it is in the file (the upload
 * streams while the rest is compressed).
 *
 * Compressed on every core with libdeflate (2.5 times zlib's speed at the
 * same level, and smaller): the tar is cut into blocks of BLOCK bytes and
 * each becomes one gzip member, or a few where parts of it are noise
 * (stored, not searched), the members written in order.
 * A gzip file may hold several members (RFC 1952), which every reader of
 * layers takes (Go's gzip, libarchive, zlib's gunzip).  The bytes depend
 * on the tar, the block size and level only, not on the threads, so a
 * layer pushed once has the same digest the next time and is found by a
 * HEAD. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "push_int.h"

#define BLOCK (1u << 20)
#define SEG (64u << 10) /* what is told noise or not */
#define LEVEL 6
#define MAX_THREADS 8

struct block {
    const unsigned char *in;
    size_t len;
    unsigned char *out;
    size_t out_cap, out_len; /* out_len 0: it failed */
};

struct batch {
    struct block *b;
    size_t n;
    pthread_mutex_t lock;
    size_t next;
};

struct worker {
    struct batch *t;
    struct libdeflate_compressor *z, *z0; /* one per thread: they are not shared */
};

/* Whether a SEG of the tar is noise to deflate (compressed or random
 * data): the bytes at every 4th place, 16,384 of them, spread over the
 * 256 values about as evenly as chance spreads them (a chi-square under
 * 400; uniform bytes give 255, plus or minus 23; text gives tens of
 * thousands).  libdeflate stores such data at any level, but only after
 * searching it for matches as long as it searches text (a quarter of the
 * time, in a layer a quarter noise); podman's compressor
 * (klauspost/compress) skips ahead on data it finds no matches in. */
static bool noise(const unsigned char *p)
{
    uint32_t h[256] = {0};
    for (size_t i = 0; i < SEG; i += 4)
        h[p[i]]++;
    uint64_t chi = 0; /* times the expected count, 64 */
    for (size_t i = 0; i < 256; i++)
        chi += (uint64_t)(((int64_t)h[i] - 64) * ((int64_t)h[i] - 64));
    return chi < 400 * 64;
}

/* A block as gzip members: runs of its SEGs that are noise stored (level
 * 0), the rest compressed; a block without noise is one member.  The
 * output depends on the bytes only. */
static size_t compress_block(struct worker *w, const struct block *b)
{
    size_t out = 0;
    for (size_t pos = 0; pos < b->len;) {
        bool stored = b->len - pos >= SEG && noise(b->in + pos);
        size_t end = pos + SEG < b->len ? pos + SEG : b->len;
        while (end + SEG <= b->len && noise(b->in + end) == stored)
            end += SEG;
        if (!stored && end + SEG > b->len)
            end = b->len;
        size_t n = libdeflate_gzip_compress(stored ? w->z0 : w->z, b->in + pos, end - pos,
                                            b->out + out, b->out_cap - out);
        if (n == 0)
            return 0;
        out += n;
        pos = end;
    }
    return b->len == 0 ? libdeflate_gzip_compress(w->z, b->in, 0, b->out, b->out_cap) : out;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->t->lock);
        size_t i = w->t->next < w->t->n ? w->t->next++ : SIZE_MAX;
        pthread_mutex_unlock(&w->t->lock);
        if (i == SIZE_MAX)
            return NULL;
        struct block *b = &w->t->b[i];
        b->out_len = compress_block(w, b);
    }
}

struct gz {
    struct img_tar_reader *in;
    int out;
    size_t nthreads, per_batch;
    unsigned char *in_buf[2]; /* the batch compressed, the next one read */
    int cur;
    ssize_t ahead; /* what read_ahead read, or -1 and ahead_err */
    pier_err_t ahead_err;
    struct block *blocks;
    /* one per thread, this one's first: they are not shared */
    struct libdeflate_compressor *z[MAX_THREADS + 1], *z0[MAX_THREADS + 1];
    EVP_MD_CTX *md;
    struct reg_stream *st;
};

/* Compress the batch's blocks on up to nthreads threads of their own,
 * with the compressors z[1..nthreads], while this thread reads the next
 * batch (next, may be NULL); then this one helps with z[0]. */
static void run_batch(struct batch *t, struct gz *g, void (*next)(struct gz *))
{
    pthread_t th[MAX_THREADS];
    struct worker w[MAX_THREADS + 1];
    size_t started = 0;
    t->next = 0;
    for (size_t i = 0; i <= g->nthreads; i++)
        w[i] = (struct worker){.t = t, .z = g->z[i], .z0 = g->z0[i]};
    while (started < g->nthreads && started < t->n &&
           pthread_create(&th[started], NULL, work, &w[started + 1]) == 0)
        started++;
    if (next)
        next(g);
    work(&w[0]);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* The next batch of the tar into the other buffer. */
static void read_ahead(struct gz *g)
{
    g->ahead = img_tar_read(g->in, g->in_buf[!g->cur], g->per_batch * BLOCK, &g->ahead_err);
}

/* Each batch is read while the one before it is compressed. */
static int gz_stream(struct gz *g, const char *diff_id, struct reg_desc *d,
                     const atomic_bool *cancel, pier_err_t *err)
{
    const size_t full = g->per_batch * BLOCK;
    ssize_t n = img_tar_read(g->in, g->in_buf[0], full, err);
    if (n < 0)
        return pier_error_wrap(err, "layer %s", diff_id);
    for (;;) {
        if (cancel && atomic_load(cancel))
            return pier_fail(err, ECANCELED, "the push was cancelled");
        if (g->st && reg_stream_failed(g->st))
            return pier_fail(err, ECANCELED, "the upload failed");
        /* an empty tar is one empty member: still a gzip file */
        struct batch t = {.b = g->blocks, .n = n > 0 ? ((size_t)n + BLOCK - 1) / BLOCK : 1};
        pthread_mutex_init(&t.lock, NULL);
        for (size_t i = 0; i < t.n; i++) {
            size_t pos = i * BLOCK;
            g->blocks[i].in = g->in_buf[g->cur] + pos;
            g->blocks[i].len = (size_t)n - pos < BLOCK ? (size_t)n - pos : BLOCK;
        }
        bool more = (size_t)n == full;
        g->ahead = 0;
        run_batch(&t, g, more ? read_ahead : NULL);
        pthread_mutex_destroy(&t.lock);
        if (g->ahead < 0) {
            *err = steal_pointer(&g->ahead_err);
            return pier_error_wrap(err, "layer %s", diff_id);
        }
        for (size_t i = 0; i < t.n; i++) {
            struct block *b = &g->blocks[i];
            if (b->out_len == 0)
                return pier_error(err, 0, "layer %s: gzip failed", diff_id);
            if (EVP_DigestUpdate(g->md, b->out, b->out_len) != 1 ||
                pier_write_all(g->out, b->out, b->out_len) < 0)
                return pier_error(err, errno ? errno : EIO, "write the compressed layer");
            d->size += (int64_t)b->out_len;
            if (g->st)
                reg_stream_grow(g->st, d->size);
        }
        if (!more || g->ahead == 0)
            return 0;
        n = g->ahead;
        g->cur = !g->cur;
    }
}

int push_compress(struct img_store *s, const char *diff_id, int fd, struct reg_stream *st,
                  struct reg_desc *d, const atomic_bool *cancel, pier_err_t *err)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct gz g = {.nthreads = cpus < 1             ? 1
                               : cpus > MAX_THREADS ? MAX_THREADS
                                                    : (size_t)cpus,
                   .out = fd,
                   .st = st};
    g.per_batch = 2 * g.nthreads;
    int64_t tar_size;
    if (img_tar_open(s, diff_id, &g.in, &tar_size, err) < 0)
        return -1;
    g.in_buf[0] = malloc(g.per_batch * BLOCK);
    g.in_buf[1] = malloc(g.per_batch * BLOCK);
    g.blocks = calloc(g.per_batch, sizeof *g.blocks);
    g.md = EVP_MD_CTX_new();
    int ret = 0;
    if (g.in_buf[0] == NULL || g.in_buf[1] == NULL || g.blocks == NULL || g.md == NULL ||
        EVP_DigestInit_ex(g.md, EVP_sha256(), NULL) != 1)
        ret = pier_error(err, ENOMEM, "compress");
    for (size_t i = 0; ret == 0 && i <= g.nthreads; i++)
        if ((g.z[i] = libdeflate_alloc_compressor(LEVEL)) == NULL ||
            (g.z0[i] = libdeflate_alloc_compressor(0)) == NULL)
            ret = pier_error(err, ENOMEM, "compress");
    for (size_t i = 0; ret == 0 && i < g.per_batch; i++) {
        /* a member more per SEG at most, each within its bound */
        g.blocks[i].out_cap = libdeflate_gzip_compress_bound(g.z[0], BLOCK) + BLOCK / SEG * 64;
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
    for (size_t i = 0; i <= g.nthreads; i++) {
        if (g.z[i])
            libdeflate_free_compressor(g.z[i]);
        if (g.z0[i])
            libdeflate_free_compressor(g.z0[i]);
    }
    free(g.blocks);
    free(g.in_buf[0]);
    free(g.in_buf[1]);
    pier_error_free(&g.ahead_err);
    EVP_MD_CTX_free(g.md);
    img_tar_close(g.in);
    if (ret < 0)
        return -1;
    snprintf(d->media_type, sizeof d->media_type, "%s", PUSH_MT_LAYER);
    return 0;
}
