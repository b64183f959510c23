/* The hijacked connection of attach and exec: stdin copied to it (and the
 * write side shut when stdin ends), its output copied to stdout, or
 * demultiplexed from docker's 8-byte frames to stdout and stderr; the
 * local terminal raw while a tty is attached; signals and window size
 * changes handed to the caller. */
#ifndef PIER_CLI_STREAM_H
#define PIER_CLI_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* docker's multiplexed stream: [stream, 0, 0, 0, len (big endian 32)]
 * then len bytes.  Streams: 0 stdin and 1 stdout go to out, 2 to err, 3
 * is an error from the daemon. */
struct demux {
    unsigned char hdr[8];
    size_t hlen;
    uint32_t left;
    int stream;
    char syserr[1024];
    size_t syserr_len;
    /* payloads of consecutive frames of one stream, written at once: a log
     * of short lines is a write per 32 KiB, not one per line */
    char run[32768];
    size_t run_len;
    int run_stream;
};

typedef int (*demux_emit)(void *ctx, int stream, const char *data, size_t len);
/* Feed bytes; emit is called with the payload, the frames of one stream
 * joined, before demux_feed returns.  -1 with err on a bad header
 * ("Unrecognized input header: N") or a daemon error frame (once its
 * payload is complete). */
int demux_feed(struct demux *d, const char *p, size_t n, demux_emit emit, void *ctx,
               pier_err_t *err);

/* moby/term's escape proxy: bytes that match the detach keys in turn are
 * held back, in one read or across reads; the whole sequence detaches. */
#define ESCAPE_KEYS_MAX 16
struct escape {
    unsigned char keys[ESCAPE_KEYS_MAX];
    size_t nkeys;
    size_t pos;
};
/* term.ToBytes: "ctrl-p,ctrl-q", "a,b", ctrl-@ .. ctrl-_ ; -1 if bad. */
int escape_parse(const char *spec, struct escape *e);
/* Filter one read of n bytes from in into out (room for n +
 * ESCAPE_KEYS_MAX): returns how many bytes to send, held-back keys of a
 * broken sequence put back in front.  *detach when the sequence is
 * complete; the bytes returned are those typed before it. */
size_t escape_filter(struct escape *e, const char *in, size_t n, char *out, bool *detach);

struct stream {
    int conn;
    const char *pre; /* bytes read past the response head */
    size_t npre;
    bool tty;
    int in_fd; /* -1: no input */
    bool out, err;
    struct escape *escape; /* detach keys, tty input only */
    /* called for each signal caught (see sig_catch) and on SIGWINCH */
    void (*on_signal)(void *ctx, int sig);
    /* called timer_ms after the start, then after the delay it returns,
     * until it returns -1 (timer_ms -1: never) */
    int (*on_timer)(void *ctx);
    int timer_ms;
    void *ctx;
};

/* 0 when the output ended (or the input, with no output wanted), 1 when
 * the detach keys were typed, -1 on an error. */
int stream_run(struct stream *s, pier_err_t *err);

/* Catch signals into a pipe that stream_run and sig_drain read: every
 * catchable one (sig-proxy) or only SIGWINCH. */
void sig_catch(bool all, bool winch);
void sig_release(void);
int sig_fd(void);
/* Next caught signal, or 0. */
int sig_next(void);

/* The terminal on fd 0 in raw mode, put back by term_restore (also at
 * exit). */
int term_raw(void);
void term_restore(void);
/* Rows and columns of fd 1 (or 0), 0 when not a terminal. */
void term_size(int fd, unsigned *rows, unsigned *cols);

#endif
