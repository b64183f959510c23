/* The Docker Engine API client: version negotiation, requests on one
 * kept-alive connection, streams and hijacks on their own, and docker's
 * wording of the daemon's errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/heap.h"
#include "../lib/json.h"
#include "cli.h"

void api_resp_free(struct api_resp *r)
{
    free(r->body);
    r->body = NULL;
    if (r->json)
        json_decref(r->json);
    r->json = NULL;
}

/* JSON as docker's client sends it: json.NewEncoder writes a newline. */
static char *encode_body(json_t *body)
{
    char *js = json_go_compact(body);
    if (js == NULL)
        return NULL;
    size_t n = strlen(js);
    char *r = realloc(js, n + 2);
    if (r == NULL) {
        free(js);
        return NULL;
    }
    r[n] = '\n';
    r[n + 1] = '\0';
    return r;
}

static int ensure_conn(struct cli *cli, pier_err_t *err)
{
    if (cli->connected)
        return 0;
    if (http_connect(&cli->conn, cli->sock, cli->host, err) < 0)
        return -1;
    cli->connected = true;
    return 0;
}

static void drop_conn(struct cli *cli)
{
    if (cli->connected)
        http_close(&cli->conn);
    cli->connected = false;
}

/* Parsed, a JSON body takes some ten times its size in small blocks. */
#define JSON_HEAP_FACTOR 10

/* One request and its whole response on c. */
static int roundtrip(struct http_conn *c, const struct http_req *req, struct http_resp *resp,
                     char **body, size_t *len, pier_err_t *err)
{
    if (http_send(c, req, err) < 0 ||
        http_read_head(c, resp, strcmp(req->method, "HEAD") == 0, err) < 0)
        return -1;
    if (body == NULL)
        return 0;
    if (resp->length > 0)
        heap_prefault((size_t)resp->length * (JSON_HEAP_FACTOR + 1));
    return http_read_body_all(c, resp, API_BODY_MAX, body, len, err);
}

/* One exchange on the kept-alive connection.  A connection the daemon
 * closed while idle is reopened once. */
static int exchange(struct cli *cli, const struct http_req *req, struct http_resp *resp,
                    char **body, size_t *len, pier_err_t *err)
{
    for (int attempt = 0;; attempt++) {
        if (ensure_conn(cli, err) < 0)
            return -1;
        bool fresh = attempt > 0;
        if (roundtrip(&cli->conn, req, resp, body, len, err) == 0) {
            if (!resp->keep_alive)
                drop_conn(cli);
            return 0;
        }
        http_resp_free(resp);
        drop_conn(cli);
        if (fresh || req->body_fd >= 0)
            return -1;
        pier_error_free(err);
    }
}

int api_ping(struct cli *cli, pier_err_t *err)
{
    if (cli->pinged) {
        if (cli->ping_ok)
            return 0;
        return pier_error(err, 0, "%s", cli->ping_error);
    }
    cli->pinged = true;
    if (!cli->fixed_version)
        snprintf(cli->version, sizeof cli->version, "%s", PIER_API_VERSION);
    struct http_req req = {.method = "HEAD", .target = "/_ping", .body_fd = -1};
    struct http_resp resp;
    char *body = NULL;
    if (exchange(cli, &req, &resp, NULL, NULL, err) < 0) {
        /* a connection failure: each request that follows fails the same way */
        snprintf(cli->ping_error, sizeof cli->ping_error, "%s", pier_error_msg(*err));
        return -1;
    }
    if (resp.status != 200 && resp.status != 500) {
        http_resp_free(&resp);
        req.method = "GET";
        if (exchange(cli, &req, &resp, &body, NULL, err) < 0) {
            snprintf(cli->ping_error, sizeof cli->ping_error, "%s", pier_error_msg(*err));
            return -1;
        }
        free(body);
    }
    const char *v = http_header(&resp, "Api-Version");
    if (!cli->fixed_version) {
        const char *sv = v && *v ? v : "1.24";
        if (api_version_cmp(sv, cli->version) < 0)
            snprintf(cli->version, sizeof cli->version, "%s", sv);
    }
    const char *os = http_header(&resp, "Ostype");
    snprintf(cli->os_type, sizeof cli->os_type, "%s", os ? os : "");
    const char *ex = http_header(&resp, "Docker-Experimental");
    cli->experimental = ex && strcmp(ex, "true") == 0;
    http_resp_free(&resp);
    cli->ping_ok = true;
    return 0;
}

const char *api_version(struct cli *cli)
{
    pier_err_t err = NULL;
    api_ping(cli, &err);
    pier_error_free(&err);
    return cli->version[0] ? cli->version : PIER_API_VERSION;
}

static int versioned(struct cli *cli, const char *path, char *out, size_t cap, pier_err_t *err)
{
    pier_err_t perr = NULL;
    if (api_ping(cli, &perr) < 0 && !cli->fixed_version) {
        /* report the connection error as the request's */
        if (err)
            *err = perr;
        else
            pier_error_free(&perr);
        return -1;
    }
    pier_error_free(&perr);
    int n = snprintf(out, cap, "/v%s%s", cli->version, path);
    if (n < 0 || (size_t)n >= cap)
        return pier_error(err, 0, "request path too long");
    return 0;
}

/* The request's target under the negotiated version, and body, when given,
 * as JSON in *js (the caller frees it). */
static int prepare(struct cli *cli, const char *path, json_t *body, char *target, size_t cap,
                   struct http_req *req, char **js, pier_err_t *err)
{
    if (versioned(cli, path, target, cap, err) < 0)
        return -1;
    if (body != NULL) {
        *js = encode_body(body);
        if (*js == NULL)
            return pier_error(err, ENOMEM, "encode request");
        req->body = *js;
        req->body_len = strlen(*js);
        req->has_body = true;
        req->content_type = "application/json";
    }
    return 0;
}

int api_do(struct cli *cli, const char *method, const char *path, json_t *body, struct api_resp *r,
           pier_err_t *err)
{
    memset(r, 0, sizeof *r);
    char target[8192];
    cleanup_free char *js = NULL;
    struct http_req req = {.method = method, .target = target, .body_fd = -1};
    if (prepare(cli, path, body, target, sizeof target, &req, &js, err) < 0)
        return -1;
    struct http_resp resp;
    if (exchange(cli, &req, &resp, &r->body, &r->len, err) < 0)
        return -1;
    r->status = resp.status;
    http_resp_free(&resp);
    return 0;
}

int api_error(struct api_resp *r, pier_err_t *err)
{
    if (r->len == 0)
        return pier_error(err, 0,
                          "request returned %d for API route, check if the server supports the "
                          "requested API version",
                          r->status);
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    const char *msg = NULL;
    if (j && json_is_object(j))
        msg = json_string_value(json_object_get(j, "message"));
    /* trimmed, as docker does */
    const char *m = msg ? msg : r->body;
    while (*m == ' ' || *m == '\n' || *m == '\t' || *m == '\r')
        m++;
    size_t ml = strlen(m);
    while (ml > 0 &&
           (m[ml - 1] == ' ' || m[ml - 1] == '\n' || m[ml - 1] == '\t' || m[ml - 1] == '\r'))
        ml--;
    pier_error(err, 0, "Error response from daemon: %.*s", (int)ml, m);
    if (j)
        json_decref(j);
    return -1;
}

int api_call(struct cli *cli, const char *method, const char *path, json_t *body,
             struct api_resp *r, pier_err_t *err)
{
    if (api_do(cli, method, path, body, r, err) < 0)
        return -1;
    if (r->status >= 400) {
        api_error(r, err);
        api_resp_free(r);
        return -1;
    }
    return 0;
}

int api_json(struct api_resp *r, json_t **out, pier_err_t *err)
{
    if (r->json == NULL) {
        json_error_t je;
        r->json = json_loadb(r->body ? r->body : "", r->len, JSON_DECODE_ANY, &je);
        if (r->json == NULL)
            return pier_error(err, 0, "invalid JSON from the daemon: %s", je.text);
    }
    *out = r->json;
    return 0;
}

int api_stream_send(struct cli *cli, const char *method, const char *path, json_t *body,
                    struct api_stream *s, pier_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    char target[8192];
    cleanup_free char *js = NULL;
    struct http_req req = {.method = method, .target = target, .body_fd = -1};
    if (prepare(cli, path, body, target, sizeof target, &req, &js, err) < 0)
        return -1;
    if (http_connect(&s->conn, cli->sock, cli->host, err) < 0)
        return -1;
    if (http_send(&s->conn, &req, err) < 0) {
        http_close(&s->conn);
        return -1;
    }
    return 0;
}

/* Read the head; a failed status reads the body into the error. */
static int stream_head(struct api_stream *s, bool hijack, pier_err_t *err)
{
    if (http_read_head(&s->conn, &s->resp, false, err) < 0)
        return -1;
    if (s->resp.status >= 400) {
        struct api_resp r = {.status = s->resp.status};
        if (http_read_body_all(&s->conn, &s->resp, API_BODY_MAX, &r.body, &r.len, err) < 0)
            return -1;
        api_error(&r, err);
        api_resp_free(&r);
        return -1;
    }
    if (hijack && s->resp.status != 101 && s->resp.status != 200)
        return pier_error(err, 0, "unable to upgrade to tcp, received %d", s->resp.status);
    return 0;
}

int api_stream_head(struct api_stream *s, pier_err_t *err)
{
    return stream_head(s, false, err);
}

/* Send req on s's connection, then read the head (of an upgrade when req
 * asks for one); s is closed on an error. */
static int stream_request(struct api_stream *s, const struct http_req *req, pier_err_t *err)
{
    if (http_send(&s->conn, req, err) < 0 || stream_head(s, req->upgrade, err) < 0) {
        api_stream_close(s);
        return -1;
    }
    return 0;
}

int api_stream_open(struct cli *cli, const char *method, const char *path, json_t *body,
                    int body_fd, const char *content_type, struct api_stream *s, pier_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    char target[8192];
    cleanup_free char *js = NULL;
    struct http_req req = {.method = method, .target = target, .body_fd = body_fd};
    if (prepare(cli, path, body, target, sizeof target, &req, &js, err) < 0)
        return -1;
    if (body == NULL && content_type != NULL)
        req.content_type = content_type;
    if (http_connect(&s->conn, cli->sock, cli->host, err) < 0)
        return -1;
    return stream_request(s, &req, err);
}

int api_stream_open_headers(struct cli *cli, const char *method, const char *path,
                            const char *const *headers, struct api_stream *s, pier_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    char target[8192];
    struct http_req req = {.method = method, .target = target, .body_fd = -1, .headers = headers};
    if (versioned(cli, path, target, sizeof target, err) < 0)
        return -1;
    if (http_connect(&s->conn, cli->sock, cli->host, err) < 0)
        return -1;
    return stream_request(s, &req, err);
}

int api_hijack(struct cli *cli, const char *path, json_t *body, struct api_stream *s,
               pier_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    char target[8192];
    cleanup_free char *js = NULL;
    struct http_req req = {.method = "POST", .target = target, .body_fd = -1, .upgrade = true};
    if (prepare(cli, path, body, target, sizeof target, &req, &js, err) < 0)
        return -1;
    if (body == NULL)
        req.content_type = "text/plain";
    req.has_body = true; /* Content-Length: 0 without one */
    if (http_connect(&s->conn, cli->sock, cli->host, err) < 0)
        return -1;
    return stream_request(s, &req, err);
}

int api_stream_take(struct cli *cli, const char *method, const char *path, struct api_stream *s,
                    pier_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->conn.fd = -1;
    char target[8192];
    if (versioned(cli, path, target, sizeof target, err) < 0)
        return -1;
    struct http_req req = {.method = method, .target = target, .body_fd = -1};
    if (ensure_conn(cli, err) < 0)
        return -1;
    /* the connection is the stream's from now on */
    s->conn = cli->conn;
    cli->connected = false;
    cli->conn = (struct http_conn){.fd = -1};
    return stream_request(s, &req, err);
}

int api_container_call(struct cli *cli, const char *method, const char *name, const char *suffix,
                       pier_err_t *err)
{
    cleanup_buf struct buf p = BUF_INIT;
    buf_puts(&p, "/containers/");
    url_escape(name, &p);
    buf_puts(&p, suffix);
    struct api_resp r;
    if (api_call(cli, method, p.data, NULL, &r, err) < 0)
        return -1;
    api_resp_free(&r);
    return 0;
}

int api_inspect_container(struct cli *cli, const char *name, struct api_resp *r, json_t **c,
                          pier_err_t *err)
{
    cleanup_buf struct buf p = BUF_INIT;
    buf_puts(&p, "/containers/");
    url_escape(name, &p);
    buf_puts(&p, "/json");
    if (api_call(cli, "GET", p.data, NULL, r, err) < 0)
        return -1;
    if (api_json(r, c, err) < 0) {
        api_resp_free(r);
        return -1;
    }
    return 0;
}

const char *stream_line(const struct buf *b, size_t *len)
{
    const char *nl = b->len ? memchr(b->data, '\n', b->len) : NULL;
    if (nl == NULL)
        return NULL;
    *len = (size_t)(nl - b->data);
    return b->data;
}

void api_stream_close(struct api_stream *s)
{
    http_resp_free(&s->resp);
    if (s->conn.fd >= 0 || s->conn.buf)
        http_close(&s->conn);
}

void url_escape(const char *s, struct buf *b)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            buf_putc(b, (char)c);
        else if (c == ' ')
            buf_putc(b, '+');
        else {
            buf_putc(b, '%');
            buf_putc(b, hex[c >> 4]);
            buf_putc(b, hex[c & 15]);
        }
    }
}

void url_param(struct buf *b, const char *key, const char *value)
{
    buf_putc(b, b->len && memchr(b->data, '?', b->len) ? '&' : '?');
    buf_puts(b, key);
    buf_putc(b, '=');
    url_escape(value, b);
}
