#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

static int log_fd = -1;
static enum pier_log_format log_format = PIER_LOG_TEXT;
static bool log_debug;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int pier_log_parse_format(const char *s, enum pier_log_format *out, pier_err_t *err)
{
    if (strcmp(s, "text") == 0)
        *out = PIER_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = PIER_LOG_JSON;
    else
        return pier_error(err, 0, "--log-format: unknown format `%s` (want text or json)", s);
    return 0;
}

int pier_log_init(const char *path, enum pier_log_format format, bool debug, pier_err_t *err)
{
    log_format = format;
    log_debug = debug;
    if (path != NULL && path[0] != '\0') {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return pier_error(err, errno, "open log file `%s`", path);
        if (log_fd >= 0)
            close(log_fd);
        log_fd = fd;
    }
    return 0;
}

bool pier_log_to_file(void)
{
    return log_fd >= 0;
}

int pier_log_fd(void)
{
    return log_fd;
}

/* JSON string escaping without pulling a JSON library into the log path. */
static size_t json_escape(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c == '\n') {
            dst[n++] = '\\';
            dst[n++] = 'n';
        } else if (c == '\t') {
            dst[n++] = '\\';
            dst[n++] = 't';
        } else if (c < 0x20) {
            n += (size_t)snprintf(dst + n, cap - n, "\\u%04x", c);
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = '\0';
    return n;
}

void pier_log(enum pier_log_level level, const char *fmt, ...)
{
    if (level == PIER_LOG_DEBUG && !log_debug)
        return;
    int saved = errno;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;
    char line[8192 + 128];
    int n;
    if (log_format == PIER_LOG_JSON) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        char esc[8192];
        json_escape(esc, sizeof esc, msg);
        n = snprintf(line, sizeof line,
                     "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s.%09ldZ\"}\n",
                     level_names[level], esc, when, ts.tv_nsec);
    } else if (log_fd >= 0) {
        n = snprintf(line, sizeof line, "%s: %s\n", level_names[level], msg);
    } else {
        n = snprintf(line, sizeof line, "%s\n", msg);
    }
    if (n > 0)
        pier_write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    errno = saved;
}
