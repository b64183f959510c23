/* The container's log in docker's json-file format, written by the shim so
 * that no log line passes through pierd.  Output is batched: one write(2)
 * per read of the container's output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/file.h"
#include "../lib/jsonstr.h"
#include "shim.h"

#define PARTIAL_MAX 16384 /* as docker: a longer line is logged in pieces */
#define FLUSH_AT 65536

struct logfile {
    int fd;
    struct buf out;
    struct buf partial[2];
};

int logfile_open(const char *path, struct logfile **out, pier_err_t *err)
{
    struct logfile *l = calloc(1, sizeof *l);
    if (l == NULL)
        return pier_error(err, ENOMEM, "log");
    l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (l->fd < 0) {
        int e = errno;
        free(l);
        return pier_error(err, e, "open log `%s`", path);
    }
    *out = l;
    return 0;
}

static void entry(struct logfile *l, const char *stream, const char *line, size_t n,
                  const char *when)
{
    buf_put(&l->out, "{\"log\":\"", 8);
    /* escaped in place: at most 6 bytes for each byte of the line */
    char *at = buf_room(&l->out, n * 6);
    if (at == NULL)
        return;
    l->out.len += pier_json_escape(at, line, n);
    buf_put(&l->out, "\",\"stream\":\"", 12);
    buf_put(&l->out, stream, strlen(stream));
    buf_put(&l->out, "\",\"time\":\"", 10);
    buf_put(&l->out, when, strlen(when));
    buf_put(&l->out, "\"}\n", 3);
}

void logfile_write(struct logfile *l, const char *stream, const char *data, size_t n)
{
    struct buf *part = &l->partial[stream[3] == 'o' ? 0 : 1];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[48];
    pier_time_rfc3339nano(when, sizeof when, ts.tv_sec, ts.tv_nsec);
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl ? (size_t)(nl - data) + 1 : n;
        if (nl != NULL) {
            if (part->len > 0) {
                buf_put(part, data, seg);
                entry(l, stream, part->data, part->len, when);
                part->len = 0;
            } else {
                entry(l, stream, data, seg, when);
            }
        } else {
            buf_put(part, data, seg);
            while (part->len >= PARTIAL_MAX) {
                entry(l, stream, part->data, PARTIAL_MAX, when);
                buf_consume(part, PARTIAL_MAX);
            }
        }
        data += seg;
        n -= seg;
    }
    if (l->out.len >= FLUSH_AT)
        logfile_flush(l);
}

void logfile_flush(struct logfile *l)
{
    if (l->out.len > 0) {
        /* A full disk loses log lines, never the container's output. */
        pier_write_all(l->fd, l->out.data, l->out.len);
        l->out.len = 0;
    }
}

void logfile_close(struct logfile *l)
{
    if (l == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[48];
    pier_time_rfc3339nano(when, sizeof when, ts.tv_sec, ts.tv_nsec);
    /* what is left of unfinished lines */
    for (int i = 0; i < 2; i++)
        if (l->partial[i].len > 0)
            entry(l, i == 0 ? "stdout" : "stderr", l->partial[i].data, l->partial[i].len, when);
    logfile_flush(l);
    close(l->fd);
    buf_free(&l->out);
    buf_free(&l->partial[0]);
    buf_free(&l->partial[1]);
    free(l);
}
