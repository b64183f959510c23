#include "format.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "json_go.h"
#include "tabwriter.h"

void fmt_label_header(const char *label, char *out, size_t cap)
{
    const char *dot = strrchr(label, '.');
    const char *last = dot ? dot + 1 : label;
    snprintf(out, cap, "%s", last);
    for (char *p = out; *p; p++)
        if (*p == '-' || *p == '_')
            *p = ' ';
}

/* The template's `.Label "x"` uses get the header's Label object, so that
 * the header row shows docker's column name for them. */
static void add_label_headers(json_t *header, const char *tmpl)
{
    json_t *labels = json_object();
    const char *p = tmpl;
    while ((p = strstr(p, ".Label")) != NULL) {
        p += 6;
        while (*p == ' ')
            p++;
        if (*p != '"')
            continue;
        const char *e = strchr(p + 1, '"');
        if (e == NULL)
            break;
        char key[256], h[256];
        snprintf(key, sizeof key, "%.*s", (int)(e - p - 1), p + 1);
        fmt_label_header(key, h, sizeof h);
        json_object_set_new(labels, key, json_string(h));
        p = e + 1;
    }
    json_object_set_new(header, "Label", labels);
}

static bool header_func(const char *w, size_t n)
{
    static const char *const names[] = {"json",  "split", "join",    "title",
                                        "lower", "upper", "truncate"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], w, n) == 0)
            return true;
    return false;
}

/* Split an action's text into words, quoted strings kept whole. */
static size_t words(const char *p, size_t n, const char **w, size_t *wl, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n && k < max) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i >= n)
            break;
        size_t s = i;
        if (p[i] == '"' || p[i] == '`') {
            char q = p[i++];
            while (i < n && p[i] != q)
                i += p[i] == '\\' && q == '"' ? 2 : 1;
            i++;
        } else {
            while (i < n && p[i] != ' ' && p[i] != '\t')
                i++;
        }
        w[k] = p + s;
        wl[k++] = (i > n ? n : i) - s;
    }
    return k;
}

/* The header row runs the template with docker's HeaderFunctions, which
 * return their first argument unchanged: `{{upper .Names}}` heads its
 * column with NAMES, not names.  Done here by dropping those calls. */
static char *header_template(const char *t)
{
    struct buf b = BUF_INIT;
    const char *p = t;
    for (;;) {
        const char *o = strstr(p, "{{");
        if (o == NULL) {
            buf_puts(&b, p);
            break;
        }
        const char *c = strstr(o + 2, "}}");
        if (c == NULL) {
            buf_puts(&b, p);
            break;
        }
        buf_put(&b, p, (size_t)(o - p));
        const char *in = o + 2, *end = c;
        bool ltrim = *in == '-', rtrim = end > in && end[-1] == '-';
        if (ltrim)
            in++;
        if (rtrim)
            end--;
        const char *w[32];
        size_t wl[32];
        size_t nw = words(in, (size_t)(end - in), w, wl, 32);
        buf_puts(&b, ltrim ? "{{- " : "{{");
        /* "f X args" -> "X"; "X | f args" -> "X" */
        size_t i = 0;
        bool first = true;
        while (i < nw) {
            size_t seg = i;
            while (seg < nw && !(wl[seg] == 1 && w[seg][0] == '|'))
                seg++;
            size_t from = i, to = seg;
            if (to > from && header_func(w[from], wl[from])) {
                if (to - from >= 2) {
                    if (!first)
                        buf_puts(&b, " | ");
                    buf_put(&b, w[from + 1], wl[from + 1]);
                    first = false;
                }
            } else if (to > from) {
                if (!first)
                    buf_puts(&b, " | ");
                for (size_t k = from; k < to; k++) {
                    if (k > from)
                        buf_putc(&b, ' ');
                    buf_put(&b, w[k], wl[k]);
                }
                first = false;
            }
            i = seg + 1;
        }
        buf_puts(&b, rtrim ? " -}}" : "}}");
        p = c + 2;
    }
    return buf_steal(&b);
}

int fmt_begin(struct fmt_ctx *f, const char *format, json_t *header, pier_err_t *err)
{
    memset(f, 0, sizeof *f);
    f->rows = (struct buf)BUF_INIT;
    f->header = header;
    const char *t = format;
    if (strncmp(format, "table", 5) == 0) {
        f->table = true;
        t = format + 5;
    } else if (strcmp(format, "json") == 0) {
        t = "{{json .}}";
    }
    /* strings.Trim(" "), then \t and \n written as escapes become real */
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ')
        n--;
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\\' && i + 1 < n && (t[i + 1] == 't' || t[i + 1] == 'n')) {
            buf_putc(&b, t[i + 1] == 't' ? '\t' : '\n');
            i++;
        } else {
            buf_putc(&b, t[i]);
        }
    }
    f->final = buf_steal(&b);
    f->json_lines = strcmp(f->final, "{{json .}}") == 0;
    if (header)
        add_label_headers(header, f->final);
    if (gotmpl_parse(f->final, &f->tmpl, err) < 0)
        return pier_error_wrap(err, "template parsing error");
    return 0;
}

int fmt_row(struct fmt_ctx *f, json_t *row, pier_err_t *err)
{
    char *out = NULL;
    size_t len = 0;
    if (f->json_lines) {
        /* docker's contexts marshal themselves with json.Marshal, whose
         * HTML escaping ("\u003cnone\u003e") the template's json lacks */
        json_object_del(row, "Label");
        json_go_marshal(row, NULL, &f->rows);
        buf_putc(&f->rows, '\n');
        return 0;
    }
    if (f->type && !f->checked) {
        f->checked = true;
        if (tmpl_check(f->final, "", f->type, err) < 0)
            return pier_error_wrap(err, "template parsing error");
    }
    if (gotmpl_exec(f->tmpl, row, &out, &len, err) < 0)
        return pier_error_wrap(err, "template parsing error");
    buf_put(&f->rows, out, len);
    buf_putc(&f->rows, '\n');
    free(out);
    return 0;
}

int fmt_end(struct fmt_ctx *f, FILE *out, pier_err_t *err)
{
    if (!f->table) {
        if (f->rows.len)
            fwrite(f->rows.data, 1, f->rows.len, out);
        return 0;
    }
    cleanup_buf struct buf all = BUF_INIT;
    char *h = NULL;
    size_t hl = 0;
    pier_err_t herr = NULL;
    /* docker ignores a header that fails to render */
    char *ht = header_template(f->final);
    struct gotmpl *htmpl = NULL;
    if (f->header && ht && gotmpl_parse(ht, &htmpl, &herr) == 0 &&
        gotmpl_exec(htmpl, f->header, &h, &hl, &herr) == 0)
        buf_put(&all, h, hl);
    if (htmpl)
        gotmpl_free(htmpl);
    free(ht);
    pier_error_free(&herr);
    free(h);
    buf_putc(&all, '\n');
    if (f->rows.len)
        buf_put(&all, f->rows.data, f->rows.len);
    cleanup_buf struct buf tw = BUF_INIT;
    if (tabwriter_format(&TW_TABLE, all.data, all.len, &tw) < 0)
        return pier_error(err, 0, "out of memory formatting a table");
    fwrite(tw.data, 1, tw.len, out);
    return 0;
}

void fmt_free(struct fmt_ctx *f)
{
    if (f->tmpl)
        gotmpl_free(f->tmpl);
    f->tmpl = NULL;
    free(f->final);
    f->final = NULL;
    if (f->header)
        json_decref(f->header);
    f->header = NULL;
    buf_free(&f->rows);
}

int cli_template(const char *format, json_t *data, struct buf *out, pier_err_t *err)
{
    struct gotmpl *t = NULL;
    if (gotmpl_parse(format, &t, err) < 0)
        return pier_error_wrap(err, "template parsing error");
    char *o = NULL;
    size_t l = 0;
    int rc = gotmpl_exec(t, data, &o, &l, err);
    gotmpl_free(t);
    if (rc < 0)
        return pier_error_wrap(err, "template parsing error");
    buf_put(out, o, l);
    free(o);
    return 0;
}
