/* pier (the CLI): chunked decoding, response parsing, docker's stream
 * frames, the detach keys, and the option parsers of run. */
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/cli/cli.h"
#include "../../src/cli/opts.h"
#include "../../src/cli/stream.h"

#include "unit.h"

/* Decode all of in, fed in pieces of `step` bytes. */
static int decode(const char *in, size_t step, char *out, size_t *outlen, size_t *consumed)
{
    struct http_chunked c = {0};
    size_t n = strlen(in), off = 0;
    *outlen = 0;
    char buf[256];
    while (off < n && !c.done) {
        size_t take = n - off < step ? n - off : step;
        memcpy(buf, in + off, take);
        size_t used, got;
        if (http_chunked_decode(&c, buf, take, &used, &got) < 0)
            return -1;
        memcpy(out + *outlen, buf, got);
        *outlen += got;
        off += used;
        if (used < take && !c.done)
            return -2;
    }
    *consumed = off;
    return c.done ? 0 : 1;
}

TEST(cli_chunked)
{
    const char *in = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
                     "X-Trailer: 1\r\n\r\nNEXT";
    char out[256];
    size_t len, used;
    for (size_t step = 1; step <= strlen(in); step++) {
        CHECK(decode(in, step, out, &len, &used) == 0);
        CHECK(len == 23);
        CHECK(memcmp(out, "Wikipedia in\r\n\r\nchunks.", 23) == 0);
        /* what follows the last chunk is left for the next response */
        CHECK_STR(in + used, "NEXT");
    }
    CHECK(decode("zz\r\n", 1, out, &len, &used) == -1);
    CHECK(decode("3\r\nabcX", 4, out, &len, &used) == -1);
    CHECK(decode("1234567890123456\r\n", 4, out, &len, &used) == -1);
    CHECK(decode("5\r\nab", 2, out, &len, &used) == 1);
}

TEST(cli_http_response)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    const char *resp = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
                       "Content-Length: 3\r\n\r\n[]\nHTTP/1.1 200 OK\r\nTransfer-Encoding: "
                       "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    CHECK(write(sv[1], resp, strlen(resp)) == (ssize_t)strlen(resp));
    struct http_conn c = {.fd = sv[0], .buf = malloc(HTTP_BUF_SIZE)};
    struct http_resp r;
    pier_err_t err = NULL;
    char *body = NULL;
    size_t len;
    CHECK(http_read_head(&c, &r, false, &err) == 0);
    CHECK(r.status == 200);
    CHECK_STR(http_header(&r, "api-version"), "1.41");
    CHECK(http_read_body_all(&c, &r, 1024, &body, &len, &err) == 0);
    CHECK_STR(body, "[]\n");
    free(body);
    http_resp_free(&r);
    /* the second response on the same connection */
    CHECK(http_read_head(&c, &r, false, &err) == 0);
    CHECK(r.chunked);
    CHECK(http_read_body_all(&c, &r, 1024, &body, &len, &err) == 0);
    CHECK_STR(body, "abc");
    free(body);
    http_resp_free(&r);
    close(sv[1]);
    http_close(&c);
}

struct sink {
    char out[256], err[256];
    size_t nout, nerr;
};

static int sink(void *ctx, int stream, const char *data, size_t len)
{
    struct sink *s = ctx;
    if (stream == 2) {
        memcpy(s->err + s->nerr, data, len);
        s->nerr += len;
    } else {
        memcpy(s->out + s->nout, data, len);
        s->nout += len;
    }
    return 0;
}

TEST(cli_demux)
{
    static const char frames[] = "\x01\0\0\0\0\0\0\x04out\n\x02\0\0\0\0\0\0\x04"
                                 "err\n\x01\0\0\0\0\0\0\x00\x01\0\0\0\0\0\0\x03xyz";
    size_t n = sizeof frames - 1;
    for (size_t step = 1; step <= n; step++) {
        struct demux d = {0};
        struct sink s = {0};
        pier_err_t err = NULL;
        for (size_t off = 0; off < n; off += step)
            CHECK(demux_feed(&d, frames + off, off + step > n ? n - off : step, sink, &s, &err) ==
                  0);
        CHECK(s.nout == 7 && memcmp(s.out, "out\nxyz", 7) == 0);
        CHECK(s.nerr == 4 && memcmp(s.err, "err\n", 4) == 0);
    }
    struct demux d = {0};
    struct sink s = {0};
    pier_err_t err = NULL;
    CHECK(demux_feed(&d, "\x03\0\0\0\0\0\0\x04oops", 12, sink, &s, &err) < 0);
    CHECK_STR(pier_error_msg(err), "error from daemon in stream: oops");
    pier_error_free(&err);
    struct demux d2 = {0};
    CHECK(demux_feed(&d2, "\x07\0\0\0\0\0\0\x01x", 9, sink, &s, &err) < 0);
    CHECK_STR(pier_error_msg(err), "Unrecognized input header: 7");
    pier_error_free(&err);
}

/* Records each write: the stream and its bytes, in order. */
struct writes {
    char log[4096];
    size_t len;
    int calls;
};

static int record(void *ctx, int stream, const char *data, size_t len)
{
    struct writes *w = ctx;
    w->len += (size_t)snprintf(w->log + w->len, sizeof w->log - w->len, "%d:%.*s|", stream,
                               (int)len, data);
    w->calls++;
    return 0;
}

TEST(cli_demux_joins_frames_of_one_stream)
{
    /* 100 one-line stdout frames, then stderr, then stdout again: three
     * writes, in the order the frames came */
    char in[2048];
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(in + n,
               "\x01\0\0\0\0\0\0\x02"
               "a\n",
               10);
        n += 10;
    }
    memcpy(in + n,
           "\x02\0\0\0\0\0\0\x02"
           "e\n\x01\0\0\0\0\0\0\x02"
           "b\n",
           20);
    n += 20;
    struct demux d = {0};
    struct writes w = {0};
    pier_err_t err = NULL;
    CHECK(demux_feed(&d, in, n, record, &w, &err) == 0);
    CHECK(w.calls == 3);
    char want[512];
    size_t k = (size_t)snprintf(want, sizeof want, "1:");
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(want + k, sizeof want - k, "a\n");
    snprintf(want + k, sizeof want - k, "|2:e\n|1:b\n|");
    CHECK_STR(w.log, want);
    /* output before a daemon's error frame is written before the error */
    struct demux d2 = {0};
    struct writes w2 = {0};
    CHECK(demux_feed(&d2,
                     "\x01\0\0\0\0\0\0\x02"
                     "ok\x03\0\0\0\0\0\0\x01"
                     "x",
                     19, record, &w2, &err) < 0);
    CHECK_STR(w2.log, "1:ok|");
    pier_error_free(&err);
}

TEST(cli_detach_keys)
{
    struct escape e;
    CHECK(escape_parse("ctrl-p,ctrl-q", &e) == 0);
    CHECK(e.nkeys == 2 && e.keys[0] == 16 && e.keys[1] == 17);
    CHECK(escape_parse("ctrl-a,x", &e) == 0 && e.keys[0] == 1 && e.keys[1] == 'x');
    CHECK(escape_parse("ctrl-1", &e) < 0);
    CHECK(escape_parse("", &e) < 0);
    escape_parse("ctrl-p,ctrl-q", &e);
    char out[64];
    bool detach;
    CHECK(escape_filter(&e, "\x10", 1, out, &detach) == 0 && !detach); /* held back */
    /* given back with what followed */
    CHECK(escape_filter(&e, "a", 1, out, &detach) == 2 && !detach);
    CHECK(memcmp(out,
                 "\x10"
                 "a",
                 2) == 0);
    CHECK(escape_filter(&e, "\x10", 1, out, &detach) == 0 && !detach);
    CHECK(escape_filter(&e, "\x11", 1, out, &detach) == 0 && detach);
    /* both keys in one read, as a terminal delivers them when typed
     * quickly: what came before is sent, then the client detaches */
    CHECK(escape_filter(&e, "ls\x10\x11", 4, out, &detach) == 2 && detach);
    CHECK(memcmp(out, "ls", 2) == 0);
    /* a key inside other input is input */
    CHECK(escape_filter(&e,
                        "a\x10"
                        "b\x11",
                        4, out, &detach) == 4 &&
          !detach);
    CHECK(memcmp(out,
                 "a\x10"
                 "b\x11",
                 4) == 0);
    /* a repeated first key starts the sequence again */
    CHECK(escape_filter(&e, "\x10\x10\x11", 3, out, &detach) == 1 && detach);
    CHECK(out[0] == 0x10);
    /* a sequence held at the end of a read is kept for the next */
    CHECK(escape_filter(&e, "x\x10", 2, out, &detach) == 1 && !detach);
    CHECK(escape_filter(&e, "\x11", 1, out, &detach) == 0 && detach);
}

TEST(cli_publish)
{
    json_t *exposed = json_object(), *bind = json_object();
    pier_err_t err = NULL;
    CHECK(parse_publish("8080:80", exposed, bind, &err) == 0);
    CHECK(parse_publish("127.0.0.1:9000-9001:9000-9001/udp", exposed, bind, &err) == 0);
    CHECK(parse_publish("[::1]:53:53/udp", exposed, bind, &err) == 0);
    CHECK(parse_publish("7000", exposed, bind, &err) == 0);
    char *e = json_dumps(exposed, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(e, "{\"53/udp\":{},\"7000/tcp\":{},\"80/tcp\":{},\"9000/udp\":{},\"9001/udp\":{}}");
    free(e);
    char *b = json_dumps(bind, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(b, "{\"53/udp\":[{\"HostIp\":\"::1\",\"HostPort\":\"53\"}],\"7000/tcp\":[{\"HostIp\":"
                 "\"\",\"HostPort\":\"\"}],\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
                 "\"9000/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}],\"9001/udp\":[{"
                 "\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9001\"}]}");
    free(b);
    CHECK(parse_publish("abc", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid containerPort: abc");
    CHECK(parse_publish("x:80", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid hostPort: x");
    CHECK(parse_publish("80/ftp", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid proto: ftp");
    CHECK(parse_publish("1.2.3:80:80", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid IP address: 1.2.3");
    /* docker 28's long syntax: any other key ignored, the converted form
     * in errors; the proto's own case in its error */
    CHECK(parse_publish("published=8080", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "no port specified: 8080:/tcp<empty>");
    CHECK(parse_publish("a=b=c", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "no port specified: :/tcp<empty>");
    CHECK(parse_publish("=80", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err),
              "invalid publish opts format (should be name=value but got '=80')");
    CHECK(parse_publish("80/Ftp", exposed, bind, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid proto: Ftp");
    pier_error_free(&err);
    json_decref(exposed);
    json_decref(bind);
    /* what docker's CLI sends for these (recorded from docker 28.2) */
    exposed = json_object();
    bind = json_object();
    CHECK(parse_publish("target=81,foo=1,protocol=UDP", exposed, bind, &err) == 0);
    CHECK(parse_publish("82/tcp/x", exposed, bind, &err) == 0);
    CHECK(parse_publish("1-2-3", exposed, bind, &err) == 0);
    CHECK(parse_publish("8000-8002:90", exposed, bind, &err) == 0);
    b = json_dumps(bind, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(b,
              "{\"1/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"2/tcp\":[{\"HostIp\":\"\","
              "\"HostPort\":\"\"}],\"81/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"82/tcp\":[{"
              "\"HostIp\":\"\",\"HostPort\":\"\"}],\"90/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
              "\"8000-8002\"}]}");
    free(b);
    json_decref(exposed);
    json_decref(bind);
}

TEST(cli_ulimit)
{
    json_t *u = NULL;
    char msg[256];
    CHECK(parse_ulimit("nofile=1024:2048", &u, msg, sizeof msg) == 0);
    char *s = json_dumps(u, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(s, "{\"Name\":\"nofile\",\"Hard\":2048,\"Soft\":1024}");
    free(s);
    json_decref(u);
    CHECK(parse_ulimit("nproc=10", &u, msg, sizeof msg) == 0);
    CHECK(json_integer_value(json_object_get(u, "Hard")) == 10);
    json_decref(u);
    CHECK(parse_ulimit("foo", &u, msg, sizeof msg) < 0);
    CHECK_STR(msg, "invalid ulimit argument: foo");
    CHECK(parse_ulimit("bar=1", &u, msg, sizeof msg) < 0);
    CHECK_STR(msg, "invalid ulimit type: bar");
    CHECK(parse_ulimit("nofile=2:1", &u, msg, sizeof msg) < 0);
    CHECK_STR(msg, "ulimit soft limit must be less than or equal to hard limit: 2 > 1");
}

TEST(cli_env_files)
{
    char dir[] = "/tmp/pier-cli-env-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/env", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("# comment\n\nA=1\n  B=two words\nPIER_TEST_FROM_ENV\nPIER_TEST_UNSET\n", f);
    fclose(f);
    setenv("PIER_TEST_FROM_ENV", "yes", 1);
    setenv("PIER_TEST_E", "e", 1);
    const char *files[] = {path};
    const char *envs[] = {"C=3", "PIER_TEST_E", "PIER_TEST_NONE"};
    struct flag ff = {.name = "env-file", .vals = files, .nvals = 1};
    struct flag ef = {.name = "env", .vals = envs, .nvals = 3};
    json_t *out = NULL;
    pier_err_t err = NULL;
    CHECK(read_env(&ff, &ef, &out, &err) == 0);
    char *s = json_dumps(out, JSON_COMPACT);
    CHECK_STR(s, "[\"A=1\",\"B=two words\",\"PIER_TEST_FROM_ENV=yes\",\"C=3\",\"PIER_TEST_E=e\","
                 "\"PIER_TEST_NONE\"]");
    free(s);
    json_decref(out);
    unlink(path);
    const char *missing[] = {"/nonexistent/env"};
    ff.vals = missing;
    CHECK(read_env(&ff, NULL, &out, &err) < 0);
    CHECK_STR(pier_error_msg(err), "open /nonexistent/env: no such file or directory");
    pier_error_free(&err);
    rmdir(dir);
}
