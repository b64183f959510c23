/* `docker load`: the images of a docker archive into the store, read in
 * one pass as the archive arrives (archive_index.c).
 *
 * A file too big to keep in memory is taken for a layer and unpacked as
 * its bytes come, into a temporary of the store (img_layer_unpack, through
 * a socketpair that this thread fills while another unpacks), since the
 * layers come before manifest.json, which says what they are and in what
 * order.  At the end every image is checked whole (its config, the diff id
 * of each of its layers) before the first is stored; then each layer is
 * committed on its parent, and the temporaries no image took are dropped.
 * A layer that two images hold on different parents is unpacked again
 * from the store for the second. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "archive.h"
#include "internal.h"
#include "registry.h"

#define COPY_BLOCK (256u << 10)

/* ---- layers as they come ---- */

/* What became of a file not kept in memory (an entry's user). */
struct slot {
    struct img_layer_tmp *tmp; /* unpacked, not yet committed */
    char *error;               /* why it could not be unpacked */
    bool committed;            /* tmp went into the store: info says what */
    struct img_layer_info info;
};

/* A layer's bytes, block by block: > 0 a block at *p, 0 their end, < 0 a
 * failure to read them (err). */
typedef ssize_t (*layer_read_fn)(void *src, const void **p, pier_err_t *err);

struct unpacker {
    struct img_store *s;
    int in;
    struct img_layer_tmp *tmp;
    pier_err_t err;
};

static void *unpack_run(void *data)
{
    struct unpacker *u = data;
    if (img_layer_unpack(u->s, u->in, NULL, &u->tmp, &u->err) < 0)
        u->tmp = NULL;
    close(u->in); /* the sends fail (EPIPE) if it stopped early */
    return NULL;
}

/* What next gives, unpacked into a temporary (*tmp) by a thread of its
 * own that this one feeds through a socketpair.  An unpack that fails
 * (*tmp NULL, *why its error) is read past to the end; only the reading
 * failing is -1 (err). */
static int unpack_read(struct img_store *s, layer_read_fn next, void *src,
                       struct img_layer_tmp **tmp, pier_err_t *why, pier_err_t *err)
{
    *tmp = NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return pier_error(err, errno, "socketpair");
    struct unpacker u = {.s = s, .in = sv[0]};
    pthread_t t;
    int rc = pthread_create(&t, NULL, unpack_run, &u);
    if (rc != 0) {
        close(sv[0]);
        close(sv[1]);
        return pier_error(err, rc, "start a thread");
    }
    const void *p;
    ssize_t n;
    bool sending = true;
    while ((n = next(src, &p, err)) > 0)
        if (sending && pier_send_all(sv[1], p, (size_t)n) < 0)
            sending = false;
    close(sv[1]);
    pthread_join(t, NULL);
    if (n < 0) {
        if (u.tmp != NULL)
            img_layer_drop(s, u.tmp);
        pier_error_free(&u.err);
        return -1;
    }
    *tmp = u.tmp;
    *why = u.err;
    return 0;
}

/* The same, either failure an error. */
static int unpack_all(struct img_store *s, layer_read_fn next, void *src,
                      struct img_layer_tmp **tmp, pier_err_t *err)
{
    if (unpack_read(s, next, src, tmp, err, err) < 0 || *tmp == NULL)
        return -1;
    return 0;
}

/* A small layer kept in memory, in one block. */
struct kept {
    const char *buf;
    size_t len;
};

static ssize_t kept_read(void *src, const void **p, pier_err_t *err)
{
    (void)err;
    struct kept *k = src;
    size_t n = k->len;
    *p = k->buf;
    k->len = 0;
    return (ssize_t)n;
}

/* A layer of the store, read back. */
struct stored {
    struct img_tar_reader *tar;
    char *buf; /* COPY_BLOCK */
};

static ssize_t stored_read(void *src, const void **p, pier_err_t *err)
{
    struct stored *st = src;
    *p = st->buf;
    return img_tar_read(st->tar, st->buf, COPY_BLOCK, err);
}

/* A layer of the archive as it arrives. */
static ssize_t arriving_read(void *src, const void **p, pier_err_t *err)
{
    size_t n;
    int rc = img_archive_in_read(src, p, &n, err);
    return rc > 0 ? (ssize_t)n : rc;
}

struct load {
    struct img_store *s;
    const struct img_load_report *rep;
    char *ids_text; /* "Loaded image ID: ..." lines, said at the end as docker does */
    size_t ids_len;
    bool last_untagged;
};

static void slot_drop(void *data, void *user)
{
    struct load *l = data;
    struct slot *sl = user;
    if (sl->tmp != NULL)
        img_layer_drop(l->s, sl->tmp);
    free(sl->error);
    free(sl);
}

/* The scan's stream: a file too big to keep, unpacked as a layer as it
 * comes.  One that is no layer is noted as such; only the archive failing
 * to be read stops the load. */
static int stream_layer(void *data, struct img_archive_entry *e, struct img_archive_in *in,
                        pier_err_t *err)
{
    struct load *l = data;
    struct slot *sl = calloc(1, sizeof *sl);
    if (sl == NULL)
        return pier_error(err, ENOMEM, "load");
    e->user = sl;
    pier_err_t why = NULL;
    if (unpack_read(l->s, arriving_read, in, &sl->tmp, &why, err) < 0)
        return -1;
    if (sl->tmp == NULL) {
        sl->error = strdup(pier_error_msg(why));
        pier_error_free(&why);
        if (sl->error == NULL)
            return pier_error(err, ENOMEM, "load");
    }
    return 0;
}

/* ---- one image, checked ---- */

struct plan {
    const struct img_archive_item *item;
    const char *config; /* the kept entry's bytes */
    size_t config_len;
    size_t nlayers;
    char (*diff)[IMG_DIGEST_SIZE];
    const struct img_archive_entry **layers;
    struct slot **slots;
};

static void plan_free(struct plan *p)
{
    free(p->diff);
    free(p->layers);
    free(p->slots);
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

/* The slot of a layer's entry: a kept one (a small layer) is unpacked now. */
static struct slot *layer_slot(struct load *l, const struct img_archive_entry *e, pier_err_t *err)
{
    struct img_archive_entry *me = (struct img_archive_entry *)e;
    if (me->user == NULL) {
        struct slot *sl = calloc(1, sizeof *sl);
        if (sl == NULL) {
            pier_error(err, ENOMEM, "load");
            return NULL;
        }
        me->user = sl;
        struct kept k = {.buf = e->data ? e->data : "", .len = e->data ? (size_t)e->size : 0};
        pier_err_t uerr = NULL;
        if (unpack_all(l->s, kept_read, &k, &sl->tmp, &uerr) < 0) {
            sl->tmp = NULL;
            sl->error = strdup(pier_error_msg(uerr));
            pier_error_free(&uerr);
            if (sl->error == NULL) {
                pier_error(err, ENOMEM, "load");
                return NULL;
            }
        }
    }
    struct slot *sl = me->user;
    if (sl->error != NULL) {
        pier_error(err, 0, "%s: %s", e->name, sl->error);
        return NULL;
    }
    return sl;
}

/* The layer's diff id is the config's. */
static int check_layer(const struct img_archive_entry *e, const struct slot *sl, const char *diff,
                       pier_err_t *err)
{
    const struct img_layer_info *info = sl->committed ? &sl->info : img_layer_tmp_info(sl->tmp);
    if (strcmp(info->diff_id, diff) == 0)
        return 0;
    if (strcmp(info->digest, info->diff_id) == 0) /* a plain tar */
        return pier_error(err, 0, "%s: the layer's digest is %s, not %s as expected", e->name,
                          info->diff_id, diff);
    return pier_error(err, 0, "%s: its diff id is %s, the config says %s", e->name, info->diff_id,
                      diff);
}

static int plan_image(struct load *l, const struct img_archive_index *idx,
                      const struct img_archive_item *it, struct plan *p, pier_err_t *err)
{
    p->item = it;
    const struct img_archive_entry *ce = img_archive_lookup(idx, it->config, err);
    cleanup_json json_t *cfg = NULL;
    if (ce == NULL || img_archive_data(ce, IMG_CONFIG_MAX, &p->config, &p->config_len, err) < 0 ||
        pier_json_parse(p->config, p->config_len, "invalid JSON", &cfg, err) < 0)
        return pier_error_wrap(err, "config %s", it->config);
    if (!json_is_object(cfg))
        return pier_error(err, 0, "config %s: not a JSON object", it->config);
    if (config_diff_ids(cfg, p, err) < 0)
        return pier_error_wrap(err, "config %s", it->config);
    p->layers = calloc(p->nlayers ? p->nlayers : 1, sizeof *p->layers);
    p->slots = calloc(p->nlayers ? p->nlayers : 1, sizeof *p->slots);
    if (p->layers == NULL || p->slots == NULL)
        return pier_error(err, ENOMEM, "plan the load");
    for (size_t i = 0; i < p->nlayers; i++) {
        p->layers[i] = img_archive_lookup(idx, it->layers[i], err);
        if (p->layers[i] == NULL)
            return pier_error_wrap(err, "layer %zu", i);
        p->slots[i] = layer_slot(l, p->layers[i], err);
        if (p->slots[i] == NULL || check_layer(p->layers[i], p->slots[i], p->diff[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- layers ---- */

/* Layer i of the image on its parent: found in the store, or committed
 * from its temporary, or (its temporary gone into the store on another
 * parent) unpacked again from the store. */
static int store_layer(struct load *l, struct plan *p, size_t i, const char *parent,
                       char chain[IMG_DIGEST_SIZE], bool *created, pier_err_t *err)
{
    struct slot *sl = p->slots[i];
    *created = false;
    if (img_chain_id(parent, p->diff[i], chain, err) < 0)
        return -1;
    if (img_layer_exists(l->s, chain))
        return 0;
    struct img_layer_tmp *tmp = sl->tmp;
    if (sl->committed) {
        struct stored st = {.buf = malloc(COPY_BLOCK)};
        int64_t size;
        if (st.buf == NULL)
            return pier_error(err, ENOMEM, "%s", p->layers[i]->name);
        int ret = img_tar_open(l->s, p->diff[i], &st.tar, &size, err);
        if (ret == 0) {
            ret = unpack_all(l->s, stored_read, &st, &tmp, err);
            img_tar_close(st.tar);
        }
        free(st.buf);
        if (ret < 0)
            return pier_error_wrap(err, "%s", p->layers[i]->name);
    }
    sl->tmp = NULL;
    if (img_layer_commit(l->s, tmp, parent, &sl->info, err) < 0)
        return pier_error_wrap(err, "%s", p->layers[i]->name);
    sl->committed = true;
    *created = true;
    if (l->rep != NULL && l->rep->layer != NULL)
        l->rep->layer(l->rep->data, p->diff[i], p->layers[i]->size);
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
        ret = store_layer(l, p, i, i ? chains[i - 1] : NULL, chains[i], &created[i], err);
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
    if (l->rep == NULL || l->rep->platform == NULL)
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
        pier_error_free(err);
        if (legacy)
            return pier_error(err, 0,
                              "the archive has no manifest.json, only a repositories file: the "
                              "format of docker before 1.10, which pier does not load");
        return pier_error(err, 0,
                          "the archive has no manifest.json: not an archive of docker save");
    }
    const char *text;
    size_t len;
    struct img_archive_manifest *m = NULL;
    if (img_archive_data(me, IMG_ARCHIVE_MANIFEST_MAX, &text, &len, err) < 0 ||
        img_archive_manifest_parse(text, len, &m, err) < 0)
        return -1;
    /* Every image checked before the first is stored. */
    struct plan *plans = calloc(m->n ? m->n : 1, sizeof *plans);
    int ret = plans ? 0 : pier_error(err, ENOMEM, "load");
    size_t loaded = 0;
    for (size_t i = 0; ret == 0 && i < m->n; i++) {
        ret = plan_image(l, idx, &m->items[i], &plans[i], err);
        if (ret < 0 && m->n > 1)
            pier_error_wrap(err, "image %zu of %zu", i + 1, m->n);
    }
    for (size_t i = 0; ret == 0 && i < m->n; i++) {
        if (!of_platform(l, &plans[i]))
            continue;
        ret = load_image(l, &plans[i], err);
        loaded++;
        if (ret < 0 && m->n > 1)
            pier_error_wrap(err, "image %zu of %zu", i + 1, m->n);
    }
    for (size_t i = 0; plans != NULL && i < m->n; i++)
        plan_free(&plans[i]);
    free(plans);
    img_archive_manifest_free(m);
    if (ret == 0 && loaded == 0 && l->rep != NULL && l->rep->platform != NULL) {
        char want[128];
        reg_platform_format(l->rep->platform, want, sizeof want);
        ret = pier_fail(err, ENOENT, "no image in the archive is of the platform %s", want);
    }
    return ret;
}

static int input_end(void *data, pier_err_t *err)
{
    struct load *l = data;
    return l->rep->input_end(l->rep->data, err);
}

int img_load(struct img_store *s, int fd, const struct img_load_report *rep, pier_err_t *err)
{
    struct load l = {.s = s, .rep = rep};
    struct img_archive_scan sc = {.stream = stream_layer,
                                  .drop = slot_drop,
                                  .input_end = rep && rep->input_end ? input_end : NULL,
                                  .data = &l};
    struct img_archive_index idx;
    img_adding_begin(s);
    int ret = img_archive_scan(fd, &sc, &idx, err);
    if (ret < 0)
        pier_error_wrap(err, "load");
    else {
        ret = load_all(&l, &idx, err);
        img_archive_scan_free(&idx, &sc);
    }
    img_adding_end(s);
    if (ret == 0 && l.last_untagged && l.ids_text != NULL)
        say(&l, "%s%s", l.ids_text, "");
    free(l.ids_text);
    return ret;
}
