#include "jsonstr.h"

#include "buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char hex[] = "0123456789abcdef";

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* 1 for the bytes copied as they are: printable ASCII but the quote, the
 * backslash, <, > and & */
static const unsigned char plain[256] = {
    [' ' ... '!'] = 1, ['#' ... '%'] = 1, ['\'' ... ';'] = 1,
    ['='] = 1,         ['?' ... '['] = 1, [']' ... 0x7f] = 1,
};

#ifdef __SSE2__
/* A bit for each of the 16 bytes at s that is not plain.  As signed bytes,
 * those from 0x80 up are negative: one compare finds them and the control
 * characters. */
static inline unsigned special16(const unsigned char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    __m128i m = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* How many bytes at s, of n, are plain.  A container's log is nearly all
 * plain bytes, and this scan was most of the shim's own time for a chatty
 * one: 16 bytes at a time with SSE2 (every x86-64), one at a time
 * elsewhere. */
static inline size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        unsigned m = special16(s + i);
        if (m != 0)
            return i + (size_t)__builtin_ctz(m);
    }
    if (i < n && n >= 16) {
        /* the last 16 bytes, those already seen shifted out */
        unsigned m = special16(s + n - 16) >> (16 - (n - i));
        return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
    }
#endif
    while (i < n && plain[s[i]])
        i++;
    return i;
}

size_t pier_json_plain_len(const char *s, size_t n)
{
    return plain_run((const unsigned char *)s, n);
}

size_t pier_json_escape(char *out, const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    char *o = out;
    for (size_t i = 0; i < n;) {
        /* runs of plain bytes are copied whole */
        size_t run = i + plain_run(s + i, n - i);
        if (run > i) {
            memcpy(o, s + i, run - i);
            o += run - i;
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"':
                *o++ = '"';
                break;
            case '\\':
                *o++ = '\\';
                break;
            case '\n':
                *o++ = 'n';
                break;
            case '\r':
                *o++ = 'r';
                break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_len(s + i, n - i, &cp);
        if (len == 0) {
            memcpy(o, "\\ufffd", 6);
            o += 6;
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            memcpy(o, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
            o += 6;
            i += len;
        } else {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        }
    }
    return (size_t)(o - out);
}

void pier_time_rfc3339nano(char *buf, size_t cap, long long sec, long nsec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (nsec > 0 && n + 11 < cap) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", nsec);
        size_t fl = strlen(frac);
        while (fl > 1 && frac[fl - 1] == '0')
            fl--;
        memcpy(buf + n, frac, fl);
        n += fl;
    }
    if (n + 2 <= cap) {
        buf[n++] = 'Z';
        buf[n] = '\0';
    }
}

int pier_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *pier_json_unescape(const char *s, const char *e, char *out, size_t *olen)
{
    size_t o = 0;
    while (s < e && *s != '"') {
        if (*s != '\\') {
            const char *q = s;
            while (q < e && *q != '"' && *q != '\\')
                q++;
            memcpy(out + o, s, (size_t)(q - s));
            o += (size_t)(q - s);
            s = q;
            continue;
        }
        if (s + 1 >= e)
            break;
        char c = s[1];
        s += 2;
        switch (c) {
        case 'n':
            out[o++] = '\n';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4 && s < e; i++, s++) {
                int h = pier_hexval(*s);
                cp = (cp << 4) | (unsigned)(h < 0 ? 0 : h);
            }
            if (cp >= 0xd800 && cp <= 0xdbff && s + 6 <= e && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = 0;
                for (int i = 2; i < 6; i++)
                    lo = (lo << 4) | (unsigned)(pier_hexval(s[i]) < 0 ? 0 : pier_hexval(s[i]));
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xc0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xe0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            } else {
                out[o++] = (char)(0xf0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default: /* \" \\ \/ */
            out[o++] = c;
        }
    }
    *olen = o;
    return s < e ? s + 1 : e;
}

void pier_buf_json_string(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    buf_putc(b, '"');
    char *at = buf_room(b, n * 6);
    if (at != NULL)
        b->len += pier_json_escape(at, s, n);
    buf_putc(b, '"');
}
