/* A stored layer's uncompressed tar, read back by its diff id for save and
 * push: made again from its tar-split and the unpacked files (tarsplit.c),
 * or read from the whole tar kept as a blob when the layer has no usable
 * tar-split (stores of older pier, odd tars).  A tar made again is checked
 * against the diff id as it is read: its last read fails if the layer's
 * files no longer give back the tar the image names. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"
#include "tarsplit.h"
#include "unpack_int.h"

#define SPLIT_BUF (64u << 10)

struct img_tar_reader {
    char diff_id[IMG_DIGEST_SIZE];
    int64_t size, off;
    int blob; /* the whole tar, or -1 */
    /* made again: */
    int split, root, file;
    unsigned char *buf;
    size_t buf_pos, buf_len;
    char kind; /* of the current record: 'R', 'F'; 'E' at the end */
    uint64_t left;
    char name[PATH_MAX];
    EVP_MD_CTX *md;
};

/* A chain id of a layer with this diff id: an image's, else any stored
 * layer's (a load re-reads a layer before its image exists). */
static bool find_chain(struct img_store *s, const char *diff_id, char chain[IMG_DIGEST_SIZE])
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; !found && i < s->nimages; i++)
        for (size_t k = 0; !found && k < s->images[i]->nlayers; k++)
            if (strcmp(s->images[i]->diff[k], diff_id) == 0) {
                memcpy(chain, s->images[i]->chain[k], IMG_DIGEST_SIZE);
                found = true;
            }
    pthread_mutex_unlock(&s->lock);
    return found || img_layer_find_diff(s, diff_id, chain);
}

static int open_split(struct img_store *s, struct img_tar_reader *r, const char *chain,
                      pier_err_t *err)
{
    char path[IMG_HEX_LEN + 32];
    snprintf(path, sizeof path, "%s/" IMG_TARSPLIT_FILE, chain + 7);
    r->split = openat(s->layerfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (r->split < 0)
        return errno == ENOENT ? 0 : pier_error(err, errno, "open %s", path);
    snprintf(path, sizeof path, "%s/diff", chain + 7);
    r->root = openat(s->layerfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    unsigned char head[16];
    if (r->root < 0 || pread(r->split, head, sizeof head, 0) != (ssize_t)sizeof head)
        return pier_error(err, errno, "read the tar-split of layer %s", chain);
    if (memcmp(head, IMG_TARSPLIT_MAGIC, 8) != 0)
        return pier_error(err, 0, "the tar-split of layer %s is not one", chain);
    uint64_t size = 0;
    for (int i = 7; i >= 0; i--)
        size = (size << 8) | head[8 + i];
    if (size > INT64_MAX)
        return pier_error(err, 0, "the tar-split of layer %s is damaged", chain);
    r->size = (int64_t)size;
    r->buf = malloc(SPLIT_BUF);
    r->md = EVP_MD_CTX_new();
    if (r->buf == NULL || r->md == NULL || EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1)
        return pier_error(err, ENOMEM, "read layer %s", chain);
    if (lseek(r->split, sizeof head, SEEK_SET) < 0)
        return pier_error(err, errno, "read the tar-split of layer %s", chain);
    return 1;
}

int img_tar_open(struct img_store *s, const char *diff_id, struct img_tar_reader **out,
                 int64_t *size, pier_err_t *err)
{
    *out = NULL;
    if (strncmp(diff_id, "sha256:", 7) != 0 || !img_is_hex64(diff_id + 7))
        return pier_error(err, EINVAL, "layer %s: not a sha256 digest", diff_id);
    struct img_tar_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return pier_error(err, ENOMEM, "layer %s: its tar", diff_id);
    r->blob = r->split = r->root = r->file = -1;
    snprintf(r->diff_id, sizeof r->diff_id, "%s", diff_id);
    char chain[IMG_DIGEST_SIZE];
    int split = find_chain(s, diff_id, chain) ? open_split(s, r, chain, err) : 0;
    if (split < 0) {
        img_tar_close(r);
        return -1;
    }
    if (split == 0) {
        struct stat st;
        r->blob = openat(s->blobfd, diff_id + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (r->blob < 0 || fstat(r->blob, &st) < 0) {
            int e = errno;
            img_tar_close(r);
            return pier_error(err, e, "the layer %s has no tar in the store", diff_id);
        }
        r->size = st.st_size;
    }
    *size = r->size;
    *out = r;
    return 0;
}

/* Up to len bytes of the tar-split file itself. */
static int split_bytes(struct img_tar_reader *r, void *out, size_t len, pier_err_t *err)
{
    unsigned char *p = out;
    while (len > 0) {
        if (r->buf_pos == r->buf_len) {
            ssize_t n = read(r->split, r->buf, SPLIT_BUF);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return pier_error(err, n < 0 ? errno : 0, "read the tar-split of layer %s%s",
                                  r->diff_id, n == 0 ? ": it ends early" : "");
            r->buf_pos = 0;
            r->buf_len = (size_t)n;
        }
        size_t k = r->buf_len - r->buf_pos < len ? r->buf_len - r->buf_pos : len;
        memcpy(p, r->buf + r->buf_pos, k);
        r->buf_pos += k;
        p += k;
        len -= k;
    }
    return 0;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int next_record(struct img_tar_reader *r, pier_err_t *err)
{
    if (r->file >= 0) {
        close(r->file);
        r->file = -1;
    }
    unsigned char head[10];
    if (split_bytes(r, head, 1, err) < 0)
        return -1;
    r->kind = (char)head[0];
    switch (r->kind) {
    case 'R':
        if (split_bytes(r, head, 4, err) < 0)
            return -1;
        r->left = le(head, 4);
        return 0;
    case 'F': {
        if (split_bytes(r, head, 10, err) < 0)
            return -1;
        r->left = le(head, 8);
        size_t n = (size_t)le(head + 8, 2);
        if (n >= sizeof r->name)
            return pier_error(err, 0, "the tar-split of layer %s is damaged", r->diff_id);
        if (split_bytes(r, r->name, n, err) < 0)
            return -1;
        r->name[n] = '\0';
        r->file = img_open_in_root(r->root, r->name, O_RDONLY | O_NOFOLLOW);
        if (r->file < 0)
            return pier_error(err, errno, "layer %s: open `%s`", r->diff_id, r->name);
        return 0;
    }
    case 'E':
        return 0;
    default:
        return pier_error(err, 0, "the tar-split of layer %s is damaged", r->diff_id);
    }
}

/* The end: every byte the size said, and the diff id's digest. */
static int check_end(struct img_tar_reader *r, pier_err_t *err)
{
    char got[IMG_DIGEST_SIZE];
    if (r->off != r->size)
        return pier_error(err, 0, "layer %s: its tar-split gives %lld bytes, not %lld", r->diff_id,
                          (long long)r->off, (long long)r->size);
    if (img_sha256_final(r->md, got, err) < 0)
        return -1;
    if (strcmp(got, r->diff_id) != 0)
        return pier_error(err, 0,
                          "layer %s: its files no longer give back its tar (sha256 %s): the "
                          "layer was changed on disk",
                          r->diff_id, got);
    return 0;
}

static ssize_t read_split(struct img_tar_reader *r, unsigned char *buf, size_t len, pier_err_t *err)
{
    size_t got = 0;
    while (got < len && r->kind != 'E') {
        if (r->left == 0) {
            if (next_record(r, err) < 0)
                return -1;
            if (r->kind == 'E' && check_end(r, err) < 0)
                return -1;
            continue;
        }
        size_t want = len - got < r->left ? len - got : (size_t)r->left;
        if (r->kind == 'R') {
            if (split_bytes(r, buf + got, want, err) < 0)
                return -1;
        } else {
            ssize_t n = read(r->file, buf + got, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return pier_error(err, n < 0 ? errno : 0, "layer %s: read `%s`%s", r->diff_id,
                                  r->name, n == 0 ? ": it is shorter than in the tar" : "");
            want = (size_t)n;
        }
        if (EVP_DigestUpdate(r->md, buf + got, want) != 1)
            return pier_error(err, 0, "sha256 failed");
        got += want;
        r->left -= want;
        r->off += (int64_t)want;
    }
    /* Past the last byte, the end is checked now: a reader that knows the
     * size asks for no more. */
    while (r->kind != 'E' && r->left == 0 && r->off == r->size) {
        if (next_record(r, err) < 0)
            return -1;
        if (r->kind == 'E' && check_end(r, err) < 0)
            return -1;
        if (r->kind != 'E' && r->left > 0)
            return pier_error(err, 0, "layer %s: its tar-split holds more than %lld bytes",
                              r->diff_id, (long long)r->size);
    }
    return (ssize_t)got;
}

static ssize_t read_blob(struct img_tar_reader *r, unsigned char *buf, size_t len, pier_err_t *err)
{
    size_t got = 0;
    while (got < len && r->off < r->size) {
        size_t want = len - got;
        if ((int64_t)want > r->size - r->off)
            want = (size_t)(r->size - r->off);
        ssize_t n = pread(r->blob, buf + got, want, r->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return pier_error(err, n < 0 ? errno : 0, "read the tar of layer %s%s", r->diff_id,
                              n == 0 ? ": it shrank" : "");
        got += (size_t)n;
        r->off += n;
    }
    return (ssize_t)got;
}

ssize_t img_tar_read(struct img_tar_reader *r, void *buf, size_t len, pier_err_t *err)
{
    if (r->blob >= 0)
        return read_blob(r, buf, len, err);
    return read_split(r, buf, len, err);
}

void img_tar_close(struct img_tar_reader *r)
{
    if (r == NULL)
        return;
    int fds[] = {r->blob, r->split, r->root, r->file};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(r->buf);
    EVP_MD_CTX_free(r->md);
    free(r);
}
