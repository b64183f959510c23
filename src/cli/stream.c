#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "cli.h"

static int run_flush(struct demux *d, demux_emit emit, void *ctx, pier_err_t *err)
{
    if (d->run_len > 0 && emit(ctx, d->run_stream, d->run, d->run_len) < 0)
        return pier_error(err, errno, "write");
    d->run_len = 0;
    return 0;
}

static int run_add(struct demux *d, const char *p, size_t n, demux_emit emit, void *ctx,
                   pier_err_t *err)
{
    if (d->run_len > 0 && (d->run_stream != d->stream || d->run_len + n > sizeof d->run) &&
        run_flush(d, emit, ctx, err) < 0)
        return -1;
    if (n > sizeof d->run) /* a large piece goes as it is */
        return emit(ctx, d->stream, p, n) < 0 ? pier_error(err, errno, "write") : 0;
    memcpy(d->run + d->run_len, p, n);
    d->run_len += n;
    d->run_stream = d->stream;
    return 0;
}

static int demux_frames(struct demux *d, const char *p, size_t n, demux_emit emit, void *ctx,
                        pier_err_t *err)
{
    while (n > 0) {
        if (d->left == 0 && d->hlen < 8) {
            size_t take = 8 - d->hlen < n ? 8 - d->hlen : n;
            memcpy(d->hdr + d->hlen, p, take);
            d->hlen += take;
            p += take;
            n -= take;
            if (d->hlen < 8)
                return 0;
            d->stream = d->hdr[0];
            d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
                      (uint32_t)d->hdr[6] << 8 | d->hdr[7];
            if (d->stream > 3)
                return pier_error(err, 0, "Unrecognized input header: %d", d->stream);
            d->syserr_len = 0;
            if (d->left == 0) {
                d->hlen = 0;
                if (d->stream == 3)
                    return pier_error(err, 0, "error from daemon in stream: ");
            }
            continue;
        }
        size_t take = d->left < n ? d->left : n;
        if (d->stream == 3) {
            size_t room = sizeof d->syserr - 1 - d->syserr_len;
            size_t c = take < room ? take : room;
            memcpy(d->syserr + d->syserr_len, p, c);
            d->syserr_len += c;
        } else if (run_add(d, p, take, emit, ctx, err) < 0) {
            return -1;
        }
        p += take;
        n -= take;
        d->left -= (uint32_t)take;
        if (d->left == 0) {
            d->hlen = 0;
            if (d->stream == 3) {
                d->syserr[d->syserr_len] = '\0';
                return pier_error(err, 0, "error from daemon in stream: %s", d->syserr);
            }
        }
    }
    return 0;
}

int demux_feed(struct demux *d, const char *p, size_t n, demux_emit emit, void *ctx,
               pier_err_t *err)
{
    int rc = demux_frames(d, p, n, emit, ctx, err);
    /* what came before an error is still written, as it was received */
    pier_err_t e2 = NULL;
    if (run_flush(d, emit, ctx, rc < 0 ? &e2 : err) < 0)
        rc = -1;
    pier_error_free(&e2);
    return rc;
}

int escape_parse(const char *spec, struct escape *e)
{
    memset(e, 0, sizeof e->keys);
    e->nkeys = 0;
    e->pos = 0;
    char t[256];
    snprintf(t, sizeof t, "%s", spec);
    char *save = NULL;
    for (char *k = strtok_r(t, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (e->nkeys == sizeof e->keys)
            return -1;
        size_t l = strlen(k);
        if (l == 1) {
            e->keys[e->nkeys++] = (unsigned char)k[0];
            continue;
        }
        if (l == 6 && strncasecmp(k, "ctrl-", 5) == 0) {
            /* ctrl-@ .. ctrl-_ are 0 .. 31, letters in either case */
            char c = k[5];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if (c < '@' || c > '_')
                return -1;
            e->keys[e->nkeys++] = (unsigned char)(c - '@');
            continue;
        }
        return -1;
    }
    return e->nkeys ? 0 : -1;
}

size_t escape_filter(struct escape *e, const char *in, size_t n, char *out, bool *detach)
{
    *detach = false;
    if (e == NULL || e->nkeys == 0) {
        memcpy(out, in, n);
        return n;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)in[i];
        if (b == e->keys[e->pos]) {
            if (++e->pos == e->nkeys) {
                /* what came before the sequence still goes */
                e->pos = 0;
                *detach = true;
                return o;
            }
            continue;
        }
        /* a broken sequence goes through as it was typed */
        if (e->pos > 0) {
            memcpy(out + o, e->keys, e->pos);
            o += e->pos;
            e->pos = 0;
            if (b == e->keys[0]) {
                e->pos = 1;
                continue;
            }
        }
        out[o++] = (char)b;
    }
    return o;
}

/* --- signals ---------------------------------------------------------------- */

static int sigpipe_fds[2] = {-1, -1};
static bool caught[65];

static void on_sig(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    if (sigpipe_fds[1] >= 0 && write(sigpipe_fds[1], &c, 1) < 0) {
        /* the pipe is full: the signal is dropped, as a busy channel drops it */
    }
    errno = saved;
}

void sig_catch(bool all, bool winch)
{
    if (sigpipe_fds[0] < 0 && pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return;
    struct sigaction sa = {.sa_handler = on_sig, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < 32; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGPIPE || s == SIGURG)
            continue;
        if (!all && !(winch && s == SIGWINCH))
            continue;
        if (sigaction(s, &sa, NULL) == 0)
            caught[s] = true;
    }
}

void sig_release(void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < 32; s++)
        if (caught[s]) {
            sigaction(s, &sa, NULL);
            caught[s] = false;
        }
}

int sig_fd(void)
{
    return sigpipe_fds[0];
}

int sig_next(void)
{
    unsigned char c;
    if (sigpipe_fds[0] < 0 || read(sigpipe_fds[0], &c, 1) != 1)
        return 0;
    return c;
}

/* --- terminal --------------------------------------------------------------- */

static struct termios saved_termios;
static bool term_is_raw;

void term_restore(void)
{
    if (term_is_raw) {
        tcsetattr(0, TCSANOW, &saved_termios);
        term_is_raw = false;
    }
}

/* A signal that ends us while the terminal is raw: restore it first. */
static void on_fatal(int sig)
{
    if (term_is_raw)
        tcsetattr(0, TCSANOW, &saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_fatal_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (caught[sigs[i]])
            continue; /* forwarded to the container instead */
        struct sigaction sa = {.sa_handler = on_fatal, .sa_flags = SA_RESETHAND};
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

int term_raw(void)
{
    if (term_is_raw)
        return 0;
    if (getenv("NORAW") && *getenv("NORAW"))
        return 0;
    if (!isatty(0) || tcgetattr(0, &saved_termios) < 0)
        return 0;
    struct termios t = saved_termios;
    t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(unsigned)OPOST;
    t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(unsigned)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSANOW, &t) < 0)
        return -1;
    term_is_raw = true;
    guard_fatal_signals();
    static bool registered;
    if (!registered) {
        atexit(term_restore);
        registered = true;
    }
    return 0;
}

void term_size(int fd, unsigned *rows, unsigned *cols)
{
    struct winsize ws;
    *rows = *cols = 0;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* --- the copy loop -------------------------------------------------------- */

static int write_fd(int fd, const char *p, size_t n)
{
    if (fd == 1)
        fflush(stdout);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, -1);
            continue;
        }
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int emit_std(void *ctx, int stream, const char *data, size_t len)
{
    struct stream *s = ctx;
    if (stream == 2) {
        if (!s->err)
            return 0;
        return write_fd(2, data, len);
    }
    if (!s->out)
        return 0;
    return write_fd(1, data, len);
}

static int handle_output(struct stream *s, struct demux *d, const char *buf, size_t n,
                         pier_err_t *err)
{
    if (s->tty) {
        if (s->out && write_fd(1, buf, n) < 0) {
            if (errno == EPIPE) {
                signal(SIGPIPE, SIG_DFL);
                raise(SIGPIPE);
            }
            return pier_error(err, errno, "write");
        }
        return 0;
    }
    return demux_feed(d, buf, n, emit_std, s, err);
}

#define IO_BUF 32768

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Input on the (non-blocking) connection, all of it; a daemon that stopped
 * reading is no error here. */
static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

int stream_run(struct stream *s, pier_err_t *err)
{
    struct demux d = {0};
    cleanup_free char *buf = malloc(IO_BUF);
    cleanup_free char *raw = malloc(IO_BUF);
    cleanup_free char *inbuf = malloc(IO_BUF + ESCAPE_KEYS_MAX);
    if (buf == NULL || raw == NULL || inbuf == NULL)
        return pier_error(err, ENOMEM, "stream");
    if (s->npre > 0 && handle_output(s, &d, s->pre, s->npre, err) < 0)
        return -1;
    bool in_open = s->in_fd >= 0, out_open = true;
    bool want_out = s->out || s->err;
    size_t pending = 0, pending_off = 0;
    int flags = fcntl(s->conn, F_GETFL);
    fcntl(s->conn, F_SETFL, flags | O_NONBLOCK);
    int64_t timer_at = s->on_timer && s->timer_ms >= 0 ? mono_ms() + s->timer_ms : -1;
    for (;;) {
        if (!want_out && !in_open)
            return 0;
        struct pollfd pf[3];
        int n = 0, ic = -1, ii = -1, is = -1;
        pf[n] = (struct pollfd){.fd = s->conn, .events = 0};
        if (out_open)
            pf[n].events |= POLLIN;
        if (pending > 0)
            pf[n].events |= POLLOUT;
        ic = n++;
        if (in_open && pending == 0) {
            pf[n] = (struct pollfd){.fd = s->in_fd, .events = POLLIN};
            ii = n++;
        }
        if (sig_fd() >= 0) {
            pf[n] = (struct pollfd){.fd = sig_fd(), .events = POLLIN};
            is = n++;
        }
        int timeout = -1;
        if (timer_at >= 0) {
            int64_t left = timer_at - mono_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        int ready = poll(pf, (nfds_t)n, timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return pier_error(err, errno, "poll");
        }
        if (timer_at >= 0 && mono_ms() >= timer_at) {
            int next = s->on_timer(s->ctx);
            timer_at = next >= 0 ? mono_ms() + next : -1;
        }
        if (ready == 0)
            continue;
        if (is >= 0 && (pf[is].revents & POLLIN)) {
            int sig;
            while ((sig = sig_next()) > 0)
                if (s->on_signal)
                    s->on_signal(s->ctx, sig);
        }
        if (pf[ic].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(s->conn, buf, IO_BUF);
            if (r < 0 && errno != EAGAIN && errno != EINTR) {
                if (errno == ECONNRESET)
                    return 0;
                return pier_error(err, errno, "read from the daemon");
            }
            if (r == 0)
                return 0; /* the output ended: the container's stream is done */
            if (r > 0 && handle_output(s, &d, buf, (size_t)r, err) < 0)
                return -1;
        }
        if (pending > 0 && (pf[ic].revents & POLLOUT)) {
            ssize_t w = send(s->conn, inbuf + pending_off, pending, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                /* the daemon stopped reading; output will tell why */
                pending = 0;
                in_open = false;
            } else if (w > 0) {
                pending -= (size_t)w;
                pending_off += (size_t)w;
            }
        }
        if (ii >= 0 && (pf[ii].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(s->in_fd, raw, IO_BUF);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                /* stdin ended: half-close, and keep reading the output */
                in_open = false;
                if (s->tty)
                    term_restore();
                shutdown(s->conn, SHUT_WR);
                continue;
            }
            bool detach;
            pending = escape_filter(s->escape, raw, (size_t)r, inbuf, &detach);
            pending_off = 0;
            if (detach) {
                /* what was typed before the keys is sent first, as docker's
                 * escape proxy returns it with its error */
                if (pending > 0)
                    send_all(s->conn, inbuf, pending);
                term_restore();
                return 1;
            }
        }
    }
}
