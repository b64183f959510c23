/* The parser of Go's text/template (parse/parse.go and node.go): the same
 * grammar, the same three-token lookahead and the same error messages, so
 * that a mistyped --format reads as docker would report it.  Each tree
 * ({{define}}, {{block}}) has its own lookahead and variables, as in Go. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gotmpl.h"
#include "gotmpl_int.h"

struct pstate {
    struct gotmpl *t;
    struct gt_lexer lex;
    int depth; /* nested actions and parentheses, capped */
    pier_err_t *err;
    bool failed;
};

struct tree_parser {
    struct pstate *ps;
    struct gt_str name;
    struct gt_node *root;
    struct gt_item token[3];
    int peek_count;
    struct gt_str *vars;
    size_t nvars, vars_alloc;
    int action_line, range_depth;
};

static void tp_init(struct tree_parser *tp, struct pstate *ps, struct gt_str name)
{
    memset(tp, 0, sizeof *tp);
    tp->ps = ps;
    tp->name = name;
}

static struct gt_item next(struct tree_parser *tp)
{
    if (tp->peek_count > 0)
        tp->peek_count--;
    else
        tp->token[0] = gt_lex_next(&tp->ps->lex);
    return tp->token[tp->peek_count];
}

static void backup(struct tree_parser *tp)
{
    tp->peek_count++;
}

static void backup2(struct tree_parser *tp, struct gt_item t1)
{
    tp->token[1] = t1;
    tp->peek_count = 2;
}

static void backup3(struct tree_parser *tp, struct gt_item t2, struct gt_item t1)
{
    tp->token[1] = t1;
    tp->token[2] = t2;
    tp->peek_count = 3;
}

static struct gt_item peek(struct tree_parser *tp)
{
    if (tp->peek_count > 0)
        return tp->token[tp->peek_count - 1];
    tp->peek_count = 1;
    tp->token[0] = gt_lex_next(&tp->ps->lex);
    return tp->token[0];
}

static struct gt_item next_non_space(struct tree_parser *tp)
{
    struct gt_item token;
    do
        token = next(tp);
    while (token.typ == IT_SPACE);
    return token;
}

static struct gt_item peek_non_space(struct tree_parser *tp)
{
    struct gt_item token = next_non_space(tp);
    backup(tp);
    return token;
}

/* "template: :LINE: msg", LINE being that of the last token read. */
static void *fail(struct tree_parser *tp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void *fail(struct tree_parser *tp, const char *fmt, ...)
{
    struct pstate *ps = tp->ps;
    if (ps->failed)
        return NULL;
    ps->failed = true;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    pier_error(ps->err, 0, "template: :%d: %s", tp->token[0].line, msg ? msg : "out of memory");
    free(msg);
    return NULL;
}

static void *fail_oom(struct tree_parser *tp)
{
    return fail(tp, "template too large");
}

/* item.String(): how Go names a token in "unexpected ..." messages. */
static const char *item_string(char *buf, size_t cap, struct gt_item it)
{
    if (it.typ == IT_EOF)
        return "EOF";
    if (it.typ == IT_ERROR) {
        snprintf(buf, cap, "%.*s", (int)it.val.n, it.val.p);
        return buf;
    }
    if (it.typ > IT_KEYWORD) {
        snprintf(buf, cap, "<%.*s>", (int)it.val.n, it.val.p);
        return buf;
    }
    struct gt_buf b = {.max = cap - 4};
    struct gt_str s = it.val;
    bool cut = gt_utf8_count(s.p, s.n) > 10;
    if (cut) { /* %.10q: the first ten runes, quoted */
        size_t i = 0, w;
        for (int k = 0; k < 10; k++, i += w)
            gt_utf8_decode(s.p + i, s.n - i, &w);
        s.n = i;
    }
    if (gt_quote(&b, s, false) < 0 || (cut && gt_buf_puts(&b, "...") < 0))
        snprintf(buf, cap, "(token)");
    else
        snprintf(buf, cap, "%s", b.p);
    free(b.p);
    return buf;
}

static void *unexpected(struct tree_parser *tp, struct gt_item token, const char *context)
{
    char buf[sizeof tp->ps->lex.errbuf + 8];
    if (token.typ == IT_ERROR) {
        char extra[64] = "";
        if (tp->action_line != 0 && tp->action_line != token.line) {
            bool action =
                token.val.n >= 7 && memcmp(token.val.p + token.val.n - 7, " action", 7) == 0;
            snprintf(extra, sizeof extra, "%s started at :%d", action ? "" : " in action",
                     tp->action_line);
        }
        return fail(tp, "%s%s", item_string(buf, sizeof buf, token), extra);
    }
    return fail(tp, "unexpected %s in %s", item_string(buf, sizeof buf, token), context);
}

static bool expect(struct tree_parser *tp, enum gt_item_type typ, const char *context,
                   struct gt_item *out)
{
    *out = next_non_space(tp);
    if (out->typ != typ) {
        unexpected(tp, *out, context);
        return false;
    }
    return true;
}

static struct gt_node *new_node(struct tree_parser *tp, enum gt_node_type type, size_t pos)
{
    struct gt_node *n = gt_alloc(&tp->ps->t->arena, sizeof *n);
    if (n == NULL)
        return fail_oom(tp);
    n->type = type;
    n->pos = pos;
    return n;
}

static bool append_kid(struct tree_parser *tp, struct gt_node *parent, struct gt_node *kid)
{
    if (parent->nkid == parent->kalloc) {
        size_t alloc = parent->kalloc ? parent->kalloc * 2 : 4;
        struct gt_node **kids = gt_alloc(&tp->ps->t->arena, alloc * sizeof *kids);
        if (kids == NULL) {
            fail_oom(tp);
            return false;
        }
        if (parent->nkid > 0)
            memcpy(kids, parent->kid, parent->nkid * sizeof *kids);
        parent->kid = kids;
        parent->kalloc = alloc;
    }
    parent->kid[parent->nkid++] = kid;
    return true;
}

/* Splits "a.b.c" into identifiers; FIELD text drops its leading '.'. */
static bool set_idents(struct tree_parser *tp, struct gt_node *n, struct gt_str s)
{
    size_t count = 1;
    for (size_t i = 0; i < s.n; i++)
        count += s.p[i] == '.';
    n->ident = gt_alloc(&tp->ps->t->arena, count * sizeof *n->ident);
    if (n->ident == NULL) {
        fail_oom(tp);
        return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= s.n; i++) {
        if (i == s.n || s.p[i] == '.') {
            n->ident[n->nident++] = (struct gt_str){s.p + start, i - start};
            start = i + 1;
        }
    }
    return true;
}

static struct gt_node *new_field(struct tree_parser *tp, size_t pos, struct gt_str text)
{
    struct gt_node *n = new_node(tp, N_FIELD, pos);
    if (n == NULL || !set_idents(tp, n, (struct gt_str){text.p + 1, text.n - 1}))
        return NULL;
    return n;
}

static struct gt_node *new_variable(struct tree_parser *tp, size_t pos, struct gt_str text)
{
    struct gt_node *n = new_node(tp, N_VARIABLE, pos);
    if (n == NULL || !set_idents(tp, n, text))
        return NULL;
    return n;
}

static bool push_var(struct tree_parser *tp, struct gt_str name)
{
    if (tp->nvars == tp->vars_alloc) {
        size_t alloc = tp->vars_alloc ? tp->vars_alloc * 2 : 8;
        if (alloc > GT_MAX_VARS) {
            fail(tp, "too many variables");
            return false;
        }
        struct gt_str *vars = gt_alloc(&tp->ps->t->arena, alloc * sizeof *vars);
        if (vars == NULL) {
            fail_oom(tp);
            return false;
        }
        if (tp->nvars > 0)
            memcpy(vars, tp->vars, tp->nvars * sizeof *vars);
        tp->vars = vars;
        tp->vars_alloc = alloc;
    }
    tp->vars[tp->nvars++] = name;
    return true;
}

static bool str_eq(struct gt_str a, struct gt_str b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static struct gt_str unquote(struct tree_parser *tp, struct gt_item token, bool *ok)
{
    struct gt_buf b = {.max = GT_MAX_TEXT};
    struct gt_str s = {"", 0};
    *ok = false;
    if (gt_unquote(&b, token.val) < 0) {
        fail(tp, "invalid syntax");
    } else {
        char *p = gt_strndup(&tp->ps->t->arena, b.p ? b.p : "", b.len);
        if (p == NULL) {
            fail_oom(tp);
        } else {
            s = (struct gt_str){p, b.len};
            *ok = true;
        }
    }
    free(b.p);
    return s;
}

/* strconv.Quote of s in the arena, for messages ("" if memory runs out). */
static const char *quoted(struct tree_parser *tp, struct gt_str s)
{
    struct gt_buf b = {.max = GT_MAX_TEXT * 10};
    const char *q = NULL;
    if (gt_quote(&b, s, false) == 0)
        q = gt_strndup(&tp->ps->t->arena, b.p, b.len);
    free(b.p);
    return q != NULL ? q : "";
}

/* ---- numbers, as strconv.ParseUint/ParseInt/ParseFloat with base 0 ---- */

static bool underscore_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    bool hex = false;
    if (n >= 2 && s[0] == '0' && strchr("bBoOxX", s[1]) != NULL && s[1] != '\0') {
        i = 2;
        saw = '0';
        hex = s[1] == 'x' || s[1] == 'X';
    }
    for (; i < n; i++) {
        char c = s[i];
        if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

/* 0 ok, -1 syntax, -2 range. */
static int parse_uint(const char *s, size_t n, uint64_t *out)
{
    const char *s0 = s;
    size_t n0 = n;
    unsigned base = 10;
    *out = 0;
    if (n == 0)
        return -1;
    if (s[0] == '0') {
        char c = n >= 3 ? (char)(s[1] | 0x20) : 0;
        base = c == 'b' ? 2 : c == 'o' ? 8 : c == 'x' ? 16 : 8;
        size_t skip = base == 8 && c != 'o' ? 1 : 2;
        s += skip;
        n -= skip;
    }
    bool underscores = false;
    uint64_t v = 0, cutoff = UINT64_MAX / base + 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d;
        if (c == '_') {
            underscores = true;
            continue;
        } else if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            d = (unsigned)(c | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
        if (d >= base)
            return -1;
        if (v >= cutoff)
            return -2;
        v *= base;
        if (v + d < v)
            return -2;
        v += d;
    }
    if (underscores && !underscore_ok(s0, n0))
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    *out = 0;
    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
        n--;
    }
    uint64_t u;
    int rc = parse_uint(s, n, &u);
    if (rc == -1)
        return -1;
    if (rc == -2 || (!neg && u >= (uint64_t)1 << 63) || (neg && u > (uint64_t)1 << 63))
        return -2;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* strconv.ParseFloat(s, 64): Go's literal syntax only, overflow an error. */
static int parse_float(const char *s, size_t n, double *out)
{
    cleanup_free char *buf = n > 0 ? malloc(n + 1) : NULL; /* s without underscores */
    size_t k = 0, i = 0;
    bool underscores = false, digits = false, hex = false;
    if (buf == NULL)
        return -1;
    if (s[i] == '+' || s[i] == '-')
        buf[k++] = s[i++];
    if (i + 1 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
        hex = true;
        buf[k++] = s[i++];
        buf[k++] = s[i++];
    }
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            underscores = true;
        } else if (c == '.' && !dot) {
            dot = true;
            buf[k++] = c;
        } else if ((c >= '0' && c <= '9') || (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
            digits = true;
            buf[k++] = c;
        } else {
            break;
        }
    }
    if (!digits)
        return -1;
    bool exp = false;
    if (i < n && (s[i] | 0x20) == (hex ? 'p' : 'e')) {
        exp = true;
        buf[k++] = s[i++];
        if (i < n && (s[i] == '+' || s[i] == '-'))
            buf[k++] = s[i++];
        bool edigits = false;
        for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++) {
            if (s[i] == '_') {
                underscores = true;
                continue;
            }
            edigits = true;
            buf[k++] = s[i];
        }
        if (!edigits)
            return -1;
    }
    if (i != n || (hex && !exp)) /* a hex mantissa needs a 'p' exponent */
        return -1;
    if (underscores && !underscore_ok(s, n))
        return -1;
    buf[k] = '\0';
    double v = strtod(buf, NULL);
    if (isinf(v))
        return -2;
    *out = v;
    return 0;
}

static bool has_any(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (strchr(set, s[i]) != NULL && s[i] != '\0')
            return true;
    return false;
}

static void simplify_complex(struct gt_number *num)
{
    num->is_float = num->im == 0;
    if (num->is_float) {
        num->f = num->re;
        num->is_int = num->f >= -9223372036854775808.0 && num->f < 9223372036854775808.0 &&
                      (double)(int64_t)num->f == num->f;
        if (num->is_int)
            num->i = (int64_t)num->f;
        num->is_uint =
            num->f >= 0 && num->f < 18446744073709551616.0 && (double)(uint64_t)num->f == num->f;
        if (num->is_uint)
            num->u = (uint64_t)num->f;
    }
}

/* A complex literal, "1+2i", read as fmt.Sscan reads one: real part, sign,
 * imaginary part, 'i'; each part with strconv.ParseFloat. */
static bool new_complex(struct tree_parser *tp, struct gt_number *num, struct gt_str text)
{
    const char *s = text.p;
    size_t n = text.n, cut = 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] == '+' || s[i] == '-') && strchr("eEpP", s[i - 1]) == NULL)
            cut = i;
    if (cut == 0 || n < cut + 3 || s[n - 1] != 'i') {
        fail(tp, "syntax error scanning complex number");
        return false;
    }
    struct gt_str part[2] = {{s, cut}, {s + cut, n - cut - 1}};
    double *value[2] = {&num->re, &num->im};
    for (int k = 0; k < 2; k++) {
        int rc = parse_float(part[k].p, part[k].n, value[k]);
        if (rc < 0) {
            fail(tp, "strconv.ParseFloat: parsing %s: %s", quoted(tp, part[k]),
                 rc == -2 ? "value out of range" : "invalid syntax");
            return false;
        }
    }
    num->is_complex = true;
    simplify_complex(num);
    return true;
}

/* parse.newNumber: every reading of the literal that Go accepts. */
static bool new_number(struct tree_parser *tp, struct gt_node *node, struct gt_item token)
{
    struct gt_number *num = &node->num;
    const char *s = token.val.p;
    size_t n = token.val.n;
    if (token.typ == IT_CHARCONST) {
        struct gt_str rest = {s + 1, n - 1};
        uint32_t r;
        bool mb;
        if (gt_unquote_char(&rest, s[0], &r, &mb) < 0) {
            fail(tp, "invalid syntax");
            return false;
        }
        if (rest.n != 1 || rest.p[0] != '\'') {
            fail(tp, "malformed character constant: %.*s", (int)n, s);
            return false;
        }
        num->i = r;
        num->u = r;
        num->f = r;
        num->is_int = num->is_uint = num->is_float = true;
        return true;
    }
    if (token.typ == IT_COMPLEX)
        return new_complex(tp, num, token.val);
    if (n > 0 && s[n - 1] == 'i') {
        double f;
        if (parse_float(s, n - 1, &f) == 0) {
            num->is_complex = true;
            num->re = 0;
            num->im = f;
            simplify_complex(num);
            return true;
        }
    }
    uint64_t u = 0;
    if (parse_uint(s, n, &u) == 0) {
        num->is_uint = true;
        num->u = u;
    }
    int64_t i;
    if (parse_int(s, n, &i) == 0) {
        num->is_int = true;
        num->i = i;
        if (i == 0) { /* -0 */
            num->is_uint = true;
            num->u = u;
        }
    }
    if (num->is_int) {
        num->is_float = true;
        num->f = (double)num->i;
    } else if (num->is_uint) {
        num->is_float = true;
        num->f = (double)num->u;
    } else {
        double f;
        if (parse_float(s, n, &f) == 0) {
            if (!has_any(s, n, ".eEpP")) {
                fail(tp, "integer overflow: %s", quoted(tp, token.val));
                return false;
            }
            num->is_float = true;
            num->f = f;
            if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
                (double)(int64_t)f == f) {
                num->is_int = true;
                num->i = (int64_t)f;
            }
            if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
                num->is_uint = true;
                num->u = (uint64_t)f;
            }
        }
    }
    if (!num->is_int && !num->is_uint && !num->is_float) {
        fail(tp, "illegal number syntax: %s", quoted(tp, token.val));
        return false;
    }
    return true;
}

/* ---- the grammar ---- */

static struct gt_node *pipeline(struct tree_parser *tp, const char *context, enum gt_item_type end);
static struct gt_node *item_list(struct tree_parser *tp, struct gt_node **next_out);
static struct gt_node *if_control(struct tree_parser *tp);
static struct gt_node *with_control(struct tree_parser *tp);

static bool enter(struct tree_parser *tp)
{
    if (tp->ps->depth >= GT_MAX_PARSE_DEPTH) {
        fail(tp, "max expression depth exceeded");
        return false;
    }
    tp->ps->depth++;
    return true;
}

static void leave(struct tree_parser *tp)
{
    tp->ps->depth--;
}

static bool has_function(struct gt_str name)
{
    return gt_find_func(name) != NULL;
}

static struct gt_node *use_var(struct tree_parser *tp, size_t pos, struct gt_str name)
{
    struct gt_node *v = new_variable(tp, pos, name);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < tp->nvars; i++)
        if (str_eq(tp->vars[i], v->ident[0]))
            return v;
    return fail(tp, "undefined variable \"%.*s\"", (int)v->ident[0].n, v->ident[0].p);
}

static struct gt_node *term(struct tree_parser *tp)
{
    struct gt_item token = next_non_space(tp);
    struct gt_node *n;
    bool ok;
    switch (token.typ) {
    case IT_IDENT:
        if (!has_function(token.val))
            return fail(tp, "function \"%.*s\" not defined", (int)token.val.n, token.val.p);
        n = new_node(tp, N_IDENT, token.pos);
        if (n != NULL)
            n->text = token.val;
        return n;
    case IT_DOT:
        return new_node(tp, N_DOT, token.pos);
    case IT_NIL:
        return new_node(tp, N_NIL, token.pos);
    case IT_VARIABLE:
        return use_var(tp, token.pos, token.val);
    case IT_FIELD:
        return new_field(tp, token.pos, token.val);
    case IT_BOOL:
        n = new_node(tp, N_BOOL, token.pos);
        if (n != NULL)
            n->b = token.val.n == 4;
        return n;
    case IT_CHARCONST:
    case IT_COMPLEX:
    case IT_NUMBER:
        n = new_node(tp, N_NUMBER, token.pos);
        if (n == NULL || !new_number(tp, n, token))
            return NULL;
        n->text = token.val;
        return n;
    case IT_LPAREN:
        if (!enter(tp))
            return NULL;
        n = pipeline(tp, "parenthesized pipeline", IT_RPAREN);
        leave(tp);
        return n;
    case IT_STRING:
    case IT_RAWSTRING:
        n = new_node(tp, N_STRING, token.pos);
        if (n == NULL)
            return NULL;
        n->text = token.val;
        n->str = unquote(tp, token, &ok);
        return ok ? n : NULL;
    default:
        backup(tp);
        return NULL;
    }
}

/* A term and the fields that follow it: `(pipe).A.B`, `$x.A`, `.A.B`.  A
 * field or variable absorbs the fields; anything else becomes a chain. */
static struct gt_node *operand(struct tree_parser *tp)
{
    struct gt_node *node = term(tp);
    if (node == NULL || peek(tp).typ != IT_FIELD)
        return node;
    size_t pos = peek(tp).pos;
    switch (node->type) {
    case N_BOOL:
    case N_STRING:
    case N_NUMBER:
    case N_NIL:
    case N_DOT: {
        struct gt_buf b = {.max = GT_MAX_TEXT};
        if (gt_node_string(&b, node) == 0)
            fail(tp, "unexpected . after term %s", quoted(tp, (struct gt_str){b.p, b.len}));
        else
            fail_oom(tp);
        free(b.p);
        return NULL;
    }
    case N_FIELD:
    case N_VARIABLE: {
        struct gt_buf b = {.max = GT_MAX_TEXT};
        struct gt_str text = {NULL, 0};
        if (gt_node_string(&b, node) == 0) {
            while (peek(tp).typ == IT_FIELD) {
                struct gt_item f = next(tp);
                if (gt_buf_put(&b, f.val.p, f.val.n) < 0)
                    break;
            }
            if (peek(tp).typ != IT_FIELD)
                text = (struct gt_str){gt_strndup(&tp->ps->t->arena, b.p, b.len), b.len};
        }
        free(b.p);
        if (text.p == NULL)
            return fail_oom(tp);
        return node->type == N_FIELD ? new_field(tp, pos, text) : new_variable(tp, pos, text);
    }
    default: {
        struct gt_node *chain = new_node(tp, N_CHAIN, pos);
        if (chain == NULL)
            return NULL;
        chain->pipe = node;
        size_t count = 0;
        struct gt_str fields[GT_MAX_PARSE_DEPTH];
        while (peek(tp).typ == IT_FIELD) {
            struct gt_item f = next(tp);
            if (count == ARRAY_SIZE(fields))
                return fail(tp, "too many fields in a chain");
            fields[count++] = (struct gt_str){f.val.p + 1, f.val.n - 1};
        }
        chain->ident = gt_alloc(&tp->ps->t->arena, count * sizeof *chain->ident);
        if (chain->ident == NULL)
            return fail_oom(tp);
        memcpy(chain->ident, fields, count * sizeof *fields);
        chain->nident = count;
        return chain;
    }
    }
}

static struct gt_node *command(struct tree_parser *tp)
{
    struct gt_node *cmd = new_node(tp, N_COMMAND, peek_non_space(tp).pos);
    if (cmd == NULL)
        return NULL;
    for (;;) {
        peek_non_space(tp); /* skip leading spaces */
        struct gt_node *op = operand(tp);
        if (tp->ps->failed)
            return NULL;
        if (op != NULL && !append_kid(tp, cmd, op))
            return NULL;
        struct gt_item token = next(tp);
        if (token.typ == IT_SPACE)
            continue;
        if (token.typ == IT_RDELIM || token.typ == IT_RPAREN)
            backup(tp);
        else if (token.typ != IT_PIPE)
            return unexpected(tp, token, "operand");
        break;
    }
    if (cmd->nkid == 0)
        return fail(tp, "empty command");
    return cmd;
}

static bool check_pipeline(struct tree_parser *tp, struct gt_node *pipe, const char *context)
{
    if (pipe->nkid == 0) {
        fail(tp, "missing value for %s", context);
        return false;
    }
    /* only the first command may start with a non-executable operand */
    for (size_t i = 1; i < pipe->nkid; i++) {
        switch (pipe->kid[i]->kid[0]->type) {
        case N_BOOL:
        case N_DOT:
        case N_NIL:
        case N_NUMBER:
        case N_STRING:
            fail(tp, "non executable command in pipeline stage %zu", i + 1);
            return false;
        default:
            break;
        }
    }
    return true;
}

static bool add_decl(struct tree_parser *tp, struct gt_node *pipe, struct gt_item v)
{
    if (pipe->ndecl >= 2) /* only range declares two */
        return fail(tp, "too many declarations") != NULL;
    if (pipe->decl == NULL) {
        pipe->decl = gt_alloc(&tp->ps->t->arena, 2 * sizeof *pipe->decl);
        if (pipe->decl == NULL)
            return fail_oom(tp) != NULL;
    }
    struct gt_node *var = new_variable(tp, v.pos, v.val);
    if (var == NULL)
        return false;
    pipe->decl[pipe->ndecl++] = var;
    return push_var(tp, v.val);
}

static struct gt_node *pipeline(struct tree_parser *tp, const char *context, enum gt_item_type end)
{
    struct gt_item token = peek_non_space(tp);
    struct gt_node *pipe = new_node(tp, N_PIPE, token.pos);
    if (pipe == NULL)
        return NULL;
    pipe->line = token.line;
decls:
    if (peek_non_space(tp).typ == IT_VARIABLE) {
        struct gt_item v = next_non_space(tp);
        /* "$x foo" needs three tokens of lookahead to tell a use from a
         * declaration: keep the token after the variable to push back */
        struct gt_item after = peek(tp);
        struct gt_item nx = peek_non_space(tp);
        if (nx.typ == IT_ASSIGN || nx.typ == IT_DECLARE) {
            pipe->is_assign = nx.typ == IT_ASSIGN;
            next_non_space(tp);
            if (!add_decl(tp, pipe, v))
                return NULL;
        } else if (nx.typ == IT_CHAR && nx.val.n == 1 && nx.val.p[0] == ',') {
            next_non_space(tp);
            if (!add_decl(tp, pipe, v))
                return NULL;
            if (strcmp(context, "range") == 0 && pipe->ndecl < 2) {
                enum gt_item_type t = peek_non_space(tp).typ;
                if (t == IT_VARIABLE || t == IT_RDELIM || t == IT_RPAREN)
                    goto decls; /* the second variable of a range */
                return fail(tp, "range can only initialize variables");
            }
            return fail(tp, "too many declarations in %s", context);
        } else if (after.typ == IT_SPACE) {
            backup3(tp, v, after);
        } else {
            backup2(tp, v);
        }
    }
    for (;;) {
        token = next_non_space(tp);
        if (token.typ == end)
            return check_pipeline(tp, pipe, context) ? pipe : NULL;
        switch (token.typ) {
        case IT_BOOL:
        case IT_CHARCONST:
        case IT_COMPLEX:
        case IT_DOT:
        case IT_FIELD:
        case IT_IDENT:
        case IT_NUMBER:
        case IT_NIL:
        case IT_RAWSTRING:
        case IT_STRING:
        case IT_VARIABLE:
        case IT_LPAREN: {
            backup(tp);
            struct gt_node *cmd = command(tp);
            if (cmd == NULL || !append_kid(tp, pipe, cmd))
                return NULL;
            break;
        }
        default:
            return unexpected(tp, token, context);
        }
    }
}

/* The else branch: {{else if b}} and {{else with b}} nest an if or with
 * that the one {{end}} closes, {{if a}}{{else}}{{if b}}{{end}}{{end}}. */
static struct gt_node *else_branch(struct tree_parser *tp, enum gt_node_type type,
                                   const struct gt_node *else_node)
{
    bool chain_if = type == N_IF && peek(tp).typ == IT_IF;
    bool chain_with = type == N_WITH && peek(tp).typ == IT_WITH;
    if (chain_if || chain_with) {
        next(tp);
        struct gt_node *list = new_node(tp, N_LIST, else_node->pos);
        struct gt_node *inner = list == NULL ? NULL : chain_if ? if_control(tp) : with_control(tp);
        if (inner == NULL || !append_kid(tp, list, inner))
            return NULL;
        return list;
    }
    struct gt_node *end;
    struct gt_node *list = item_list(tp, &end);
    if (list != NULL && end->type != N_END)
        return fail(tp, "expected end; found {{else}}");
    return list;
}

static struct gt_node *control_body(struct tree_parser *tp, enum gt_node_type type,
                                    const char *context)
{
    struct gt_node *pipe = pipeline(tp, context, IT_RDELIM);
    if (pipe == NULL)
        return NULL;
    struct gt_node *next_node = NULL;
    if (type == N_RANGE)
        tp->range_depth++;
    struct gt_node *list = item_list(tp, &next_node);
    if (type == N_RANGE)
        tp->range_depth--;
    if (list == NULL)
        return NULL;
    struct gt_node *else_list = NULL;
    if (next_node->type == N_ELSE && (else_list = else_branch(tp, type, next_node)) == NULL)
        return NULL;
    struct gt_node *n = new_node(tp, type, pipe->pos);
    if (n != NULL) {
        n->line = pipe->line;
        n->pipe = pipe;
        n->list = list;
        n->else_list = else_list;
    }
    return n;
}

/* if, range, with: the variables their pipeline declares end at {{end}} */
static struct gt_node *parse_control(struct tree_parser *tp, enum gt_node_type type,
                                     const char *context)
{
    size_t nvars = tp->nvars;
    if (!enter(tp))
        return NULL;
    struct gt_node *n = control_body(tp, type, context);
    tp->nvars = nvars;
    leave(tp);
    return n;
}

static struct gt_node *if_control(struct tree_parser *tp)
{
    return parse_control(tp, N_IF, "if");
}

static struct gt_node *with_control(struct tree_parser *tp)
{
    return parse_control(tp, N_WITH, "with");
}

static struct gt_node *end_control(struct tree_parser *tp)
{
    struct gt_item token;
    if (!expect(tp, IT_RDELIM, "end", &token))
        return NULL;
    return new_node(tp, N_END, token.pos);
}

static struct gt_node *else_control(struct tree_parser *tp)
{
    struct gt_item pk = peek_non_space(tp);
    if (pk.typ == IT_IF || pk.typ == IT_WITH) /* "{{else if" and "{{else with" */
        return new_node(tp, N_ELSE, pk.pos);
    struct gt_item token;
    if (!expect(tp, IT_RDELIM, "else", &token))
        return NULL;
    return new_node(tp, N_ELSE, token.pos);
}

static struct gt_node *break_control(struct tree_parser *tp, struct gt_item kw, bool brk)
{
    struct gt_item token = next_non_space(tp);
    const char *what = brk ? "{{break}}" : "{{continue}}";
    if (token.typ != IT_RDELIM)
        return unexpected(tp, token, what);
    if (tp->range_depth == 0)
        return fail(tp, "%s outside {{range}}", what);
    return new_node(tp, brk ? N_BREAK : N_CONTINUE, kw.pos);
}

static bool template_name(struct tree_parser *tp, struct gt_item token, const char *context,
                          struct gt_str *name)
{
    if (token.typ != IT_STRING && token.typ != IT_RAWSTRING) {
        unexpected(tp, token, context);
        return false;
    }
    bool ok;
    *name = unquote(tp, token, &ok);
    return ok;
}

static bool add_tree(struct tree_parser *tp);

static struct gt_node *block_control(struct tree_parser *tp)
{
    const char *context = "block clause";
    struct gt_item token = next_non_space(tp);
    struct gt_str name;
    if (!template_name(tp, token, context, &name))
        return NULL;
    struct gt_node *pipe = pipeline(tp, context, IT_RDELIM);
    if (pipe == NULL)
        return NULL;
    struct tree_parser block;
    tp_init(&block, tp->ps, name);
    if (!push_var(&block, (struct gt_str){"$", 1}))
        return NULL;
    struct gt_node *end;
    block.root = item_list(&block, &end);
    if (block.root == NULL)
        return NULL;
    if (end->type != N_END)
        return fail(tp, "unexpected {{else}} in %s", context);
    if (!add_tree(&block))
        return NULL;
    struct gt_node *n = new_node(tp, N_TEMPLATE, token.pos);
    if (n != NULL) {
        n->str = name;
        n->pipe = pipe;
    }
    return n;
}

static struct gt_node *template_control(struct tree_parser *tp)
{
    const char *context = "template clause";
    struct gt_item token = next_non_space(tp);
    struct gt_str name;
    if (!template_name(tp, token, context, &name))
        return NULL;
    struct gt_node *pipe = NULL;
    if (next_non_space(tp).typ != IT_RDELIM) {
        backup(tp);
        pipe = pipeline(tp, context, IT_RDELIM);
        if (pipe == NULL)
            return NULL;
    }
    struct gt_node *n = new_node(tp, N_TEMPLATE, token.pos);
    if (n != NULL) {
        n->str = name;
        n->pipe = pipe;
    }
    return n;
}

static struct gt_node *action(struct tree_parser *tp)
{
    struct gt_item token = next_non_space(tp);
    switch (token.typ) {
    case IT_BLOCK:
        return block_control(tp);
    case IT_BREAK:
        return break_control(tp, token, true);
    case IT_CONTINUE:
        return break_control(tp, token, false);
    case IT_ELSE:
        return else_control(tp);
    case IT_END:
        return end_control(tp);
    case IT_IF:
        return if_control(tp);
    case IT_RANGE:
        return parse_control(tp, N_RANGE, "range");
    case IT_TEMPLATE:
        return template_control(tp);
    case IT_WITH:
        return with_control(tp);
    default:
        break;
    }
    backup(tp);
    token = peek(tp);
    /* variables declared here persist until the enclosing {{end}} */
    struct gt_node *pipe = pipeline(tp, "command", IT_RDELIM);
    if (pipe == NULL)
        return NULL;
    struct gt_node *n = new_node(tp, N_ACTION, token.pos);
    if (n != NULL) {
        n->line = token.line;
        n->pipe = pipe;
    }
    return n;
}

static struct gt_node *text_or_action(struct tree_parser *tp)
{
    struct gt_item token = next_non_space(tp);
    struct gt_node *n;
    switch (token.typ) {
    case IT_TEXT:
        n = new_node(tp, N_TEXT, token.pos);
        if (n != NULL)
            n->text = token.val;
        return n;
    case IT_LDELIM:
        tp->action_line = token.line;
        n = action(tp);
        tp->action_line = 0;
        return n;
    default:
        return unexpected(tp, token, "input");
    }
}

/* textOrAction* up to {{end}} or {{else}}, which is returned in *next_out. */
static struct gt_node *item_list(struct tree_parser *tp, struct gt_node **next_out)
{
    struct gt_node *list = new_node(tp, N_LIST, peek_non_space(tp).pos);
    if (list == NULL)
        return NULL;
    while (peek_non_space(tp).typ != IT_EOF) {
        struct gt_node *n = text_or_action(tp);
        if (n == NULL)
            return NULL;
        if (n->type == N_END || n->type == N_ELSE) {
            *next_out = n;
            return list;
        }
        if (!append_kid(tp, list, n))
            return NULL;
    }
    return fail(tp, "unexpected EOF");
}

/* Only space and comments: a tree another definition may replace. */
static bool is_empty_tree(const struct gt_node *n)
{
    if (n == NULL)
        return true;
    switch (n->type) {
    case N_COMMENT:
        return true;
    case N_LIST:
        for (size_t i = 0; i < n->nkid; i++)
            if (!is_empty_tree(n->kid[i]))
                return false;
        return true;
    case N_TEXT:
        for (size_t i = 0; i < n->text.n; i++)
            if (!gt_is_space((unsigned char)n->text.p[i]))
                return false;
        return true;
    default:
        return false;
    }
}

const struct gt_tree *gt_lookup(const struct gotmpl *t, const char *name, size_t n)
{
    for (size_t i = 0; i < t->ntrees; i++)
        if (t->trees[i].name.n == n && memcmp(t->trees[i].name.p, name, n) == 0)
            return &t->trees[i];
    return NULL;
}

/* Go's Tree.add: a later non-empty definition may not replace another. */
static bool add_tree(struct tree_parser *tp)
{
    struct gotmpl *t = tp->ps->t;
    struct gt_tree *old = (struct gt_tree *)gt_lookup(t, tp->name.p, tp->name.n);
    if (old != NULL) {
        if (is_empty_tree(old->root)) {
            old->root = tp->root;
            return true;
        }
        if (!is_empty_tree(tp->root)) {
            fail(tp, "template: multiple definition of template %s", quoted(tp, tp->name));
            return false;
        }
        return true;
    }
    if (t->ntrees == GT_MAX_TEMPLATES) {
        fail(tp, "too many templates");
        return false;
    }
    if (t->ntrees % 16 == 0) {
        struct gt_tree *trees = gt_alloc(&t->arena, (t->ntrees + 16) * sizeof *trees);
        if (trees == NULL) {
            fail_oom(tp);
            return false;
        }
        if (t->ntrees > 0)
            memcpy(trees, t->trees, t->ntrees * sizeof *trees);
        t->trees = trees;
    }
    t->trees[t->ntrees++] = (struct gt_tree){tp->name, tp->root};
    return true;
}

static bool parse_definition(struct tree_parser *tp)
{
    const char *context = "define clause";
    struct gt_item token = next_non_space(tp);
    if (token.typ != IT_STRING && token.typ != IT_RAWSTRING) {
        unexpected(tp, token, context);
        return false;
    }
    bool ok;
    tp->name = unquote(tp, token, &ok);
    if (!ok || !expect(tp, IT_RDELIM, context, &token))
        return false;
    struct gt_node *end;
    tp->root = item_list(tp, &end);
    if (tp->root == NULL)
        return false;
    if (end->type != N_END) {
        fail(tp, "unexpected {{else}} in %s", context);
        return false;
    }
    return add_tree(tp);
}

/* The top level: itemList that also takes {{define}}s, up to EOF. */
static bool parse_top(struct tree_parser *tp)
{
    tp->root = new_node(tp, N_LIST, peek(tp).pos);
    if (tp->root == NULL)
        return false;
    while (peek(tp).typ != IT_EOF) {
        if (peek(tp).typ == IT_LDELIM) {
            struct gt_item delim = next(tp);
            if (next_non_space(tp).typ == IT_DEFINE) {
                struct tree_parser def;
                tp_init(&def, tp->ps, (struct gt_str){"definition", 10});
                if (!push_var(&def, (struct gt_str){"$", 1}) || !parse_definition(&def))
                    return false;
                continue;
            }
            backup2(tp, delim);
        }
        struct gt_node *n = text_or_action(tp);
        if (n == NULL)
            return false;
        if (n->type == N_END || n->type == N_ELSE) {
            fail(tp, "unexpected %s", n->type == N_END ? "{{end}}" : "{{else}}");
            return false;
        }
        if (!append_kid(tp, tp->root, n))
            return false;
    }
    return add_tree(tp);
}

int gotmpl_parse(const char *text, struct gotmpl **out, pier_err_t *err)
{
    size_t len = strlen(text);
    if (len > GT_MAX_TEXT)
        return pier_error(err, 0, "template: longer than %d bytes", GT_MAX_TEXT);
    struct gotmpl *t = calloc(1, sizeof *t);
    if (t == NULL)
        return pier_error(err, ENOMEM, "template");
    t->arena.max = GT_MAX_MEMORY;
    t->len = len;
    t->text = gt_strndup(&t->arena, text, len);
    struct pstate ps = {.t = t, .err = err};
    struct tree_parser top;
    tp_init(&top, &ps, (struct gt_str){"", 0});
    if (t->text == NULL) {
        gotmpl_free(t);
        return pier_error(err, ENOMEM, "template");
    }
    gt_lex_init(&ps.lex, t->text, len);
    struct gt_locale loc;
    gt_locale_enter(&loc);
    bool ok = push_var(&top, (struct gt_str){"$", 1}) && parse_top(&top);
    gt_locale_leave(&loc);
    if (!ok) {
        if (!ps.failed)
            pier_error(err, 0, "template: parse failed");
        gotmpl_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void gotmpl_free(struct gotmpl *t)
{
    if (t == NULL)
        return;
    gt_arena_free(&t->arena);
    free(t);
}

/* ---- Node.String() ---- */

static int put_str(struct gt_buf *b, struct gt_str s)
{
    return gt_buf_put(b, s.p, s.n);
}

static int pipe_string(struct gt_buf *b, const struct gt_node *p)
{
    if (p->ndecl > 0) {
        for (size_t i = 0; i < p->ndecl; i++)
            if ((i > 0 && gt_buf_puts(b, ", ") < 0) || gt_node_string(b, p->decl[i]) < 0)
                return -1;
        if (gt_buf_puts(b, " := ") < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nkid; i++)
        if ((i > 0 && gt_buf_puts(b, " | ") < 0) || gt_node_string(b, p->kid[i]) < 0)
            return -1;
    return 0;
}

int gt_node_string(struct gt_buf *b, const struct gt_node *n)
{
    switch (n->type) {
    case N_TEXT:
    case N_IDENT:
    case N_NUMBER:
    case N_STRING:
        return put_str(b, n->text);
    case N_LIST:
        for (size_t i = 0; i < n->nkid; i++)
            if (gt_node_string(b, n->kid[i]) < 0)
                return -1;
        return 0;
    case N_ACTION:
        if (gt_buf_puts(b, "{{") < 0 || pipe_string(b, n->pipe) < 0)
            return -1;
        return gt_buf_puts(b, "}}");
    case N_PIPE:
        return pipe_string(b, n);
    case N_COMMAND:
        for (size_t i = 0; i < n->nkid; i++) {
            const struct gt_node *arg = n->kid[i];
            if (i > 0 && gt_buf_putc(b, ' ') < 0)
                return -1;
            if (arg->type == N_PIPE) {
                if (gt_buf_putc(b, '(') < 0 || pipe_string(b, arg) < 0 || gt_buf_putc(b, ')') < 0)
                    return -1;
            } else if (gt_node_string(b, arg) < 0) {
                return -1;
            }
        }
        return 0;
    case N_FIELD:
    case N_VARIABLE:
    case N_CHAIN:
        if (n->type == N_CHAIN) {
            bool paren = n->pipe->type == N_PIPE;
            if ((paren && gt_buf_putc(b, '(') < 0) || gt_node_string(b, n->pipe) < 0 ||
                (paren && gt_buf_putc(b, ')') < 0))
                return -1;
        }
        for (size_t i = 0; i < n->nident; i++) {
            if ((n->type != N_VARIABLE || i > 0) && gt_buf_putc(b, '.') < 0)
                return -1;
            if (put_str(b, n->ident[i]) < 0)
                return -1;
        }
        return 0;
    case N_DOT:
        return gt_buf_putc(b, '.');
    case N_NIL:
        return gt_buf_puts(b, "nil");
    case N_BOOL:
        return gt_buf_puts(b, n->b ? "true" : "false");
    case N_END:
        return gt_buf_puts(b, "{{end}}");
    case N_ELSE:
        return gt_buf_puts(b, "{{else}}");
    case N_BREAK:
        return gt_buf_puts(b, "{{break}}");
    case N_CONTINUE:
        return gt_buf_puts(b, "{{continue}}");
    case N_COMMENT:
        return 0;
    case N_IF:
    case N_RANGE:
    case N_WITH: {
        const char *name = n->type == N_IF ? "if" : n->type == N_RANGE ? "range" : "with";
        if (gt_buf_printf(b, "{{%s ", name) < 0 || pipe_string(b, n->pipe) < 0 ||
            gt_buf_puts(b, "}}") < 0 || gt_node_string(b, n->list) < 0)
            return -1;
        if (n->else_list != NULL &&
            (gt_buf_puts(b, "{{else}}") < 0 || gt_node_string(b, n->else_list) < 0))
            return -1;
        return gt_buf_puts(b, "{{end}}");
    }
    case N_TEMPLATE:
        if (gt_buf_puts(b, "{{template ") < 0 || gt_quote(b, n->str, false) < 0)
            return -1;
        if (n->pipe != NULL && (gt_buf_putc(b, ' ') < 0 || pipe_string(b, n->pipe) < 0))
            return -1;
        return gt_buf_puts(b, "}}");
    }
    return 0;
}
