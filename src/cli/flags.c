#include "flags.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/buf.h"

/* Go's strconv.ParseInt(s, 0, bits): optional sign, 0x/0o/0b/0 prefixes,
 * underscores only between digits of a prefixed number. */
static int parse_digits(const char *s, uint64_t limit, uint64_t *out, bool *range)
{
    int base = 10;
    const char *p = s;
    bool prefixed = false;
    if (p[0] == '0' && p[1] != '\0') {
        char b = (char)tolower((unsigned char)p[1]);
        if (b == 'x')
            base = 16, p += 2, prefixed = true;
        else if (b == 'o')
            base = 8, p += 2, prefixed = true;
        else if (b == 'b')
            base = 2, p += 2, prefixed = true;
        else
            base = 8, p += 1, prefixed = true;
    }
    if (*p == '\0' && !(prefixed && base == 8 && p == s + 1))
        return -1;
    uint64_t v = 0;
    bool last_us = prefixed, any = prefixed && base == 8 && p == s + 1;
    *range = false;
    for (; *p; p++) {
        if (*p == '_') {
            if (!prefixed || last_us)
                return -1;
            last_us = true;
            continue;
        }
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'z')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'Z')
            d = *p - 'A' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        last_us = false;
        any = true;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            *range = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (last_us || !any)
        return -1;
    if (v > limit)
        *range = true;
    *out = v;
    return 0;
}

int go_parse_int(const char *s, int bits, int64_t *out, char *msg, size_t cap)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    uint64_t lim = neg ? (1ull << (bits - 1)) : (1ull << (bits - 1)) - 1;
    uint64_t v;
    bool range;
    if (parse_digits(p, lim, &v, &range) < 0) {
        snprintf(msg, cap, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
        return -1;
    }
    if (range) {
        snprintf(msg, cap, "strconv.ParseInt: parsing \"%s\": value out of range", s);
        return -1;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int go_parse_uint(const char *s, int bits, uint64_t *out, char *msg, size_t cap)
{
    uint64_t lim = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    uint64_t v;
    bool range;
    if (*s == '+' || *s == '-' || parse_digits(s, lim, &v, &range) < 0) {
        snprintf(msg, cap, "strconv.ParseUint: parsing \"%s\": invalid syntax", s);
        return -1;
    }
    if (range) {
        snprintf(msg, cap, "strconv.ParseUint: parsing \"%s\": value out of range", s);
        return -1;
    }
    *out = v;
    return 0;
}

int go_parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0". */
static int duration_body(const char *s, const char *p, double *total, char *msg, size_t cap)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                 {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    if (*p == '\0')
        return 1;
    *total = 0;
    while (*p) {
        if (!(isdigit((unsigned char)*p) || *p == '.'))
            return 1;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0)
            return 1;
        /* strtod takes exponents and hex; Go does not */
        for (const char *q = p; q < end; q++)
            if (!isdigit((unsigned char)*q) && *q != '.')
                return 1;
        p = end;
        const char *u = p;
        while (*p && !isdigit((unsigned char)*p) && *p != '.')
            p++;
        size_t ul = (size_t)(p - u);
        if (ul == 0) {
            snprintf(msg, cap, "time: missing unit in duration \"%s\"", s);
            return -1;
        }
        double mult = -1;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
            if (strlen(units[i].unit) == ul && memcmp(units[i].unit, u, ul) == 0)
                mult = units[i].mult;
        if (mult < 0) {
            snprintf(msg, cap, "time: unknown unit \"%.*s\" in duration \"%s\"", (int)ul, u, s);
            return -1;
        }
        *total += v * mult;
        if (*total > 9.2233720368547758e18)
            return 1;
    }
    return 0;
}

int go_parse_duration(const char *s, int64_t *ns, char *msg, size_t cap)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    double total = 0;
    int r = duration_body(s, p, &total, msg, cap);
    if (r < 0)
        return -1;
    if (r > 0) {
        snprintf(msg, cap, "time: invalid duration \"%s\"", s);
        return -1;
    }
    *ns = neg ? -(int64_t)total : (int64_t)total;
    return 0;
}

void go_quote(const char *s, char *out, size_t cap)
{
    struct buf b = BUF_INIT;
    buf_putc(&b, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            buf_putc(&b, '\\');
            buf_putc(&b, (char)c);
            p++;
        } else if (c >= 0x20 && c < 0x7f) {
            buf_putc(&b, (char)c);
            p++;
        } else if (c < 0x80) {
            const char *esc = NULL;
            switch (c) {
            case '\a':
                esc = "\\a";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\v':
                esc = "\\v";
                break;
            }
            if (esc)
                buf_puts(&b, esc);
            else
                buf_printf(&b, "\\x%02x", c);
            p++;
        } else {
            /* a valid UTF-8 sequence is kept (printable, as Go sees most) */
            int n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
            bool ok = n > 0;
            for (int i = 1; ok && i < n; i++)
                ok = (p[i] & 0xc0) == 0x80;
            if (ok && n == 2 && c == 0xc2 && p[1] < 0xa0) {
                buf_printf(&b, "\\u%04x", p[1]); /* C1 controls */
                p += 2;
            } else if (ok) {
                buf_put(&b, (const char *)p, (size_t)n);
                p += n;
            } else {
                buf_printf(&b, "\\x%02x", c);
                p++;
            }
        }
    }
    buf_putc(&b, '"');
    snprintf(out, cap, "%s", b.data ? b.data : "\"\"");
    buf_free(&b);
}

int api_version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        long x = strtol(a, (char **)&a, 10);
        long y = strtol(b, (char **)&b, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
        if (!*a && !*b)
            break;
        if (!isdigit((unsigned char)*a) && *a)
            a++;
        if (!isdigit((unsigned char)*b) && *b)
            b++;
    }
    return 0;
}

struct flag *flag_get(struct flagset *fs, const char *name)
{
    for (struct flag *f = fs->flags; f && f->name; f++)
        if (!(f->attrs & fs->skip) && strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

bool flag_changed(struct flagset *fs, const char *name)
{
    struct flag *f = flag_get(fs, name);
    return f && f->changed;
}

const char *flag_str(struct flagset *fs, const char *name)
{
    struct flag *f = flag_get(fs, name);
    if (f == NULL)
        return "";
    if (f->changed && f->val)
        return f->val;
    return f->def ? f->def : "";
}

bool flag_bool(struct flagset *fs, const char *name)
{
    bool v = false;
    go_parse_bool(flag_str(fs, name), &v);
    return v;
}

int64_t flag_int(struct flagset *fs, const char *name)
{
    char msg[128];
    int64_t v = 0;
    const char *s = flag_str(fs, name);
    if (*s == '\0' || go_parse_int(s, 64, &v, msg, sizeof msg) < 0)
        return 0;
    return v;
}

int64_t flag_duration(struct flagset *fs, const char *name)
{
    char msg[128];
    int64_t v = 0;
    const char *s = flag_str(fs, name);
    if (*s == '\0' || go_parse_duration(s, &v, msg, sizeof msg) < 0)
        return 0;
    return v;
}

void flags_reset(struct flagset *fs)
{
    for (struct flag *f = fs->flags; f && f->name; f++) {
        free(f->vals);
        f->vals = NULL;
        f->nvals = 0;
        f->changed = false;
        f->val = NULL;
    }
    free(fs->args);
    fs->args = NULL;
    fs->nargs = 0;
    fs->help = false;
}

/* The "-x, --xx" or "--xx" that pflag names a flag by in errors. */
static void flag_label(const struct flag *f, char *out, size_t cap)
{
    if (f->shorthand)
        snprintf(out, cap, "-%c, --%s", f->shorthand, f->name);
    else
        snprintf(out, cap, "--%s", f->name);
}

static int set_value(struct flag *f, const char *v, char *msg, size_t cap)
{
    char why[512] = "";
    bool bad = false;
    switch (f->kind) {
    case FK_BOOL: {
        bool b;
        if (go_parse_bool(v, &b) < 0) {
            snprintf(why, sizeof why, "strconv.ParseBool: parsing \"%s\": invalid syntax", v);
            bad = true;
        }
        break;
    }
    case FK_INT: {
        int64_t x;
        bad = go_parse_int(v, 64, &x, why, sizeof why) < 0;
        break;
    }
    case FK_UINT16:
    case FK_UINT64: {
        uint64_t x;
        bad = go_parse_uint(v, f->kind == FK_UINT16 ? 16 : 64, &x, why, sizeof why) < 0;
        break;
    }
    case FK_DURATION: {
        int64_t x;
        bad = go_parse_duration(v, &x, why, sizeof why) < 0;
        break;
    }
    case FK_STRING:
    case FK_LIST:
        break;
    }
    if (!bad && f->check != NULL) {
        const char *r = f->check(v, why, sizeof why);
        bad = r != NULL;
        if (bad && r != why)
            snprintf(why, sizeof why, "%s", r);
    }
    if (bad) {
        char label[128];
        flag_label(f, label, sizeof label);
        snprintf(msg, cap, "invalid argument \"%s\" for \"%s\" flag: %s", v, label, why);
        return -1;
    }
    if (f->nvals >= FLAG_MAX_VALUES) {
        snprintf(msg, cap, "too many values for --%s", f->name);
        return -1;
    }
    const char **nv = realloc(f->vals, (f->nvals + 1) * sizeof *nv);
    if (nv == NULL) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    f->vals = nv;
    f->vals[f->nvals++] = v;
    f->val = v;
    f->changed = true;
    return 0;
}

static int add_arg(struct flagset *fs, char *a)
{
    char **na = realloc(fs->args, (size_t)(fs->nargs + 2) * sizeof *na);
    if (na == NULL)
        return -1;
    fs->args = na;
    fs->args[fs->nargs++] = a;
    fs->args[fs->nargs] = NULL;
    return 0;
}

static struct flag *by_short(struct flagset *fs, char c)
{
    for (struct flag *f = fs->flags; f && f->name; f++)
        if (!(f->attrs & fs->skip) && f->shorthand == c)
            return f;
    return NULL;
}

int flags_parse(struct flagset *fs, int argc, char **argv, char *msg, size_t cap)
{
    if (add_arg(fs, NULL) < 0) /* so that args is never NULL */
        goto oom;
    fs->nargs = 0;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (s[0] != '-' || s[1] == '\0') {
            if (!fs->interspersed) {
                for (; i < argc; i++)
                    if (add_arg(fs, argv[i]) < 0)
                        goto oom;
                return 0;
            }
            if (add_arg(fs, s) < 0)
                goto oom;
            continue;
        }
        if (s[1] == '-') {
            if (s[2] == '\0') { /* "--" ends the flags */
                for (i++; i < argc; i++)
                    if (add_arg(fs, argv[i]) < 0)
                        goto oom;
                return 0;
            }
            char *name = s + 2;
            if (name[0] == '-' || name[0] == '=') {
                snprintf(msg, cap, "bad flag syntax: %s", s);
                return -1;
            }
            char *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            struct flag *f = NULL;
            for (struct flag *g = fs->flags; g && g->name; g++)
                if (!(g->attrs & fs->skip) && strlen(g->name) == nl &&
                    memcmp(g->name, name, nl) == 0)
                    f = g;
            if (f == NULL) {
                if (nl == 4 && memcmp(name, "help", 4) == 0) {
                    fs->help = true;
                    return 0;
                }
                snprintf(msg, cap, "unknown flag: --%.*s", (int)nl, name);
                return -1;
            }
            const char *v;
            if (eq)
                v = eq + 1;
            else if (f->kind == FK_BOOL)
                v = "true";
            else if (i + 1 < argc)
                v = argv[++i];
            else {
                snprintf(msg, cap, "flag needs an argument: %s", s);
                return -1;
            }
            if (set_value(f, v, msg, cap) < 0)
                return -1;
            if (f->kind == FK_BOOL && strcmp(f->name, "help") == 0 && flag_bool(fs, "help"))
                fs->help = true;
            continue;
        }
        /* -abc: shorthands in a row; a value flag takes the rest or the
         * next argument */
        char *sh = s + 1;
        while (*sh) {
            char c = *sh;
            struct flag *f = by_short(fs, c);
            if (f == NULL) {
                if (c == 'h') {
                    fs->help = true;
                    return 0;
                }
                snprintf(msg, cap, "unknown shorthand flag: '%c' in -%s", c, sh);
                return -1;
            }
            const char *v;
            if (sh[1] == '=' && sh[2] != '\0') {
                v = sh + 2;
                sh += strlen(sh);
            } else if (f->kind == FK_BOOL) {
                v = "true";
                sh++;
            } else if (sh[1] != '\0') {
                v = sh + 1;
                sh += strlen(sh);
            } else if (i + 1 < argc) {
                v = argv[++i];
                sh++;
            } else {
                snprintf(msg, cap, "flag needs an argument: '%c' in -%s", c, sh);
                return -1;
            }
            if (set_value(f, v, msg, cap) < 0)
                return -1;
        }
    }
    return 0;
oom:
    snprintf(msg, cap, "out of memory");
    return -1;
}

static const char *type_name(const struct flag *f)
{
    if (f->type)
        return f->type;
    switch (f->kind) {
    case FK_BOOL:
        return "";
    case FK_STRING:
        return "string";
    case FK_INT:
        return "int";
    case FK_UINT16:
        return "uint16";
    case FK_UINT64:
        return "uint";
    case FK_LIST:
        return "list";
    case FK_DURATION:
        return "duration";
    }
    return "";
}

static bool default_is_zero(const struct flag *f)
{
    if (f->def == NULL || f->def[0] == '\0')
        return true;
    switch (f->kind) {
    case FK_BOOL:
        return strcmp(f->def, "false") == 0;
    case FK_DURATION:
        return strcmp(f->def, "0") == 0 || strcmp(f->def, "0s") == 0;
    case FK_INT:
    case FK_UINT16:
    case FK_UINT64:
        return strcmp(f->def, "0") == 0;
    default:
        return false;
    }
}

/* pflag's wrapN: split s (at most i runes, slop more when that ends it) on
 * whitespace. */
static void wrap_n(size_t i, size_t slop, const char *s, size_t *linelen, const char **rest)
{
    size_t len = strlen(s);
    if (i + slop > len) {
        *linelen = len;
        *rest = s + len;
        return;
    }
    ssize_t w = -1, nl = -1;
    for (size_t k = 0; k < i && k < len; k++) {
        if (s[k] == ' ' || s[k] == '\t' || s[k] == '\n')
            w = (ssize_t)k;
        if (s[k] == '\n')
            nl = (ssize_t)k;
    }
    if (w <= 0) {
        *linelen = len;
        *rest = s + len;
        return;
    }
    if (nl > 0 && nl < w) {
        *linelen = (size_t)nl;
        *rest = s + nl + 1;
        return;
    }
    *linelen = (size_t)w;
    *rest = s + w + 1;
}

static void put_indented(struct buf *b, const char *s, size_t n, size_t indent)
{
    for (size_t k = 0; k < n; k++) {
        buf_putc(b, s[k]);
        if (s[k] == '\n')
            for (size_t j = 0; j < indent; j++)
                buf_putc(b, ' ');
    }
}

/* pflag's wrap(i, w, s). */
static void wrap(struct buf *b, size_t i, size_t w, const char *s)
{
    if (w == 0) {
        put_indented(b, s, strlen(s), i);
        return;
    }
    ssize_t wr = (ssize_t)w - (ssize_t)i;
    bool block = false;
    if (wr < 24) {
        i = 16;
        wr = (ssize_t)w - (ssize_t)i;
        block = true;
    }
    if (wr < 24) {
        /* strings.Replace(s, "\n", r) with r "\n" + 16 spaces, or "" */
        for (const char *p = s; *p; p++) {
            if (*p == '\n') {
                if (block) {
                    buf_putc(b, '\n');
                    for (int j = 0; j < 16; j++)
                        buf_putc(b, ' ');
                }
            } else
                buf_putc(b, *p);
        }
        return;
    }
    if (block) {
        buf_putc(b, '\n');
        for (size_t j = 0; j < i; j++)
            buf_putc(b, ' ');
    }
    size_t slop = 5;
    size_t width = (size_t)wr - slop;
    size_t ll;
    const char *rest;
    wrap_n(width, slop, s, &ll, &rest);
    put_indented(b, s, ll, i);
    s = rest;
    while (*s) {
        wrap_n(width, slop, s, &ll, &rest);
        buf_putc(b, '\n');
        for (size_t j = 0; j < i; j++)
            buf_putc(b, ' ');
        put_indented(b, s, ll, i);
        s = rest;
    }
}

static int cmp_flags(const void *a, const void *b)
{
    const struct flag *x = *(const struct flag *const *)a, *y = *(const struct flag *const *)b;
    return strcmp(x->name, y->name);
}

static bool visible(const struct flag *f, const char *api, bool linux_daemon, bool experimental)
{
    if (f->attrs & (FLAG_HIDDEN | FLAG_DEPRECATED))
        return false;
    if ((f->attrs & FLAG_WINDOWS) && linux_daemon)
        return false;
    if ((f->attrs & FLAG_EXPERIMENTAL) && !experimental)
        return false;
    if (f->min_api && api && api_version_cmp(api, f->min_api) < 0)
        return false;
    return true;
}

char *flags_usages(struct flagset *fs, int cols, const char *api, bool linux_daemon,
                   bool experimental)
{
    size_t n = 0;
    for (struct flag *f = fs->flags; f && f->name; f++)
        n++;
    cleanup_free struct flag **sorted = calloc(n + 1, sizeof *sorted);
    if (sorted == NULL)
        return NULL;
    size_t k = 0;
    for (struct flag *f = fs->flags; f && f->name; f++)
        if (!(f->attrs & fs->skip) && visible(f, api, linux_daemon, experimental))
            sorted[k++] = f;
    qsort(sorted, k, sizeof *sorted, cmp_flags);

    /* Each line: "  -x, --name type\0usage (default ...)". */
    struct buf *lines = calloc(k + 1, sizeof *lines);
    if (lines == NULL)
        return NULL;
    size_t maxlen = 0;
    for (size_t j = 0; j < k; j++) {
        struct flag *f = sorted[j];
        struct buf *l = &lines[j];
        if (f->shorthand)
            buf_printf(l, "  -%c, --%s", f->shorthand, f->name);
        else
            buf_printf(l, "      --%s", f->name);
        /* a `name` in back quotes in the usage names the value */
        const char *usage = f->usage;
        const char *bq = strchr(usage, '`'), *bq2 = bq ? strchr(bq + 1, '`') : NULL;
        struct buf u = BUF_INIT;
        if (bq && bq2) {
            buf_printf(l, " %.*s", (int)(bq2 - bq - 1), bq + 1);
            buf_put(&u, usage, (size_t)(bq - usage));
            buf_put(&u, bq + 1, (size_t)(bq2 - bq - 1));
            buf_puts(&u, bq2 + 1);
        } else {
            const char *t = type_name(f);
            if (*t)
                buf_printf(l, " %s", t);
            buf_puts(&u, usage);
        }
        if (l->len + 1 > maxlen)
            maxlen = l->len + 1;
        buf_putc(l, '\0');
        buf_puts(l, u.data ? u.data : "");
        buf_free(&u);
        if (!default_is_zero(f)) {
            if (f->kind == FK_STRING) {
                char q[512];
                go_quote(f->def, q, sizeof q);
                buf_printf(l, " (default %s)", q);
            } else {
                buf_printf(l, " (default %s)", f->def);
            }
        }
    }
    struct buf out = BUF_INIT;
    for (size_t j = 0; j < k; j++) {
        struct buf *l = &lines[j];
        size_t sidx = strlen(l->data);
        buf_put(&out, l->data, sidx);
        buf_putc(&out, ' ');
        for (size_t s = sidx; s < maxlen; s++)
            buf_putc(&out, ' ');
        buf_putc(&out, ' ');
        wrap(&out, maxlen + 2, cols > 0 ? (size_t)cols : 0, l->data + sidx + 1);
        buf_putc(&out, '\n');
        buf_free(l);
    }
    free(lines);
    if (out.data == NULL)
        buf_puts(&out, "");
    return out.data;
}
