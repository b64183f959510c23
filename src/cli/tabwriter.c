/* Go's text/tabwriter (docker's copy, which measures cells with
 * go-runewidth), for tables that line up byte for byte with docker's:
 * elastic tabstops over tab-terminated cells, a line with a single cell
 * ending the column block. */
#include "tabwriter.h"

#include <stdlib.h>
#include <string.h>

struct cell {
    size_t size;  /* bytes */
    size_t width; /* display width */
    bool htab;
};

struct line {
    struct cell *cells;
    size_t n, cap;
};

struct tw {
    const struct tw_opts *o;
    struct buf *out;
    const char *text; /* all cell text, tabs and newlines stripped */
    struct line *lines;
    size_t nlines;
    size_t *widths;
    size_t nwidths;
};

/* East Asian wide and fullwidth ranges (the common ones): width 2. */
static size_t rune_width(unsigned cp)
{
    if (cp == 0)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
        (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
        (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
        (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    /* combining marks take no room */
    if ((cp >= 0x300 && cp <= 0x36f) || cp == 0x200b)
        return 0;
    return 1;
}

size_t tw_text_width(const char *s, size_t n)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        int len = c < 0x80             ? 1
                  : (c & 0xe0) == 0xc0 ? 2
                  : (c & 0xf0) == 0xe0 ? 3
                  : (c & 0xf8) == 0xf0 ? 4
                                       : 1;
        if (p + len > end)
            len = 1;
        unsigned cp = c;
        if (len > 1) {
            cp = c & (0x7f >> len);
            for (int i = 1; i < len; i++)
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        w += len == 1 && c >= 0x80 ? 1 : rune_width(cp);
        p += len;
    }
    return w;
}

static void pad(struct tw *t, size_t textw, size_t cellw)
{
    if (t->o->padchar == '\t') {
        if (t->o->tabwidth == 0)
            return;
        cellw = (cellw + t->o->tabwidth - 1) / t->o->tabwidth * t->o->tabwidth;
        size_t n = cellw - textw;
        for (size_t i = 0; i < (n + t->o->tabwidth - 1) / t->o->tabwidth; i++)
            buf_putc(t->out, '\t');
        return;
    }
    for (size_t i = textw; i < cellw; i++)
        buf_putc(t->out, t->o->padchar);
}

static size_t write_lines(struct tw *t, size_t pos, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        struct line *l = &t->lines[i];
        for (size_t j = 0; j < l->n; j++) {
            struct cell *c = &l->cells[j];
            if (c->size == 0) {
                if (j < t->nwidths)
                    pad(t, c->width, t->widths[j]);
            } else if (!t->o->align_right) {
                buf_put(t->out, t->text + pos, c->size);
                pos += c->size;
                if (j < t->nwidths)
                    pad(t, c->width, t->widths[j]);
            } else {
                if (j < t->nwidths)
                    pad(t, c->width, t->widths[j]);
                buf_put(t->out, t->text + pos, c->size);
                pos += c->size;
            }
        }
        if (i + 1 == t->nlines) {
            /* the last line has no newline: nothing is left over, since
             * the caller terminated the final cell */
        } else {
            buf_putc(t->out, '\n');
        }
    }
    return pos;
}

static size_t format(struct tw *t, size_t pos, size_t line0, size_t line1)
{
    size_t column = t->nwidths;
    for (size_t this = line0; this < line1; this ++) {
        struct line *l = &t->lines[this];
        if (column + 1 >= l->n)
            continue;
        /* a cell in this column: the lines before start no block */
        pos = write_lines(t, pos, line0, this);
        line0 = this;
        size_t width = t->o->minwidth;
        bool discardable = true;
        for (; this < line1; this ++) {
            l = &t->lines[this];
            if (column + 1 >= l->n)
                break;
            struct cell *c = &l->cells[column];
            if (c->width + t->o->padding > width)
                width = c->width + t->o->padding;
            if (c->width > 0 || c->htab)
                discardable = false;
        }
        if (discardable && t->o->discard_empty)
            width = 0;
        t->widths[t->nwidths++] = width;
        pos = format(t, pos, line0, this);
        t->nwidths--;
        line0 = this;
    }
    return write_lines(t, pos, line0, line1);
}

static bool add_cell(struct line *l, struct cell c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct cell *nc = realloc(l->cells, cap * sizeof *nc);
        if (nc == NULL)
            return false;
        l->cells = nc;
        l->cap = cap;
    }
    l->cells[l->n++] = c;
    return true;
}

/* Format one flushed block: the lines collected so far. */
static void flush_block(struct tw *t)
{
    if (t->nlines == 0)
        return;
    format(t, 0, 0, t->nlines);
}

/* Take the cells of one input; whenever a line with a single cell ends
 * (or a form feed comes) the block so far is formatted and dropped, as Go's
 * Write does: such a line cannot affect the alignment of what follows. */
static int run(struct tw *t, const char *in, size_t n, char *text)
{
    const struct tw_opts *o = t->o;
    size_t tlen = 0;       /* text bytes of the current block */
    size_t cell_start = 0; /* where the current cell's text starts */
    size_t measured = 0;   /* up to where its width was counted */
    size_t width = 0;
    bool in_escape = false;
    t->text = text;
    t->nlines = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (in_escape) {
            if ((unsigned char)ch == 0xff) {
                in_escape = false;
                if (!o->strip_escape)
                    text[tlen++] = ch;
                width += tw_text_width(text + measured, tlen - measured);
                if (!o->strip_escape)
                    width -= 2;
                measured = tlen;
            } else {
                text[tlen++] = ch;
            }
            continue;
        }
        if ((unsigned char)ch == 0xff) {
            width += tw_text_width(text + measured, tlen - measured);
            measured = tlen;
            if (!o->strip_escape)
                text[tlen++] = ch;
            in_escape = true;
            continue;
        }
        if (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f') {
            text[tlen++] = ch;
            continue;
        }
        width += tw_text_width(text + measured, tlen - measured);
        struct cell c = {.size = tlen - cell_start, .width = width, .htab = ch == '\t'};
        struct line *l = &t->lines[t->nlines - 1];
        if (!add_cell(l, c))
            return -1;
        cell_start = measured = tlen;
        width = 0;
        if (ch != '\n' && ch != '\f')
            continue;
        if (ch == '\f' || l->n == 1) {
            flush_block(t);
            buf_putc(t->out, '\n');
            for (size_t k = 0; k < t->nlines; k++) {
                free(t->lines[k].cells);
                t->lines[k] = (struct line){0};
            }
            t->nlines = 1;
            /* the next block's text starts after this one's */
            text += tlen;
            t->text = text;
            tlen = cell_start = measured = 0;
        } else {
            t->nlines++;
        }
    }
    if (tlen - cell_start > 0) {
        width += tw_text_width(text + measured, tlen - measured);
        struct cell c = {.size = tlen - cell_start, .width = width};
        if (!add_cell(&t->lines[t->nlines - 1], c))
            return -1;
    }
    flush_block(t);
    return t->out->failed ? -1 : 0;
}

int tabwriter_format(const struct tw_opts *o, const char *in, size_t n, struct buf *out)
{
    /* room for every line, and for a width per cell of the widest line */
    size_t nlines = 2, ncells = 2, cells = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '\n' || in[i] == '\f') {
            nlines++;
            cells = 0;
        } else if ((in[i] == '\t' || in[i] == '\v') && ++cells + 2 > ncells) {
            ncells = cells + 2;
        }
    }
    char *text = malloc(n + 1);
    struct line *lines = calloc(nlines, sizeof *lines);
    size_t *widths = calloc(ncells, sizeof *widths);
    int rc = -1;
    if (text != NULL && lines != NULL && widths != NULL) {
        struct tw t = {.o = o, .out = out, .lines = lines, .widths = widths};
        rc = run(&t, in, n, text);
    }
    for (size_t k = 0; lines && k < nlines; k++)
        free(lines[k].cells);
    free(lines);
    free(widths);
    free(text);
    return rc;
}
