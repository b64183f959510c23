/* The layers of a pull: a few downloads at a time, each into an unlinked
 * temporary file of the store, while the layers are unpacked in order (a
 * layer needs its parent).  The layer being unpacked is read as its
 * download grows: a feeder thread copies what has arrived into a pipe that
 * img_layer_add reads, so unpacking overlaps the download instead of
 * waiting for it.
 *
 *   downloaders (up to 3) --curl--> tmp file --feeder--> pipe --> img_layer_add
 *
 * Every blob is checked twice: by the download (size and digest) and by
 * img_layer_add (the digest of the bytes it unpacked), and the unpacked
 * tar's digest must be the config's diff id.  A failure anywhere stops the
 * downloads.  The layers unpacked before it stay: each is whole and
 * verified, and the next pull of the image takes them up ("Already
 * exists") instead of downloading them again; image prune removes those
 * that no image comes to use (layer_gc.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/loop.h"
#include "pull_int.h"

/* docker's max-concurrent-downloads */
#define DOWNLOADS 3
#define FEED_BLOCK (256u << 10)
#define PROGRESS_MS 100

struct pipeline {
    struct img_store *s;
    struct reg_client *c;
    const struct img_pull_opts *o;
    struct pull_layer *l;
    size_t n;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t next; /* the next layer to download */
    bool stop;   /* everything: a cancel, a layer that would not unpack */
    /* the lowest layer whose download failed: those above it stop, those
     * below go on, so that a pull again finds them stored */
    size_t fail_at;
    /* the first download that failed by itself (not stopped): what the
     * pull reports, whichever layer's unpacking noticed first */
    pier_err_t cause;
};

static bool stopped(struct pipeline *p)
{
    return p->stop || (p->o->cancel && atomic_load(p->o->cancel));
}

static bool stopped_for(struct pipeline *p, const struct pull_layer *l)
{
    return stopped(p) || (size_t)(l - p->l) >= p->fail_at;
}

static void stop_all(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

/* ---- downloads ---- */

struct download {
    struct pipeline *p;
    struct pull_layer *l;
    uint64_t last_ms;
    int64_t shown; /* the bytes the last Downloading message said */
};

static bool on_bytes(void *data, int64_t bytes)
{
    struct download *d = data;
    struct pipeline *p = d->p;
    pthread_mutex_lock(&p->lock);
    if (bytes > d->l->written) {
        d->l->written = bytes;
        pthread_cond_broadcast(&p->cond);
    }
    bool go = !stopped_for(p, d->l);
    pthread_mutex_unlock(&p->lock);
    uint64_t now = pier_now_ms();
    if (bytes > d->shown && now - d->last_ms >= PROGRESS_MS) {
        d->last_ms = now;
        d->shown = bytes;
        pull_layer_progress(p->o, d->l->id, "Downloading", bytes, d->l->desc.size);
    }
    return go;
}

static void download(struct pipeline *p, struct pull_layer *l)
{
    pier_err_t e = NULL;
    int fd = img_tmp_file(p->s, "download", &e);
    pthread_mutex_lock(&p->lock);
    l->fd = fd;
    pthread_mutex_unlock(&p->lock);
    struct download d = {.p = p, .l = l};
    int rc = fd < 0 ? -1 : reg_fetch_blob(p->c, &l->desc, fd, on_bytes, &d, &e);
    if (rc == 0) {
        if (d.shown < l->desc.size)
            pull_layer_progress(p->o, l->id, "Downloading", l->desc.size, l->desc.size);
        pull_layer_msg(p->o, l->id, "Verifying Checksum");
        pull_layer_msg(p->o, l->id, "Download complete");
    } else if (e != NULL && e->errnum == EBADMSG) {
        pier_fail(&e, EBADMSG, "filesystem layer verification failed for digest %s: %s",
                  l->desc.digest, pier_error_msg(e));
    } else if (e != NULL) {
        pier_error_wrap(&e, "layer %s", l->desc.digest);
    }
    pthread_mutex_lock(&p->lock);
    if (rc < 0 && e != NULL && e->errnum != ECANCELED && p->cause == NULL)
        pier_fail(&p->cause, e->errnum, "%s", pier_error_msg(e));
    if (rc == 0)
        l->written = l->desc.size;
    l->done = true;
    l->err = e;
    if (rc < 0 && (size_t)(l - p->l) < p->fail_at)
        p->fail_at = (size_t)(l - p->l);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void *downloader(void *arg)
{
    struct pipeline *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->next < p->n && p->l[p->next].exists)
            p->next++;
        struct pull_layer *l =
            p->next < p->n && p->next < p->fail_at && !stopped(p) ? &p->l[p->next++] : NULL;
        pthread_mutex_unlock(&p->lock);
        if (l == NULL)
            return NULL;
        download(p, l);
    }
}

/* ---- unpacking ---- */

struct feeder {
    struct pipeline *p;
    struct pull_layer *l;
    int wfd;
};

/* The download's bytes as they arrive, into the pipe; it ends (closing the
 * pipe) when the download did, or when everything stops. */
static void *feed(void *arg)
{
    struct feeder *f = arg;
    struct pipeline *p = f->p;
    struct pull_layer *l = f->l;
    /* a reader that gave up must not kill pierd with SIGPIPE */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char *buf = malloc(FEED_BLOCK);
    int64_t off = 0;
    uint64_t last_ms = 0;
    while (buf != NULL) {
        pthread_mutex_lock(&p->lock);
        while (!l->done && l->written == off && !stopped_for(p, l))
            pthread_cond_wait(&p->cond, &p->lock);
        int64_t avail = l->written - off;
        bool done = l->done, stop = stopped_for(p, l);
        int fd = l->fd;
        pthread_mutex_unlock(&p->lock);
        if (stop || (done && l->err != NULL) || avail <= 0)
            break;
        size_t want = avail < (int64_t)FEED_BLOCK ? (size_t)avail : FEED_BLOCK;
        ssize_t n = pread(fd, buf, want, off);
        if (n <= 0 || pier_write_all(f->wfd, buf, (size_t)n) < 0)
            break;
        off += n;
        uint64_t now = pier_now_ms();
        if (done && (now - last_ms >= PROGRESS_MS || off == l->desc.size)) {
            last_ms = now;
            pull_layer_progress(p->o, l->id, "Extracting", off, l->desc.size);
        }
    }
    free(buf);
    close(f->wfd);
    return NULL;
}

/* One layer, on top of the one before. */
static int unpack(struct pipeline *p, size_t i, pier_err_t *err)
{
    struct pull_layer *l = &p->l[i];
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return pier_error(err, errno, "pipe");
    struct feeder f = {.p = p, .l = l, .wfd = pfd[1]};
    pthread_t t;
    int e = pthread_create(&t, NULL, feed, &f);
    if (e != 0) {
        close(pfd[0]);
        close(pfd[1]);
        return pier_error(err, e, "start a thread");
    }
    struct img_layer_info info;
    pier_err_t uerr = NULL;
    const char *parent = i > 0 ? p->l[i - 1].chain : NULL;
    int rc = img_layer_add(p->s, parent, pfd[0], l->desc.digest, &info, &uerr);
    close(pfd[0]);
    if (rc < 0)
        stop_all(p);
    pthread_join(t, NULL);
    /* the download's own error says best what went wrong */
    pthread_mutex_lock(&p->lock);
    pier_err_t derr = l->err;
    l->err = NULL;
    pthread_mutex_unlock(&p->lock);
    if (derr != NULL) {
        pier_error_free(&uerr);
        *err = derr;
        return -1;
    }
    if (rc < 0) {
        if (p->o->cancel && atomic_load(p->o->cancel)) {
            pier_error_free(&uerr);
            return pier_fail(err, ECANCELED, "the pull was cancelled");
        }
        *err = uerr;
        return pier_error_wrap(err, "layer %s", l->desc.digest);
    }
    if (strcmp(info.diff_id, l->diff) != 0)
        return pier_error(err, 0,
                          "layer %s: its content's digest is %s, the image config says %s (the "
                          "image is corrupt)",
                          l->desc.digest, info.diff_id, l->diff);
    pull_layer_msg(p->o, l->id, "Pull complete");
    return 0;
}

int pull_layers(struct img_store *s, struct reg_client *c, const struct img_pull_opts *o,
                struct pull_layer *l, size_t n, pier_err_t *err)
{
    struct pipeline p = {.s = s, .c = c, .o = o, .l = l, .n = n, .fail_at = n};
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    size_t todo = 0;
    for (size_t i = 0; i < n; i++) {
        l[i].fd = -1;
        if (!l[i].exists)
            pull_layer_msg(o, l[i].id, todo++ < DOWNLOADS ? "Pulling fs layer" : "Waiting");
    }
    pthread_t threads[DOWNLOADS];
    size_t nthreads = 0;
    int ret = 0;
    for (; nthreads < DOWNLOADS && nthreads < todo; nthreads++) {
        int e = pthread_create(&threads[nthreads], NULL, downloader, &p);
        if (e != 0) {
            ret = pier_error(err, e, "start a thread");
            stop_all(&p);
            break;
        }
    }
    for (size_t i = 0; ret == 0 && i < n; i++) {
        if (l[i].exists)
            continue;
        if (unpack(&p, i, err) < 0) {
            stop_all(&p);
            ret = -1;
        }
        /* its bytes are in the store now: free the disk */
        pthread_mutex_lock(&p.lock);
        if (l[i].done && l[i].fd >= 0) {
            close(l[i].fd);
            l[i].fd = -1;
        }
        pthread_mutex_unlock(&p.lock);
    }
    for (size_t i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < n; i++) {
        if (l[i].fd >= 0)
            close(l[i].fd);
        l[i].fd = -1;
        pier_error_free(&l[i].err);
    }
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
    if (ret < 0 && p.cause != NULL) {
        pier_error_free(err);
        *err = steal_pointer(&p.cause);
    }
    pier_error_free(&p.cause);
    return ret;
}
