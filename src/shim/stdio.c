/* A process's stdio held by the shim: its output goes to the log and to
 * every attached client (docker's 8-byte multiplexed frames unless it has a
 * tty), clients' input to its stdin.  Nothing blocks: a client that cannot
 * keep up is dropped rather than slowing the container. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "shim.h"

#define READ_CHUNK 65536
#define PIPE_DEPTH (1024 * 1024)
#define PACE_FROM 4096
#define PACE_MS 1
#define READS_PER_EVENT 8 /* then let the others run */

int parse_detach_keys(const char *s, unsigned char *out, size_t cap, size_t *n)
{
    *n = 0;
    if (s == NULL || *s == '\0')
        s = "ctrl-p,ctrl-q";
    for (const char *p = s; *p;) {
        const char *e = strchrnul(p, ',');
        size_t len = (size_t)(e - p);
        unsigned char c;
        if (len == 1) {
            c = (unsigned char)*p;
        } else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
            char k = p[5];
            if (k >= 'a' && k <= 'z')
                c = (unsigned char)(k - 'a' + 1);
            else if (k == '@')
                c = 0;
            else if (k == '[')
                c = 27;
            else if (k == '\\')
                c = 28;
            else if (k == ']')
                c = 29;
            else if (k == '^')
                c = 30;
            else if (k == '_')
                c = 31;
            else
                return -1;
        } else {
            return -1;
        }
        if (*n == cap)
            return -1;
        out[(*n)++] = c;
        p = *e ? e + 1 : e;
    }
    return *n > 0 ? 0 : -1;
}

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int stdio_setup_pipes(struct stdio *io, bool with_stdin, int child[3], pier_err_t *err)
{
    int p[2];
    child[0] = child[1] = child[2] = -1;
    io->in = io->out = io->err = -1;
    if (with_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return pier_error(err, errno, "stdin pipe");
        child[0] = p[0];
        io->in = p[1];
    } else {
        child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (child[0] < 0)
            return pier_error(err, errno, "open /dev/null");
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return pier_error(err, errno, "stdout pipe");
    io->out = p[0];
    child[1] = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
        return pier_error(err, errno, "stderr pipe");
    io->err = p[0];
    child[2] = p[1];
    /* A deeper pipe lets a chatty container write on while the shim logs
     * the last batch, and the shim reads it in fewer, larger pieces.  The
     * kernel only holds pages that are written, so an idle container pays
     * nothing; a failure (limits) keeps the default. */
    int a = fcntl(io->out, F_SETPIPE_SZ, PIPE_DEPTH), b = fcntl(io->err, F_SETPIPE_SZ, PIPE_DEPTH);
    io->depth = a > 0 && b > 0 ? (size_t)(a < b ? a : b) : 0;
    if ((io->in >= 0 && nonblock(io->in) < 0) || nonblock(io->out) < 0 || nonblock(io->err) < 0)
        return pier_error(err, errno, "non-blocking stdio");
    return 0;
}

/* ---- clients -------------------------------------------------------------- */

static void client_events(struct client *c)
{
    /* Once its input ended, RDHUP would fire for ever; a client that goes
     * away altogether still shows as HUP. */
    uint32_t ev = c->reading ? EPOLLIN | EPOLLRDHUP : 0;
    if (c->pending.len > 0)
        ev |= EPOLLOUT;
    pier_watch_mod(c->w, ev);
}

static void client_drop(struct client *c)
{
    struct stdio *io = c->io;
    for (struct client **p = &io->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pier_watch_del(c->w);
    close(c->fd);
    buf_free(&c->pending);
    free(c);
    if (!io->ending && io->clients == NULL && io->out < 0 && io->err < 0 && io->idle)
        io->idle(io);
}

/* Write what can be written now; the rest waits for EPOLLOUT. */
static int client_flush(struct client *c)
{
    while (c->pending.len > 0) {
        ssize_t w = send(c->fd, c->pending.data, c->pending.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -1;
        }
        buf_consume(&c->pending, (size_t)w);
    }
    return 0;
}

/* docker's multiplexed stream: stream number, three zeros, big-endian length. */
static void frame_header(unsigned char hdr[8], int stream, size_t n)
{
    hdr[0] = (unsigned char)stream;
    hdr[1] = hdr[2] = hdr[3] = 0;
    hdr[4] = (unsigned char)(n >> 24);
    hdr[5] = (unsigned char)(n >> 16);
    hdr[6] = (unsigned char)(n >> 8);
    hdr[7] = (unsigned char)n;
}

void stdio_send_once(int fd, bool tty, const char *text)
{
    size_t n = strlen(text);
    unsigned char hdr[8];
    frame_header(hdr, 1, n);
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)text, n}};
    struct msghdr msg = {.msg_iov = tty ? iov + 1 : iov, .msg_iovlen = tty ? 1 : 2};
    /* a new connection's buffer takes a short message whole; if not, the
     * client hears only the end of its stream */
    (void)sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void client_send(struct client *c, int stream, const char *data, size_t n)
{
    if ((stream == 1 && !c->out) || (stream == 2 && !c->err))
        return;
    unsigned char hdr[8];
    frame_header(hdr, stream, n);
    size_t hn = c->io->tty ? 0 : sizeof hdr;
    if (c->pending.len == 0) {
        struct iovec iov[2] = {{hdr, hn}, {(void *)data, n}};
        struct msghdr msg = {.msg_iov = hn ? iov : iov + 1, .msg_iovlen = hn ? 2 : 1};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            client_drop(c);
            return;
        }
        size_t done = w > 0 ? (size_t)w : 0;
        if (done == hn + n)
            return;
        if (done < hn) {
            buf_put(&c->pending, hdr + done, hn - done);
            done = 0;
        } else {
            done -= hn;
        }
        buf_put(&c->pending, data + done, n - done);
    } else {
        if (hn)
            buf_put(&c->pending, hdr, hn);
        buf_put(&c->pending, data, n);
    }
    if (c->pending.len > CLIENT_BUF_MAX) {
        client_drop(c);
        return;
    }
    client_events(c);
}

static void close_stdin(struct stdio *io)
{
    if (io->in < 0)
        return;
    if (io->in_w)
        pier_watch_del(io->in_w);
    io->in_w = NULL;
    /* (with a tty, a dup of the master: the output goes on) */
    close(io->in);
    io->in = -1;
    buf_free(&io->in_pending);
}

static void stdin_flush(struct stdio *io)
{
    while (io->in >= 0 && io->in_pending.len > 0) {
        ssize_t w = write(io->in, io->in_pending.data, io->in_pending.len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            /* EPIPE: it closed its stdin; input is dropped. */
            io->in_pending.len = 0;
            break;
        }
        buf_consume(&io->in_pending, (size_t)w);
    }
    if (io->in_pending.len == 0 && io->in_w != NULL) {
        pier_watch_del(io->in_w);
        io->in_w = NULL;
    }
}

static void on_stdin_writable(struct pier_loop *l, struct pier_watch *w, uint32_t events,
                              void *data)
{
    (void)l;
    (void)w;
    (void)events;
    stdin_flush(data);
}

/* Input from a client, minus the detach sequence; true when it asked to
 * detach. */
static bool client_input(struct client *c, const char *data, size_t n)
{
    struct stdio *io = c->io;
    char out[READ_CHUNK + 16];
    size_t o = 0;
    bool detach = false;
    for (size_t i = 0; i < n && !detach; i++) {
        unsigned char b = (unsigned char)data[i];
        if (c->nkeys > 0 && b == c->keys[c->matched]) {
            if (++c->matched == c->nkeys)
                detach = true;
            continue;
        }
        /* a broken sequence goes through as it was typed */
        if (c->matched > 0) {
            memcpy(out + o, c->keys, c->matched);
            o += c->matched;
            c->matched = 0;
            if (c->nkeys > 0 && b == c->keys[0]) {
                c->matched = 1;
                continue;
            }
        }
        out[o++] = (char)b;
    }
    if (o > 0 && c->in && io->in >= 0) {
        buf_put(&io->in_pending, out, o);
        stdin_flush(io);
        if (io->in_pending.len > 0 && io->in_w == NULL)
            io->in_w =
                pier_watch_add(io->shim->loop, io->in, EPOLLOUT, on_stdin_writable, io, NULL);
    }
    return detach;
}

static void on_client(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    struct client *c = data;
    if (events & EPOLLOUT) {
        if (client_flush(c) < 0) {
            client_drop(c);
            return;
        }
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && c->reading) {
        char buf[READ_CHUNK];
        ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
            if (client_input(c, buf, (size_t)r)) {
                client_drop(c);
                return;
            }
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            /* Its input ended.  As docker: with stdin_once and no tty,
             * the process's stdin closes and the output goes on; else the
             * session ends (the docker CLI half-closes when its user types
             * the detach keys, and a tty's stdin is never closed). */
            c->reading = false;
            if (c->in && c->io->stdin_once && !c->io->tty) {
                close_stdin(c->io);
            } else if (c->in) {
                client_drop(c);
                return;
            }
        }
    }
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
        client_drop(c);
        return;
    }
    /* The process's output has ended and so has the client's input. */
    if (c->io->out < 0 && c->io->err < 0 && !c->reading && c->pending.len == 0 &&
        !c->io->hold_clients) {
        client_drop(c);
        return;
    }
    client_events(c);
}

int stdio_attach(struct stdio *io, int fd, bool in, bool out, bool err_, const char *keys,
                 pier_err_t *e)
{
    struct client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return pier_error(e, ENOMEM, "attach");
    *c = (struct client){.io = io, .fd = fd, .in = in, .out = out, .err = err_, .reading = true};
    if (parse_detach_keys(keys, c->keys, sizeof c->keys, &c->nkeys) < 0) {
        free(c);
        return pier_error(e, 0, "invalid detach keys `%s`", keys);
    }
    nonblock(fd);
    c->w = pier_watch_add(io->shim->loop, fd, EPOLLIN | EPOLLRDHUP, on_client, c, e);
    if (c->w == NULL) {
        free(c);
        return -1;
    }
    c->next = io->clients;
    io->clients = c;
    return 0;
}

/* ---- output ------------------------------------------------------------- */

static void output_done(struct stdio *io, int *fd, struct pier_watch **w, struct pier_watch **t)
{
    pier_watch_del(*w);
    *w = NULL;
    if (*t)
        pier_timer_del(*t);
    *t = NULL;
    close(*fd);
    *fd = -1;
    if (io->out < 0 && io->err < 0) {
        if (io->log)
            logfile_flush(io->log);
        if (io->drained)
            io->drained(io);
    }
}

static void on_output(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data);

/* Most programs write 4-8 KiB at a time, and a reader waiting on the pipe
 * is woken for each write: 200 MB of output were 24,000 wake-ups of the
 * shim, the time of it spent switching.  So a stream that is busy (a read
 * found a few KiB) is read again after PACE_MS rather than at its next
 * write, the deep pipe holding what comes meanwhile.  A quiet stream is
 * read as soon as anything comes (a prompt, a line); so is one that filled
 * half its pipe between two reads, which pacing would slow down. */
static void pace(struct stdio *io, bool is_err, size_t got)
{
    struct pier_watch *fd_w = is_err ? io->err_w : io->out_w;
    struct pier_watch **t = is_err ? &io->err_t : &io->out_t;
    bool *paced = is_err ? &io->err_paced : &io->out_paced;
    bool busy = !io->tty && io->depth >= PIPE_DEPTH / 2 && got >= PACE_FROM && got < io->depth / 2;
    if (busy && *t == NULL)
        *t = pier_timer_add(io->shim->loop, PACE_MS, 0, on_output, io, NULL);
    else if (busy)
        pier_timer_set(*t, PACE_MS, 0);
    busy = busy && *t != NULL;
    /* while paced, the pipe's end (HUP) still wakes the shim at once */
    if (busy != *paced && pier_watch_mod(fd_w, busy ? 0 : EPOLLIN) == 0)
        *paced = busy;
}

static void on_output(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)events;
    struct stdio *io = data;
    bool is_err = w == io->err_w || w == io->err_t;
    int *fd = is_err ? &io->err : &io->out;
    int stream = is_err ? 2 : 1;
    char buf[READ_CHUNK];
    size_t got = 0;
    for (int i = 0; i < READS_PER_EVENT; i++) {
        ssize_t r = read(*fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            break;
        if (r <= 0) {
            /* EIO: a pty whose last slave closed */
            if (io->log)
                logfile_flush(io->log);
            output_done(io, fd, is_err ? &io->err_w : &io->out_w, is_err ? &io->err_t : &io->out_t);
            return;
        }
        got += (size_t)r;
        if (io->log)
            logfile_write(io->log, stream, buf, (size_t)r);
        for (struct client *c = io->clients, *next; c; c = next) {
            next = c->next;
            client_send(c, stream, buf, (size_t)r);
        }
    }
    if (io->log)
        logfile_flush(io->log);
    pace(io, is_err, got);
}

void stdio_end_clients(struct stdio *io)
{
    /* Clients get what is pending, then the end of the stream. */
    io->ending = true;
    for (struct client *c = io->clients, *next; c; c = next) {
        next = c->next;
        client_flush(c);
        shutdown(c->fd, SHUT_WR);
        if (c->pending.len == 0 && !c->reading)
            client_drop(c);
    }
    io->ending = false;
    /* last: idle may free io */
    if (io->clients == NULL && io->out < 0 && io->err < 0 && io->idle)
        io->idle(io);
}

int stdio_watch(struct stdio *io, pier_err_t *err)
{
    if (io->out >= 0 &&
        (io->out_w = pier_watch_add(io->shim->loop, io->out, EPOLLIN, on_output, io, err)) == NULL)
        return -1;
    if (io->err >= 0 &&
        (io->err_w = pier_watch_add(io->shim->loop, io->err, EPOLLIN, on_output, io, err)) == NULL)
        return -1;
    return 0;
}

void stdio_close(struct stdio *io)
{
    while (io->clients)
        client_drop(io->clients);
    close_stdin(io);
    if (io->out_w)
        pier_watch_del(io->out_w);
    if (io->err_w)
        pier_watch_del(io->err_w);
    if (io->out_t)
        pier_timer_del(io->out_t);
    if (io->err_t)
        pier_timer_del(io->err_t);
    io->out_t = io->err_t = NULL;
    if (io->out >= 0)
        close(io->out);
    if (io->err >= 0)
        close(io->err);
    io->out = io->err = -1;
    io->out_w = io->err_w = NULL;
}
