/* The container log's encoding: docker's json-file escaping (moby's
 * jsonlog, byte for byte) and its cutting of lines at newlines and 16 KiB,
 * whatever sizes the output is read in. */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/lib/jsonlog.h"
#include "../../src/lib/jsonstr.h"
#include "unit.h"

/* moby's ffjsonWriteJSONBytesAsString, one byte at a time: the reference
 * the fast escaping must match. */
static size_t ref_escape(char *out, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
                *o++ = (char)b;
            } else if (b == '\\' || b == '"') {
                *o++ = '\\';
                *o++ = (char)b;
            } else if (b == '\n' || b == '\r') {
                *o++ = '\\';
                *o++ = b == '\n' ? 'n' : 'r';
            } else {
                o += sprintf(o, "\\u00%c%c", hex[b >> 4], hex[b & 15]);
            }
            i++;
            continue;
        }
        /* Go's utf8.DecodeRune: anything but a shortest, in-range,
         * non-surrogate sequence is one bad byte */
        size_t len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
        uint32_t cp = len == 4 ? b & 7u : len == 3 ? b & 15u : b & 31u;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            ok = (s[i + k] & 0xc0) == 0x80;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        uint32_t min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
        ok = ok && cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
        if (!ok) {
            o += sprintf(o, "\\ufffd");
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            o += sprintf(o, "\\u202%c", cp == 0x2028 ? '8' : '9');
            i += len;
        } else {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        }
    }
    return (size_t)(o - out);
}

static char *escaped(const char *s, size_t n)
{
    char *out = malloc(6 * n + 1);
    out[pier_json_escape(out, s, n)] = '\0';
    return out;
}

TEST(jsonlog_escape_as_docker)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text", "plain text"},
        {"tab\there", "tab\\u0009here"},
        {"cr\r\n", "cr\\r\\n"},
        {"<a href=\"x\">&amp;</a>", "\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e"},
        {"back\\slash", "back\\\\slash"},
        {"\x01\x1b[0m\x7f", "\\u0001\\u001b[0m\x7f"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"\xe2\x80\xa8|\xe2\x80\xa9", "\\u2028|\\u2029"},
        {"bad \xff\xc3(", "bad \\ufffd\\ufffd("},
        {"cut \xe2\x82", "cut \\ufffd\\ufffd"},
        {"surrogate \xed\xa0\x80", "surrogate \\ufffd\\ufffd\\ufffd"},
        {"overlong \xc0\xaf \xe0\x80\xaf", "overlong \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd"},
        {"U+FFFD \xef\xbf\xbd itself", "U+FFFD \xef\xbf\xbd itself"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = escaped(cases[i].in, strlen(cases[i].in));
        bool same = strcmp(got, cases[i].out) == 0;
        if (!same)
            unit_fail(__FILE__, __LINE__, "escape `%s`: `%s`, want `%s`", cases[i].in, got,
                      cases[i].out);
        free(got);
        CHECK(same);
    }
}

/* Every length up to 70 with one special byte at every place (the fast
 * path reads 16 bytes at a time and the last 16 again), then random text. */
TEST(jsonlog_escape_matches_the_reference)
{
    static const unsigned char special[] = {'"',  '\\', '<',  '>',  '&',  '\n', '\t', 0,
                                            0x1f, 0x80, 0xc3, 0xe2, 0xff, 0x7f, ' ',  '~'};
    unsigned char in[200];
    char got[1200], want[1200];
    for (size_t n = 0; n <= 70; n++)
        for (size_t at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof special; k++) {
                memset(in, 'a', n);
                in[at] = special[k];
                size_t gl = pier_json_escape(got, (const char *)in, n);
                size_t wl = ref_escape(want, in, n);
                if (gl != wl || memcmp(got, want, gl) != 0)
                    unit_fail(__FILE__, __LINE__, "length %zu, byte 0x%02x at %zu", n, special[k],
                              at);
                CHECK(gl == wl && memcmp(got, want, gl) == 0);
            }
    /* mostly text, as logs are, with UTF-8 (good and bad) and controls */
    static const char *const bits[] = {
        "x",    "hello ",   "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\t", "\"", "<",
        "\x80", "\xe2\x82", "\r\n",     "\\",           "\xf4\x90\x80\x80"};
    unsigned seed = 1;
    for (int round = 0; round < 5000; round++) {
        size_t n = 0;
        int parts = (int)(rand_r(&seed) % 40);
        for (int p = 0; p < parts; p++) {
            const char *b = bits[rand_r(&seed) % (sizeof bits / sizeof bits[0])];
            size_t bl = strlen(b);
            if (n + bl > sizeof in)
                break;
            memcpy(in + n, b, bl);
            n += bl;
        }
        size_t gl = pier_json_escape(got, (const char *)in, n);
        size_t wl = ref_escape(want, in, n);
        CHECK(gl == wl && memcmp(got, want, gl) == 0);
    }
}

/* Output fed in reads of `chunk` bytes (all at once when 0), each read at
 * the time "T<number of the read>"; then the end of the streams. */
static char *encode(int stream, const char *data, size_t n, size_t chunk)
{
    struct jsonlog j = {0};
    int reads = 0;
    for (size_t off = 0; off < n;) {
        size_t k = chunk == 0 || n - off < chunk ? n - off : chunk;
        char now[JSONLOG_TIME_MAX];
        snprintf(now, sizeof now, "T%d", ++reads);
        jsonlog_write(&j, stream, data + off, k, now);
        off += k;
    }
    jsonlog_end(&j, "END");
    buf_putc(&j.out, '\0');
    char *s = strdup(j.out.data ? j.out.data : "");
    jsonlog_free(&j);
    return s;
}

TEST(jsonlog_lines)
{
    char *s = encode(1, "a\nb\tc\n", 6, 0);
    CHECK_STR(s, "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"T1\"}\n"
                 "{\"log\":\"b\\u0009c\\n\",\"stream\":\"stdout\",\"time\":\"T1\"}\n");
    free(s);
    /* a line read in two pieces is logged at its end; what is left when
     * the stream ends is logged without a newline */
    s = encode(2, "par-tial\nrest", 13, 4);
    CHECK_STR(s, "{\"log\":\"par-tial\\n\",\"stream\":\"stderr\",\"time\":\"T3\"}\n"
                 "{\"log\":\"rest\",\"stream\":\"stderr\",\"time\":\"END\"}\n");
    free(s);
    /* the streams' unfinished lines are kept apart */
    struct jsonlog j = {0};
    jsonlog_write(&j, 1, "out-", 4, "T1");
    jsonlog_write(&j, 2, "err-", 4, "T2");
    jsonlog_write(&j, 1, "1\n", 2, "T3");
    jsonlog_write(&j, 2, "2\n", 2, "T4");
    buf_putc(&j.out, '\0');
    CHECK_STR(j.out.data, "{\"log\":\"out-1\\n\",\"stream\":\"stdout\",\"time\":\"T3\"}\n"
                          "{\"log\":\"err-2\\n\",\"stream\":\"stderr\",\"time\":\"T4\"}\n");
    jsonlog_free(&j);
}

/* The pieces of the output as docker's copier cuts them: at each newline,
 * and every 16 KiB of a line without one.  "|" ends a piece with its
 * newline, "+" one without. */
static char *expected_pieces(const char *data, size_t n)
{
    struct buf b = BUF_INIT;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            buf_printf(&b, "%zu|", i + 1 - start);
            start = i + 1;
        } else if (i + 1 - start == JSONLOG_PIECE) {
            buf_printf(&b, "%zu+", i + 1 - start);
            start = i + 1;
        }
    }
    if (start < n)
        buf_printf(&b, "%zu+", n - start);
    return buf_steal(&b);
}

/* The same read back from the encoded log (its text is plain 'x's). */
static char *logged_pieces(const char *log)
{
    struct buf b = BUF_INIT;
    for (const char *p = log; (p = strstr(p, "{\"log\":\"")) != NULL;) {
        p += 8;
        size_t len = strspn(p, "x");
        bool nl = strncmp(p + len, "\\n\"", 3) == 0;
        buf_printf(&b, "%zu%c", len + nl, nl ? '|' : '+');
    }
    return buf_steal(&b);
}

TEST(jsonlog_long_lines_in_16k_pieces)
{
    /* lines around 16 KiB and far over it, read in sizes that do and do
     * not line up with the pieces */
    static const size_t lines[] = {16383, 16384, 16385, 1, 40000, 32768, 32767, 5, 100000};
    size_t n = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        n += lines[i] + 1;
    n += 20000; /* and an unfinished one */
    char *data = malloc(n);
    memset(data, 'x', n);
    size_t at = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        at += lines[i];
        data[at++] = '\n';
    }
    char *want = expected_pieces(data, n);
    static const size_t chunks[] = {0, 1, 7, 4096, 16384, 16385, 65536};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        char *log = encode(1, data, n, chunks[c]);
        char *got = logged_pieces(log);
        if (strcmp(got, want) != 0)
            unit_fail(__FILE__, __LINE__, "reads of %zu: %s, want %s", chunks[c], got, want);
        bool same = strcmp(got, want) == 0;
        free(got);
        free(log);
        CHECK(same);
    }
    free(want);
    free(data);
}

TEST(jsonlog_pieces_share_the_first_time)
{
    /* 16384 bytes, then the end of the line in a later read: a piece, then
     * the end, both at the time of the first; the next line has its own */
    char *data = malloc(16384 + 8);
    memset(data, 'x', 16384);
    memcpy(data + 16384, "ab\ny\n", 5);
    struct jsonlog j = {0};
    jsonlog_write(&j, 1, data, 10000, "T1");
    jsonlog_write(&j, 1, data + 10000, 6384, "T2");
    jsonlog_write(&j, 1, data + 16384, 3, "T3");
    jsonlog_write(&j, 1, data + 16387, 2, "T4");
    buf_putc(&j.out, '\0');
    CHECK(strncmp(j.out.data, "{\"log\":\"xxx", 11) == 0);
    CHECK_CONTAINS(j.out.data, "x\",\"stream\":\"stdout\",\"time\":\"T2\"}\n"
                               "{\"log\":\"ab\\n\",\"stream\":\"stdout\",\"time\":\"T2\"}\n"
                               "{\"log\":\"y\\n\",\"stream\":\"stdout\",\"time\":\"T4\"}\n");
    jsonlog_free(&j);
    free(data);
}
