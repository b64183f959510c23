/* JSON written the way Go's encoding/json writes it, since docker's output
 * is what scripts compare against: json.Marshal's string escapes (HTML
 * characters as \u003c) and float format, json.Indent and json.Compact of
 * raw daemon bytes (which keep the daemon's key order and numbers). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_go.h"

static void put_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x80) {
            buf_putc(b, (char)c);
            p++;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"':
                buf_puts(b, "\\\"");
                break;
            case '\\':
                buf_puts(b, "\\\\");
                break;
            case '\n':
                buf_puts(b, "\\n");
                break;
            case '\r':
                buf_puts(b, "\\r");
                break;
            case '\t':
                buf_puts(b, "\\t");
                break;
            default:
                buf_puts(b, "\\u00");
                buf_putc(b, hex[c >> 4]);
                buf_putc(b, hex[c & 15]);
            }
            p++;
            continue;
        }
        /* U+2028 and U+2029 are escaped; other valid UTF-8 is kept and
         * invalid bytes become U+FFFD, as Go does */
        int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len > 0 && p + len <= end;
        for (int i = 1; ok && i < len; i++)
            ok = (p[i] & 0xc0) == 0x80;
        if (!ok) {
            buf_puts(b, "\\ufffd");
            p++;
            continue;
        }
        if (len == 3 && c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            buf_puts(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
        } else {
            buf_put(b, (const char *)p, (size_t)len);
        }
        p += len;
    }
    buf_putc(b, '"');
}

void go_format_float(double f, struct buf *b)
{
    if (isnan(f) || isinf(f)) {
        buf_puts(b, "null");
        return;
    }
    if (f == 0) {
        buf_puts(b, signbit(f) ? "-0" : "0");
        return;
    }
    /* the shortest digits that read back as f */
    char e[64];
    for (int p = 0; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p, f);
        if (strtod(e, NULL) == f)
            break;
    }
    double a = fabs(f);
    char *ep = strchr(e, 'e');
    int exp10 = atoi(ep + 1);
    *ep = '\0';
    /* digits without the point */
    char digits[32];
    size_t nd = 0;
    bool neg = e[0] == '-';
    for (char *q = e + neg; *q; q++)
        if (*q != '.')
            digits[nd++] = *q;
    digits[nd] = '\0';
    if (neg)
        buf_putc(b, '-');
    if (a < 1e-6 || a >= 1e21) {
        buf_putc(b, digits[0]);
        if (nd > 1) {
            buf_putc(b, '.');
            buf_puts(b, digits + 1);
        }
        buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        /* Go trims a leading zero of a one-digit exponent: e-07 -> e-7 */
        if (abs(exp10) < 10) {
            b->len -= 2;
            buf_printf(b, "%d", abs(exp10));
        }
        return;
    }
    if (exp10 < 0) {
        buf_puts(b, "0.");
        for (int i = -1; i > exp10; i--)
            buf_putc(b, '0');
        buf_puts(b, digits);
    } else if ((size_t)exp10 + 1 >= nd) {
        buf_puts(b, digits);
        for (size_t i = nd; i < (size_t)exp10 + 1; i++)
            buf_putc(b, '0');
    } else {
        buf_put(b, digits, (size_t)exp10 + 1);
        buf_putc(b, '.');
        buf_puts(b, digits + exp10 + 1);
    }
}

static void newline(struct buf *b, const char *indent, int depth)
{
    buf_putc(b, '\n');
    for (int i = 0; i < depth; i++)
        buf_puts(b, indent);
}

static void marshal(json_t *j, struct buf *b, const char *indent, int depth)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        if (json_object_size(j) == 0) {
            buf_puts(b, "{}");
            return;
        }
        buf_putc(b, '{');
        const char *k;
        json_t *v;
        bool first = true;
        json_object_foreach (j, k, v) {
            if (!first)
                buf_putc(b, ',');
            first = false;
            if (indent)
                newline(b, indent, depth + 1);
            put_string(b, k, strlen(k));
            buf_puts(b, indent ? ": " : ":");
            marshal(v, b, indent, depth + 1);
        }
        if (indent)
            newline(b, indent, depth);
        buf_putc(b, '}');
        return;
    }
    case JSON_ARRAY: {
        if (json_array_size(j) == 0) {
            buf_puts(b, "[]");
            return;
        }
        buf_putc(b, '[');
        size_t i;
        json_t *v;
        json_array_foreach (j, i, v) {
            if (i)
                buf_putc(b, ',');
            if (indent)
                newline(b, indent, depth + 1);
            marshal(v, b, indent, depth + 1);
        }
        if (indent)
            newline(b, indent, depth);
        buf_putc(b, ']');
        return;
    }
    case JSON_STRING:
        put_string(b, json_string_value(j), json_string_length(j));
        return;
    case JSON_INTEGER:
        buf_printf(b, "%lld", (long long)json_integer_value(j));
        return;
    case JSON_REAL:
        go_format_float(json_real_value(j), b);
        return;
    case JSON_TRUE:
        buf_puts(b, "true");
        return;
    case JSON_FALSE:
        buf_puts(b, "false");
        return;
    case JSON_NULL:
        buf_puts(b, "null");
        return;
    }
}

void json_go_marshal(json_t *j, const char *indent, struct buf *b)
{
    marshal(j, b, indent, 0);
}

char *json_go_indent(json_t *j, const char *indent)
{
    struct buf b = BUF_INIT;
    marshal(j, &b, indent, 0);
    if (b.failed) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

char *json_go_compact(json_t *j)
{
    return json_go_indent(j, NULL);
}

/* json.Indent / json.Compact over raw bytes: whitespace between tokens is
 * dropped, strings and numbers copied as they are. */
int json_raw_reformat(const char *src, size_t n, const char *indent, struct buf *b)
{
    int depth = 0;
    size_t i = 0;
    bool need_indent = false; /* after [ or {: the next token starts a line */
    while (i < n) {
        char c = src[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (need_indent && c != ']' && c != '}') {
            if (indent)
                newline(b, indent, depth);
            need_indent = false;
        }
        switch (c) {
        case '"': {
            size_t s = i++;
            while (i < n && src[i] != '"') {
                if (src[i] == '\\')
                    i++;
                i++;
            }
            if (i >= n)
                return -1;
            i++;
            buf_put(b, src + s, i - s);
            continue;
        }
        case '{':
        case '[':
            buf_putc(b, c);
            depth++;
            need_indent = true;
            break;
        case '}':
        case ']':
            depth--;
            if (depth < 0)
                return -1;
            if (need_indent)
                need_indent = false; /* empty: {} or [] */
            else if (indent)
                newline(b, indent, depth);
            buf_putc(b, c);
            break;
        case ',':
            buf_putc(b, c);
            if (indent)
                newline(b, indent, depth);
            break;
        case ':':
            buf_putc(b, c);
            if (indent)
                buf_putc(b, ' ');
            break;
        default:
            buf_putc(b, c);
        }
        i++;
    }
    return depth == 0 ? 0 : -1;
}

/* A copy of obj with its keys sorted, as Go marshals maps. */
json_t *sorted_object(json_t *obj)
{
    size_t n = json_object_size(obj), k = 0;
    json_t *out = json_object();
    if (n == 0)
        return out;
    const char **keys = calloc(n, sizeof *keys);
    if (keys == NULL)
        return out;
    const char *key;
    json_t *v;
    json_object_foreach (obj, key, v) {
        keys[k++] = key;
    }
    qsort(keys, k, sizeof *keys, cmp_cstr);
    for (size_t i = 0; i < k; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    return out;
}
