/* A small HTTP/1.1 client over a unix socket, for the Docker Engine API:
 * requests with a body in memory or streamed from an fd, responses with
 * Content-Length, chunked or read-to-close bodies read whole or as they
 * come, and the connection hijack of attach and exec. */
#ifndef PIER_CLI_HTTP_H
#define PIER_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* The response head and the read buffer are capped: a daemon that sends
 * more is broken, and an error is better than unbounded memory. */
#define HTTP_HEAD_MAX (64 * 1024)
#define HTTP_HEADERS_MAX 64
#define HTTP_BUF_SIZE (64 * 1024)

/* Chunked transfer decoding, as a state machine fed any split of the
 * input (unit-tested on its own). */
struct http_chunked {
    int state;
    uint64_t left; /* bytes left in the current chunk */
    unsigned ndig; /* hex digits read of the size */
    bool done;     /* the last chunk and the trailers were read */
};

/* Decode in place: the payload of in[0..len) is moved to the front of in;
 * *used is how much input was consumed (less than len once done, so that
 * what follows stays for the next response), *out how much payload came.
 * -1 on a malformed stream. */
int http_chunked_decode(struct http_chunked *c, char *in, size_t len, size_t *used, size_t *out);

struct http_header {
    char *name;
    char *value;
};

struct http_resp {
    int status;
    char reason[64];
    struct http_header headers[HTTP_HEADERS_MAX];
    size_t nheaders;
    char *head; /* storage for the header strings */
    /* body framing */
    bool chunked;
    int64_t length; /* Content-Length, -1 when absent */
    bool to_close;  /* body runs to the end of the connection */
    bool keep_alive;
    /* body state */
    int64_t left;
    struct http_chunked dec;
    bool eof;
};

struct http_conn {
    int fd;
    char *buf; /* bytes read past what was consumed */
    size_t off, len;
};

/* unix socket path; the error for a missing or refusing socket is docker's
 * "Cannot connect to the Docker daemon at HOST. Is the docker daemon
 * running?" (host is what the user named). */
int http_connect(struct http_conn *c, const char *path, const char *host, pier_err_t *err);
void http_close(struct http_conn *c);

struct http_req {
    const char *method;
    const char *target;         /* path and query */
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *body;           /* in memory, with body_len */
    size_t body_len;
    bool has_body; /* send Content-Length even when 0 */
    const char *content_type;
    int body_fd;  /* or streamed from this fd, chunked; -1 when not */
    bool upgrade; /* Connection: Upgrade, Upgrade: tcp */
};

int http_send(struct http_conn *c, const struct http_req *r, pier_err_t *err);
/* Read the status line and headers. */
int http_read_head(struct http_conn *c, struct http_resp *resp, bool head_request, pier_err_t *err);
void http_resp_free(struct http_resp *resp);
const char *http_header(const struct http_resp *resp, const char *name);

/* Read up to cap bytes of decoded body; 0 at its end. */
ssize_t http_read_body(struct http_conn *c, struct http_resp *resp, char *buf, size_t cap,
                       pier_err_t *err);
/* The whole body, at most max bytes, NUL-terminated. */
int http_read_body_all(struct http_conn *c, struct http_resp *resp, size_t max, char **out,
                       size_t *len, pier_err_t *err);

/* After a 101: bytes already buffered past the head belong to the raw
 * stream; take them (returns their count, copied into buf). */
size_t http_take_buffered(struct http_conn *c, char *buf, size_t cap);

#endif
