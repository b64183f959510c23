/* Go's fmt (print.go, format.go) and the strconv it uses, over template
 * values: {{.}}, print, printf and every error that shows a value print
 * through here, and scripts compare that text byte for byte.  The code
 * follows Go's function by function; the Go names are in the comments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl_int.h"

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

/* ---- strconv: quoting ---- */

static int escaped_rune(struct gt_buf *b, uint32_t r, char quote, bool ascii_only)
{
    if (r == (unsigned char)quote || r == '\\') {
        char esc[2] = {'\\', (char)r};
        return gt_buf_put(b, esc, 2);
    }
    if (ascii_only ? (r < 0x80 && gt_is_print(r)) : gt_is_print(r))
        return gt_buf_rune(b, r);
    switch (r) {
    case '\a':
        return gt_buf_puts(b, "\\a");
    case '\b':
        return gt_buf_puts(b, "\\b");
    case '\f':
        return gt_buf_puts(b, "\\f");
    case '\n':
        return gt_buf_puts(b, "\\n");
    case '\r':
        return gt_buf_puts(b, "\\r");
    case '\t':
        return gt_buf_puts(b, "\\t");
    case '\v':
        return gt_buf_puts(b, "\\v");
    }
    if (r < ' ' || r == 0x7F)
        return gt_buf_printf(b, "\\x%02x", r);
    if (r > GT_MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF))
        r = GT_RUNE_ERROR;
    if (r < 0x10000)
        return gt_buf_printf(b, "\\u%04x", r);
    return gt_buf_printf(b, "\\U%08x", r);
}

/* strconv.Quote / QuoteToASCII */
int gt_quote(struct gt_buf *b, struct gt_str s, bool ascii_only)
{
    if (gt_buf_putc(b, '"') < 0)
        return -1;
    for (size_t i = 0, w; i < s.n; i += w) {
        uint32_t r = gt_utf8_decode(s.p + i, s.n - i, &w);
        int rc = w == 1 && r == GT_RUNE_ERROR ? gt_buf_printf(b, "\\x%02x", (unsigned char)s.p[i])
                                              : escaped_rune(b, r, '"', ascii_only);
        if (rc < 0)
            return -1;
    }
    return gt_buf_putc(b, '"');
}

static int quote_rune(struct gt_buf *b, uint32_t r, bool ascii_only)
{
    if (r > GT_MAX_RUNE || (r >= 0xD800 && r <= 0xDFFF))
        r = GT_RUNE_ERROR;
    if (gt_buf_putc(b, '\'') < 0 || escaped_rune(b, r, '\'', ascii_only) < 0)
        return -1;
    return gt_buf_putc(b, '\'');
}

static bool can_backquote(struct gt_str s)
{
    for (size_t i = 0, w; i < s.n; i += w) {
        uint32_t r = gt_utf8_decode(s.p + i, s.n - i, &w);
        if (w > 1) {
            if (r == 0xFEFF)
                return false;
            continue;
        }
        if (r == GT_RUNE_ERROR || (r < ' ' && r != '\t') || r == '`' || r == 0x7F)
            return false;
    }
    return true;
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* strconv.UnquoteChar */
int gt_unquote_char(struct gt_str *s, char quote, uint32_t *r, bool *multibyte)
{
    *multibyte = false;
    if (s->n == 0)
        return -1;
    unsigned char c = (unsigned char)s->p[0];
    if (c == (unsigned char)quote && (quote == '\'' || quote == '"'))
        return -1;
    if (c >= 0x80) {
        size_t w;
        *r = gt_utf8_decode(s->p, s->n, &w);
        *multibyte = true;
        s->p += w;
        s->n -= w;
        return 0;
    }
    if (c != '\\') {
        *r = c;
        s->p++;
        s->n--;
        return 0;
    }
    if (s->n <= 1)
        return -1;
    c = (unsigned char)s->p[1];
    s->p += 2;
    s->n -= 2;
    switch (c) {
    case 'a':
        *r = '\a';
        return 0;
    case 'b':
        *r = '\b';
        return 0;
    case 'f':
        *r = '\f';
        return 0;
    case 'n':
        *r = '\n';
        return 0;
    case 'r':
        *r = '\r';
        return 0;
    case 't':
        *r = '\t';
        return 0;
    case 'v':
        *r = '\v';
        return 0;
    case 'x':
    case 'u':
    case 'U': {
        size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        uint32_t v = 0;
        if (s->n < n)
            return -1;
        for (size_t j = 0; j < n; j++) {
            int x = unhex(s->p[j]);
            if (x < 0)
                return -1;
            v = v << 4 | (uint32_t)x;
        }
        s->p += n;
        s->n -= n;
        if (c != 'x') {
            if (v > GT_MAX_RUNE || (v >= 0xD800 && v <= 0xDFFF))
                return -1;
            *multibyte = true;
        }
        *r = v;
        return 0;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
        uint32_t v = c - '0';
        if (s->n < 2)
            return -1;
        for (size_t j = 0; j < 2; j++) {
            int x = s->p[j] - '0';
            if (x < 0 || x > 7)
                return -1;
            v = (v << 3) | (uint32_t)x;
        }
        s->p += 2;
        s->n -= 2;
        if (v > 255)
            return -1;
        *r = v;
        return 0;
    }
    case '\\':
        *r = '\\';
        return 0;
    case '\'':
    case '"':
        if (c != (unsigned char)quote)
            return -1;
        *r = c;
        return 0;
    default:
        return -1;
    }
}

/* strconv.Unquote of a "..." or `...` literal. */
int gt_unquote(struct gt_buf *b, struct gt_str lit)
{
    if (lit.n < 2 || lit.p[lit.n - 1] != lit.p[0])
        return -1;
    if (lit.p[0] == '`') {
        for (size_t i = 1; i + 1 < lit.n; i++) {
            if (lit.p[i] == '`')
                return -1;
            if (lit.p[i] != '\r' && gt_buf_putc(b, lit.p[i]) < 0) /* raw strings drop \r */
                return -1;
        }
        return gt_buf_put(b, "", 0);
    }
    if (lit.p[0] != '"')
        return -1;
    struct gt_str s = {lit.p + 1, lit.n - 1};
    while (s.n > 0 && s.p[0] != '"') {
        uint32_t r;
        bool multibyte;
        if (s.p[0] == '\n' || gt_unquote_char(&s, '"', &r, &multibyte) < 0)
            return -1;
        int rc = r < 0x80 || !multibyte ? gt_buf_putc(b, (char)r) : gt_buf_rune(b, r);
        if (rc < 0)
            return -1;
    }
    if (s.n != 1 || s.p[0] != '"')
        return -1;
    return gt_buf_put(b, "", 0);
}

/* ---- strconv: floats ---- */

/* A decimal: digits without leading or trailing zeros, point after dp. */
struct decimal {
    char *d;
    int nd, dp;
};

/* Reads the digits of C's "%e" or "%f" text into *dec (in place). */
static void read_decimal(char *text, struct decimal *dec)
{
    char *e = strchr(text, 'e');
    int exp10 = e != NULL ? atoi(e + 1) : 0;
    char *end = e != NULL ? e : text + strlen(text);
    int nd = 0, dp = -1;
    for (char *p = text; p < end; p++) {
        if (*p == '.')
            dp = nd;
        else
            text[nd++] = *p;
    }
    if (dp < 0)
        dp = nd;
    dp += exp10;
    int lead = 0;
    while (lead < nd && text[lead] == '0')
        lead++;
    memmove(text, text + lead, (size_t)(nd - lead));
    nd -= lead;
    dp -= lead;
    while (nd > 0 && text[nd - 1] == '0')
        nd--;
    if (nd == 0)
        dp = 0;
    dec->d = text;
    dec->nd = nd;
    dec->dp = dp;
}

static char *c_format(char conv, int prec, double v)
{
    char fmt[8] = {'%', '.', '*', conv, 0};
    int n = snprintf(NULL, 0, fmt, prec, v);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s != NULL)
        snprintf(s, (size_t)n + 1, fmt, prec, v);
    return s;
}

/* The shortest digits that read back as v (Go's ryuFtoaShortest): the
 * nearest p-digit decimal for the least p, or a neighbour of it when v's
 * rounding interval is lopsided (v a power of two). */
static char *shortest_digits(double v, struct decimal *dec)
{
    for (int p = 1; p <= 17; p++) {
        char *s = c_format('e', p - 1, v);
        if (s == NULL)
            return NULL;
        if (strtod(s, NULL) == v || p == 17) {
            read_decimal(s, dec);
            return s;
        }
        char *e = strchr(s, 'e');
        for (int delta = -1; delta <= 1 && e != NULL; delta += 2) {
            char alt[64];
            snprintf(alt, sizeof alt, "%s", s);
            char *last = alt + (e - s) - 1; /* bump the last digit by one */
            while (last >= alt && (*last == '.' || *last == (delta > 0 ? '9' : '0'))) {
                if (*last != '.')
                    *last = delta > 0 ? '0' : '9';
                last--;
            }
            if (last < alt || !(*last >= '0' && *last <= '9') ||
                (delta < 0 && last == alt && *last == '1'))
                continue;
            *last = (char)(*last + delta);
            if (strtod(alt, NULL) == v) {
                free(s);
                s = strdup(alt);
                if (s != NULL)
                    read_decimal(s, dec);
                return s;
            }
        }
        free(s);
    }
    return NULL;
}

static int fmt_e(struct gt_buf *b, bool neg, const struct decimal *d, int prec, char fmt)
{
    if (neg && gt_buf_putc(b, '-') < 0)
        return -1;
    if (gt_buf_putc(b, d->nd ? d->d[0] : '0') < 0)
        return -1;
    if (prec > 0) {
        if (gt_buf_putc(b, '.') < 0)
            return -1;
        int m = d->nd < prec + 1 ? d->nd : prec + 1;
        int i = 1;
        if (i < m && gt_buf_put(b, d->d + 1, (size_t)(m - 1)) < 0)
            return -1;
        if (i < m)
            i = m;
        if (prec + 1 > i && gt_buf_pad(b, '0', (size_t)(prec + 1 - i)) < 0)
            return -1;
    }
    int exp = d->nd == 0 ? 0 : d->dp - 1;
    char sign = exp < 0 ? '-' : '+';
    if (exp < 0)
        exp = -exp;
    return gt_buf_printf(b, "%c%c%02d", fmt, sign, exp);
}

static int fmt_f(struct gt_buf *b, bool neg, const struct decimal *d, int prec)
{
    if (neg && gt_buf_putc(b, '-') < 0)
        return -1;
    if (d->dp > 0) {
        int m = d->nd < d->dp ? d->nd : d->dp;
        if (gt_buf_put(b, d->d, (size_t)m) < 0 || gt_buf_pad(b, '0', (size_t)(d->dp - m)) < 0)
            return -1;
    } else if (gt_buf_putc(b, '0') < 0) {
        return -1;
    }
    if (prec > 0) {
        if (gt_buf_putc(b, '.') < 0)
            return -1;
        for (int i = 1; i <= prec; i++) {
            int j = d->dp + i - 1;
            if (gt_buf_putc(b, j >= 0 && j < d->nd ? d->d[j] : '0') < 0)
                return -1;
        }
    }
    return 0;
}

/* %b: mantissa "p" binary exponent */
static int fmt_b(struct gt_buf *b, bool neg, uint64_t mant, int exp)
{
    return gt_buf_printf(b, "%s%llup%c%d", neg ? "-" : "", (unsigned long long)mant,
                         exp >= 0 ? '+' : '-', exp >= 0 ? exp : -exp);
}

/* %x: -0x1.yyyyp+dd */
static int fmt_x(struct gt_buf *b, int prec, char fmt, bool neg, uint64_t mant, int exp)
{
    if (mant == 0)
        exp = 0;
    mant <<= 60 - 52;
    while (mant != 0 && (mant & ((uint64_t)1 << 60)) == 0) {
        mant <<= 1;
        exp--;
    }
    if (prec >= 0 && prec < 15) {
        unsigned shift = (unsigned)prec * 4;
        uint64_t extra = (mant << shift) & (((uint64_t)1 << 60) - 1);
        mant >>= 60 - shift;
        if ((extra | (mant & 1)) > ((uint64_t)1 << 59))
            mant++;
        mant <<= 60 - shift;
        if (mant & ((uint64_t)1 << 61)) {
            mant >>= 1;
            exp++;
        }
    }
    const char *hex = fmt == 'X' ? udigits : ldigits;
    if (gt_buf_printf(b, "%s0%c%c", neg ? "-" : "", fmt, (char)('0' + ((mant >> 60) & 1))) < 0)
        return -1;
    mant <<= 4;
    if ((prec < 0 && mant != 0) || prec > 0) {
        if (gt_buf_putc(b, '.') < 0)
            return -1;
        for (int i = 0; prec < 0 ? mant != 0 : i < prec; i++) {
            if (gt_buf_putc(b, hex[(mant >> 60) & 15]) < 0)
                return -1;
            mant <<= 4;
        }
    }
    char sign = exp < 0 ? '-' : '+';
    if (exp < 0)
        exp = -exp;
    return gt_buf_printf(b, "%c%c%02d", fmt == 'X' ? 'P' : 'p', sign, exp);
}

/* strconv.AppendFloat(b, v, fmt, prec, 64) */
int gt_format_float(struct gt_buf *b, double v, char fmt, int prec)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bool neg = bits >> 63;
    int exp = (int)((bits >> 52) & 0x7FF);
    uint64_t mant = bits & (((uint64_t)1 << 52) - 1);
    if (exp == 0x7FF)
        return gt_buf_puts(b, mant != 0 ? "NaN" : neg ? "-Inf" : "+Inf");
    if (exp == 0)
        exp++;
    else
        mant |= (uint64_t)1 << 52;
    exp -= 1023;
    if (fmt == 'b')
        return fmt_b(b, neg, mant, exp - 52);
    if (fmt == 'x' || fmt == 'X')
        return fmt_x(b, prec, fmt, neg, mant, exp);

    double a = fabs(v);
    bool shortest = prec < 0;
    struct decimal d;
    char *text;
    if (shortest) {
        text = shortest_digits(a, &d);
        if (fmt == 'e' || fmt == 'E')
            prec = d.nd > 1 ? d.nd - 1 : 0;
        else if (fmt == 'f')
            prec = d.nd - d.dp > 0 ? d.nd - d.dp : 0;
        else
            prec = d.nd;
    } else if (fmt == 'f') {
        text = c_format('f', prec, a);
    } else {
        if ((fmt == 'g' || fmt == 'G') && prec == 0)
            prec = 1;
        text = c_format('e', fmt == 'e' || fmt == 'E' ? prec : prec - 1, a);
    }
    if (text == NULL)
        return -1;
    if (!shortest)
        read_decimal(text, &d);
    int rc;
    if (fmt == 'e' || fmt == 'E') {
        rc = fmt_e(b, neg, &d, prec, fmt);
    } else if (fmt == 'f') {
        rc = fmt_f(b, neg, &d, prec);
    } else {
        int eprec = prec;
        if (eprec > d.nd && d.nd >= d.dp)
            eprec = d.nd;
        if (shortest) /* %e is used if the exponent is < -4 or >= the precision */
            eprec = 6;
        int x = d.dp - 1;
        if (x < -4 || x >= eprec) {
            if (prec > d.nd)
                prec = d.nd;
            rc = fmt_e(b, neg, &d, prec - 1, fmt == 'G' ? 'E' : 'e');
        } else {
            if (prec > d.dp)
                prec = d.nd;
            rc = fmt_f(b, neg, &d, prec - d.dp > 0 ? prec - d.dp : 0);
        }
    }
    free(text);
    return rc;
}

/* ---- fmt ---- */

struct pp {
    struct gt_buf *buf;
    bool wid_present, prec_present, minus, plus, sharp, space, zero, plus_v, sharp_v;
    int wid, prec;
    const struct gt_val *arg; /* p.arg, for %!verb(type=value) */
    bool erroring, reordered, good_arg_num;
    int rc;
};

static void clear_flags(struct pp *p)
{
    p->wid_present = p->prec_present = p->minus = p->plus = p->sharp = p->space = p->zero =
        p->plus_v = p->sharp_v = false;
    p->wid = p->prec = 0;
}

static void put(struct pp *p, const char *s, size_t n)
{
    if (p->rc == 0 && gt_buf_put(p->buf, s, n) < 0)
        p->rc = -1;
}

static void puts_(struct pp *p, const char *s)
{
    put(p, s, strlen(s));
}

static void putc_(struct pp *p, char c)
{
    put(p, &c, 1);
}

static void write_padding(struct pp *p, int n)
{
    if (n > 0 && p->rc == 0 && gt_buf_pad(p->buf, p->zero ? '0' : ' ', (size_t)n) < 0)
        p->rc = -1;
}

/* fmt.pad: width counts runes */
static void pad(struct pp *p, const char *s, size_t n)
{
    if (!p->wid_present || p->wid == 0) {
        put(p, s, n);
        return;
    }
    int width = p->wid - (int)gt_utf8_count(s, n);
    if (!p->minus) {
        write_padding(p, width);
        put(p, s, n);
    } else {
        put(p, s, n);
        write_padding(p, width);
    }
}

static void pad_buf(struct pp *p, struct gt_buf *tmp, int rc)
{
    if (rc < 0)
        p->rc = -1;
    else
        pad(p, tmp->p ? tmp->p : "", tmp->len);
    free(tmp->p);
}

static void fmt_boolean(struct pp *p, bool v)
{
    pad(p, v ? "true" : "false", v ? 4 : 5);
}

/* fmt.fmtUnicode: U+0041, %#U adds ' 'A'' */
static void fmt_unicode(struct pp *p, uint64_t u)
{
    char buf[80];
    int prec = 4;
    if (p->prec_present && p->prec > 4)
        prec = p->prec > 64 ? 64 : p->prec;
    size_t i = sizeof buf;
    if (p->sharp && u <= GT_MAX_RUNE && gt_is_print((uint32_t)u)) {
        char enc[4];
        size_t w = gt_utf8_encode(enc, (uint32_t)u);
        buf[--i] = '\'';
        i -= w;
        memcpy(buf + i, enc, w);
        buf[--i] = '\'';
        buf[--i] = ' ';
    }
    for (; u >= 16; u >>= 4, prec--)
        buf[--i] = udigits[u & 0xF];
    buf[--i] = udigits[u];
    for (prec--; prec > 0; prec--)
        buf[--i] = '0';
    buf[--i] = '+';
    buf[--i] = 'U';
    bool zero = p->zero;
    p->zero = false;
    pad(p, buf + i, sizeof buf - i);
    p->zero = zero;
}

/* fmt.fmtInteger */
static void fmt_integer(struct pp *p, uint64_t u, int base, bool is_signed, uint32_t verb,
                        const char *digits)
{
    bool negative = is_signed && (int64_t)u < 0;
    if (negative)
        u = 0 - u;
    size_t cap =
        68 + (p->wid_present ? (size_t)p->wid : 0) + (p->prec_present ? (size_t)p->prec : 0);
    char *buf = malloc(cap);
    if (buf == NULL) {
        p->rc = -1;
        return;
    }
    int prec = 0;
    if (p->prec_present) {
        prec = p->prec;
        if (prec == 0 && u == 0) {
            bool zero = p->zero;
            p->zero = false;
            write_padding(p, p->wid);
            p->zero = zero;
            free(buf);
            return;
        }
    } else if (p->zero && p->wid_present) {
        prec = p->wid;
        if (negative || p->plus || p->space)
            prec--; /* room for the sign */
    }
    size_t i = cap;
    for (; u >= (uint64_t)base; u /= (uint64_t)base)
        buf[--i] = digits[u % (uint64_t)base];
    buf[--i] = digits[u];
    while (i > 0 && prec > (int)(cap - i))
        buf[--i] = '0';
    if (p->sharp) {
        if (base == 2) {
            buf[--i] = 'b';
            buf[--i] = '0';
        } else if (base == 8 && buf[i] != '0') {
            buf[--i] = '0';
        } else if (base == 16) {
            buf[--i] = digits[16];
            buf[--i] = '0';
        }
    }
    if (verb == 'O') {
        buf[--i] = 'o';
        buf[--i] = '0';
    }
    if (negative)
        buf[--i] = '-';
    else if (p->plus)
        buf[--i] = '+';
    else if (p->space)
        buf[--i] = ' ';
    bool zero = p->zero;
    p->zero = false;
    pad(p, buf + i, cap - i);
    p->zero = zero;
    free(buf);
}

/* fmt.truncateString: precision counts runes */
static struct gt_str truncate_string(struct pp *p, struct gt_str s)
{
    if (p->prec_present) {
        size_t i = 0, w;
        for (int n = p->prec; i < s.n; i += w, n--) {
            if (n <= 0)
                return (struct gt_str){s.p, i};
            gt_utf8_decode(s.p + i, s.n - i, &w);
        }
    }
    return s;
}

static void fmt_s(struct pp *p, struct gt_str s)
{
    s = truncate_string(p, s);
    pad(p, s.p, s.n);
}

/* fmt.fmtSbx for strings: hex of the bytes, % x spaced, %#x prefixed */
static void fmt_sx(struct pp *p, struct gt_str s, const char *digits)
{
    size_t length = s.n;
    if (p->prec_present && (size_t)p->prec < length)
        length = (size_t)p->prec;
    size_t width = 2 * length;
    if (width > 0) {
        if (p->space) {
            if (p->sharp)
                width *= 2;
            width += length - 1;
        } else if (p->sharp) {
            width += 2;
        }
    } else {
        if (p->wid_present)
            write_padding(p, p->wid);
        return;
    }
    if (p->wid_present && (size_t)p->wid > width && !p->minus)
        write_padding(p, p->wid - (int)width);
    if (p->sharp) {
        putc_(p, '0');
        putc_(p, digits[16]);
    }
    for (size_t i = 0; i < length; i++) {
        if (p->space && i > 0) {
            putc_(p, ' ');
            if (p->sharp) {
                putc_(p, '0');
                putc_(p, digits[16]);
            }
        }
        unsigned char c = (unsigned char)s.p[i];
        char hex[2] = {digits[c >> 4], digits[c & 0xF]};
        put(p, hex, 2);
    }
    if (p->wid_present && (size_t)p->wid > width && p->minus)
        write_padding(p, p->wid - (int)width);
}

static void fmt_q(struct pp *p, struct gt_str s)
{
    s = truncate_string(p, s);
    struct gt_buf tmp = {.max = GT_MAX_OUTPUT};
    int rc;
    if (p->sharp && can_backquote(s))
        rc = gt_buf_putc(&tmp, '`') < 0 || gt_buf_put(&tmp, s.p, s.n) < 0 ||
                     gt_buf_putc(&tmp, '`') < 0
                 ? -1
                 : 0;
    else
        rc = gt_quote(&tmp, s, p->plus);
    pad_buf(p, &tmp, rc);
}

static void fmt_c(struct pp *p, uint64_t c)
{
    char enc[4];
    uint32_t r = c > GT_MAX_RUNE ? GT_RUNE_ERROR : (uint32_t)c;
    pad(p, enc, gt_utf8_encode(enc, r));
}

static void fmt_qc(struct pp *p, uint64_t c)
{
    struct gt_buf tmp = {.max = 64};
    uint32_t r = c > GT_MAX_RUNE ? GT_RUNE_ERROR : (uint32_t)c;
    pad_buf(p, &tmp, quote_rune(&tmp, r, p->plus));
}

/* fmt.fmtFloat */
static void fmt_float(struct pp *p, double v, char verb, int prec)
{
    if (p->prec_present)
        prec = p->prec;
    struct gt_buf num = {.max = GT_MAX_OUTPUT};
    if (gt_buf_putc(&num, '+') < 0 || gt_format_float(&num, v, verb, prec) < 0) {
        free(num.p);
        p->rc = -1;
        return;
    }
    char *s = num.p;
    size_t n = num.len;
    /* s[0] is a '+' placeholder for the sign */
    if (s[1] == '-' || s[1] == '+') {
        s++;
        n--;
    }
    if (p->space && s[0] == '+' && !p->plus)
        s[0] = ' ';
    if (s[1] == 'I' || s[1] == 'N') { /* infinities and NaN are not zero padded */
        bool zero = p->zero;
        p->zero = false;
        if (s[1] == 'N' && !p->space && !p->plus) {
            s++;
            n--;
        }
        pad(p, s, n);
        p->zero = zero;
        free(num.p);
        return;
    }
    struct gt_buf alt = {.max = GT_MAX_OUTPUT};
    if (p->sharp && verb != 'b') { /* %#: keep the point and trailing zeros */
        int digits = 0;
        if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x')
            digits = prec == -1 ? 6 : prec;
        char tail[8] = "";
        size_t body = n;
        bool has_point = false, nonzero = false;
        for (size_t i = 1; i < n; i++) {
            char c = s[i];
            if (c == '.') {
                has_point = true;
            } else if (c == 'p' || c == 'P' ||
                       ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
                snprintf(tail, sizeof tail, "%.*s", (int)(n - i), s + i);
                body = i;
                break;
            } else {
                if (c != '0')
                    nonzero = true;
                if (nonzero)
                    digits--;
            }
        }
        if (gt_buf_put(&alt, s, body) < 0)
            p->rc = -1;
        if (!has_point) {
            if (body == 2 && s[1] == '0')
                digits--;
            if (gt_buf_putc(&alt, '.') < 0)
                p->rc = -1;
        }
        if (digits > 0 && gt_buf_pad(&alt, '0', (size_t)digits) < 0)
            p->rc = -1;
        if (gt_buf_puts(&alt, tail) < 0)
            p->rc = -1;
        if (p->rc == 0) {
            s = alt.p;
            n = alt.len;
        }
    }
    if (p->plus || s[0] != '+') {
        if (p->zero && p->wid_present && p->wid > (int)n) {
            putc_(p, s[0]);
            write_padding(p, p->wid - (int)n);
            put(p, s + 1, n - 1);
        } else {
            pad(p, s, n);
        }
    } else {
        pad(p, s + 1, n - 1);
    }
    free(alt.p);
    free(num.p);
}

static void print_value(struct pp *p, const struct gt_val *v, uint32_t verb, int depth);

static void print_arg(struct pp *p, const struct gt_val *v, uint32_t verb);

/* %!verb(type=value) */
static void bad_verb(struct pp *p, uint32_t verb, const struct gt_val *cur)
{
    p->erroring = true;
    char enc[4];
    puts_(p, "%!");
    put(p, enc, gt_utf8_encode(enc, verb));
    putc_(p, '(');
    if (cur != NULL && cur->kind != GK_INVALID) {
        puts_(p, gt_type_name(cur));
        putc_(p, '=');
        print_value(p, cur, 'v', 0);
    } else {
        puts_(p, "<nil>");
    }
    putc_(p, ')');
    p->erroring = false;
}

static void fmt_bool(struct pp *p, const struct gt_val *v, uint32_t verb)
{
    if (verb == 't' || verb == 'v')
        fmt_boolean(p, v->u.b);
    else
        bad_verb(p, verb, v);
}

static void fmt0x64(struct pp *p, uint64_t v, bool leading0x)
{
    bool sharp = p->sharp;
    p->sharp = leading0x;
    fmt_integer(p, v, 16, false, 'v', ldigits);
    p->sharp = sharp;
}

static void fmt_int(struct pp *p, const struct gt_val *v, uint32_t verb)
{
    bool is_signed = v->kind == GK_INT;
    uint64_t u = (uint64_t)v->u.i;
    switch (verb) {
    case 'v':
        if (p->sharp_v && !is_signed)
            fmt0x64(p, u, true);
        else
            fmt_integer(p, u, 10, is_signed, verb, ldigits);
        return;
    case 'd':
        return fmt_integer(p, u, 10, is_signed, verb, ldigits);
    case 'b':
        return fmt_integer(p, u, 2, is_signed, verb, ldigits);
    case 'o':
    case 'O':
        return fmt_integer(p, u, 8, is_signed, verb, ldigits);
    case 'x':
        return fmt_integer(p, u, 16, is_signed, verb, ldigits);
    case 'X':
        return fmt_integer(p, u, 16, is_signed, verb, udigits);
    case 'c':
        return fmt_c(p, u);
    case 'q':
        return fmt_qc(p, u);
    case 'U':
        return fmt_unicode(p, u);
    default:
        return bad_verb(p, verb, v);
    }
}

static bool fmt_float_verb(struct pp *p, double f, uint32_t verb)
{
    switch (verb) {
    case 'v':
        fmt_float(p, f, 'g', -1);
        return true;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
        fmt_float(p, f, (char)verb, -1);
        return true;
    case 'f':
    case 'e':
    case 'E':
        fmt_float(p, f, (char)verb, 6);
        return true;
    case 'F':
        fmt_float(p, f, 'f', 6);
        return true;
    default:
        return false;
    }
}

static void fmt_complex(struct pp *p, const struct gt_val *v, uint32_t verb)
{
    if (verb >= 0x80 || verb == 0 || strchr("vbgGxXfFeE", (int)verb) == NULL) {
        bad_verb(p, verb, v);
        return;
    }
    bool plus = p->plus;
    putc_(p, '(');
    fmt_float_verb(p, v->u.c.re, verb);
    p->plus = true;
    fmt_float_verb(p, v->u.c.im, verb);
    puts_(p, "i)");
    p->plus = plus;
}

static void fmt_string(struct pp *p, const struct gt_val *v, uint32_t verb)
{
    switch (verb) {
    case 'v':
        if (p->sharp_v)
            fmt_q(p, v->u.s);
        else
            fmt_s(p, v->u.s);
        return;
    case 's':
        return fmt_s(p, v->u.s);
    case 'x':
        return fmt_sx(p, v->u.s, ldigits);
    case 'X':
        return fmt_sx(p, v->u.s, udigits);
    case 'q':
        return fmt_q(p, v->u.s);
    default:
        return bad_verb(p, verb, v);
    }
}

static void print_elem(struct pp *p, json_t *j, uint32_t verb, int depth)
{
    struct gt_val e = gt_from_json(j, true);
    print_value(p, &e, verb, depth);
}

/* pp.printValue */
static void print_value(struct pp *p, const struct gt_val *v, uint32_t verb, int depth)
{
    if (depth > GT_MAX_VALUE_DEPTH) {
        p->rc = GT_FMT_DEEP;
        return;
    }
    if (v->boxed) { /* an interface{} slot: <nil>, or what it holds */
        if (v->kind == GK_NIL) {
            puts_(p, p->sharp_v ? "interface {}(nil)" : "<nil>");
            return;
        }
        struct gt_val inner = gt_unbox(*v);
        print_value(p, &inner, verb, depth);
        return;
    }
    switch (v->kind) {
    case GK_MISSING:
    case GK_INVALID:
    case GK_NIL:
        if (depth == 0)
            puts_(p, "<invalid reflect.Value>");
        else if (verb == 'v')
            puts_(p, "<nil>");
        else
            bad_verb(p, verb, NULL);
        return;
    case GK_BOOL:
        return fmt_bool(p, v, verb);
    case GK_INT:
    case GK_UINT8:
        return fmt_int(p, v, verb);
    case GK_FLOAT:
        if (!fmt_float_verb(p, v->u.f, verb))
            bad_verb(p, verb, v);
        return;
    case GK_COMPLEX:
        return fmt_complex(p, v, verb);
    case GK_STRING:
        return fmt_string(p, v, verb);
    case GK_MAP: {
        size_t n;
        struct gt_str *keys = gt_sorted_keys(v->u.obj, &n);
        if (keys == NULL) {
            p->rc = -1;
            return;
        }
        puts_(p, p->sharp_v ? "map[string]interface {}{" : "map[");
        for (size_t i = 0; i < n && p->rc == 0; i++) {
            if (i > 0)
                puts_(p, p->sharp_v ? ", " : " ");
            struct gt_val key = {.kind = GK_STRING, .u.s = keys[i]};
            print_value(p, &key, verb, depth + 1);
            putc_(p, ':');
            print_elem(p, json_object_getn(v->u.obj, keys[i].p, keys[i].n), verb, depth + 1);
        }
        putc_(p, p->sharp_v ? '}' : ']');
        free(keys);
        return;
    }
    case GK_ARRAY:
    case GK_STRS: {
        if (p->sharp_v)
            puts_(p, gt_type_name(v));
        putc_(p, p->sharp_v ? '{' : '[');
        size_t n = gt_len(v);
        for (size_t i = 0; i < n && p->rc == 0; i++) {
            if (i > 0)
                puts_(p, p->sharp_v ? ", " : " ");
            if (v->kind == GK_ARRAY) {
                print_elem(p, gt_array_at(v, i), verb, depth + 1);
            } else {
                struct gt_val s = {.kind = GK_STRING, .u.s = v->u.ss.v[i]};
                print_value(p, &s, verb, depth + 1);
            }
        }
        putc_(p, p->sharp_v ? '}' : ']');
        return;
    }
    }
}

/* pp.printArg: a top-level operand (already out of any interface) */
static void print_arg(struct pp *p, const struct gt_val *v, uint32_t verb)
{
    struct gt_val a = gt_unbox(*v);
    p->arg = &a;
    if (a.kind == GK_INVALID || a.kind == GK_MISSING) {
        if (verb == 'T' || verb == 'v')
            pad(p, "<nil>", 5);
        else
            bad_verb(p, verb, NULL);
        return;
    }
    if (verb == 'T') {
        const char *t = gt_type_name(&a);
        fmt_s(p, (struct gt_str){t, strlen(t)});
        return;
    }
    if (verb == 'p') { /* there are no Go pointers behind JSON */
        if (a.kind == GK_MAP || a.kind == GK_ARRAY || a.kind == GK_STRS)
            fmt0x64(p, 0, !p->sharp);
        else
            bad_verb(p, verb, &a);
        return;
    }
    if ((a.kind == GK_MAP || a.kind == GK_ARRAY || a.kind == GK_STRS) && verb == 'w') {
        bad_verb(p, verb, &a);
        return;
    }
    print_value(p, &a, verb, 0);
}

static void init_pp(struct pp *p, struct gt_buf *b)
{
    memset(p, 0, sizeof *p);
    p->buf = b;
}

int gt_fmt_value(struct gt_buf *b, const struct gt_val *v, char verb)
{
    struct pp p;
    init_pp(&p, b);
    print_arg(&p, v, verb);
    return p.rc;
}

static bool is_string_arg(const struct gt_val *v)
{
    return gt_unbox(*v).kind == GK_STRING;
}

/* fmt.Sprint: spaces between operands when neither is a string */
int gt_fmt_sprint(struct gt_buf *b, const struct gt_val *args, size_t n)
{
    struct pp p;
    init_pp(&p, b);
    bool prev_string = false;
    for (size_t i = 0; i < n && p.rc == 0; i++) {
        bool is_string = is_string_arg(&args[i]);
        if (i > 0 && !is_string && !prev_string)
            putc_(&p, ' ');
        print_arg(&p, &args[i], 'v');
        prev_string = is_string;
    }
    return p.rc;
}

int gt_fmt_sprintln(struct gt_buf *b, const struct gt_val *args, size_t n)
{
    struct pp p;
    init_pp(&p, b);
    for (size_t i = 0; i < n && p.rc == 0; i++) {
        if (i > 0)
            putc_(&p, ' ');
        print_arg(&p, &args[i], 'v');
    }
    putc_(&p, '\n');
    return p.rc;
}

static bool too_large(int x)
{
    return x > 1000000 || x < -1000000;
}

/* fmt.parsenum */
static bool parsenum(struct gt_str f, size_t start, size_t end, int *num, size_t *newi)
{
    bool isnum = false;
    *num = 0;
    *newi = start;
    if (start >= end) {
        *newi = end;
        return false;
    }
    for (; *newi < end && f.p[*newi] >= '0' && f.p[*newi] <= '9'; (*newi)++) {
        if (too_large(*num)) {
            *num = 0;
            *newi = end;
            return false;
        }
        *num = *num * 10 + (f.p[*newi] - '0');
        isnum = true;
    }
    return isnum;
}

/* fmt.intFromArg, for '*' */
static bool int_from_arg(const struct gt_val *args, size_t n, size_t *argnum, int *num)
{
    bool is_int = false;
    *num = 0;
    if (*argnum < n) {
        struct gt_val a = gt_unbox(args[*argnum]);
        if (a.kind == GK_INT || a.kind == GK_UINT8) {
            if (a.u.i >= -2147483648LL && a.u.i <= 2147483647LL) {
                *num = (int)a.u.i;
                is_int = true;
            }
        }
        (*argnum)++;
        if (too_large(*num)) {
            *num = 0;
            is_int = false;
        }
    }
    return is_int;
}

/* fmt.argNumber: an explicit [n] index */
static size_t arg_number(struct pp *p, size_t argnum, struct gt_str f, size_t *i, size_t nargs,
                         bool *found)
{
    *found = false;
    if (*i >= f.n || f.p[*i] != '[')
        return argnum;
    p->reordered = true;
    /* parseArgNumber */
    size_t wid = 1;
    bool ok = false;
    int index = 0;
    if (f.n - *i >= 3) {
        for (size_t k = *i + 1; k < f.n; k++) {
            if (f.p[k] == ']') {
                size_t newi;
                int width;
                bool isnum = parsenum(f, *i + 1, k, &width, &newi);
                if (!isnum || newi != k) {
                    wid = k - *i + 1;
                } else {
                    index = width - 1;
                    wid = k - *i + 1;
                    ok = true;
                }
                break;
            }
        }
    }
    *i += wid;
    if (ok && index >= 0 && (size_t)index < nargs) {
        *found = true;
        return (size_t)index;
    }
    p->good_arg_num = false;
    *found = ok;
    return argnum;
}

/* fmt.doPrintf */
int gt_fmt_sprintf(struct gt_buf *b, struct gt_str f, const struct gt_val *args, size_t nargs)
{
    struct pp p;
    init_pp(&p, b);
    size_t argnum = 0, end = f.n;
    bool after_index = false;
    for (size_t i = 0; i < end && p.rc == 0;) {
        p.good_arg_num = true;
        size_t lasti = i;
        while (i < end && f.p[i] != '%')
            i++;
        if (i > lasti)
            put(&p, f.p + lasti, i - lasti);
        if (i >= end)
            break;
        i++; /* the % */
        clear_flags(&p);
        bool simple_done = false;
        for (; i < end; i++) {
            char c = f.p[i];
            if (c == '#') {
                p.sharp = true;
            } else if (c == '0') {
                p.zero = !p.minus; /* only pad with zeros on the left */
            } else if (c == '+') {
                p.plus = true;
            } else if (c == '-') {
                p.minus = true;
                p.zero = false;
            } else if (c == ' ') {
                p.space = true;
            } else {
                /* the fast path: a plain verb right after the flags */
                if (c >= 'a' && c <= 'z' && argnum < nargs) {
                    if (c == 'v') {
                        p.sharp_v = p.sharp;
                        p.sharp = false;
                        p.plus_v = p.plus;
                        p.plus = false;
                    }
                    print_arg(&p, &args[argnum], (unsigned char)c);
                    argnum++;
                    i++;
                    simple_done = true;
                }
                break;
            }
        }
        if (simple_done)
            continue;

        argnum = arg_number(&p, argnum, f, &i, nargs, &after_index);
        if (i < end && f.p[i] == '*') {
            i++;
            p.wid_present = int_from_arg(args, nargs, &argnum, &p.wid);
            if (!p.wid_present)
                puts_(&p, "%!(BADWIDTH)");
            if (p.wid < 0) {
                p.wid = -p.wid;
                p.minus = true;
                p.zero = false;
            }
            after_index = false;
        } else {
            p.wid_present = parsenum(f, i, end, &p.wid, &i);
            if (after_index && p.wid_present) /* "%[3]2d" */
                p.good_arg_num = false;
        }
        if (i + 1 < end && f.p[i] == '.') {
            i++;
            if (after_index) /* "%[3].2d" */
                p.good_arg_num = false;
            argnum = arg_number(&p, argnum, f, &i, nargs, &after_index);
            if (i < end && f.p[i] == '*') {
                i++;
                p.prec_present = int_from_arg(args, nargs, &argnum, &p.prec);
                if (p.prec < 0) {
                    p.prec = 0;
                    p.prec_present = false;
                }
                if (!p.prec_present)
                    puts_(&p, "%!(BADPREC)");
                after_index = false;
            } else {
                p.prec_present = parsenum(f, i, end, &p.prec, &i);
                if (!p.prec_present) {
                    p.prec = 0;
                    p.prec_present = true;
                }
            }
        }
        if (!after_index)
            argnum = arg_number(&p, argnum, f, &i, nargs, &after_index);
        if (i >= end) {
            puts_(&p, "%!(NOVERB)");
            break;
        }
        size_t w = 1;
        uint32_t verb = (unsigned char)f.p[i];
        if (verb >= 0x80)
            verb = gt_utf8_decode(f.p + i, end - i, &w);
        i += w;
        char vbuf[8];
        if (verb == '%') {
            putc_(&p, '%'); /* ignores width and precision */
        } else if (!p.good_arg_num || argnum >= nargs) {
            puts_(&p, "%!");
            put(&p, vbuf, gt_utf8_encode(vbuf, verb));
            puts_(&p, p.good_arg_num ? "(MISSING)" : "(BADINDEX)");
        } else {
            if (verb == 'v') {
                p.sharp_v = p.sharp;
                p.sharp = false;
                p.plus_v = p.plus;
                p.plus = false;
            }
            print_arg(&p, &args[argnum], verb);
            argnum++;
        }
    }
    if (!p.reordered && argnum < nargs && p.rc == 0) {
        clear_flags(&p);
        puts_(&p, "%!(EXTRA ");
        for (size_t i = argnum; i < nargs; i++) {
            if (i > argnum)
                puts_(&p, ", ");
            struct gt_val a = gt_unbox(args[i]);
            if (a.kind == GK_INVALID) {
                puts_(&p, "<nil>");
            } else {
                puts_(&p, gt_type_name(&a));
                putc_(&p, '=');
                print_arg(&p, &a, 'v');
            }
        }
        putc_(&p, ')');
    }
    return p.rc;
}
