/* GET /containers/{id}/logs: the json-file log the shim writes, read back
 * in docker's frames (raw for a tty), with --tail, --since, --until,
 * --timestamps and --follow.  Reading goes in slices, paced by the
 * client: the loop is never held for long, and a slow client holds only a
 * bounded buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/jsonstr.h"
#include "internal.h"

#define SLICE (256u << 10)
#define LINE_MAX_BYTES (1u << 20) /* a longer line is garbage: skipped */

struct log_reader {
    struct engine *e;
    struct container *c;
    int fd;
    struct log_opts o;
    bool tty;
    log_emit_fn emit;
    void (*done)(void *data);
    void *data;
    char *carry; /* a partial line */
    size_t clen, ccap;
    char *out; /* frames not yet emitted */
    size_t olen, ocap;
    int ino;
    struct pier_watch *ino_w;
    struct pier_watch *kick_w;
    bool blocked;   /* the client has enough buffered */
    bool finishing; /* the container stopped: read what is left, then done */
    struct log_reader *next;
};

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 65536;
    while (c < need)
        c *= 2;
    char *b = realloc(*buf, c);
    if (b == NULL)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

static const char *find_key(const char *s, const char *e, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = s; p + kl <= e; p++) {
        p = memchr(p, key[0], (size_t)(e - p));
        if (p == NULL || p + kl > e)
            return NULL;
        if (memcmp(p, key, kl) == 0)
            return p + kl;
    }
    return NULL;
}

/* docker prints log times with all nine digits */
static void fixed_time(long long ns, char *buf, size_t cap)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%09lldZ", ns % 1000000000LL);
}

static void one_line(struct log_reader *r, const char *s, const char *e)
{
    const char *log = find_key(s, e, "\"log\":\"");
    if (log == NULL)
        return;
    const char *stream = find_key(s, e, "\"stream\":\"");
    int sid = stream && stream < e && *stream == 's' && stream + 4 < e && stream[3] == 'e' ? 2 : 1;
    if ((sid == 1 && !r->o.out) || (sid == 2 && !r->o.err))
        return;
    long long t = 0;
    if (r->o.timestamps || r->o.since_ns || r->o.until_ns) {
        const char *tp = find_key(s, e, "\"time\":\"");
        char ts[64] = "";
        if (tp) {
            const char *te = memchr(tp, '"', (size_t)(e - tp));
            snprintf(ts, sizeof ts, "%.*s", te ? (int)(te - tp) : 0, tp);
        }
        t = rfc3339_to_ns(ts);
        if ((r->o.since_ns && t < r->o.since_ns) || (r->o.until_ns && t > r->o.until_ns))
            return;
    }
    size_t room = (size_t)(e - log) + 48;
    if (grow(&r->out, &r->ocap, r->olen + 8 + room) < 0)
        return;
    char *hdr = r->out + r->olen;
    char *p = hdr + (r->tty ? 0 : 8);
    size_t plen = 0;
    if (r->o.timestamps) {
        fixed_time(t, p, 48);
        plen = strlen(p);
        p[plen++] = ' ';
    }
    size_t n;
    pier_json_unescape(log, e, p + plen, &n);
    plen += n;
    if (!r->tty) {
        hdr[0] = (char)sid;
        hdr[1] = hdr[2] = hdr[3] = 0;
        hdr[4] = (char)(plen >> 24);
        hdr[5] = (char)(plen >> 16);
        hdr[6] = (char)(plen >> 8);
        hdr[7] = (char)plen;
        r->olen += 8;
    }
    r->olen += plen;
}

static void finish(struct log_reader *r)
{
    void (*done)(void *) = r->done;
    void *data = r->data;
    log_reader_stop(r);
    done(data);
}

/* Emit what is ready; false when the client is full for now. */
static bool flush_out(struct log_reader *r)
{
    if (r->olen == 0)
        return true;
    int full = r->emit(r->data, r->out, r->olen);
    r->olen = 0;
    return full == 0;
}

static void read_slice(struct log_reader *r)
{
    char buf[SLICE];
    for (;;) {
        ssize_t n = read(r->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            flush_out(r);
            if (r->o.follow && !r->finishing)
                return; /* inotify says when there is more */
            finish(r);
            return;
        }
        const char *s = buf, *e = buf + n;
        while (s < e) {
            const char *nl = memchr(s, '\n', (size_t)(e - s));
            if (nl == NULL) {
                if (r->clen + (size_t)(e - s) <= LINE_MAX_BYTES &&
                    grow(&r->carry, &r->ccap, r->clen + (size_t)(e - s)) == 0) {
                    memcpy(r->carry + r->clen, s, (size_t)(e - s));
                    r->clen += (size_t)(e - s);
                }
                break;
            }
            if (r->clen > 0) {
                if (grow(&r->carry, &r->ccap, r->clen + (size_t)(nl - s)) == 0) {
                    memcpy(r->carry + r->clen, s, (size_t)(nl - s));
                    one_line(r, r->carry, r->carry + r->clen + (nl - s));
                }
                r->clen = 0;
            } else {
                one_line(r, s, nl);
            }
            s = nl + 1;
        }
        if (!flush_out(r)) {
            r->blocked = true;
            return; /* log_reader_kick when the client drained */
        }
        if ((size_t)n < sizeof buf && !r->o.follow)
            continue;
        /* one slice per turn of the loop: others get theirs */
        pier_timer_set(r->kick_w, 0, 0);
        return;
    }
}

static void on_kick(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct log_reader *r = data;
    if (!r->blocked)
        read_slice(r);
}

static void on_inotify(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct log_reader *r = data;
    char buf[4096];
    while (read(r->ino, buf, sizeof buf) > 0)
        ;
    if (!r->blocked)
        read_slice(r);
}

void log_reader_kick(struct log_reader *r)
{
    if (r == NULL || !r->blocked)
        return;
    r->blocked = false;
    pier_timer_set(r->kick_w, 0, 0);
}

void log_reader_stop(struct log_reader *r)
{
    if (r == NULL)
        return;
    if (r->c)
        for (struct log_reader **p = &r->c->readers; *p; p = &(*p)->next)
            if (*p == r) {
                *p = r->next;
                break;
            }
    if (r->ino_w)
        pier_watch_del(r->ino_w);
    if (r->ino >= 0)
        close(r->ino);
    if (r->kick_w)
        pier_timer_del(r->kick_w);
    close(r->fd);
    free(r->carry);
    free(r->out);
    free(r);
}

/* The offset where the last n lines start. */
static off_t tail_offset(int fd, long long n)
{
    off_t end = lseek(fd, 0, SEEK_END);
    if (n <= 0)
        return end;
    off_t pos = end;
    char buf[65536];
    long long lines = 0;
    /* the last byte is the last line's newline */
    while (pos > 0) {
        size_t chunk = pos > (off_t)sizeof buf ? sizeof buf : (size_t)pos;
        pos -= (off_t)chunk;
        if (pread(fd, buf, chunk, pos) != (ssize_t)chunk)
            return 0;
        for (size_t i = chunk; i-- > 0;) {
            if (buf[i] == '\n' && pos + (off_t)i != end - 1 && ++lines == n)
                return pos + (off_t)i + 1;
        }
    }
    return 0;
}

int engine_logs(struct engine *e, struct container *c, const struct log_opts *o, log_emit_fn emit,
                void (*done)(void *data), void *data, struct log_reader **out, pier_err_t *err)
{
    char path[PATH_MAX];
    ct_log_path(c, path, sizeof path);
    if (path[0] == '\0')
        return pier_fail(err, ENOTSUP, "configured logging driver does not support reading");
    struct log_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return pier_error(err, ENOMEM, "logs");
    *r = (struct log_reader){.e = e,
                             .c = c,
                             .o = *o,
                             .tty = container_tty(c),
                             .emit = emit,
                             .done = done,
                             .data = data,
                             .ino = -1};
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        /* a container never started has no log yet */
        r->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (o->tail >= 0)
        lseek(r->fd, tail_offset(r->fd, o->tail), SEEK_SET);
    r->finishing = !container_running(c);
    r->kick_w = pier_timer_add(e->loop, 0, 0, on_kick, r, err);
    if (r->kick_w == NULL) {
        close(r->fd);
        free(r);
        return -1;
    }
    if (o->follow && !r->finishing) {
        r->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (r->ino < 0 || inotify_add_watch(r->ino, path, IN_MODIFY) < 0 ||
            (r->ino_w = pier_watch_add(e->loop, r->ino, EPOLLIN, on_inotify, r, err)) == NULL) {
            /* an unstarted container: its log file comes with its start */
            if (r->ino >= 0 && r->ino_w == NULL) {
                close(r->ino);
                r->ino = -1;
            }
        }
    }
    r->next = c->readers;
    c->readers = r;
    *out = r;
    return 0;
}

/* The container stopped: followers read what is left and end. */
void logs_container_stopped(struct container *c)
{
    for (struct log_reader *r = c->readers; r; r = r->next) {
        r->finishing = true;
        if (!r->blocked)
            pier_timer_set(r->kick_w, 0, 0);
    }
}

void logs_container_gone(struct container *c)
{
    while (c->readers) {
        struct log_reader *r = c->readers;
        c->readers = r->next;
        r->c = NULL;
        r->finishing = true;
        pier_timer_set(r->kick_w, 0, 0);
    }
}
