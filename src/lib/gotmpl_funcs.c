/* The functions a template may call: text/template's builtins (funcs.go)
 * and docker's (cli/templates/templates.go), with Go's results and Go's
 * error texts.  `and`, `or` and `call` are evaluated by the executor. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gotmpl_int.h"

static int fail(struct gt_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct gt_call *c, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    c->msg.len = 0;
    if (gt_buf_puts(&c->msg, small) < 0)
        return GT_CALL_FATAL;
    return GT_CALL_ERROR;
}

static struct gt_val string_val(const char *p, size_t n)
{
    return (struct gt_val){.kind = GK_STRING, .u.s = {p, n}};
}

/* A heap-built string moved into the execution's arena. */
static int string_result(struct gt_call *c, struct gt_buf *b, int rc, struct gt_val *out)
{
    char *p = rc == 0 ? gt_strndup(c->arena, b->p ? b->p : "", b->len) : NULL;
    size_t n = b->len;
    free(b->p);
    if (p == NULL)
        return GT_CALL_FATAL;
    *out = string_val(p, n);
    return 0;
}

static struct gt_buf new_buf(void)
{
    return (struct gt_buf){.max = GT_MAX_OUTPUT};
}

/* ---- truth and comparison ---- */

bool gt_truth(struct gt_val v)
{
    v = gt_unbox(v);
    switch (v.kind) {
    case GK_BOOL:
        return v.u.b;
    case GK_INT:
    case GK_UINT8:
        return v.u.i != 0;
    case GK_FLOAT:
        return v.u.f != 0;
    case GK_COMPLEX:
        return v.u.c.re != 0 || v.u.c.im != 0;
    case GK_STRING:
    case GK_MAP:
    case GK_ARRAY:
    case GK_STRS:
        return gt_len(&v) > 0;
    default:
        return false;
    }
}

enum basic { K_INVALID, K_BOOL, K_COMPLEX, K_INT, K_FLOAT, K_STRING, K_UINT };

static enum basic basic_kind(const struct gt_val *v)
{
    switch (v->kind) {
    case GK_BOOL:
        return K_BOOL;
    case GK_INT:
        return K_INT;
    case GK_UINT8:
        return K_UINT;
    case GK_FLOAT:
        return K_FLOAT;
    case GK_COMPLEX:
        return K_COMPLEX;
    case GK_STRING:
        return K_STRING;
    default:
        return K_INVALID;
    }
}

/* reflect's Kind, for "same kind" checks: both slice types are slices */
static int reflect_kind(const struct gt_val *v)
{
    return v->kind == GK_STRS ? GK_ARRAY : (int)v->kind;
}

static int str_cmp(struct gt_str a, struct gt_str b)
{
    int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
    return c != 0 ? c : a.n < b.n ? -1 : a.n > b.n;
}

/* "%s: %v" pieces for eq's errors */
static int describe(struct gt_buf *b, const struct gt_val *v, char verb)
{
    if (verb == 'T')
        return gt_buf_puts(b, gt_type_name(v));
    return gt_fmt_value(b, v, verb);
}

static int eq_impl(struct gt_call *c, struct gt_val a1, const struct gt_val *rest, size_t n,
                   bool *truth)
{
    a1 = gt_unbox(a1);
    *truth = false;
    if (n == 0)
        return fail(c, "missing argument for comparison");
    enum basic k1 = basic_kind(&a1);
    for (size_t i = 0; i < n; i++) {
        struct gt_val a = gt_unbox(rest[i]);
        enum basic k2 = basic_kind(&a);
        bool t = false;
        if (k1 != k2) {
            if (k1 == K_INT && k2 == K_UINT)
                t = a1.u.i >= 0 && a1.u.i == a.u.i;
            else if (k1 == K_UINT && k2 == K_INT)
                t = a.u.i >= 0 && a1.u.i == a.u.i;
            else if (a1.kind != GK_INVALID && a.kind != GK_INVALID)
                return fail(c, "incompatible types for comparison");
        } else {
            switch (k1) {
            case K_BOOL:
                t = a1.u.b == a.u.b;
                break;
            case K_COMPLEX:
                t = a1.u.c.re == a.u.c.re && a1.u.c.im == a.u.c.im;
                break;
            case K_FLOAT:
                t = a1.u.f == a.u.f;
                break;
            case K_INT:
            case K_UINT:
                t = a1.u.i == a.u.i;
                break;
            case K_STRING:
                t = str_cmp(a1.u.s, a.u.s) == 0;
                break;
            case K_INVALID: {
                bool nil1 = a1.kind == GK_INVALID, nil2 = a.kind == GK_INVALID;
                struct gt_buf m = new_buf();
                int rc = 0;
                if (!nil1 && !nil2 && reflect_kind(&a1) != reflect_kind(&a)) {
                    /* "non-comparable types %s: %v, %s: %v" */
                    rc = gt_buf_puts(&m, "non-comparable types ") || describe(&m, &a1, 's') ||
                         gt_buf_puts(&m, ": ") || describe(&m, &a1, 'T') || gt_buf_puts(&m, ", ") ||
                         describe(&m, &a, 'T') || gt_buf_puts(&m, ": ") || describe(&m, &a, 'v');
                } else if (nil1 || nil2) {
                    t = nil1 == nil2;
                    free(m.p);
                    break;
                } else { /* maps and slices are not comparable */
                    rc = gt_buf_puts(&m, "non-comparable type ") || describe(&m, &a, 's') ||
                         gt_buf_puts(&m, ": ") || describe(&m, &a, 'T');
                }
                free(c->msg.p);
                c->msg = m;
                return rc ? GT_CALL_FATAL : GT_CALL_ERROR;
            }
            }
        }
        if (t) {
            *truth = true;
            return 0;
        }
    }
    return 0;
}

static int lt_impl(struct gt_call *c, struct gt_val a1, struct gt_val a2, bool *truth)
{
    a1 = gt_unbox(a1);
    a2 = gt_unbox(a2);
    enum basic k1 = basic_kind(&a1), k2 = basic_kind(&a2);
    *truth = false;
    if (k1 == K_INVALID || k2 == K_INVALID)
        return fail(c, "invalid type for comparison");
    if (k1 != k2) {
        if (k1 == K_INT && k2 == K_UINT)
            *truth = a1.u.i < a2.u.i;
        else if (k1 == K_UINT && k2 == K_INT)
            *truth = a2.u.i >= 0 && a1.u.i < a2.u.i;
        else
            return fail(c, "incompatible types for comparison");
        return 0;
    }
    switch (k1) {
    case K_BOOL:
    case K_COMPLEX:
        return fail(c, "invalid type for comparison");
    case K_FLOAT:
        *truth = a1.u.f < a2.u.f;
        break;
    case K_INT:
    case K_UINT:
        *truth = a1.u.i < a2.u.i;
        break;
    case K_STRING:
        *truth = str_cmp(a1.u.s, a2.u.s) < 0;
        break;
    case K_INVALID:
        break;
    }
    return 0;
}

static struct gt_val bool_val(bool b)
{
    return (struct gt_val){.kind = GK_BOOL, .u.b = b};
}

static int f_eq(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    bool t;
    int rc = eq_impl(c, argv[0], argv + 1, argc - 1, &t);
    *out = bool_val(t);
    return rc;
}

static int f_ne(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    bool t;
    int rc = eq_impl(c, argv[0], argv + 1, 1, &t);
    *out = bool_val(!t);
    return rc;
}

static int f_lt(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    bool t;
    int rc = lt_impl(c, argv[0], argv[1], &t);
    *out = bool_val(t);
    return rc;
}

static int f_le(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    bool t;
    int rc = lt_impl(c, argv[0], argv[1], &t);
    if (rc == 0 && !t)
        rc = eq_impl(c, argv[0], argv + 1, 1, &t);
    *out = bool_val(t);
    return rc;
}

static int f_gt(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    int rc = f_le(c, argv, argc, out);
    out->u.b = rc == 0 && !out->u.b;
    return rc;
}

static int f_ge(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    bool t;
    int rc = lt_impl(c, argv[0], argv[1], &t);
    *out = bool_val(rc == 0 && !t);
    return rc;
}

static int f_not(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)c;
    (void)argc;
    *out = bool_val(!gt_truth(argv[0]));
    return 0;
}

/* ---- len, index, slice ---- */

static int f_len(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_val v = argv[0];
    if (v.kind == GK_NIL)
        return fail(c, "len of nil pointer");
    if (v.kind == GK_INVALID) /* Go asks the zero reflect.Value its type */
        return fail(c, "reflect: call of reflect.Value.Type on zero Value");
    v = gt_unbox(v);
    switch (v.kind) {
    case GK_STRING:
    case GK_MAP:
    case GK_ARRAY:
    case GK_STRS:
        *out = (struct gt_val){.kind = GK_INT, .u.i = (int64_t)gt_len(&v)};
        return 0;
    default:
        return fail(c, "len of type %s", gt_type_name(&v));
    }
}

/* indexArg: an int index within [0, cap] */
static int index_arg(struct gt_call *c, const struct gt_val *index, size_t cap, size_t *out)
{
    if (index->boxed || (index->kind != GK_INT && index->kind != GK_UINT8)) {
        if (index->kind == GK_INVALID)
            return fail(c, "cannot index slice/array with nil");
        return fail(c, "cannot index slice/array with type %s", gt_type_name(index));
    }
    if (index->u.i < 0 || (uint64_t)index->u.i > cap)
        return fail(c, "index out of range: %lld", (long long)index->u.i);
    *out = (size_t)index->u.i;
    return 0;
}

static int f_index(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_val item = gt_unbox(argv[0]);
    if (item.kind == GK_INVALID)
        return fail(c, "index of untyped nil");
    for (size_t i = 1; i < argc; i++) {
        struct gt_val index = gt_unbox(argv[i]);
        if (item.kind == GK_NIL)
            return fail(c, "index of nil pointer");
        item = gt_unbox(item);
        size_t x;
        int rc;
        switch (item.kind) {
        case GK_STRING:
        case GK_ARRAY:
        case GK_STRS:
            if ((rc = index_arg(c, &index, gt_len(&item), &x)) != 0)
                return rc;
            if (x == gt_len(&item)) /* indexArg lets len through; reflect panics */
                return fail(c, item.kind == GK_STRING ? "reflect: string index out of range"
                                                      : "reflect: slice index out of range");
            if (item.kind == GK_STRING)
                item = (struct gt_val){.kind = GK_UINT8, .u.i = (unsigned char)item.u.s.p[x]};
            else if (item.kind == GK_STRS)
                item = string_val(item.u.ss.v[x].p, item.u.ss.v[x].n);
            else
                item = gt_from_json(gt_array_at(&item, x), true);
            break;
        case GK_MAP: {
            if (index.kind == GK_INVALID)
                return fail(c, "value is nil; should be of type string");
            if (index.kind != GK_STRING)
                return fail(c, "value has type %s; should be string", gt_type_name(&index));
            json_t *j = json_object_getn(item.u.obj, index.u.s.p, index.u.s.n);
            /* a missing key gives the map's zero element: a nil interface{} */
            item =
                j != NULL ? gt_from_json(j, true) : (struct gt_val){.kind = GK_NIL, .boxed = true};
            break;
        }
        default:
            return fail(c, "can't index item of type %s", gt_type_name(&item));
        }
    }
    *out = item;
    return 0;
}

static int f_slice(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_val item = gt_unbox(argv[0]);
    size_t nidx = argc - 1;
    if (item.kind == GK_INVALID)
        return fail(c, "slice of untyped nil");
    if (nidx > 3)
        return fail(c, "too many slice indexes: %zu", nidx);
    switch (item.kind) {
    case GK_STRING:
        if (nidx == 3)
            return fail(c, "cannot 3-index slice a string");
        break;
    case GK_ARRAY:
    case GK_STRS:
        break;
    default:
        return fail(c, "can't slice item of type %s", gt_type_name(&item));
    }
    size_t len = gt_len(&item), idx[3] = {0, len, 0};
    for (size_t i = 0; i < nidx; i++) {
        int rc = index_arg(c, &argv[i + 1], len, &idx[i]);
        if (rc != 0)
            return rc;
    }
    if (idx[0] > idx[1])
        return fail(c, "invalid slice index: %zu > %zu", idx[0], idx[1]);
    if (nidx == 3 && idx[1] > idx[2])
        return fail(c, "invalid slice index: %zu > %zu", idx[1], idx[2]);
    *out = item;
    switch (item.kind) {
    case GK_STRING:
        out->u.s = (struct gt_str){item.u.s.p + idx[0], idx[1] - idx[0]};
        break;
    case GK_ARRAY:
        out->u.a.off += idx[0];
        out->u.a.n = idx[1] - idx[0];
        break;
    default:
        out->u.ss.v += idx[0];
        out->u.ss.n = idx[1] - idx[0];
        break;
    }
    return 0;
}

/* ---- printing and escaping ---- */

static int f_print(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf b = new_buf();
    return string_result(c, &b, gt_fmt_sprint(&b, argv, argc), out);
}

static int f_println(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf b = new_buf();
    return string_result(c, &b, gt_fmt_sprintln(&b, argv, argc), out);
}

static int f_printf(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf b = new_buf();
    return string_result(c, &b, gt_fmt_sprintf(&b, argv[0].u.s, argv + 1, argc - 1), out);
}

/* evalArgs: one string as is, else fmt.Sprint with nils as "<no value>" */
static int eval_args(const struct gt_val *argv, size_t argc, struct gt_buf *b, struct gt_str *s)
{
    if (argc == 1 && gt_unbox(argv[0]).kind == GK_STRING) {
        *s = gt_unbox(argv[0]).u.s;
        return 0;
    }
    struct gt_val *args = calloc(argc ? argc : 1, sizeof *args);
    if (args == NULL)
        return -1;
    for (size_t i = 0; i < argc; i++) {
        args[i] = gt_unbox(argv[i]);
        if (args[i].kind == GK_INVALID)
            args[i] = string_val("<no value>", 10);
    }
    int rc = gt_fmt_sprint(b, args, argc);
    free(args);
    *s = (struct gt_str){b->p ? b->p : "", b->len};
    return rc;
}

static int f_html(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf in = new_buf(), b = new_buf();
    struct gt_str s;
    int rc = eval_args(argv, argc, &in, &s);
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        switch (s.p[i]) {
        case '\0':
            rc = gt_buf_puts(&b, "\xEF\xBF\xBD");
            break;
        case '"':
            rc = gt_buf_puts(&b, "&#34;");
            break;
        case '\'':
            rc = gt_buf_puts(&b, "&#39;");
            break;
        case '&':
            rc = gt_buf_puts(&b, "&amp;");
            break;
        case '<':
            rc = gt_buf_puts(&b, "&lt;");
            break;
        case '>':
            rc = gt_buf_puts(&b, "&gt;");
            break;
        default:
            rc = gt_buf_putc(&b, s.p[i]);
        }
    }
    free(in.p);
    return string_result(c, &b, rc, out);
}

static int f_js(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf in = new_buf(), b = new_buf();
    struct gt_str s;
    int rc = eval_args(argv, argc, &in, &s);
    for (size_t i = 0, w = 1; rc == 0 && i < s.n; i += w) {
        unsigned char ch = (unsigned char)s.p[i];
        w = 1;
        if (ch >= 0x80) {
            uint32_t r = gt_utf8_decode(s.p + i, s.n - i, &w);
            rc = gt_is_print(r) ? gt_buf_put(&b, s.p + i, w) : gt_buf_printf(&b, "\\u%04X", r);
            continue;
        }
        switch (ch) {
        case '\\':
            rc = gt_buf_puts(&b, "\\\\");
            break;
        case '\'':
            rc = gt_buf_puts(&b, "\\'");
            break;
        case '"':
            rc = gt_buf_puts(&b, "\\\"");
            break;
        case '<':
            rc = gt_buf_puts(&b, "\\u003C");
            break;
        case '>':
            rc = gt_buf_puts(&b, "\\u003E");
            break;
        case '&':
            rc = gt_buf_puts(&b, "\\u0026");
            break;
        case '=':
            rc = gt_buf_puts(&b, "\\u003D");
            break;
        default:
            rc = ch < ' ' ? gt_buf_printf(&b, "\\u00%02X", ch) : gt_buf_putc(&b, (char)ch);
        }
    }
    free(in.p);
    return string_result(c, &b, rc, out);
}

/* url.QueryEscape */
static int f_urlquery(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    struct gt_buf in = new_buf(), b = new_buf();
    struct gt_str s;
    int rc = eval_args(argv, argc, &in, &s);
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        bool unreserved = ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || (ch >= '0' && ch <= '9') ||
                          (ch != 0 && strchr("-_.~", ch) != NULL);
        if (unreserved)
            rc = gt_buf_putc(&b, (char)ch);
        else if (ch == ' ')
            rc = gt_buf_putc(&b, '+');
        else
            rc = gt_buf_printf(&b, "%%%02X", ch);
    }
    free(in.p);
    return string_result(c, &b, rc, out);
}

static int f_call(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    (void)out;
    struct gt_val fn = gt_unbox(argv[0]);
    if (fn.kind == GK_INVALID)
        return fail(c, "call of nil");
    /* JSON holds no functions */
    return fail(c, "non-function %s of type %s", c->callee, gt_type_name(&fn));
}

/* ---- docker's functions ---- */

/* encoding/json's string encoding, with SetEscapeHTML(false) as docker */
static int json_quote(struct gt_buf *b, struct gt_str s)
{
    static const char hex[] = "0123456789abcdef";
    if (gt_buf_putc(b, '"') < 0)
        return -1;
    for (size_t i = 0, w; i < s.n; i += w) {
        unsigned char ch = (unsigned char)s.p[i];
        w = 1;
        int rc = 0;
        if (ch < 0x80) {
            switch (ch) {
            case '\\':
            case '"': {
                char esc[2] = {'\\', (char)ch};
                rc = gt_buf_put(b, esc, 2);
                break;
            }
            case '\b':
                rc = gt_buf_puts(b, "\\b");
                break;
            case '\f':
                rc = gt_buf_puts(b, "\\f");
                break;
            case '\n':
                rc = gt_buf_puts(b, "\\n");
                break;
            case '\r':
                rc = gt_buf_puts(b, "\\r");
                break;
            case '\t':
                rc = gt_buf_puts(b, "\\t");
                break;
            default:
                if (ch < 0x20) {
                    char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 0xF]};
                    rc = gt_buf_put(b, esc, 6);
                } else {
                    rc = gt_buf_putc(b, (char)ch);
                }
            }
        } else {
            uint32_t r = gt_utf8_decode(s.p + i, s.n - i, &w);
            if (r == GT_RUNE_ERROR && w == 1)
                rc = gt_buf_puts(b, "\\ufffd");
            else if (r == 0x2028 || r == 0x2029) /* break JSONP; always escaped */
                rc = gt_buf_printf(b, "\\u202%c", hex[r & 0xF]);
            else
                rc = gt_buf_put(b, s.p + i, w);
        }
        if (rc < 0)
            return -1;
    }
    return gt_buf_putc(b, '"');
}

/* encoding/json's float64: like %g, with ES6's exponent cutoffs */
static int json_float(struct gt_buf *b, double f)
{
    double a = f < 0 ? -f : f;
    char fmt = a != 0 && (a < 1e-6 || a >= 1e21) ? 'e' : 'f';
    size_t start = b->len;
    if (gt_format_float(b, f, fmt, -1) < 0)
        return -1;
    if (fmt == 'e') { /* e-09 to e-9 */
        size_t n = b->len - start;
        char *s = b->p + start;
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
            s[n - 2] = s[n - 1];
            b->len--;
            b->p[b->len] = '\0';
        }
    }
    return 0;
}

/* 1 when the value has no JSON form (Go's UnsupportedTypeError). */
static int json_marshal(struct gt_buf *b, const struct gt_val *v, int depth)
{
    if (depth > GT_MAX_VALUE_DEPTH)
        return -1;
    struct gt_val u = gt_unbox(*v);
    switch (u.kind) {
    case GK_BOOL:
        return gt_buf_puts(b, u.u.b ? "true" : "false");
    case GK_INT:
    case GK_UINT8:
        return gt_buf_printf(b, "%lld", (long long)u.u.i);
    case GK_FLOAT:
        if (u.u.f != u.u.f || u.u.f - u.u.f != 0)
            return 1; /* NaN and infinities */
        return json_float(b, u.u.f);
    case GK_COMPLEX:
        return 1;
    case GK_STRING:
        return json_quote(b, u.u.s);
    case GK_MAP: {
        /* in the document's order: data that mirrors docker's API lists
         * struct fields in Go's order and map keys sorted, as json.Marshal */
        const char *k;
        size_t klen;
        json_t *j;
        bool first = true;
        if (gt_buf_putc(b, '{') < 0)
            return -1;
        json_object_keylen_foreach(u.u.obj, k, klen, j)
        {
            struct gt_val e = gt_from_json(j, true);
            int rc;
            if ((!first && gt_buf_putc(b, ',') < 0) ||
                json_quote(b, (struct gt_str){k, klen}) < 0 || gt_buf_putc(b, ':') < 0)
                return -1;
            if ((rc = json_marshal(b, &e, depth + 1)) != 0)
                return rc;
            first = false;
        }
        return gt_buf_putc(b, '}');
    }
    case GK_ARRAY:
    case GK_STRS: {
        if (gt_buf_putc(b, '[') < 0)
            return -1;
        for (size_t i = 0; i < gt_len(&u); i++) {
            struct gt_val e = u.kind == GK_ARRAY ? gt_from_json(gt_array_at(&u, i), true)
                                                 : string_val(u.u.ss.v[i].p, u.u.ss.v[i].n);
            int rc;
            if (i > 0 && gt_buf_putc(b, ',') < 0)
                return -1;
            if ((rc = json_marshal(b, &e, depth + 1)) != 0)
                return rc;
        }
        return gt_buf_putc(b, ']');
    }
    default:
        return gt_buf_puts(b, "null");
    }
}

static int f_json(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_buf b = new_buf();
    int rc = json_marshal(&b, &argv[0], 0);
    if (rc > 0) { /* docker ignores the encoder's error: nothing is written */
        b.len = 0;
        rc = 0;
    }
    return string_result(c, &b, rc, out);
}

/* strings.Split: sep "" splits into UTF-8 sequences */
static int f_split(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_str s = argv[0].u.s, sep = argv[1].u.s;
    size_t n = 0;
    if (sep.n == 0) {
        for (size_t i = 0, w; i < s.n; i += w, n++)
            gt_utf8_decode(s.p + i, s.n - i, &w);
    } else {
        n = 1;
        for (size_t i = 0; i + sep.n <= s.n;)
            if (memcmp(s.p + i, sep.p, sep.n) == 0) {
                n++;
                i += sep.n;
            } else {
                i++;
            }
    }
    struct gt_str *parts = gt_alloc(c->arena, (n ? n : 1) * sizeof *parts);
    if (parts == NULL)
        return GT_CALL_FATAL;
    size_t k = 0;
    if (sep.n == 0) {
        for (size_t i = 0, w; i < s.n; i += w) {
            gt_utf8_decode(s.p + i, s.n - i, &w);
            parts[k++] = (struct gt_str){s.p + i, w};
        }
    } else {
        size_t start = 0;
        for (size_t i = 0; i + sep.n <= s.n;)
            if (memcmp(s.p + i, sep.p, sep.n) == 0) {
                parts[k++] = (struct gt_str){s.p + start, i - start};
                i += sep.n;
                start = i;
            } else {
                i++;
            }
        parts[k++] = (struct gt_str){s.p + start, s.n - start};
    }
    *out = (struct gt_val){.kind = GK_STRS, .u.ss = {parts, k}};
    return 0;
}

static int f_join(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_buf b = new_buf();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < argv[0].u.ss.n; i++) {
        if (i > 0)
            rc = gt_buf_put(&b, argv[1].u.s.p, argv[1].u.s.n);
        if (rc == 0)
            rc = gt_buf_put(&b, argv[0].u.ss.v[i].p, argv[0].u.ss.v[i].n);
    }
    return string_result(c, &b, rc, out);
}

/* strings.Map over a case mapping: invalid UTF-8 becomes U+FFFD */
static int map_case(struct gt_call *c, struct gt_str s, bool title, int which, struct gt_val *out)
{
    struct gt_buf b = new_buf();
    int rc = 0;
    uint32_t prev = ' ';
    for (size_t i = 0, w; rc == 0 && i < s.n; i += w) {
        uint32_t r = gt_utf8_decode(s.p + i, s.n - i, &w);
        uint32_t m = r;
        if (!title) {
            m = gt_to_case(which, r);
        } else {
            /* strings.Title: the first letter after a separator */
            bool sep;
            if (prev < 0x80)
                sep = !((prev >= '0' && prev <= '9') ||
                        ((prev | 0x20) >= 'a' && (prev | 0x20) <= 'z') || prev == '_');
            else
                sep = !gt_is_letter(prev) && !gt_is_digit(prev) && gt_is_space(prev);
            if (sep)
                m = gt_to_case(GT_TITLE, r);
            prev = r;
        }
        rc = gt_buf_rune(&b, m);
    }
    return string_result(c, &b, rc, out);
}

static int f_title(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    return map_case(c, argv[0].u.s, true, GT_TITLE, out);
}

static int f_lower(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    return map_case(c, argv[0].u.s, false, GT_LOWER, out);
}

static int f_upper(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    return map_case(c, argv[0].u.s, false, GT_UPPER, out);
}

static int f_pad(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_str s = argv[0].u.s;
    int64_t prefix = argv[1].u.i, suffix = argv[2].u.i;
    if (s.n == 0) {
        *out = argv[0];
        return 0;
    }
    if (prefix < 0 || suffix < 0)
        return fail(c, "strings: negative Repeat count");
    struct gt_buf b = new_buf();
    int rc = prefix > GT_MAX_OUTPUT || suffix > GT_MAX_OUTPUT ? -1 : 0;
    if (rc == 0)
        rc = gt_buf_pad(&b, ' ', (size_t)prefix) || gt_buf_put(&b, s.p, s.n) ||
             gt_buf_pad(&b, ' ', (size_t)suffix);
    return string_result(c, &b, rc ? -1 : 0, out);
}

static int f_truncate(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out)
{
    (void)argc;
    struct gt_str s = argv[0].u.s;
    int64_t length = argv[1].u.i;
    if ((int64_t)s.n < length) {
        *out = argv[0];
        return 0;
    }
    if (length < 0) /* Go's s[:length] panics */
        return fail(c, "runtime error: slice bounds out of range [:%lld]", (long long)length);
    *out = string_val(s.p, (size_t)length);
    return 0;
}

static const struct gt_func funcs[] = {
    {"and", 2, true, {PT_VALUE, PT_VALUE}, NULL},
    {"or", 2, true, {PT_VALUE, PT_VALUE}, NULL},
    {"call", 2, true, {PT_VALUE, PT_VALUE}, f_call},
    {"not", 1, false, {PT_VALUE}, f_not},
    {"len", 1, false, {PT_VALUE}, f_len},
    {"index", 2, true, {PT_VALUE, PT_VALUE}, f_index},
    {"slice", 2, true, {PT_VALUE, PT_VALUE}, f_slice},
    {"print", 1, true, {PT_IFACE}, f_print},
    {"printf", 2, true, {PT_STRING, PT_IFACE}, f_printf},
    {"println", 1, true, {PT_IFACE}, f_println},
    {"html", 1, true, {PT_IFACE}, f_html},
    {"js", 1, true, {PT_IFACE}, f_js},
    {"urlquery", 1, true, {PT_IFACE}, f_urlquery},
    {"eq", 2, true, {PT_VALUE, PT_VALUE}, f_eq},
    {"ne", 2, false, {PT_VALUE, PT_VALUE}, f_ne},
    {"lt", 2, false, {PT_VALUE, PT_VALUE}, f_lt},
    {"le", 2, false, {PT_VALUE, PT_VALUE}, f_le},
    {"gt", 2, false, {PT_VALUE, PT_VALUE}, f_gt},
    {"ge", 2, false, {PT_VALUE, PT_VALUE}, f_ge},
    {"json", 1, false, {PT_IFACE}, f_json},
    {"split", 2, false, {PT_STRING, PT_STRING}, f_split},
    {"join", 2, false, {PT_STRS, PT_STRING}, f_join},
    {"title", 1, false, {PT_STRING}, f_title},
    {"lower", 1, false, {PT_STRING}, f_lower},
    {"upper", 1, false, {PT_STRING}, f_upper},
    {"pad", 3, false, {PT_STRING, PT_INT, PT_INT}, f_pad},
    {"truncate", 2, false, {PT_STRING, PT_INT}, f_truncate},
};

const struct gt_func *gt_find_func(struct gt_str name)
{
    for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
        if (strlen(funcs[i].name) == name.n && memcmp(funcs[i].name, name.p, name.n) == 0)
            return &funcs[i];
    return NULL;
}
