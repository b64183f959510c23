#include "tmpl_check.h"

#include <stddef.h>
#include <string.h>

#include "../lib/buf.h"

const struct tmpl_type tmpl_string = {"string", NULL, false};
const struct tmpl_type tmpl_int64 = {"int64", NULL, false};
const struct tmpl_type tmpl_map = {"map[string]string", NULL, true};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Past a quoted string, raw string or character constant at p. */
static const char *skip_quoted(const char *p)
{
    char q = *p++;
    while (*p && *p != q) {
        if (*p == '\\' && q != '`' && p[1])
            p++;
        p++;
    }
    return *p ? p + 1 : p;
}

/* Where the action starting at a ends ("}}"), quoted text skipped. */
static const char *action_end(const char *a)
{
    const char *p = a;
    while (*p) {
        if (*p == '"' || *p == '`' || *p == '\'') {
            p = skip_quoted(p);
            continue;
        }
        if (p[0] == '}' && p[1] == '}')
            return p;
        p++;
    }
    return NULL;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

static const struct tmpl_field *find_field(const struct tmpl_type *t, const char *name, size_t n)
{
    for (const struct tmpl_field *f = t->fields; f && f->name; f++)
        if (word_is(name, n, f->name))
            return f;
    return NULL;
}

struct chain {
    const char *start, *end; /* the node's text */
    const char *pos;         /* where Go's parser puts the node */
    const char *ident[16];
    size_t len[16];
    size_t n;
};

/* Go's text/template error for the chain's field at index i. */
static int field_error(const char *text, const char *name, const struct chain *c, size_t i,
                       const char *type, pier_err_t *err)
{
    size_t off = (size_t)(c->pos - text);
    int line = 1;
    size_t col = off;
    for (size_t k = 0; k < off; k++) {
        if (text[k] == '\n') {
            line++;
            col = off - k - 1;
        }
    }
    return pier_error(err, 0,
                      "template: %s:%d:%zu: executing \"%s\" at <%.*s>: can't evaluate field %.*s "
                      "in type %s",
                      name, line, col, name, (int)(c->end - c->start), c->start, (int)c->len[i],
                      c->ident[i], type);
}

static int check_chain(const char *text, const char *name, const struct tmpl_type *root,
                       const struct chain *c, pier_err_t *err)
{
    const struct tmpl_type *t = root;
    for (size_t i = 0; i < c->n && t != NULL; i++) {
        if (t->map) {
            t = NULL;
            continue;
        }
        const struct tmpl_field *f = find_field(t, c->ident[i], c->len[i]);
        if (f == NULL)
            return field_error(text, name, c, i, t->name, err);
        t = f->type;
    }
    return 0;
}

/* The field chains on the root in the action [a, e). */
static int check_action(const char *text, const char *name, const struct tmpl_type *root,
                        const char *a, const char *e, pier_err_t *err)
{
    const char *p = a;
    while (p < e) {
        if (*p == '"' || *p == '`' || *p == '\'') {
            p = skip_quoted(p);
            continue;
        }
        if (*p != '.' || !is_ident_start(p[1])) {
            p++;
            continue;
        }
        /* $.X is the root; $x.X, (...).X and 1.5 are not */
        bool dollar = p > a && p[-1] == '$' && (p - 1 == a || !is_ident(p[-2]));
        bool root_dot = p == a || !(is_ident(p[-1]) || p[-1] == ')' || p[-1] == '$');
        struct chain c = {.start = dollar ? p - 1 : p, .pos = p};
        while (p < e && *p == '.' && is_ident_start(p[1])) {
            /* a chain is placed at its second part ($ being one) */
            if (c.n == 1 && !dollar)
                c.pos = p;
            const char *s = ++p;
            while (p < e && is_ident(*p))
                p++;
            if (c.n < sizeof c.ident / sizeof c.ident[0]) {
                c.ident[c.n] = s;
                c.len[c.n++] = (size_t)(p - s);
            }
        }
        c.end = p;
        if ((dollar || root_dot) && check_chain(text, name, root, &c, err) < 0)
            return -1;
    }
    return 0;
}

int tmpl_check(const char *text, const char *name, const struct tmpl_type *root, pier_err_t *err)
{
    int depth = 0;
    const char *p = text;
    while ((p = strstr(p, "{{")) != NULL) {
        const char *a = p + 2;
        if (*a == '-' && is_space(a[1]))
            a++;
        while (is_space(*a))
            a++;
        if (a[0] == '/' && a[1] == '*') {
            const char *c = strstr(a + 2, "*/");
            if (c == NULL || (c = strstr(c + 2, "}}")) == NULL)
                return 0;
            p = c + 2;
            continue;
        }
        const char *e = action_end(a);
        if (e == NULL)
            return 0; /* the parser says what is wrong */
        const char *w = a;
        while (w < e && is_ident(*w))
            w++;
        size_t wl = (size_t)(w - a);
        bool opens = word_is(a, wl, "if") || word_is(a, wl, "range") || word_is(a, wl, "with") ||
                     word_is(a, wl, "define") || word_is(a, wl, "block");
        if (word_is(a, wl, "end")) {
            if (depth > 0)
                depth--;
        } else if (depth == 0 && !word_is(a, wl, "define") && !word_is(a, wl, "else") &&
                   check_action(text, name, root, a, e, err) < 0) {
            return -1;
        }
        if (opens)
            depth++;
        p = e + 2;
    }
    return 0;
}

int tmpl_error_name(pier_err_t *err, const char *name)
{
    const char *m = pier_error_msg(*err);
    struct buf b = BUF_INIT;
    const char *t = strstr(m, "template: :");
    if (t == NULL) {
        buf_free(&b);
        return -1;
    }
    buf_put(&b, m, (size_t)(t - m) + 10);
    buf_puts(&b, name);
    const char *rest = t + 10;
    const char *x = strstr(rest, "executing \"\"");
    if (x) {
        buf_put(&b, rest, (size_t)(x - rest));
        buf_printf(&b, "executing \"%s\"", name);
        rest = x + 12;
    }
    buf_puts(&b, rest);
    if (!b.failed)
        pier_fail(err, 0, "%s", b.data);
    buf_free(&b);
    return -1;
}
