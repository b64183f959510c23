/* Printing errors and writing output the way docker does. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "flags.h"

int cli_fail(pier_err_t *err)
{
    fflush(stdout);
    fprintf(stderr, "%s\n", pier_error_msg(*err));
    pier_error_free(err);
    return 1;
}

int cli_fail_run(const char *path, pier_err_t *err)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n\nRun '%s %s --help' for more information\n", BIN,
            pier_error_msg(*err), BIN, path);
    pier_error_free(err);
    return 125;
}

void out_write(int fd, const char *s, size_t n)
{
    if (fd == 1)
        fflush(stdout);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            /* a closed pipe ends us as it ends a Go program */
            if (errno == EPIPE) {
                signal(SIGPIPE, SIG_DFL);
                raise(SIGPIPE);
            }
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *go_strerror(int errnum)
{
    /* Go's syscall.Errno strings are glibc's, lower-cased first */
    static __thread char buf[256];
    snprintf(buf, sizeof buf, "%s", strerror(errnum));
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* logrus's needsQuoting: anything but [A-Za-z0-9-._/@^+], or nothing. */
static bool log_needs_quoting(const char *s)
{
    if (*s == '\0')
        return true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._/@^+", c)))
            return true;
    }
    return false;
}

void cli_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* time.RFC3339, local time */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char ts[64], zone[16];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    if (tm.tm_gmtoff == 0)
        snprintf(zone, sizeof zone, "Z");
    else
        snprintf(zone, sizeof zone, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
                 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
    size_t cap = strlen(msg) * 4 + 3;
    cleanup_free char *q = malloc(cap);
    if (q == NULL)
        return;
    if (log_needs_quoting(msg))
        go_quote(msg, q, cap);
    else
        snprintf(q, cap, "%s", msg);
    fflush(stdout);
    fprintf(stderr, "time=\"%s%s\" level=error msg=%s\n", ts, zone, q);
}
