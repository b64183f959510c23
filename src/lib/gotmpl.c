/* Go's text/template over JSON data: the pieces every part shares (the
 * arena, capped buffers, values).  The lexer, parser, executor, functions
 * and fmt live in gotmpl_lex.c, gotmpl_parse.c, gotmpl_exec.c,
 * gotmpl_funcs.c and gotmpl_fmt.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl_int.h"

struct gt_chunk {
    struct gt_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void *gt_alloc(struct gt_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > a->max || a->used > a->max - n)
        return NULL;
    struct gt_chunk *c = a->head;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > 8192 ? n : 8192;
        c = malloc(sizeof *c + size);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        c->size = size;
        c->used = 0;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *gt_strndup(struct gt_arena *a, const char *s, size_t n)
{
    char *p = gt_alloc(a, n + 1);
    if (p != NULL && n > 0)
        memcpy(p, s, n);
    return p;
}

void gt_arena_free(struct gt_arena *a)
{
    while (a->head != NULL) {
        struct gt_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->used = 0;
}

void gt_locale_enter(struct gt_locale *l)
{
    l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    l->old = l->c != (locale_t)0 ? uselocale(l->c) : (locale_t)0;
}

void gt_locale_leave(struct gt_locale *l)
{
    if (l->c != (locale_t)0) {
        uselocale(l->old);
        freelocale(l->c);
    }
}

int gt_buf_put(struct gt_buf *b, const char *s, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return -1;
    if (b->len + n + 1 > b->alloc) {
        size_t alloc = b->alloc ? b->alloc : 256;
        while (alloc < b->len + n + 1)
            alloc *= 2;
        char *p = realloc(b->p, alloc);
        if (p == NULL)
            return -1;
        b->p = p;
        b->alloc = alloc;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int gt_buf_putc(struct gt_buf *b, char c)
{
    return gt_buf_put(b, &c, 1);
}

int gt_buf_puts(struct gt_buf *b, const char *s)
{
    return gt_buf_put(b, s, strlen(s));
}

int gt_buf_pad(struct gt_buf *b, char c, size_t n)
{
    char chunk[64];
    memset(chunk, c, sizeof chunk);
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        if (gt_buf_put(b, chunk, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

int gt_buf_printf(struct gt_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return gt_buf_put(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = gt_buf_put(b, big, (size_t)n);
    free(big);
    return rc;
}

int gt_buf_rune(struct gt_buf *b, uint32_t r)
{
    char enc[4];
    return gt_buf_put(b, enc, gt_utf8_encode(enc, r));
}

struct gt_val gt_from_json(json_t *j, bool boxed)
{
    struct gt_val v = {.kind = GK_NIL, .boxed = boxed};
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        v.kind = GK_MAP;
        v.u.obj = j;
        break;
    case JSON_ARRAY:
        v.kind = GK_ARRAY;
        v.u.a.arr = j;
        v.u.a.n = json_array_size(j);
        break;
    case JSON_STRING:
        v.kind = GK_STRING;
        v.u.s = (struct gt_str){json_string_value(j), json_string_length(j)};
        break;
    case JSON_INTEGER:
        v.kind = GK_INT;
        v.u.i = json_integer_value(j);
        break;
    case JSON_REAL:
        v.kind = GK_FLOAT;
        v.u.f = json_real_value(j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v.kind = GK_BOOL;
        v.u.b = json_is_true(j);
        break;
    case JSON_NULL:
        /* An explicit null is a nil interface{}, not a missing key: Go
         * prints <nil> for it inside maps, and `.Null.X` is an error. */
        v.kind = boxed ? GK_NIL : GK_INVALID;
        break;
    }
    return v;
}

struct gt_val gt_unbox(struct gt_val v)
{
    if (v.kind == GK_NIL)
        v.kind = GK_INVALID;
    v.boxed = false;
    return v;
}

const char *gt_type_name(const struct gt_val *v)
{
    if (v->boxed)
        return "interface {}";
    switch (v->kind) {
    case GK_BOOL:
        return "bool";
    case GK_INT:
        return "int";
    case GK_UINT8:
        return "uint8";
    case GK_FLOAT:
        return "float64";
    case GK_COMPLEX:
        return "complex128";
    case GK_STRING:
        return "string";
    case GK_MAP:
        return "map[string]interface {}";
    case GK_ARRAY:
        return "[]interface {}";
    case GK_STRS:
        return "[]string";
    default:
        return "<nil>";
    }
}

size_t gt_len(const struct gt_val *v)
{
    switch (v->kind) {
    case GK_STRING:
        return v->u.s.n;
    case GK_MAP:
        return json_object_size(v->u.obj);
    case GK_ARRAY:
        return v->u.a.n;
    case GK_STRS:
        return v->u.ss.n;
    default:
        return 0;
    }
}

json_t *gt_array_at(const struct gt_val *v, size_t i)
{
    return json_array_get(v->u.a.arr, v->u.a.off + i);
}

static int key_cmp(const void *a, const void *b)
{
    const struct gt_str *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c != 0 ? c : x->n < y->n ? -1 : x->n > y->n;
}

struct gt_str *gt_sorted_keys(json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    struct gt_str *keys = malloc((*n ? *n : 1) * sizeof *keys);
    if (keys == NULL)
        return NULL;
    size_t i = 0, len;
    const char *k;
    json_t *val;
    json_object_keylen_foreach(obj, k, len, val)
    {
        (void)val;
        keys[i++] = (struct gt_str){k, len};
    }
    qsort(keys, i, sizeof *keys, key_cmp);
    *n = i;
    return keys;
}
