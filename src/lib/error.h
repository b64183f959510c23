/* Errors as values: a function that can fail returns < 0 and fills *err with a
 * heap message saying what failed and why.  Callers add context on the way up
 * with pier_error_wrap() and one place reports it. */
#ifndef PIER_ERROR_H
#define PIER_ERROR_H

#include <stdio.h>

struct pier_error {
    int errnum; /* errno value that caused it, or 0 */
    char *msg;  /* full message, context first */
};
typedef struct pier_error *pier_err_t;

/* Fill *err with a formatted message; when errnum != 0, ": strerror(errnum)"
 * is appended.  Returns -1 so that callers can `return pier_error(...)`.  If
 * *err is already set the new message replaces it. */
int pier_error(pier_err_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill *err with the message as given; errnum classifies it (a caller may
 * map ENOENT to "404 not found") and adds no strerror text.  Returns -1. */
int pier_fail(pier_err_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message in *err with more context: "context: old message".
 * Returns -1. */
int pier_error_wrap(pier_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Take ownership of the error message and clear it. */
void pier_error_free(pier_err_t *err);

/* Return the message (never NULL). */
const char *pier_error_msg(pier_err_t err);

#endif
