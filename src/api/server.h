/* The Docker Engine API over HTTP/1.1 on a unix socket, served by
 * libmicrohttpd driven from pierd's one epoll loop: requests routed to
 * handlers, JSON in and out, streamed responses, deferred replies, and the
 * hijack (101 UPGRADED) of attach and exec. */
#ifndef PIER_API_SERVER_H
#define PIER_API_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"
#include "../lib/error.h"
#include "../lib/loop.h"

#define API_VERSION "1.51"
#define API_MIN_VERSION "1.24"
#define API_BODY_MAX (16u << 20)

struct api_server;
struct api_req;

typedef void (*api_fn)(struct api_req *r);

struct api_route {
    const char *method;
    const char *pattern; /* "/containers/{}/start"; "{*}" takes the rest but a last segment */
    api_fn fn;
    unsigned flags;
};
/* The handler runs as soon as the headers are in, and a thread of its reads
 * the body as it arrives (api_body_take); its reply is held until the body
 * has all arrived, as libmicrohttpd reads no body once a reply is queued. */
#define API_STREAM 2u

int api_server_start(struct pier_loop *loop, int listen_fd, struct engine *e,
                     struct api_server **out, pier_err_t *err);
void api_server_stop(struct api_server *s);

/* ---- the request ---- */
struct engine *api_engine(struct api_req *r);
const char *api_method(struct api_req *r);
/* The i-th {} of the route's pattern. */
const char *api_param(struct api_req *r, int i);
const char *api_query(struct api_req *r, const char *key);
/* Every value of a repeated query parameter (?changes=A&changes=B), in
 * order; a NULL-terminated vector the request owns. */
const char **api_query_all(struct api_req *r, const char *key);
/* The `filters` parameter: docker's JSON map of key to values (NULL when
 * absent); an error names what is malformed. */
int api_query_filters(struct api_req *r, json_t **out, pier_err_t *err);
/* "1", "true", "True" as docker reads a boolean query parameter. */
bool api_query_bool(struct api_req *r, const char *key);
long long api_query_int(struct api_req *r, const char *key, long long dflt);
const char *api_header(struct api_req *r, const char *name);
/* The API minor version asked for (1.NN), or the newest. */
int api_version(struct api_req *r);
/* The body as JSON (NULL for an empty body); an error names the problem. */
int api_body_json(struct api_req *r, json_t **out, pier_err_t *err);
/* The body, which must be a JSON object: else the reply is sent (400 with
 * `missing` when there is no object) and -1 returned. */
int api_body_object(struct api_req *r, json_t **out, const char *missing);
const char *api_body(struct api_req *r, size_t *len);
/* API_STREAM routes: the body, taken once by the handler (NULL when it
 * cannot be had); the taker reads it, blocking, from api_body_pipe and
 * calls api_body_release when done, from any thread.  An early release
 * makes the server drop the rest of the body. */
struct api_body;
struct api_body *api_body_take(struct api_req *r);
int api_body_pipe(const struct api_body *b);
/* At the pipe's end: 0 when the body came whole, else an error (ECONNRESET)
 * saying that the client went away before its end. */
int api_body_whole(const struct api_body *b, pier_err_t *err);
void api_body_release(struct api_body *b);
/* Data that lives as long as the request: freed by fn at its end. */
void api_set_data(struct api_req *r, void *data, void (*fn)(void *));
void *api_data(struct api_req *r);

/* ---- replies: each ends the request ---- */
/* A header for the reply to come (at most a few per request). */
void api_set_header(struct api_req *r, const char *name, const char *value);
void api_reply_json(struct api_req *r, int status, json_t *body); /* takes body */
void api_reply_empty(struct api_req *r, int status);
void api_reply_text(struct api_req *r, int status, const char *ctype, const char *text);
void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The status from the error's errno (see engine.h); takes the error. */
void api_reply_err(struct api_req *r, pier_err_t *err);

/* ---- later replies ---- */
/* The handler will reply later, from a callback: the request waits (an
 * API_STREAM request once its body has all come).  A client that goes
 * away while its body arrives leaves the request to the handler, without
 * its query or headers, until the reply, which then only frees it. */
void api_defer(struct api_req *r);

/* ---- streamed replies ---- */
struct api_stream;
/* Headers now, body as it is written.  on_close runs when the client goes
 * or the stream ends; after it the stream is gone. */
struct api_stream *api_reply_stream(struct api_req *r, int status, const char *ctype,
                                    void (*on_close)(void *data), void *data);
/* Append to the body; returns the bytes buffered (for backpressure: more
 * than API_STREAM_HIGH, and the writer waits for on_drain). */
#define API_STREAM_HIGH (1u << 20)
size_t api_stream_write(struct api_stream *s, const void *p, size_t n);
/* j as one line of compact JSON, as docker's streams of objects are. */
size_t api_stream_json_line(struct api_stream *s, json_t *j);
void api_stream_end(struct api_stream *s);
/* End the body as failed: the connection closes without the last chunk,
 * so that the client sees a cut stream, not a short but whole one. */
void api_stream_abort(struct api_stream *s);
/* Called when the buffered bytes fell under the low mark again. */
void api_stream_on_drain(struct api_stream *s, void (*fn)(void *data));

/* ---- hijack ---- */
/* 101 UPGRADED with these headers; fn gets the connection's fd (its own
 * dup: pierd's copy is closed after fn returns). */
void api_reply_upgrade(struct api_req *r, const char *ctype, void (*fn)(void *data, int fd),
                       void *data);
/* Whether the client asked for an upgrade (docker CLI does; curl may not). */
bool api_wants_upgrade(struct api_req *r);

#endif
