/* `docker load`: the images of a docker archive into the store.
 *
 * The archive is made a plain tar in a seekable file first (a compressed
 * or piped one is copied out, decompressed, into a temporary file of the
 * store's), indexed once (archive_index.c), and then read by offset: every
 * image is checked whole (manifest.json, its config, that each layer it
 * names is there) before its first layer is unpacked.  A layer goes to
 * img_layer_add through a socketpair that a thread fills from the tar, so
 * that it is hashed and unpacked in one pass with no copy; a compressed
 * one is hashed first, so that a layer whose diff id is not the config's
 * is refused before it is stored, whatever its compression. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "archive.h"
#include "internal.h"
#include "registry.h"

#define COPY_BLOCK (256u << 10)
/* A whole archive, decompressed: far beyond any image, short of a full disk. */
#define ARCHIVE_MAX_BYTES (4ull << 40)

/* ---- the input as a plain, seekable tar ---- */

/* gzip, bzip2, xz, zstd: what docker's DecompressStream takes. */
static bool is_compressed(const unsigned char *m, size_t n)
{
    return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
           (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') ||
           (n >= 6 && memcmp(m,
                             "\xfd"
                             "7zXZ\0",
                             6) == 0) ||
           (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0);
}

/* Reads a range of a file for libarchive, by pread: fd's offset is not
 * touched, and nothing past the range is seen. */
struct range {
    int fd;
    int64_t off, left;
    unsigned char *buf;
    int errnum;
};

static la_ssize_t range_read(struct archive *a, void *data, const void **out)
{
    struct range *r = data;
    size_t want = r->left < (int64_t)COPY_BLOCK ? (size_t)r->left : COPY_BLOCK;
    if (want == 0)
        return 0;
    ssize_t n;
    do
        n = pread(r->fd, r->buf, want, r->off);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        r->errnum = n < 0 ? errno : EIO;
        archive_set_error(a, r->errnum, "%s",
                          n < 0 ? "read the archive" : "the archive ends early");
        return -1;
    }
    r->off += n;
    r->left -= n;
    *out = r->buf;
    return n;
}

/* Decompress (or only copy) the range into out; sha256 of what came out
 * when md is given.  At most max bytes. */
static int inflate_range(int fd, int64_t off, int64_t len, int out, EVP_MD_CTX *md, uint64_t max,
                         const char *what, pier_err_t *err)
{
    struct range r = {.fd = fd, .off = off, .left = len, .buf = malloc(COPY_BLOCK)};
    struct archive *a = archive_read_new();
    int ret = 0;
    struct archive_entry *ae;
    uint64_t total = 0;
    if (r.buf == NULL || a == NULL) {
        ret = pier_error(err, ENOMEM, "read %s", what);
        goto out;
    }
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
        archive_read_support_filter_xz(a) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
        archive_read_support_format_raw(a) != ARCHIVE_OK ||
        archive_read_open(a, &r, NULL, range_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(a, &ae) != ARCHIVE_OK) {
        ret = pier_error(err, 0, "read %s: %s", what, archive_error_string(a));
        goto out;
    }
    for (;;) {
        const void *p;
        size_t n;
        la_int64_t o;
        int rc = archive_read_data_block(a, &p, &n, &o);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            ret = pier_error(err, 0, "decompress %s: %s", what, archive_error_string(a));
            goto out;
        }
        total += n;
        if (total > max) {
            ret = pier_error(err, 0, "%s: larger than %llu bytes uncompressed", what,
                             (unsigned long long)max);
            goto out;
        }
        if ((md != NULL && EVP_DigestUpdate(md, p, n) != 1) ||
            (out >= 0 && pier_write_all(out, p, n) < 0)) {
            ret = pier_error(err, errno, "decompress %s", what);
            goto out;
        }
    }
out:
    if (a != NULL)
        archive_read_free(a);
    free(r.buf);
    return ret;
}

/* fd itself when it is a plain tar in a regular file; else a temporary
 * file of the store's with the tar, decompressed, in *tmp. */
static int plain_tar(struct img_store *s, int fd, int *tar, int *tmp, pier_err_t *err)
{
    unsigned char magic[6];
    struct stat st;
    if (fstat(fd, &st) < 0)
        return pier_error(err, errno, "read the archive");
    ssize_t n = S_ISREG(st.st_mode) ? pread(fd, magic, sizeof magic, 0) : 0;
    if (n < 0)
        return pier_error(err, errno, "read the archive");
    if (S_ISREG(st.st_mode) && !is_compressed(magic, (size_t)n)) {
        *tar = fd;
        return 0;
    }
    *tmp = img_tmp_file(s, "archive", err);
    if (*tmp < 0)
        return -1;
    if (S_ISREG(st.st_mode)) {
        if (inflate_range(fd, 0, st.st_size, *tmp, NULL, ARCHIVE_MAX_BYTES, "the archive", err) < 0)
            return -1;
    } else {
        /* a pipe: copied as it is, decompressed below if it must be */
        char *buf = malloc(COPY_BLOCK);
        ssize_t r;
        while (buf != NULL && ((r = read(fd, buf, COPY_BLOCK)) > 0 || (r < 0 && errno == EINTR)))
            if (r > 0 && pier_write_all(*tmp, buf, (size_t)r) < 0)
                break;
        free(buf);
        if (buf == NULL || r != 0)
            return pier_error(err, buf ? errno : ENOMEM, "read the archive");
        int copy = *tmp;
        *tmp = -1;
        int ret = plain_tar(s, copy, tar, tmp, err);
        if (*tar == copy)
            *tmp = copy;
        else
            close(copy);
        return ret;
    }
    *tar = *tmp;
    return 0;
}

/* ---- one image, checked ---- */

struct plan {
    const struct img_archive_item *item;
    char *config;
    size_t config_len;
    size_t nlayers;
    char (*diff)[IMG_DIGEST_SIZE];
    const struct img_archive_entry **layers;
};

static void plan_free(struct plan *p)
{
    free(p->config);
    free(p->diff);
    free(p->layers);
}

/* rootfs.diff_ids of the config, each a sha256 digest. */
static int config_diff_ids(json_t *cfg, struct plan *p, pier_err_t *err)
{
    const char *os = json_string_value(json_object_get(cfg, "os"));
    if (os != NULL && *os != '\0' && strcmp(os, "linux") != 0)
        return pier_error(err, 0, "cannot load %s image on linux", os);
    json_t *rootfs = json_object_get(cfg, "rootfs");
    const char *type = json_string_value(json_object_get(rootfs, "type"));
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_object(rootfs) || type == NULL || strcmp(type, "layers") != 0)
        return pier_error(err, 0, "rootfs.type: not \"layers\"");
    if (ids != NULL && !json_is_null(ids) && !json_is_array(ids))
        return pier_error(err, 0, "rootfs.diff_ids: expected an array");
    size_t n = json_array_size(ids);
    if (n != p->item->nlayers)
        return pier_error(err, 0, "invalid manifest, layers length mismatch: expected %zu, got %zu",
                          p->item->nlayers, n);
    p->nlayers = n;
    p->diff = calloc(n ? n : 1, sizeof *p->diff);
    if (p->diff == NULL)
        return pier_error(err, ENOMEM, "config");
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(ids, i));
        if (d == NULL || strncmp(d, "sha256:", 7) != 0 || !img_is_hex64(d + 7))
            return pier_error(err, 0, "rootfs.diff_ids[%zu]: not a sha256 digest", i);
        snprintf(p->diff[i], sizeof p->diff[i], "%s", d);
    }
    return 0;
}

static int plan_image(int tar, const struct img_archive_index *idx,
                      const struct img_archive_item *it, struct plan *p, pier_err_t *err)
{
    p->item = it;
    const struct img_archive_entry *ce = img_archive_lookup(idx, it->config, err);
    cleanup_json json_t *cfg = NULL;
    if (ce == NULL ||
        img_archive_read(tar, ce, IMG_CONFIG_MAX, &p->config, &p->config_len, err) < 0 ||
        pier_json_parse(p->config, p->config_len, "invalid JSON", &cfg, err) < 0)
        return pier_error_wrap(err, "config %s", it->config);
    if (!json_is_object(cfg))
        return pier_error(err, 0, "config %s: not a JSON object", it->config);
    if (config_diff_ids(cfg, p, err) < 0)
        return pier_error_wrap(err, "config %s", it->config);
    p->layers = calloc(p->nlayers ? p->nlayers : 1, sizeof *p->layers);
    if (p->layers == NULL)
        return pier_error(err, ENOMEM, "plan the load");
    for (size_t i = 0; i < p->nlayers; i++) {
        p->layers[i] = img_archive_lookup(idx, it->layers[i], err);
        if (p->layers[i] == NULL)
            return pier_error_wrap(err, "layer %zu", i);
    }
    return 0;
}

/* ---- layers ---- */

struct feed {
    int src, out;
    const struct img_archive_entry *e;
    int errnum; /* a failure to read the archive; EPIPE when the reader left */
};

static void *feed_run(void *data)
{
    struct feed *f = data;
    char *buf = malloc(COPY_BLOCK);
    int64_t off = f->e->offset, left = f->e->size;
    if (buf == NULL)
        f->errnum = ENOMEM;
    while (buf != NULL && left > 0 && f->errnum == 0) {
        ssize_t n = pread(f->src, buf, left < COPY_BLOCK ? (size_t)left : COPY_BLOCK, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            f->errnum = n < 0 ? errno : EIO;
            break;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = send(f->out, buf + done, (size_t)(n - done), MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                f->errnum = errno;
                break;
            }
            done += w;
        }
        off += n;
        left -= n;
    }
    free(buf);
    close(f->out);
    return NULL;
}

/* The layer's bytes through a socketpair into img_layer_add. */
static int layer_add_from(struct img_store *s, int tar, const struct img_archive_entry *e,
                          const char *parent, const char *expect, struct img_layer_info *info,
                          pier_err_t *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return pier_error(err, errno, "socketpair");
    struct feed f = {.src = tar, .out = sv[1], .e = e};
    pthread_t t;
    int rc = pthread_create(&t, NULL, feed_run, &f);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        return pier_error(err, rc, "start a thread");
    }
    int ret = img_layer_add(s, parent, sv[0], expect, info, err);
    close(sv[0]);
    pthread_join(t, NULL);
    if (f.errnum != 0 && f.errnum != EPIPE)
        return pier_error(err, f.errnum == EIO ? 0 : f.errnum, "read %s%s", e->name,
                          f.errnum == EIO ? ": the archive ends in it" : "");
    return ret;
}

static int diff_id_of(int tar, const struct img_archive_entry *e, char out[IMG_DIGEST_SIZE],
                      pier_err_t *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return pier_error(err, ENOMEM, "sha256");
    }
    int ret = inflate_range(tar, e->offset, e->size, -1, md, IMG_LAYER_MAX_BYTES, e->name, err);
    if (ret == 0)
        ret = img_sha256_final(md, out, err);
    EVP_MD_CTX_free(md);
    return ret;
}

/* One layer on parent: skipped when the store has it (as docker does), its
 * diff id checked before it is kept. */
static int load_layer(struct img_store *s, int tar, const struct img_archive_entry *e,
                      const char *parent, const char *diff, char chain[IMG_DIGEST_SIZE],
                      bool *created, pier_err_t *err)
{
    *created = false;
    if (img_chain_id(parent, diff, chain, err) < 0)
        return -1;
    if (img_layer_exists(s, chain))
        return 0;
    unsigned char magic[6];
    ssize_t n = e->size > 0 ? pread(tar, magic, e->size < 6 ? (size_t)e->size : 6, e->offset) : 0;
    if (n < 0)
        return pier_error(err, errno, "read %s", e->name);
    if (is_compressed(magic, (size_t)n)) {
        char got[IMG_DIGEST_SIZE];
        if (diff_id_of(tar, e, got, err) < 0)
            return -1;
        if (strcmp(got, diff) != 0)
            return pier_error(err, 0, "%s: its diff id is %s, the config says %s", e->name, got,
                              diff);
    }
    struct img_layer_info info;
    /* plain: the bytes read are the diff id, checked before the layer is kept */
    if (layer_add_from(s, tar, e, parent, is_compressed(magic, (size_t)n) ? NULL : diff, &info,
                       err) < 0)
        return pier_error_wrap(err, "%s", e->name);
    if (strcmp(info.diff_id, diff) != 0)
        return pier_error(err, 0, "%s: its diff id is %s, the config says %s", e->name,
                          info.diff_id, diff);
    *created = true;
    return 0;
}

/* The layers this load added for an image that then failed. */
static void drop_layers(struct img_store *s, struct plan *p, char (*chains)[IMG_DIGEST_SIZE],
                        const bool *created, size_t n)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = n; i-- > 0;) {
        if (!created[i])
            continue;
        pier_err_t e = NULL;
        if (!img_chain_used(s, chains[i]))
            img_layer_delete(s, chains[i], p->diff[i], !img_diff_used(s, p->diff[i]), &e);
        pier_error_free(&e);
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- images ---- */

struct load {
    struct img_store *s;
    int tar;
    const struct img_load_report *rep;
    char *ids_text; /* "Loaded image ID: ..." lines, said at the end as docker does */
    size_t ids_len;
    bool last_untagged;
};

static void say(struct load *l, const char *fmt, const char *a, const char *b)
{
    char *line = NULL;
    if (l->rep == NULL || l->rep->line == NULL || asprintf(&line, fmt, a, b) < 0)
        return;
    l->rep->line(l->rep->data, line);
    free(line);
}

/* The image the tag names now, or "". */
static void tag_target(struct img_store *s, const char *tag, char out[IMG_DIGEST_SIZE])
{
    pthread_mutex_lock(&s->lock);
    const char *id = json_string_value(json_object_get(s->repos, tag));
    snprintf(out, IMG_DIGEST_SIZE, "%s", id ? id : "");
    pthread_mutex_unlock(&s->lock);
}

static int tag_image(struct load *l, struct plan *p, const char *id, pier_err_t *err)
{
    for (size_t i = 0; i < p->item->ntags; i++) {
        const char *tag = p->item->tags[i];
        char prev[IMG_DIGEST_SIZE];
        tag_target(l->s, tag, prev);
        if (prev[0] != '\0' && strcmp(prev, id) != 0)
            say(l, "The image %s already exists, renaming the old one with ID %s to empty string\n",
                tag, prev);
        if (img_tag(l->s, id, tag, err) < 0)
            return pier_error_wrap(err, "tag %s", tag);
        say(l, "Loaded image: %s\n%s", tag, "");
    }
    return 0;
}

static int load_image(struct load *l, struct plan *p, pier_err_t *err)
{
    char(*chains)[IMG_DIGEST_SIZE] = calloc(p->nlayers + 1, sizeof *chains);
    bool *created = calloc(p->nlayers + 1, sizeof *created);
    cleanup_free char *id = NULL;
    int ret = 0;
    size_t i = 0;
    if (chains == NULL || created == NULL)
        ret = pier_error(err, ENOMEM, "load");
    for (; ret == 0 && i < p->nlayers; i++)
        ret = load_layer(l->s, l->tar, p->layers[i], i ? chains[i - 1] : NULL, p->diff[i],
                         chains[i], &created[i], err);
    if (ret == 0)
        ret = img_create(l->s, p->config, p->config_len, NULL, &id, err);
    if (ret < 0 && chains != NULL && created != NULL)
        drop_layers(l->s, p, chains, created, i);
    free(chains);
    free(created);
    if (ret < 0)
        return -1;
    if (tag_image(l, p, id, err) < 0)
        return -1;
    size_t n = strlen("Loaded image ID: \n") + strlen(id);
    char *t = realloc(l->ids_text, l->ids_len + n + 1);
    if (t == NULL)
        return pier_error(err, ENOMEM, "load");
    l->ids_text = t;
    l->ids_len += (size_t)sprintf(t + l->ids_len, "Loaded image ID: %s\n", id);
    l->last_untagged = p->item->ntags == 0;
    if (l->rep && l->rep->loaded)
        l->rep->loaded(l->rep->data, id);
    return 0;
}

/* Whether the planned image is of the platform asked for (all are when
 * none was). */
static bool of_platform(struct load *l, const struct plan *p)
{
    if (l->rep->platform == NULL)
        return true;
    cleanup_json json_t *config = json_loadb(p->config, p->config_len, 0, NULL);
    pier_err_t e = NULL;
    bool ok = reg_platform_check(config, l->rep->platform, "", &e) == 0;
    pier_error_free(&e);
    return ok;
}

static int load_all(struct load *l, const struct img_archive_index *idx, pier_err_t *err)
{
    const struct img_archive_entry *me = img_archive_lookup(idx, "manifest.json", err);
    if (me == NULL) {
        pier_err_t e = NULL;
        bool legacy = img_archive_lookup(idx, "repositories", &e) != NULL;
        pier_error_free(&e);
        if (legacy)
            return pier_error(err, 0,
                              "the archive has no manifest.json, only a repositories file: the "
                              "format of docker before 1.10, which pier does not load");
        return pier_error(err, 0,
                          "the archive has no manifest.json: not an archive of docker save");
    }
    cleanup_free char *text = NULL;
    size_t len;
    struct img_archive_manifest *m = NULL;
    if (img_archive_read(l->tar, me, IMG_ARCHIVE_MANIFEST_MAX, &text, &len, err) < 0 ||
        img_archive_manifest_parse(text, len, &m, err) < 0)
        return -1;
    /* Every image checked before the first is loaded; configs are read
     * again when loaded, rather than all held at once. */
    int ret = 0;
    size_t loaded = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; ret == 0 && i < m->n; i++) {
            struct plan p = {0};
            ret = plan_image(l->tar, idx, &m->items[i], &p, err);
            if (ret == 0 && pass == 1 && of_platform(l, &p)) {
                ret = load_image(l, &p, err);
                loaded++;
            }
            if (ret < 0 && m->n > 1)
                pier_error_wrap(err, "image %zu of %zu", i + 1, m->n);
            plan_free(&p);
        }
    }
    img_archive_manifest_free(m);
    if (ret == 0 && loaded == 0 && l->rep->platform != NULL) {
        char want[128];
        reg_platform_format(l->rep->platform, want, sizeof want);
        ret = pier_fail(err, ENOENT, "no image in the archive is of the platform %s", want);
    }
    return ret;
}

int img_load(struct img_store *s, int fd, const struct img_load_report *rep, pier_err_t *err)
{
    cleanup_close int tmp = -1;
    struct load l = {.s = s, .rep = rep};
    struct stat st;
    if (plain_tar(s, fd, &l.tar, &tmp, err) < 0)
        return pier_error_wrap(err, "load");
    if (fstat(l.tar, &st) == 0 && st.st_size == 0)
        return pier_error(err, 0, "load: the archive is empty");
    struct img_archive_index idx;
    if (img_archive_index_read(l.tar, &idx, err) < 0)
        return pier_error_wrap(err, "load");
    img_adding_begin(s);
    int ret = load_all(&l, &idx, err);
    img_adding_end(s);
    img_archive_index_free(&idx);
    if (ret == 0 && l.last_untagged && l.ids_text != NULL)
        say(&l, "%s%s", l.ids_text, "");
    free(l.ids_text);
    return ret;
}
