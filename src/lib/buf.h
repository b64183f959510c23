/* A growing byte buffer with a hard cap: appends past the cap (or past
 * memory) are dropped and remembered in `failed`, so that callers check
 * once at the end instead of after every append. */
#ifndef PIER_LIB_BUF_H
#define PIER_LIB_BUF_H

#include <stdbool.h>
#include <stddef.h>

#define BUF_DEFAULT_MAX (256u * 1024 * 1024)

struct buf {
    char *data; /* NUL-terminated once anything was added */
    size_t len, cap, max;
    bool failed;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, BUF_DEFAULT_MAX, false                                                         \
    }

void buf_put(struct buf *b, const void *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for n more bytes at the end (or NULL, and `failed`): the caller
 * writes there and then adds what it wrote to len.  For encoders that
 * would otherwise write into a scratch buffer and copy. */
char *buf_room(struct buf *b, size_t n);
/* Drop the first n bytes (all of them when n >= len). */
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);
/* Take the data (never NULL: "" when empty); the buffer is reset. */
char *buf_steal(struct buf *b);

static inline void buf_freep(struct buf *b)
{
    buf_free(b);
}
#define cleanup_buf __attribute__((cleanup(buf_freep)))

#endif
