/* Internals of the Go text/template engine (gotmpl.h): arena, buffers, the
 * lexer's items, the parse tree, values and the fmt/unicode helpers shared by
 * gotmpl_*.c.  Not for use outside src/lib/gotmpl*.c. */
#ifndef PIER_GOTMPL_INT_H
#define PIER_GOTMPL_INT_H

#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Caps: every input and every product of a template is bounded, so that a
 * hostile --format can neither exhaust memory nor run forever. */
#define GT_MAX_TEXT 65536       /* template source */
#define GT_MAX_PARSE_DEPTH 100  /* nested actions and parentheses */
#define GT_MAX_TEMPLATES 1000   /* {{define}}s */
#define GT_MAX_OUTPUT 16777216  /* executed output, and any one string */
#define GT_MAX_MEMORY 67108864  /* everything one execution allocates */
#define GT_MAX_EXEC_DEPTH 500   /* nested {{template}} calls */
#define GT_MAX_NESTING 2000     /* nested walks and pipelines: the C stack */
#define GT_MAX_VARS 10000       /* live $variables */
#define GT_MAX_STEPS 10000000   /* nodes walked and iterations run */
#define GT_MAX_VALUE_DEPTH 2100 /* nesting of printed JSON values, above jansson's 2048 */
#define GT_STR_(x) #x
#define GT_STR(x) GT_STR_(x)

/* A bump allocator freed all at once; NULL once `max` bytes are in use. */
struct gt_chunk;
struct gt_arena {
    struct gt_chunk *head;
    size_t used, max;
};
void *gt_alloc(struct gt_arena *a, size_t n);
char *gt_strndup(struct gt_arena *a, const char *s, size_t n);
void gt_arena_free(struct gt_arena *a);

/* Numbers are read and written as Go does, '.' for the decimal point,
 * whatever LC_NUMERIC the program chose: C's locale for this thread while
 * the template is parsed or run. */
struct gt_locale {
    locale_t c, old;
};
void gt_locale_enter(struct gt_locale *l);
void gt_locale_leave(struct gt_locale *l);

/* A growing byte buffer that refuses to pass `max` bytes. */
struct gt_buf {
    char *p;
    size_t len, alloc, max;
};
int gt_buf_put(struct gt_buf *b, const char *s, size_t n);
int gt_buf_putc(struct gt_buf *b, char c);
int gt_buf_puts(struct gt_buf *b, const char *s);
int gt_buf_pad(struct gt_buf *b, char c, size_t n);
int gt_buf_printf(struct gt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gt_buf_rune(struct gt_buf *b, uint32_t r);

/* A string that is not NUL-terminated. */
struct gt_str {
    const char *p;
    size_t n;
};

/* ---- lexer (Go's text/template/parse lex.go) ---- */

enum gt_item_type {
    IT_ERROR,
    IT_BOOL,
    IT_CHAR,
    IT_CHARCONST,
    IT_COMMENT,
    IT_COMPLEX,
    IT_ASSIGN,
    IT_DECLARE,
    IT_EOF,
    IT_FIELD,
    IT_IDENT,
    IT_LDELIM,
    IT_LPAREN,
    IT_NUMBER,
    IT_PIPE,
    IT_RAWSTRING,
    IT_RDELIM,
    IT_RPAREN,
    IT_SPACE,
    IT_STRING,
    IT_TEXT,
    IT_VARIABLE,
    IT_KEYWORD, /* keywords follow */
    IT_BLOCK,
    IT_BREAK,
    IT_CONTINUE,
    IT_DOT,
    IT_DEFINE,
    IT_ELSE,
    IT_END,
    IT_IF,
    IT_NIL,
    IT_RANGE,
    IT_TEMPLATE,
    IT_WITH,
};

struct gt_item {
    enum gt_item_type typ;
    size_t pos;
    struct gt_str val; /* into the text, or the error message */
    int line;
};

struct gt_lexer {
    const char *input;
    size_t len, pos, start;
    bool at_eof, inside_action;
    int paren_depth, line, start_line;
    struct gt_item item;
    char errbuf[1024]; /* the error item's text */
};

void gt_lex_init(struct gt_lexer *l, const char *input, size_t len);
struct gt_item gt_lex_next(struct gt_lexer *l);

/* ---- parse tree (Go's parse/node.go) ---- */

enum gt_node_type {
    N_TEXT,
    N_ACTION,
    N_BOOL,
    N_CHAIN,
    N_COMMAND,
    N_DOT,
    N_ELSE,
    N_END,
    N_FIELD,
    N_IDENT,
    N_IF,
    N_LIST,
    N_NIL,
    N_NUMBER,
    N_PIPE,
    N_RANGE,
    N_STRING,
    N_TEMPLATE,
    N_VARIABLE,
    N_WITH,
    N_COMMENT,
    N_BREAK,
    N_CONTINUE,
};

/* A number literal, with every type it can stand for (as parse.NumberNode). */
struct gt_number {
    bool is_int, is_uint, is_float, is_complex;
    int64_t i;
    uint64_t u;
    double f, re, im;
};

struct gt_node {
    enum gt_node_type type;
    size_t pos;
    int line;
    struct gt_str text;   /* TEXT bytes, STRING quoted form, IDENT name, NUMBER text */
    struct gt_str str;    /* STRING value, TEMPLATE name */
    struct gt_str *ident; /* FIELD, VARIABLE (with $name first), CHAIN fields */
    size_t nident;
    struct gt_node **kid; /* LIST nodes, COMMAND args, PIPE commands */
    size_t nkid, kalloc;
    struct gt_node **decl; /* PIPE declared variables */
    size_t ndecl;
    bool is_assign; /* PIPE: `=` rather than `:=` */
    bool b;         /* BOOL */
    struct gt_number num;
    struct gt_node *pipe;      /* ACTION, IF, RANGE, WITH, TEMPLATE; CHAIN's term */
    struct gt_node *list;      /* IF, RANGE, WITH */
    struct gt_node *else_list; /* IF, RANGE, WITH */
};

struct gt_tree {
    struct gt_str name;
    struct gt_node *root;
};

struct gotmpl {
    struct gt_arena arena;
    char *text; /* the source, NUL-terminated */
    size_t len;
    struct gt_tree *trees;
    size_t ntrees;
};

const struct gt_tree *gt_lookup(const struct gotmpl *t, const char *name, size_t n);
/* Node.String(), as Go writes it in error messages. */
int gt_node_string(struct gt_buf *b, const struct gt_node *n);

/* ---- values ---- */

enum gt_kind {
    GK_MISSING, /* no value passed down a pipeline (Go's missingVal) */
    GK_INVALID, /* Go's zero reflect.Value: a missing key, nil data */
    GK_NIL,     /* a nil interface{}: JSON null in a map or array; always boxed */
    GK_BOOL,
    GK_INT,   /* Go's int: JSON integers, int literals, len */
    GK_UINT8, /* a byte of a string, from index */
    GK_FLOAT,
    GK_COMPLEX,
    GK_STRING,
    GK_MAP,   /* map[string]interface{}: a JSON object */
    GK_ARRAY, /* []interface{}: a JSON array, or a slice of one */
    GK_STRS,  /* []string: split's result */
};

struct gt_val {
    enum gt_kind kind;
    /* Held in an interface{} slot (an element of a JSON map or array), as
     * reflect hands them out: Go names its type "interface {}" and only an
     * unwrapped value shows its own type. */
    bool boxed;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            double re, im;
        } c;
        struct gt_str s;
        json_t *obj;
        struct {
            json_t *arr;
            size_t off, n;
        } a;
        struct {
            const struct gt_str *v;
            size_t n;
        } ss;
    } u;
};

struct gt_val gt_from_json(json_t *j, bool boxed);
/* Go's indirectInterface: the concrete value in an interface, or invalid. */
struct gt_val gt_unbox(struct gt_val v);
/* The name of a value's Go type, as reflect writes it. */
const char *gt_type_name(const struct gt_val *v);
size_t gt_len(const struct gt_val *v); /* strings, maps, arrays */
json_t *gt_array_at(const struct gt_val *v, size_t i);
/* An object's keys in Go's map order (sorted bytewise); the caller frees. */
struct gt_str *gt_sorted_keys(json_t *obj, size_t *n);

/* ---- functions (gotmpl_funcs.c) ---- */

/* The Go parameter types the functions take, which decide how an argument
 * is evaluated and checked (exec.go's evalArg and validateType). */
enum gt_ptype {
    PT_NONE,   /* no type: a chain's receiver */
    PT_VALUE,  /* reflect.Value: anything, as is */
    PT_IFACE,  /* interface{} */
    PT_STRING, /* string */
    PT_INT,    /* int */
    PT_STRS,   /* []string */
};

#define GT_CALL_ERROR (-1) /* msg holds the reason: "error calling NAME: msg" */
#define GT_CALL_FATAL (-2) /* out of memory or over a cap */

struct gt_call {
    struct gt_arena *arena; /* for results */
    struct gt_buf msg;
    const char *callee; /* `call`'s first operand, as written */
};

struct gt_func {
    const char *name;
    int nin; /* parameters; the last one repeats when variadic */
    bool variadic;
    enum gt_ptype in[3];
    /* NULL for and/or, which the executor short-circuits */
    int (*fn)(struct gt_call *c, const struct gt_val *argv, size_t argc, struct gt_val *out);
};

const struct gt_func *gt_find_func(struct gt_str name);
/* Go's truth: non-zero numbers, non-empty strings and containers, true. */
bool gt_truth(struct gt_val v);

/* ---- Go's fmt and strconv ---- */

/* The printer writes into b; every function returns -1 when b is full, or
 * GT_FMT_DEEP for a value nested deeper than GT_MAX_VALUE_DEPTH. */
#define GT_FMT_DEEP (-2)
int gt_fmt_sprint(struct gt_buf *b, const struct gt_val *args, size_t n);
int gt_fmt_sprintln(struct gt_buf *b, const struct gt_val *args, size_t n);
int gt_fmt_sprintf(struct gt_buf *b, struct gt_str format, const struct gt_val *args, size_t n);
/* One value with a bare verb, as fmt.Sprintf("%v", v). */
int gt_fmt_value(struct gt_buf *b, const struct gt_val *v, char verb);
int gt_quote(struct gt_buf *b, struct gt_str s, bool ascii_only);
/* strconv.Unquote of a Go string literal ("..." or `...`); -1 if malformed. */
int gt_unquote(struct gt_buf *b, struct gt_str lit);
/* strconv.UnquoteChar: one character of a quoted literal at *s. */
int gt_unquote_char(struct gt_str *s, char quote, uint32_t *r, bool *multibyte);
/* Float to text as strconv.AppendFloat(v, fmt, prec, 64). */
int gt_format_float(struct gt_buf *b, double v, char fmt, int prec);

/* ---- Unicode, as Go's unicode, unicode/utf8 and strconv ---- */

#define GT_RUNE_ERROR 0xFFFDu
#define GT_MAX_RUNE 0x10FFFFu
/* utf8.DecodeRune: the rune at s and its width; (RuneError, 1) if invalid. */
uint32_t gt_utf8_decode(const char *s, size_t n, size_t *width);
size_t gt_utf8_encode(char *out, uint32_t r);
size_t gt_utf8_count(const char *s, size_t n);
bool gt_is_letter(uint32_t r);
bool gt_is_digit(uint32_t r);
bool gt_is_space(uint32_t r);
bool gt_is_print(uint32_t r); /* strconv.IsPrint */
enum { GT_UPPER, GT_LOWER, GT_TITLE };
uint32_t gt_to_case(int which, uint32_t r);

#endif
