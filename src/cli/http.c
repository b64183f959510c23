#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/heap.h"
#include "../lib/jsonstr.h"

enum {
    CH_SIZE,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_START,
    CH_TRAILER_LINE,
    CH_TRAILER_END_LF,
    CH_DONE,
};

int http_chunked_decode(struct http_chunked *c, char *in, size_t len, size_t *used, size_t *out)
{
    size_t i = 0, o = 0;
    while (i < len && c->state != CH_DONE) {
        char ch = in[i];
        switch (c->state) {
        case CH_SIZE: {
            int v = pier_hexval(ch);
            if (v >= 0) {
                /* 15 hex digits is more than any body we accept */
                if (++c->ndig > 15)
                    return -1;
                c->left = c->left * 16 + (uint64_t)v;
                i++;
                break;
            }
            if (c->ndig == 0)
                return -1;
            if (ch == ';' || ch == ' ' || ch == '\t')
                c->state = CH_EXT;
            else if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == '\n')
                c->state = c->left ? CH_DATA : CH_TRAILER_START;
            else
                return -1;
            i++;
            break;
        }
        case CH_EXT:
            if (ch == '\n')
                c->state = c->left ? CH_DATA : CH_TRAILER_START;
            i++;
            break;
        case CH_SIZE_LF:
            if (ch != '\n')
                return -1;
            c->state = c->left ? CH_DATA : CH_TRAILER_START;
            i++;
            break;
        case CH_DATA: {
            size_t n = len - i;
            if (n > c->left)
                n = (size_t)c->left;
            memmove(in + o, in + i, n);
            o += n;
            i += n;
            c->left -= n;
            if (c->left == 0)
                c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (ch == '\r')
                c->state = CH_DATA_LF;
            else if (ch == '\n')
                c->state = CH_SIZE, c->ndig = 0;
            else
                return -1;
            i++;
            break;
        case CH_DATA_LF:
            if (ch != '\n')
                return -1;
            c->state = CH_SIZE;
            c->ndig = 0;
            i++;
            break;
        case CH_TRAILER_START:
            if (ch == '\r')
                c->state = CH_TRAILER_END_LF;
            else if (ch == '\n')
                c->state = CH_DONE;
            else
                c->state = CH_TRAILER_LINE;
            i++;
            break;
        case CH_TRAILER_LINE:
            if (ch == '\n')
                c->state = CH_TRAILER_START;
            i++;
            break;
        case CH_TRAILER_END_LF:
            if (ch != '\n')
                return -1;
            c->state = CH_DONE;
            i++;
            break;
        }
    }
    c->done = c->state == CH_DONE;
    *used = i;
    *out = o;
    return 0;
}

int http_connect(struct http_conn *c, const char *path, const char *host, pier_err_t *err)
{
    c->fd = -1;
    c->buf = NULL;
    c->off = c->len = 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return pier_error(err, 0, "socket path too long: %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return pier_error(err, errno, "socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            return pier_error(err, 0,
                              "Cannot connect to the Docker daemon at %s. Is the docker daemon "
                              "running?",
                              host);
        return pier_error(err, 0,
                          "permission denied while trying to connect to the Docker daemon socket "
                          "at %s: %s",
                          host, strerror(errno));
    }
    /* an answer of that size writes every page of the buffer */
    heap_prefault(HTTP_BUF_SIZE + 4096);
    c->buf = malloc(HTTP_BUF_SIZE);
    if (c->buf == NULL)
        return pier_error(err, ENOMEM, "connect");
    c->fd = steal_fd(&fd);
    return 0;
}

void http_close(struct http_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->off = c->len = 0;
}

/* Read more into the buffer; 0 at EOF. */
static ssize_t fill(struct http_conn *c, pier_err_t *err)
{
    if (c->off > 0 && c->off == c->len)
        c->off = c->len = 0;
    if (c->len == HTTP_BUF_SIZE) {
        if (c->off == 0)
            return pier_error(err, 0, "response head larger than %d bytes", HTTP_HEAD_MAX);
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, HTTP_BUF_SIZE - c->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return pier_error(err, errno, "read from the daemon");
        c->len += (size_t)r;
        return r;
    }
}

int http_send(struct http_conn *c, const struct http_req *r, pier_err_t *err)
{
    char head[8192];
    size_t n = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(head + n, sizeof head - n, __VA_ARGS__);                                 \
        if (k_ < 0 || (size_t)k_ >= sizeof head - n)                                               \
            return pier_error(err, 0, "request head too long");                                    \
        n += (size_t)k_;                                                                           \
    } while (0)
    ADD("%s %s HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: pier/0.1.0 (linux)\r\n",
        r->method, r->target);
    for (const char *const *h = r->headers; h != NULL && *h != NULL; h++)
        ADD("%s\r\n", *h);
    if (r->body_fd >= 0)
        ADD("Transfer-Encoding: chunked\r\n");
    else if (r->has_body || r->body_len > 0 || strcmp(r->method, "POST") == 0 ||
             strcmp(r->method, "PUT") == 0)
        ADD("Content-Length: %zu\r\n", r->body_len);
    if (r->upgrade)
        ADD("Connection: Upgrade\r\n");
    if (r->content_type != NULL)
        ADD("Content-Type: %s\r\n", r->content_type);
    if (r->upgrade)
        ADD("Upgrade: tcp\r\n");
    ADD("\r\n");
#undef ADD
    if (pier_write_all(c->fd, head, n) < 0)
        return pier_error(err, errno, "write to the daemon");
    if (r->body_len > 0 && pier_write_all(c->fd, r->body, r->body_len) < 0)
        return pier_error(err, errno, "write to the daemon");
    if (r->body_fd >= 0) {
        /* Streamed: each read goes out as one chunk, its size line before it
         * (in the 32 bytes kept free) and its CRLF after. */
        cleanup_free char *buf = malloc(32 + HTTP_BUF_SIZE + 2);
        if (buf == NULL)
            return pier_error(err, ENOMEM, "send");
        for (;;) {
            ssize_t got = read(r->body_fd, buf + 32, HTTP_BUF_SIZE);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                return pier_error(err, errno, "read the request body");
            char sz[32];
            int k = snprintf(sz, sizeof sz, "%zx\r\n", (size_t)got);
            memcpy(buf + 32 - k, sz, (size_t)k);
            memcpy(buf + 32 + got, "\r\n", 2);
            if (pier_write_all(c->fd, buf + 32 - k, (size_t)k + (size_t)got + 2) < 0)
                return pier_error(err, errno, "write to the daemon");
            if (got == 0)
                break;
        }
    }
    return 0;
}

static char *find_head_end(char *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (p[i] == '\n' && p[i + 1] == '\n')
            return p + i + 2;
        if (i + 3 < len && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
            return p + i + 4;
    }
    return NULL;
}

static void trim(char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
    char *e = *s + strlen(*s);
    while (e > *s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
}

static int parse_head(struct http_resp *resp, pier_err_t *err)
{
    char *save = NULL;
    char *line = strtok_r(resp->head, "\n", &save);
    if (line == NULL)
        return pier_error(err, 0, "malformed HTTP response");
    size_t ll = strlen(line);
    if (ll > 0 && line[ll - 1] == '\r')
        line[ll - 1] = '\0';
    int minor = 0, status = 0, consumed = 0;
    if (sscanf(line, "HTTP/1.%d %3d%n", &minor, &status, &consumed) < 2 || status < 100 ||
        status > 999)
        return pier_error(err, 0, "malformed HTTP status line: %.80s", line);
    resp->status = status;
    const char *reason = line + consumed;
    while (*reason == ' ')
        reason++;
    snprintf(resp->reason, sizeof resp->reason, "%s", reason);
    resp->keep_alive = minor >= 1;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL) {
            char *t = line;
            trim(&t);
            if (*t == '\0')
                continue;
            return pier_error(err, 0, "malformed HTTP header: %.80s", line);
        }
        if (resp->nheaders == HTTP_HEADERS_MAX)
            return pier_error(err, 0, "more than %d HTTP headers", HTTP_HEADERS_MAX);
        *colon = '\0';
        char *name = line, *value = colon + 1;
        trim(&name);
        trim(&value);
        resp->headers[resp->nheaders].name = name;
        resp->headers[resp->nheaders].value = value;
        resp->nheaders++;
    }
    return 0;
}

const char *http_header(const struct http_resp *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

int http_read_head(struct http_conn *c, struct http_resp *resp, bool head_request, pier_err_t *err)
{
    memset(resp, 0, sizeof *resp);
    resp->length = -1;
    char *end;
    while ((end = find_head_end(c->buf + c->off, c->len - c->off)) == NULL) {
        if (c->len - c->off >= HTTP_HEAD_MAX)
            return pier_error(err, 0, "response head larger than %d bytes", HTTP_HEAD_MAX);
        ssize_t r = fill(c, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return pier_error(err, 0, "the daemon closed the connection");
    }
    size_t hlen = (size_t)(end - (c->buf + c->off));
    resp->head = malloc(hlen + 1);
    if (resp->head == NULL)
        return pier_error(err, ENOMEM, "read response");
    memcpy(resp->head, c->buf + c->off, hlen);
    resp->head[hlen] = '\0';
    c->off += hlen;
    if (parse_head(resp, err) < 0)
        return -1;

    const char *conn = http_header(resp, "Connection");
    if (conn != NULL && strcasecmp(conn, "close") == 0)
        resp->keep_alive = false;
    const char *te = http_header(resp, "Transfer-Encoding");
    const char *cl = http_header(resp, "Content-Length");
    if (head_request || resp->status == 204 || resp->status == 304 || resp->status == 101 ||
        resp->status < 200) {
        resp->left = 0;
        resp->eof = resp->status != 101;
    } else if (te != NULL && strcasestr(te, "chunked") != NULL) {
        resp->chunked = true;
    } else if (cl != NULL) {
        char *e;
        errno = 0;
        long long v = strtoll(cl, &e, 10);
        if (errno != 0 || *e != '\0' || v < 0)
            return pier_error(err, 0, "bad Content-Length: %.40s", cl);
        resp->length = resp->left = v;
        resp->eof = v == 0;
    } else {
        resp->to_close = true;
        resp->keep_alive = false;
    }
    return 0;
}

void http_resp_free(struct http_resp *resp)
{
    free(resp->head);
    resp->head = NULL;
    resp->nheaders = 0;
}

ssize_t http_read_body(struct http_conn *c, struct http_resp *resp, char *buf, size_t cap,
                       pier_err_t *err)
{
    if (cap == 0)
        return 0;
    for (;;) {
        if (resp->eof)
            return 0;
        size_t avail = c->len - c->off;
        if (avail == 0) {
            ssize_t r = fill(c, err);
            if (r < 0)
                return -1;
            if (r == 0) {
                if (resp->to_close) {
                    resp->eof = true;
                    return 0;
                }
                return pier_error(err, 0, "the daemon closed the connection mid-response");
            }
            continue;
        }
        if (resp->chunked) {
            /* Decode what is buffered in place, then hand out the payload. */
            size_t take = avail < cap ? avail : cap;
            char *p = c->buf + c->off;
            size_t used, out;
            if (http_chunked_decode(&resp->dec, p, take, &used, &out) < 0)
                return pier_error(err, 0, "malformed chunked response");
            memcpy(buf, p, out);
            c->off += used;
            if (resp->dec.done)
                resp->eof = true;
            if (out > 0)
                return (ssize_t)out;
            continue;
        }
        size_t n = avail < cap ? avail : cap;
        if (!resp->to_close && (int64_t)n > resp->left)
            n = (size_t)resp->left;
        memcpy(buf, c->buf + c->off, n);
        c->off += n;
        if (!resp->to_close) {
            resp->left -= (int64_t)n;
            if (resp->left == 0)
                resp->eof = true;
        }
        return (ssize_t)n;
    }
}

int http_read_body_all(struct http_conn *c, struct http_resp *resp, size_t max, char **out,
                       size_t *len, pier_err_t *err)
{
    /* a body of known length in one block, the byte after it for EOF */
    size_t cap = 4096, n = 0;
    if (resp->length >= 0 && !resp->chunked && !resp->to_close)
        cap = (uint64_t)resp->length < max ? (size_t)resp->length + 1 : max;
    cleanup_free char *b = malloc(cap + 1);
    if (b == NULL)
        return pier_error(err, ENOMEM, "read response");
    for (;;) {
        if (n == cap) {
            if (cap >= max)
                return pier_error(err, 0, "response larger than %zu bytes", max);
            cap *= 2;
            char *nb = realloc(b, cap + 1);
            if (nb == NULL)
                return pier_error(err, ENOMEM, "read response");
            b = nb;
        }
        ssize_t r = http_read_body(c, resp, b + n, cap - n, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    if (len != NULL)
        *len = n;
    *out = steal_pointer(&b);
    return 0;
}

size_t http_take_buffered(struct http_conn *c, char *buf, size_t cap)
{
    size_t n = c->len - c->off;
    if (n > cap)
        n = cap;
    memcpy(buf, c->buf + c->off, n);
    c->off += n;
    return n;
}
