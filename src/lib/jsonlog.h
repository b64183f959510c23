/* docker's json-file log, encoded: one JSON object a line,
 *   {"log":"line\n","stream":"stdout","time":"2026-11-22T15:04:05.123456789Z"}
 * Lines are cut as docker's log copier cuts them: a line is logged when
 * its newline comes; one of 16 KiB or more goes in 16 KiB pieces without
 * the newline (all stamped with the time of the first), its end as the
 * last piece; what is left of a line when the stream ends is logged as it
 * is.  The caller gives the time and writes the bytes out: the container's
 * shim, for which this is the hot path. */
#ifndef PIER_JSONLOG_H
#define PIER_JSONLOG_H

#include <stddef.h>

#include "buf.h"

#define JSONLOG_PIECE 16384
#define JSONLOG_TIME_MAX 40 /* an RFC 3339 time with nanoseconds, and its NUL */

/* The unfinished line of a stream. */
struct jsonlog_line {
    struct buf bytes;
    char first_time[JSONLOG_TIME_MAX]; /* of its first piece; "" until one is logged */
};

struct jsonlog {
    struct buf out;              /* encoded lines, for the caller to write and empty */
    struct jsonlog_line line[2]; /* stdout, stderr */
};

/* n bytes of output from stream 1 (stdout) or 2 (stderr), read at `now`
 * (pier_time_rfc3339nano): the lines they end go to out. */
void jsonlog_write(struct jsonlog *j, int stream, const char *data, size_t n, const char *now);
/* The streams ended: what is left of their lines goes to out. */
void jsonlog_end(struct jsonlog *j, const char *now);
void jsonlog_free(struct jsonlog *j);

#endif
