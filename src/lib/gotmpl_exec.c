/* The executor of Go's text/template (exec.go) over JSON values.  It keeps
 * Go's evaluation order and moves its "current node" (s.at) where Go does,
 * because execution errors quote that node: "template: :1:7: executing \"\"
 * at <.Foo.Bar>: ...".  Everything it allocates lives in one arena freed at
 * the end; output, memory, steps and {{template}} depth are capped. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl.h"
#include "gotmpl_int.h"

enum { WALK_OK = 0, WALK_ERR = -1, WALK_BREAK = 1, WALK_CONTINUE = 2 };

struct var {
    struct gt_str name;
    struct gt_val val;
};

struct exec {
    const struct gotmpl *t;
    struct gt_arena arena;
    struct gt_buf out;
    const struct gt_node *node; /* where errors point (Go's s.node) */
    struct gt_str name;         /* the template being executed */
    struct var *vars;
    size_t nvars, alloc, base; /* vars[base] is this template's "$" */
    int depth;                 /* {{template}} calls, as Go counts them */
    int nesting;               /* recursion of walk and eval_pipeline */
    unsigned long steps;
    pier_err_t *err;
    bool failed;
};

static const struct gt_val missing = {.kind = GK_MISSING};

/* Memory runs out at a cap before the machine's: one value may be
 * GT_MAX_OUTPUT bytes, everything together GT_MAX_MEMORY. */
#define OOM                                                                                        \
    "out of memory: " GT_STR(GT_MAX_MEMORY) " bytes in all, " GT_STR(GT_MAX_OUTPUT) " for a value"

static const char *ptype_name(enum gt_ptype t)
{
    switch (t) {
    case PT_STRING:
        return "string";
    case PT_INT:
        return "int";
    case PT_STRS:
        return "[]string";
    case PT_IFACE:
        return "interface {}";
    default:
        return "reflect.Value";
    }
}

/* A failure not of Go's making: a cap, or memory. */
static int limit(struct exec *x, const char *what)
{
    if (!x->failed) {
        x->failed = true;
        pier_error(x->err, 0, "template: %s", what);
    }
    return -1;
}

static int errorf(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errorf(struct exec *x, const char *fmt, ...)
{
    if (x->failed)
        return -1;
    x->failed = true;
    struct gt_buf msg = {.max = GT_MAX_OUTPUT}, ctx = {.max = GT_MAX_OUTPUT}, name = {.max = 1024};
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    int rc = gt_quote(&name, x->name, false);
    if (x->node == NULL) {
        rc = rc || gt_buf_printf(&msg, "template: %.*s: %s", (int)x->name.n, x->name.p, m ? m : "");
    } else {
        /* ErrorContext: line and byte column of the node, and its text */
        size_t pos = x->node->pos, line = 1, col = pos;
        for (size_t i = 0; i < pos; i++) {
            if (x->t->text[i] == '\n') {
                line++;
                col = pos - i - 1;
            }
        }
        rc = rc || gt_node_string(&ctx, x->node) ||
             gt_buf_printf(&msg, "template: :%zu:%zu: executing %s at <%s>: %s", line, col,
                           name.p ? name.p : "\"\"", ctx.p ? ctx.p : "", m ? m : "");
    }
    if (rc == 0 && msg.p != NULL)
        pier_error(x->err, 0, "%s", msg.p);
    else
        pier_error(x->err, ENOMEM, "template");
    free(m);
    free(msg.p);
    free(ctx.p);
    free(name.p);
    return -1;
}

static int node_text(struct exec *x, const struct gt_node *n, struct gt_buf *b)
{
    if (gt_node_string(b, n) < 0)
        return limit(x, OOM);
    return 0;
}

/* ---- variables ---- */

static int push(struct exec *x, struct gt_str name, struct gt_val v)
{
    if (x->nvars == x->alloc) {
        if (x->alloc >= GT_MAX_VARS)
            return limit(x, "more than " GT_STR(GT_MAX_VARS) " variables");
        size_t alloc = x->alloc ? x->alloc * 2 : 16;
        struct var *vars = realloc(x->vars, alloc * sizeof *vars);
        if (vars == NULL)
            return limit(x, OOM);
        x->vars = vars;
        x->alloc = alloc;
    }
    x->vars[x->nvars++] = (struct var){name, v};
    return 0;
}

static bool str_eq(struct gt_str a, struct gt_str b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static struct var *find_var(struct exec *x, struct gt_str name)
{
    for (size_t i = x->nvars; i > x->base; i--)
        if (str_eq(x->vars[i - 1].name, name))
            return &x->vars[i - 1];
    return NULL;
}

static int set_var(struct exec *x, struct gt_str name, struct gt_val v)
{
    struct var *var = find_var(x, name);
    if (var == NULL)
        return errorf(x, "undefined variable: %.*s", (int)name.n, name.p);
    var->val = v;
    return 0;
}

/* ---- evaluation ---- */

static int eval_pipeline(struct exec *x, struct gt_val dot, const struct gt_node *pipe,
                         struct gt_val *out);
static int eval_arg(struct exec *x, struct gt_val dot, enum gt_ptype typ, const struct gt_node *n,
                    struct gt_val *out);
static int walk(struct exec *x, struct gt_val dot, const struct gt_node *node);

static int not_a_function(struct exec *x, struct gt_node *const *args, size_t nargs,
                          struct gt_val final)
{
    if (nargs > 1 || final.kind != GK_MISSING) {
        struct gt_buf b = {.max = GT_MAX_OUTPUT};
        int rc = node_text(x, args[0], &b);
        if (rc == 0)
            rc = errorf(x, "can't give argument to non-function %s", b.p ? b.p : "");
        free(b.p);
        return rc;
    }
    return 0;
}

static bool has_any(struct gt_str s, const char *set)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] != '\0' && strchr(set, s.p[i]) != NULL)
            return true;
    return false;
}

/* idealConstant: a number's type when nothing asks for one */
static int ideal_constant(struct exec *x, const struct gt_node *n, struct gt_val *out)
{
    const struct gt_number *num = &n->num;
    struct gt_str s = n->text;
    x->node = n;
    bool hex_int =
        s.n > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X') && !has_any(s, "pP");
    bool rune_int = s.n > 0 && s.p[0] == '\'';
    if (num->is_complex) {
        *out = (struct gt_val){.kind = GK_COMPLEX, .u.c = {num->re, num->im}};
    } else if (num->is_float && !hex_int && !rune_int && has_any(s, ".eEpP")) {
        *out = (struct gt_val){.kind = GK_FLOAT, .u.f = num->f};
    } else if (num->is_int) {
        *out = (struct gt_val){.kind = GK_INT, .u.i = num->i};
    } else if (num->is_uint) {
        return errorf(x, "%.*s overflows int", (int)s.n, s.p);
    } else {
        *out = (struct gt_val){.kind = GK_INVALID};
    }
    return 0;
}

static struct gt_val string_val(struct gt_str s)
{
    return (struct gt_val){.kind = GK_STRING, .u.s = s};
}

/* validateType: the value as a parameter of type typ, or Go's error. */
static int validate_type(struct exec *x, struct gt_val v, enum gt_ptype typ, struct gt_val *out)
{
    if (v.kind == GK_INVALID || v.kind == GK_MISSING) {
        switch (typ) {
        case PT_NONE:
        case PT_VALUE:
        case PT_IFACE:
            *out = (struct gt_val){.kind = GK_INVALID};
            return 0;
        case PT_STRS: /* a nil []string */
            *out = (struct gt_val){.kind = GK_STRS};
            return 0;
        default:
            return errorf(x, "invalid value; expected %s", ptype_name(typ));
        }
    }
    if (typ == PT_NONE || typ == PT_VALUE || typ == PT_IFACE) {
        *out = v;
        return 0;
    }
    struct gt_val u = v.kind == GK_NIL ? v : gt_unbox(v);
    if (typ == PT_STRING && u.kind == GK_STRING) {
        *out = u;
        return 0;
    }
    if (typ == PT_INT && u.kind == GK_INT) {
        *out = u;
        return 0;
    }
    if (typ == PT_STRS && u.kind == GK_STRS) {
        *out = u;
        return 0;
    }
    if (typ == PT_STRS && u.kind == GK_ARRAY) {
        /* docker's []string fields (Args, Env, Cmd) arrive as JSON arrays:
         * one whose elements are all strings is taken as a []string */
        struct gt_str *strs = gt_alloc(&x->arena, (u.u.a.n ? u.u.a.n : 1) * sizeof *strs);
        if (strs == NULL)
            return limit(x, OOM);
        size_t i;
        for (i = 0; i < u.u.a.n; i++) {
            json_t *e = gt_array_at(&u, i);
            if (!json_is_string(e))
                break;
            strs[i] = (struct gt_str){json_string_value(e), json_string_length(e)};
        }
        if (i == u.u.a.n) {
            *out = (struct gt_val){.kind = GK_STRS, .u.ss = {strs, i}};
            return 0;
        }
    }
    return errorf(x, "wrong type for value; expected %s; got %s", ptype_name(typ),
                  gt_type_name(&u));
}

static int eval_call(struct exec *x, struct gt_val dot, const struct gt_func *f,
                     const struct gt_node *node, struct gt_node *const *args, size_t nargs,
                     struct gt_val final, struct gt_val *out);

static int eval_function(struct exec *x, struct gt_val dot, const struct gt_node *ident,
                         const struct gt_node *cmd, struct gt_node *const *args, size_t nargs,
                         struct gt_val final, struct gt_val *out)
{
    x->node = ident;
    const struct gt_func *f = gt_find_func(ident->text);
    if (f == NULL)
        return errorf(x, "\"%.*s\" is not a defined function", (int)ident->text.n, ident->text.p);
    return eval_call(x, dot, f, cmd, args, nargs, final, out);
}

/* A field given arguments on an object: pier's stand-in for the methods of
 * docker's formatter rows, `{{.Label "k"}}` looking "k" up in the Label
 * member.  A missing key is "", as those methods return. */
static int eval_method(struct exec *x, struct gt_val dot, struct gt_str name, json_t *member,
                       struct gt_node *const *args, size_t nargs, struct gt_val final,
                       struct gt_val *out)
{
    size_t num_in = (nargs > 0 ? nargs - 1 : 0) + (final.kind != GK_MISSING);
    if (num_in != 1)
        return errorf(x, "wrong number of args for %.*s: want 1 got %zu", (int)name.n, name.p,
                      num_in);
    struct gt_val key;
    int rc = nargs > 1 ? eval_arg(x, dot, PT_STRING, args[1], &key)
                       : validate_type(x, final, PT_STRING, &key);
    if (rc < 0)
        return -1;
    json_t *j = json_is_object(member) ? json_object_getn(member, key.u.s.p, key.u.s.n) : NULL;
    *out = j != NULL ? gt_from_json(j, true) : string_val((struct gt_str){"", 0});
    return 0;
}

/* evalField: .Name on receiver, perhaps with arguments */
static int eval_field(struct exec *x, struct gt_val dot, struct gt_str name,
                      struct gt_node *const *args, size_t nargs, struct gt_val final,
                      struct gt_val receiver, struct gt_val *out)
{
    if (receiver.kind == GK_INVALID || receiver.kind == GK_MISSING) {
        *out = (struct gt_val){.kind = GK_INVALID}; /* nil data: no entry, no error */
        return 0;
    }
    const char *typ = gt_type_name(&receiver);
    if (receiver.kind == GK_NIL)
        return errorf(x, "nil pointer evaluating %s.%.*s", typ, (int)name.n, name.p);
    struct gt_val r = gt_unbox(receiver);
    bool has_args = nargs > 1 || final.kind != GK_MISSING;
    if (r.kind == GK_MAP) {
        json_t *j = json_object_getn(r.u.obj, name.p, name.n);
        if (has_args) {
            if (json_is_object(j) || json_is_null(j))
                return eval_method(x, dot, name, j, args, nargs, final, out);
            return errorf(x, "%.*s is not a method but has arguments", (int)name.n, name.p);
        }
        *out = j != NULL ? gt_from_json(j, true) : (struct gt_val){.kind = GK_INVALID};
        return 0;
    }
    return errorf(x, "can't evaluate field %.*s in type %s", (int)name.n, name.p, typ);
}

static int eval_field_chain(struct exec *x, struct gt_val dot, struct gt_val receiver,
                            const struct gt_str *ident, size_t n, struct gt_node *const *args,
                            size_t nargs, struct gt_val final, struct gt_val *out)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (eval_field(x, dot, ident[i], NULL, 0, missing, receiver, &receiver) < 0)
            return -1;
    return eval_field(x, dot, ident[n - 1], args, nargs, final, receiver, out);
}

static int eval_field_node(struct exec *x, struct gt_val dot, const struct gt_node *field,
                           struct gt_node *const *args, size_t nargs, struct gt_val final,
                           struct gt_val *out)
{
    x->node = field;
    return eval_field_chain(x, dot, dot, field->ident, field->nident, args, nargs, final, out);
}

static int eval_chain_node(struct exec *x, struct gt_val dot, const struct gt_node *chain,
                           struct gt_node *const *args, size_t nargs, struct gt_val final,
                           struct gt_val *out)
{
    x->node = chain;
    if (chain->nident == 0)
        return errorf(x, "internal error: no fields in evalChainNode");
    if (chain->pipe->type == N_NIL) {
        struct gt_buf b = {.max = GT_MAX_OUTPUT};
        int rc = node_text(x, chain, &b);
        if (rc == 0)
            rc = errorf(x, "indirection through explicit nil in %s", b.p ? b.p : "");
        free(b.p);
        return rc;
    }
    struct gt_val pipe;
    if (eval_arg(x, dot, PT_NONE, chain->pipe, &pipe) < 0)
        return -1;
    return eval_field_chain(x, dot, pipe, chain->ident, chain->nident, args, nargs, final, out);
}

static int eval_variable_node(struct exec *x, struct gt_val dot, const struct gt_node *var,
                              struct gt_node *const *args, size_t nargs, struct gt_val final,
                              struct gt_val *out)
{
    x->node = var;
    struct var *v = find_var(x, var->ident[0]);
    if (v == NULL)
        return errorf(x, "undefined variable: %.*s", (int)var->ident[0].n, var->ident[0].p);
    if (var->nident == 1) {
        if (not_a_function(x, args, nargs, final) < 0)
            return -1;
        *out = v->val;
        return 0;
    }
    return eval_field_chain(x, dot, v->val, var->ident + 1, var->nident - 1, args, nargs, final,
                            out);
}

static int eval_empty_interface(struct exec *x, struct gt_val dot, const struct gt_node *n,
                                struct gt_val *out)
{
    x->node = n;
    switch (n->type) {
    case N_BOOL:
        *out = (struct gt_val){.kind = GK_BOOL, .u.b = n->b};
        return 0;
    case N_DOT:
        *out = dot;
        return 0;
    case N_FIELD:
        return eval_field_node(x, dot, n, NULL, 0, missing, out);
    case N_IDENT:
        return eval_function(x, dot, n, n, NULL, 0, missing, out);
    case N_NUMBER:
        return ideal_constant(x, n, out);
    case N_STRING:
        *out = string_val(n->str);
        return 0;
    case N_VARIABLE:
        return eval_variable_node(x, dot, n, NULL, 0, missing, out);
    case N_PIPE:
        return eval_pipeline(x, dot, n, out);
    default:
        return errorf(x, "can't handle assignment to empty interface argument");
    }
}

static int literal_mismatch(struct exec *x, const char *what, const struct gt_node *n)
{
    struct gt_buf b = {.max = GT_MAX_OUTPUT};
    int rc = node_text(x, n, &b);
    if (rc == 0)
        rc = errorf(x, what, b.p ? b.p : "");
    free(b.p);
    return rc;
}

/* evalArg: an operand as a parameter of type typ */
static int eval_arg(struct exec *x, struct gt_val dot, enum gt_ptype typ, const struct gt_node *n,
                    struct gt_val *out)
{
    x->node = n;
    struct gt_val v;
    int rc = 1;
    switch (n->type) {
    case N_DOT:
        return validate_type(x, dot, typ, out);
    case N_NIL:
        if (typ == PT_VALUE || typ == PT_IFACE || typ == PT_STRS || typ == PT_NONE)
            return validate_type(x, (struct gt_val){.kind = GK_INVALID}, typ, out);
        return errorf(x, "cannot assign nil to %s", ptype_name(typ));
    case N_FIELD: {
        struct gt_node *self[1] = {(struct gt_node *)n};
        rc = eval_field_node(x, dot, n, self, 1, missing, &v);
        break;
    }
    case N_VARIABLE:
        rc = eval_variable_node(x, dot, n, NULL, 0, missing, &v);
        break;
    case N_PIPE:
        rc = eval_pipeline(x, dot, n, &v);
        break;
    case N_IDENT:
        rc = eval_function(x, dot, n, n, NULL, 0, missing, &v);
        break;
    case N_CHAIN:
        rc = eval_chain_node(x, dot, n, NULL, 0, missing, &v);
        break;
    default:
        break;
    }
    if (rc < 0)
        return -1;
    if (rc == 0)
        return validate_type(x, v, typ, out);
    switch (typ) {
    case PT_STRING:
        if (n->type == N_STRING) {
            *out = string_val(n->str);
            return 0;
        }
        return literal_mismatch(x, "expected string; found %s", n);
    case PT_INT:
        if (n->type == N_NUMBER && n->num.is_int) {
            *out = (struct gt_val){.kind = GK_INT, .u.i = n->num.i};
            return 0;
        }
        return literal_mismatch(x, "expected integer; found %s", n);
    case PT_VALUE:
    case PT_IFACE:
        return eval_empty_interface(x, dot, n, out);
    default:
        return literal_mismatch(x, "can't handle %s for arg of type []string", n);
    }
}

/* A value's text as reflect.Value.String() gives it, for `call`. */
static const char *value_string(struct exec *x, struct gt_val v)
{
    v = gt_unbox(v);
    if (v.kind == GK_STRING)
        return gt_strndup(&x->arena, v.u.s.p, v.u.s.n);
    char *s = NULL;
    if (asprintf(&s, "<%s Value>", v.kind == GK_INVALID ? "invalid" : gt_type_name(&v)) < 0)
        return NULL;
    char *copy = gt_strndup(&x->arena, s, strlen(s));
    free(s);
    return copy;
}

/* evalCall: checks the arguments against the function's parameters,
 * evaluates them in order and calls it. */
static int eval_call(struct exec *x, struct gt_val dot, const struct gt_func *f,
                     const struct gt_node *node, struct gt_node *const *args, size_t nargs,
                     struct gt_val final, struct gt_val *out)
{
    if (args != NULL) { /* args[0] is the function's own name */
        args++;
        nargs--;
    }
    bool has_final = final.kind != GK_MISSING;
    size_t num_in = nargs + has_final, num_fixed = nargs;
    const char *name = f->name;
    if (f->variadic) {
        num_fixed = (size_t)f->nin - 1;
        if (num_in < num_fixed)
            return errorf(x, "wrong number of args for %s: want at least %d got %zu", name,
                          f->nin - 1, nargs);
    } else if (num_in != (size_t)f->nin) {
        return errorf(x, "wrong number of args for %s: want %d got %zu", name, f->nin, num_in);
    }

    if (f->fn == NULL) { /* and, or: short-circuit, returning the deciding operand */
        bool is_or = name[0] == 'o';
        struct gt_val v = {.kind = GK_INVALID};
        for (size_t i = 0; i < nargs; i++) {
            if (eval_arg(x, dot, PT_VALUE, args[i], &v) < 0)
                return -1;
            if (gt_truth(v) == is_or) {
                *out = v;
                return 0;
            }
        }
        if (has_final)
            v = final;
        *out = v;
        return 0;
    }

    struct gt_val small[8];
    struct gt_val *argv = num_in <= 8 ? small : gt_alloc(&x->arena, num_in * sizeof *argv);
    if (argv == NULL)
        return limit(x, OOM);
    size_t i = 0;
    for (; i < num_fixed && i < nargs; i++)
        if (eval_arg(x, dot, f->in[i], args[i], &argv[i]) < 0)
            return -1;
    enum gt_ptype elem = f->in[f->nin - 1];
    if (f->variadic)
        for (; i < nargs; i++)
            if (eval_arg(x, dot, elem, args[i], &argv[i]) < 0)
                return -1;
    if (has_final) {
        enum gt_ptype t = f->in[f->nin - 1];
        if (f->variadic && num_in - 1 < num_fixed)
            t = f->in[num_in - 1];
        if (validate_type(x, final, t, &argv[i]) < 0)
            return -1;
    }

    struct gt_call call = {.arena = &x->arena, .msg = {.max = GT_MAX_OUTPUT}, .callee = ""};
    if (strcmp(name, "call") == 0) {
        struct gt_buf b = {.max = GT_MAX_OUTPUT};
        if (nargs == 0) {
            call.callee = value_string(x, final);
        } else if (node_text(x, args[0], &b) == 0) {
            call.callee = gt_strndup(&x->arena, b.p ? b.p : "", b.len);
        }
        free(b.p);
        if (call.callee == NULL)
            return limit(x, OOM);
    }
    int rc = f->fn(&call, argv, num_in, out);
    if (rc == GT_CALL_ERROR) {
        x->node = node;
        errorf(x, "error calling %s: %s", name, call.msg.p ? call.msg.p : "");
    } else if (rc != 0) {
        limit(x, OOM);
    }
    free(call.msg.p);
    return rc == 0 ? 0 : -1;
}

static int eval_command(struct exec *x, struct gt_val dot, const struct gt_node *cmd,
                        struct gt_val final, struct gt_val *out)
{
    const struct gt_node *first = cmd->kid[0];
    switch (first->type) {
    case N_FIELD:
        return eval_field_node(x, dot, first, cmd->kid, cmd->nkid, final, out);
    case N_CHAIN:
        return eval_chain_node(x, dot, first, cmd->kid, cmd->nkid, final, out);
    case N_IDENT:
        return eval_function(x, dot, first, cmd, cmd->kid, cmd->nkid, final, out);
    case N_PIPE:
        if (not_a_function(x, cmd->kid, cmd->nkid, final) < 0)
            return -1;
        return eval_pipeline(x, dot, first, out);
    case N_VARIABLE:
        return eval_variable_node(x, dot, first, cmd->kid, cmd->nkid, final, out);
    default:
        break;
    }
    x->node = first;
    if (not_a_function(x, cmd->kid, cmd->nkid, final) < 0)
        return -1;
    switch (first->type) {
    case N_BOOL:
        *out = (struct gt_val){.kind = GK_BOOL, .u.b = first->b};
        return 0;
    case N_DOT:
        *out = dot;
        return 0;
    case N_NIL:
        return errorf(x, "nil is not a command");
    case N_NUMBER:
        return ideal_constant(x, first, out);
    case N_STRING:
        *out = string_val(first->str);
        return 0;
    default:
        return literal_mismatch(x, "can't evaluate command %s", first);
    }
}

/* evalPipeline: each command's value is the next one's final argument;
 * declared variables are pushed (or assigned) with the result. */
static int eval_pipeline_body(struct exec *x, struct gt_val dot, const struct gt_node *pipe,
                              struct gt_val *out)
{
    struct gt_val value = missing;
    if (pipe == NULL) {
        *out = (struct gt_val){.kind = GK_INVALID};
        return 0;
    }
    x->node = pipe;
    for (size_t i = 0; i < pipe->nkid; i++) {
        if (eval_command(x, dot, pipe->kid[i], value, &value) < 0)
            return -1;
        value = gt_unbox(value); /* out of the interface{}, as Go digs down */
    }
    for (size_t i = 0; i < pipe->ndecl; i++) {
        int rc = pipe->is_assign ? set_var(x, pipe->decl[i]->ident[0], value)
                                 : push(x, pipe->decl[i]->ident[0], value);
        if (rc < 0)
            return -1;
    }
    *out = value;
    return 0;
}

/* Recursion through pipelines and actions is bounded: a recursive template
 * nests them, and the C stack is not Go's growable one. */
static int enter(struct exec *x)
{
    if (x->nesting >= GT_MAX_NESTING)
        return limit(x, "execution nested more than " GT_STR(GT_MAX_NESTING) " deep");
    x->nesting++;
    return 0;
}

static int eval_pipeline(struct exec *x, struct gt_val dot, const struct gt_node *pipe,
                         struct gt_val *out)
{
    if (enter(x) < 0)
        return -1;
    int rc = eval_pipeline_body(x, dot, pipe, out);
    x->nesting--;
    return rc;
}

/* ---- walking ---- */

static int write_out(struct exec *x, const char *s, size_t n)
{
    if (gt_buf_put(&x->out, s, n) < 0)
        return limit(x, "output larger than " GT_STR(GT_MAX_OUTPUT) " bytes");
    return 0;
}

static int print_value(struct exec *x, const struct gt_node *n, struct gt_val v)
{
    x->node = n;
    if (v.kind == GK_INVALID || v.kind == GK_MISSING)
        return write_out(x, "<no value>", 10);
    int rc = gt_fmt_value(&x->out, &v, 'v');
    if (rc == GT_FMT_DEEP)
        return limit(x, "a value nested deeper than " GT_STR(GT_MAX_VALUE_DEPTH));
    if (rc < 0)
        return limit(x, "output larger than " GT_STR(GT_MAX_OUTPUT) " bytes");
    return 0;
}

static int step(struct exec *x)
{
    if (++x->steps > GT_MAX_STEPS)
        return limit(x, "execution takes more than " GT_STR(GT_MAX_STEPS) " steps");
    return 0;
}

static int walk_if_or_with(struct exec *x, struct gt_val dot, const struct gt_node *node)
{
    size_t mark = x->nvars;
    struct gt_val val;
    int rc = eval_pipeline(x, dot, node->pipe, &val);
    if (rc == 0) {
        if (gt_truth(val))
            rc = walk(x, node->type == N_WITH ? val : dot, node->list);
        else if (node->else_list != NULL)
            rc = walk(x, dot, node->else_list);
    }
    x->nvars = mark;
    return rc;
}

struct range {
    const struct gt_node *r;
    size_t mark;
};

/* One pass of a range body: bind the variables, walk, drop what it declared. */
static int one_iteration(struct exec *x, const struct range *rg, struct gt_val index,
                         struct gt_val elem)
{
    const struct gt_node *pipe = rg->r->pipe;
    int rc = 0;
    if (pipe->ndecl > 0) {
        if (pipe->is_assign)
            rc = set_var(x, pipe->decl[0]->ident[0], pipe->ndecl > 1 ? index : elem);
        else
            x->vars[x->nvars - 1].val = elem; /* lexically the last */
    }
    if (rc == 0 && pipe->ndecl > 1) {
        if (pipe->is_assign)
            rc = set_var(x, pipe->decl[1]->ident[0], elem);
        else
            x->vars[x->nvars - 2].val = index;
    }
    if (rc == 0)
        rc = step(x);
    if (rc == 0)
        rc = walk(x, elem, rg->r->list);
    x->nvars = rg->mark;
    return rc == WALK_CONTINUE ? WALK_OK : rc;
}

static int walk_range(struct exec *x, struct gt_val dot, const struct gt_node *r)
{
    x->node = r;
    size_t mark0 = x->nvars;
    struct gt_val val;
    int rc = eval_pipeline(x, dot, r->pipe, &val);
    struct range rg = {r, x->nvars};
    bool ran = false;
    if (rc < 0)
        goto out;
    switch (val.kind) {
    case GK_INT:
    case GK_UINT8: /* Go 1.24: range over an integer */
        if (r->pipe->ndecl > 1) {
            struct gt_buf b = {.max = GT_MAX_OUTPUT};
            rc = gt_fmt_value(&b, &val, 'v') < 0
                     ? limit(x, OOM)
                     : errorf(x, "can't use %s to iterate over more than one variable", b.p);
            free(b.p);
            goto out;
        }
        for (int64_t i = 0; i < val.u.i && rc == 0; i++) {
            struct gt_val e = val;
            e.u.i = i;
            rc = one_iteration(x, &rg, (struct gt_val){.kind = GK_INVALID}, e);
            ran = true;
        }
        break;
    case GK_ARRAY:
    case GK_STRS:
        for (size_t i = 0; i < gt_len(&val) && rc == 0; i++) {
            struct gt_val e = val.kind == GK_ARRAY ? gt_from_json(gt_array_at(&val, i), true)
                                                   : string_val(val.u.ss.v[i]);
            rc = one_iteration(x, &rg, (struct gt_val){.kind = GK_INT, .u.i = (int64_t)i}, e);
            ran = true;
        }
        break;
    case GK_MAP: {
        size_t n;
        struct gt_str *keys = gt_sorted_keys(val.u.obj, &n);
        if (keys == NULL) {
            rc = limit(x, OOM);
            goto out;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *j = json_object_getn(val.u.obj, keys[i].p, keys[i].n);
            rc = one_iteration(x, &rg, string_val(keys[i]), gt_from_json(j, true));
            ran = true;
        }
        free(keys);
        break;
    }
    case GK_INVALID:
        break; /* like an empty map */
    default: {
        struct gt_buf b = {.max = GT_MAX_OUTPUT};
        rc = gt_fmt_value(&b, &val, 'v') < 0 ? limit(x, OOM)
                                             : errorf(x, "range can't iterate over %s", b.p);
        free(b.p);
        goto out;
    }
    }
    if (rc == WALK_BREAK)
        rc = WALK_OK;
    else if (rc == 0 && !ran && r->else_list != NULL)
        rc = walk(x, dot, r->else_list);
out:
    x->nvars = mark0;
    return rc;
}

static int walk_template(struct exec *x, struct gt_val dot, const struct gt_node *t)
{
    x->node = t;
    const struct gt_tree *tree = gt_lookup(x->t, t->str.p, t->str.n);
    if (tree == NULL) {
        struct gt_buf q = {.max = GT_MAX_OUTPUT};
        int rc = gt_quote(&q, t->str, false) < 0 ? limit(x, OOM)
                                                 : errorf(x, "template %s not defined", q.p);
        free(q.p);
        return rc;
    }
    if (x->depth >= GT_MAX_EXEC_DEPTH)
        return errorf(x, "exceeded maximum template depth (%d)", GT_MAX_EXEC_DEPTH);
    struct gt_val newdot;
    if (eval_pipeline(x, dot, t->pipe, &newdot) < 0) /* its variables persist */
        return -1;
    /* no dynamic scoping: the callee sees only its own $ */
    size_t base = x->base, nvars = x->nvars;
    struct gt_str name = x->name;
    const struct gt_node *node = x->node;
    if (push(x, (struct gt_str){"$", 1}, newdot) < 0)
        return -1;
    x->base = nvars;
    x->name = tree->name;
    x->depth++;
    int rc = walk(x, newdot, tree->root);
    x->depth--;
    x->name = name;
    x->base = base;
    x->nvars = nvars;
    if (rc == 0)
        x->node = node;
    return rc < 0 ? -1 : 0;
}

static int walk_node(struct exec *x, struct gt_val dot, const struct gt_node *node)
{
    switch (node->type) {
    case N_ACTION: {
        /* variables declared here persist to the enclosing {{end}} */
        struct gt_val val;
        if (eval_pipeline(x, dot, node->pipe, &val) < 0)
            return -1;
        if (node->pipe->ndecl == 0)
            return print_value(x, node, val);
        return 0;
    }
    case N_BREAK:
        return WALK_BREAK;
    case N_CONTINUE:
        return WALK_CONTINUE;
    case N_IF:
    case N_WITH:
        return walk_if_or_with(x, dot, node);
    case N_LIST:
        for (size_t i = 0; i < node->nkid; i++) {
            int rc = walk(x, dot, node->kid[i]);
            if (rc != 0)
                return rc;
        }
        return 0;
    case N_RANGE:
        return walk_range(x, dot, node);
    case N_TEMPLATE:
        return walk_template(x, dot, node);
    case N_TEXT:
        return write_out(x, node->text.p, node->text.n);
    default:
        return 0;
    }
}

static int walk(struct exec *x, struct gt_val dot, const struct gt_node *node)
{
    x->node = node;
    if (step(x) < 0 || enter(x) < 0)
        return -1;
    int rc = walk_node(x, dot, node);
    x->nesting--;
    return rc;
}

int gotmpl_exec(const struct gotmpl *t, json_t *data, char **out, size_t *len, pier_err_t *err)
{
    struct exec x = {
        .t = t,
        .arena = {.max = GT_MAX_MEMORY},
        .out = {.max = GT_MAX_OUTPUT},
        .err = err,
    };
    const struct gt_tree *top = gt_lookup(t, "", 0);
    struct gt_val dot =
        data != NULL ? gt_from_json(data, false) : (struct gt_val){.kind = GK_INVALID};
    int rc = -1;
    if (top == NULL || top->root == NULL) {
        pier_error(err, 0, "template: \"\" is an incomplete or empty template");
    } else if (push(&x, (struct gt_str){"$", 1}, dot) == 0) {
        struct gt_locale loc;
        gt_locale_enter(&loc);
        rc = walk(&x, dot, top->root) < 0 ? -1 : 0;
        gt_locale_leave(&loc);
        if (rc == 0 && gt_buf_put(&x.out, "", 0) < 0) /* NUL-terminated even when empty */
            rc = limit(&x, "out of memory");
    }
    gt_arena_free(&x.arena);
    free(x.vars);
    if (rc < 0) {
        free(x.out.p);
        return -1;
    }
    *out = x.out.p;
    *len = x.out.len;
    return 0;
}
