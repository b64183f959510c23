/* A push, as docker's daemon does it: the tags to push (the one named, or
 * every tag of the repository), then for each its layers bottom first
 * (compressed, skipped when the repository has the blob), its config and
 * its manifest at the tag; the manifest's digest becomes a RepoDigest.
 * A few layers are pushed at once.  A layer the repository already has
 * under a blob it was pulled or pushed as (distribution.c keeps those) is
 * neither compressed nor sent, and one that another repository of the
 * registry has is mounted from there; any other is compressed again.
 * The progress messages are docker's (pull_msg.c builds them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/loop.h"
#include "distribution.h"
#include "pull_int.h"
#include "push_int.h"

#define PROGRESS_MS 100

struct push {
    struct img_store *s;
    const struct img_push_opts *o;
    struct img_pull_opts msg; /* where pull_msg.c's messages go */
    struct img_ref ref;
    char name[IMG_REF_MAX]; /* familiar, without tag */
    struct reg_client *c;
};

/* The tags to push and their images: {"tag": "sha256:..."}, in order. */
static int find_tags(struct push *p, json_t **out, pier_err_t *err)
{
    json_t *tags = json_object();
    if (tags == NULL)
        return pier_error(err, ENOMEM, "push");
    size_t nlen = strlen(p->name);
    pthread_mutex_lock(&p->s->lock);
    const char *key;
    json_t *v;
    json_object_foreach (p->s->repos, key, v) {
        if (strncmp(key, p->name, nlen) != 0 || key[nlen] != ':' || !json_is_string(v))
            continue;
        if (p->ref.tag[0] && strcmp(key + nlen + 1, p->ref.tag) != 0)
            continue;
        json_object_set_new(tags, key + nlen + 1, json_string(json_string_value(v)));
    }
    pthread_mutex_unlock(&p->s->lock);
    if (json_object_size(tags) == 0) {
        json_decref(tags);
        return pier_fail(err, ENOENT, "An image does not exist locally with the tag: %s", p->name);
    }
    *out = tags;
    return 0;
}

struct upload {
    struct push *p;
    const char *id;
    int64_t total;
    uint64_t last_ms;
};

static bool on_sent(void *data, int64_t bytes)
{
    struct upload *u = data;
    uint64_t now = pier_now_ms();
    if (bytes > 0 && now - u->last_ms >= PROGRESS_MS) {
        u->last_ms = now;
        pull_layer_progress(&u->p->msg, u->id, "Pushing", bytes, u->total);
    }
    return !(u->p->o->cancel && atomic_load(u->p->o->cancel));
}

/* One blob from fd, unless the repository has it; id (may be NULL: the
 * config) names it in the messages. */
static int push_blob(struct push *p, const struct reg_desc *d, int fd, const char *id,
                     pier_err_t *err)
{
    bool exists = false;
    if (reg_blob_exists(p->c, d->digest, &exists, err) < 0)
        return -1;
    if (exists) {
        if (id)
            pull_layer_msg(&p->msg, id, "Layer already exists");
        return 0;
    }
    struct upload u = {.p = p, .id = id, .total = d->size};
    if (reg_put_blob(p->c, d, fd, id ? on_sent : NULL, &u, err) < 0)
        return -1;
    if (id) {
        pull_layer_progress(&p->msg, id, "Pushing", d->size, d->size);
        pull_layer_msg(&p->msg, id, "Pushed");
    }
    return 0;
}

/* The layers of one tag, pushed UPLOADS at a time (docker's daemon: 5)
 * by threads that each take the next; the first failure stops the rest. */
#define UPLOADS 3

struct uploads {
    struct push *p;
    const struct img_image *img;
    struct reg_desc *layers;
    char (*ids)[16];
    pthread_mutex_t lock;
    size_t next;
    pier_err_t err;
};

/* A layer the registry can have without our bytes: this repository has a
 * blob it was pulled or pushed as, or another repository of the registry
 * has one and mounts it.  Only gzip blobs (docker's or OCI's: the same
 * bytes), since the manifest is docker's.  Any failure here only means
 * uploading. */
static bool reuse(struct push *p, const char *diff, const char *id, struct reg_desc *out)
{
    struct img_dist d[IMG_DIST_MAX];
    size_t n = img_dist_get(p->s, diff, d, IMG_DIST_MAX);
    char mine[sizeof d[0].repo];
    img_dist_repo(&p->ref, mine, sizeof mine);
    size_t dlen = strlen(p->ref.domain);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            bool same = strcmp(d[i].repo, mine) == 0, ok = false;
            if (strcmp(d[i].blob.media_type, PUSH_MT_LAYER) != 0 &&
                strcmp(d[i].blob.media_type, "application/vnd.oci.image.layer.v1.tar+gzip") != 0)
                continue;
            pier_err_t e = NULL;
            if (pass == 0 && same)
                reg_blob_exists(p->c, d[i].blob.digest, &ok, &e);
            else if (pass == 1 && !same && strncmp(d[i].repo, p->ref.domain, dlen) == 0 &&
                     d[i].repo[dlen] == '/')
                reg_mount_blob(p->c, d[i].blob.digest, d[i].repo + dlen + 1, &ok, &e);
            pier_error_free(&e);
            if (!ok)
                continue;
            *out = d[i].blob;
            snprintf(out->media_type, sizeof out->media_type, "%s", PUSH_MT_LAYER);
            if (pass == 0) {
                pull_layer_msg(&p->msg, id, "Layer already exists");
            } else {
                char status[sizeof d[i].repo + 16];
                snprintf(status, sizeof status, "Mounted from %s", d[i].repo + dlen + 1);
                pull_layer_msg(&p->msg, id, status);
                struct img_dist here = {.blob = *out};
                snprintf(here.repo, sizeof here.repo, "%s", mine);
                img_dist_add(p->s, diff, &here);
            }
            return true;
        }
    return false;
}

/* A layer's upload, on a thread of its own while the layer is
 * compressed. */
struct streamer {
    struct push *p;
    struct reg_stream st;
    int fd;
    struct upload u;
    int ret;
    pier_err_t err;
};

static void *stream_up(void *arg)
{
    struct streamer *s = arg;
    s->ret = reg_put_blob_stream(s->p->c, &s->st, s->fd, on_sent, &s->u, &s->err);
    return NULL;
}

/* Compressed and uploaded at once: the digest is only known at the end,
 * so the HEAD that finds a blob the registry has (without our record of
 * it) comes then, and drops the upload. */
static int compress_and_push(struct push *p, const char *diff, const char *id, struct reg_desc *d,
                             pier_err_t *err)
{
    struct streamer s = {.p = p, .u = {.p = p, .id = id}};
    s.fd = img_tmp_file(p->s, "upload", err);
    if (s.fd < 0)
        return -1;
    reg_stream_init(&s.st);
    pthread_t th;
    int e = pthread_create(&th, NULL, stream_up, &s);
    int ret = e != 0 ? pier_error(err, e, "start a thread")
                     : push_compress(p->s, diff, s.fd, &s.st, d, p->o->cancel, err);
    bool exists = false;
    if (ret == 0 && reg_blob_exists(p->c, d->digest, &exists, err) < 0)
        ret = -1;
    /* whichever side failed first says why: the other only stopped */
    bool upload_failed = e == 0 && reg_stream_failed(&s.st);
    reg_stream_end(&s.st,
                   ret < 0  ? REG_STREAM_FAILED
                   : exists ? REG_STREAM_EXISTS
                            : REG_STREAM_DONE,
                   d);
    if (e == 0)
        pthread_join(th, NULL);
    if (s.ret < 0 && (ret == 0 || upload_failed)) {
        pier_error_free(err);
        *err = steal_pointer(&s.err);
        ret = -1;
    }
    pier_error_free(&s.err);
    reg_stream_destroy(&s.st);
    close(s.fd);
    if (ret == 0 && exists) {
        pull_layer_msg(&p->msg, id, "Layer already exists");
    } else if (ret == 0) {
        pull_layer_progress(&p->msg, id, "Pushing", d->size, d->size);
        pull_layer_msg(&p->msg, id, "Pushed");
    }
    return ret;
}

static int push_layer(struct uploads *u, size_t i, pier_err_t *err)
{
    struct push *p = u->p;
    const char *diff = u->img->diff[i];
    if (reuse(p, diff, u->ids[i], &u->layers[i]))
        return 0;
    int ret = compress_and_push(p, diff, u->ids[i], &u->layers[i], err);
    if (ret == 0) {
        struct img_dist d = {.blob = u->layers[i]};
        img_dist_repo(&p->ref, d.repo, sizeof d.repo);
        img_dist_add(p->s, diff, &d);
    }
    return ret;
}

static void *uploader(void *arg)
{
    struct uploads *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->lock);
        size_t i = u->err == NULL && u->next < u->img->nlayers ? u->next++ : SIZE_MAX;
        pthread_mutex_unlock(&u->lock);
        if (i == SIZE_MAX)
            return NULL;
        pier_err_t e = NULL;
        if (push_layer(u, i, &e) < 0) {
            pthread_mutex_lock(&u->lock);
            if (u->err == NULL)
                u->err = steal_pointer(&e);
            pthread_mutex_unlock(&u->lock);
            pier_error_free(&e);
        }
    }
}

/* The image's layers (bottom first); layers[i] gets each blob's
 * descriptor. */
static int push_layers(struct push *p, const struct img_image *img, struct reg_desc *layers,
                       pier_err_t *err)
{
    struct uploads u = {.p = p, .img = img, .layers = layers};
    u.ids = calloc(img->nlayers + 1, sizeof *u.ids);
    if (u.ids == NULL)
        return pier_error(err, ENOMEM, "push");
    pthread_mutex_init(&u.lock, NULL);
    /* docker lists them top first */
    for (size_t i = img->nlayers; i-- > 0;) {
        snprintf(u.ids[i], sizeof u.ids[i], "%.12s", img->diff[i] + 7);
        pull_layer_msg(&p->msg, u.ids[i], "Preparing");
    }
    for (size_t i = img->nlayers; i-- > UPLOADS;)
        pull_layer_msg(&p->msg, u.ids[i], "Waiting");
    pthread_t threads[UPLOADS];
    size_t nthreads = 0;
    int ret = 0;
    /* the last layer on this thread: a one-layer image starts none */
    for (; nthreads + 1 < UPLOADS && nthreads + 1 < img->nlayers; nthreads++) {
        int e = pthread_create(&threads[nthreads], NULL, uploader, &u);
        if (e != 0) {
            ret = pier_error(err, e, "start a thread");
            break;
        }
    }
    if (ret == 0)
        uploader(&u);
    for (size_t i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    if (ret == 0 && u.err != NULL) {
        *err = steal_pointer(&u.err);
        ret = -1;
    }
    pier_error_free(&u.err);
    pthread_mutex_destroy(&u.lock);
    free(u.ids);
    return ret;
}

static int push_tag(struct push *p, const char *tag, const char *image_id, pier_err_t *err)
{
    pthread_mutex_lock(&p->s->lock);
    struct img_image *found = img_find(p->s, image_id);
    /* a copy: the image may go while it is pushed */
    struct img_image img = {.nlayers = found ? found->nlayers : 0};
    char(*diff)[IMG_DIGEST_SIZE] = found ? calloc(found->nlayers + 1, sizeof *diff) : NULL;
    if (diff)
        memcpy(diff, found->diff, found->nlayers * sizeof *diff);
    pthread_mutex_unlock(&p->s->lock);
    if (found == NULL)
        return pier_fail(err, ENOENT, "An image does not exist locally with the tag: %s", p->name);
    if (diff == NULL)
        return pier_error(err, ENOMEM, "push");
    img.diff = diff;
    struct reg_desc *layers = calloc(img.nlayers + 1, sizeof *layers);
    struct reg_desc config = {.media_type = PUSH_MT_CONFIG};
    snprintf(config.digest, sizeof config.digest, "%s", image_id);
    int ret = layers ? push_layers(p, &img, layers, err) : pier_error(err, ENOMEM, "push");
    int cfd = -1;
    if (ret == 0) {
        cfd = openat(p->s->blobfd, image_id + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (cfd < 0 || fstat(cfd, &st) < 0)
            ret = pier_error(err, errno, "image %s: its config", image_id);
        else
            config.size = st.st_size;
    }
    if (ret == 0)
        ret = push_blob(p, &config, cfd, NULL, err);
    if (cfd >= 0)
        close(cfd);
    cleanup_free char *manifest = NULL;
    size_t len = 0;
    char digest[IMG_DIGEST_SIZE], canonical[IMG_REF_MAX + IMG_DIGEST_SIZE];
    if (ret == 0)
        ret = reg_manifest_build(&config, layers, img.nlayers, &manifest, &len, err);
    if (ret == 0)
        ret = reg_put_manifest(p->c, tag, PUSH_MT_MANIFEST, manifest, len, err);
    if (ret == 0)
        ret = img_sha256(manifest, len, digest, err);
    if (ret == 0) {
        snprintf(canonical, sizeof canonical, "%s@%s", p->name, digest);
        ret = img_set_repo_digest(p->s, image_id, canonical, err);
    }
    if (ret == 0) {
        char status[IMG_TAG_MAX + IMG_DIGEST_SIZE + 64];
        snprintf(status, sizeof status, "%s: digest: %s size: %zu", tag, digest, len);
        pull_msg(&p->msg, NULL, status);
        if (p->o->progress)
            p->o->progress(p->o->data,
                           json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag",
                                     tag, "Digest", digest, "Size", (json_int_t)len));
    }
    free(layers);
    free(diff);
    return ret;
}

int img_push(struct img_store *s, const struct img_push_opts *o, json_t **pushed, pier_err_t *err)
{
    struct push p = {.s = s, .o = o, .msg = {.progress = o->progress, .data = o->data}};
    if (pushed)
        *pushed = json_array();
    if (img_ref_parse(o->ref, &p.ref, err) < 0)
        return -1;
    if (p.ref.digest[0])
        return pier_fail(err, EINVAL, "cannot push a digest reference");
    struct img_ref bare = p.ref;
    bare.tag[0] = '\0';
    img_ref_familiar(&bare, false, p.name, sizeof p.name);
    cleanup_json json_t *tags = NULL;
    if (find_tags(&p, &tags, err) < 0)
        return -1;
    struct reg_creds creds = {0};
    if (reg_creds_decode(o->registry_auth, &creds, err) < 0)
        return -1;
    char status[IMG_REF_MAX + 64];
    snprintf(status, sizeof status, "The push refers to repository [%s/%s]", p.ref.domain,
             p.ref.path);
    pull_msg(&p.msg, NULL, status);
    int ret = reg_client_open(&p.ref, &creds, true, o->cancel, &p.c, err);
    const char *tag;
    json_t *id;
    json_object_foreach (tags, tag, id) {
        if (ret < 0)
            break;
        ret = push_tag(&p, tag, json_string_value(id), err);
        if (ret == 0 && pushed && *pushed) {
            char full[IMG_REF_MAX + 8];
            snprintf(full, sizeof full, "%s:%s", p.name, tag);
            json_array_append_new(*pushed, json_string(full));
        }
    }
    reg_client_free(p.c);
    reg_creds_free(&creds);
    return ret;
}
