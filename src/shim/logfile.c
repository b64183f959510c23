/* The container's log in docker's json-file format (src/lib/jsonlog.h),
 * written by the shim so that no log line passes through pierd.  Output
 * is batched: one write(2) per read of the container's output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../lib/file.h"
#include "../lib/jsonlog.h"
#include "../lib/jsonstr.h"
#include "shim.h"

#define FLUSH_AT 65536

struct logfile {
    int fd;
    struct jsonlog j;
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

static void now(char when[JSONLOG_TIME_MAX])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pier_time_rfc3339nano(when, JSONLOG_TIME_MAX, ts.tv_sec, ts.tv_nsec);
}

void logfile_write(struct logfile *l, int stream, const char *data, size_t n)
{
    char when[JSONLOG_TIME_MAX];
    now(when);
    jsonlog_write(&l->j, stream, data, n, when);
    if (l->j.out.len >= FLUSH_AT)
        logfile_flush(l);
}

void logfile_flush(struct logfile *l)
{
    if (l->j.out.len > 0) {
        /* A full disk loses log lines, never the container's output. */
        pier_write_all(l->fd, l->j.out.data, l->j.out.len);
        l->j.out.len = 0;
    }
}

void logfile_close(struct logfile *l)
{
    if (l == NULL)
        return;
    char when[JSONLOG_TIME_MAX];
    now(when);
    jsonlog_end(&l->j, when);
    logfile_flush(l);
    close(l->fd);
    jsonlog_free(&l->j);
    free(l);
}
