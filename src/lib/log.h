/* Process-wide logging for the runtime and the other programs.  By default
 * messages go to stderr as text; --log sends them to a file, and
 * --log-format json writes the {"level","msg","time"} lines containerd reads. */
#ifndef PIER_LOG_H
#define PIER_LOG_H

#include <stdbool.h>

#include "error.h"

enum pier_log_level { PIER_LOG_ERROR, PIER_LOG_WARN, PIER_LOG_INFO, PIER_LOG_DEBUG };
enum pier_log_format { PIER_LOG_TEXT, PIER_LOG_JSON };

/* path NULL keeps stderr.  The file is opened O_APPEND, close-on-exec. */
int pier_log_init(const char *path, enum pier_log_format format, bool debug, pier_err_t *err);
int pier_log_parse_format(const char *s, enum pier_log_format *out, pier_err_t *err);

void pier_log(enum pier_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define pier_debug(...) pier_log(PIER_LOG_DEBUG, __VA_ARGS__)
#define pier_warn(...) pier_log(PIER_LOG_WARN, __VA_ARGS__)

/* Whether a log file was given (errors then go to both it and stderr). */
bool pier_log_to_file(void);

/* The log fd, so that a child can inherit it; -1 when logging to stderr. */
int pier_log_fd(void);

#endif
