#include "error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

int pier_error(pier_err_t *err, int errnum, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *base = vformat(fmt, ap);
    va_end(ap);

    pier_error_free(err);
    struct pier_error *e = calloc(1, sizeof *e);
    if (e == NULL) {
        free(base);
        return -1;
    }
    e->errnum = errnum;
    if (errnum != 0 && base != NULL) {
        char *full = NULL;
        if (asprintf(&full, "%s: %s", base, strerror(errnum)) >= 0) {
            free(base);
            base = full;
        }
    }
    e->msg = base;
    *err = e;
    return -1;
}

int pier_fail(pier_err_t *err, int errnum, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    pier_error_free(err);
    struct pier_error *e = calloc(1, sizeof *e);
    if (e == NULL) {
        free(msg);
        return -1;
    }
    e->errnum = errnum;
    e->msg = msg;
    *err = e;
    return -1;
}

int pier_error_wrap(pier_err_t *err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vformat(fmt, ap);
    va_end(ap);
    if (ctx == NULL)
        return -1;
    char *full = NULL;
    if (asprintf(&full, "%s: %s", ctx, pier_error_msg(*err)) >= 0) {
        free((*err)->msg);
        (*err)->msg = full;
    }
    free(ctx);
    return -1;
}

void pier_error_free(pier_err_t *err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

const char *pier_error_msg(pier_err_t err)
{
    if (err == NULL)
        return "unknown error";
    if (err->msg == NULL)
        return "out of memory while formatting an error";
    return err->msg;
}
