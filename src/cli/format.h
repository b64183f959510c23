/* docker's formatter.Context: a list printed as a table (the `table`
 * directive, aligned by a tabwriter, with a header made by running the
 * template over the column names), as JSON lines, or through any Go
 * template, one row per item. */
#ifndef PIER_CLI_FORMAT_H
#define PIER_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/error.h"
#include "../lib/gotmpl.h"
#include "../lib/buf.h"
#include "tmpl_check.h"

/* The --format flag's help: of the commands that list in a table, and of
 * those that print objects (JSON or a template only). */
#define TABLE_FORMAT_HELP                                                                          \
    "Format output using a custom template:\n'table':            Print output in table format "    \
    "with column headers (default)\n'table TEMPLATE':   Print output in table format using the "   \
    "given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print "      \
    "output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for "    \
    "more information about formatting output with templates"
#define INSPECT_FORMAT_HELP                                                                        \
    "Format output using a custom template:\n'json':             Print in JSON "                   \
    "format\n'TEMPLATE':         Print output using the given Go template.\nRefer to "             \
    "https://docs.docker.com/go/formatting/ for more information about formatting output with "    \
    "templates"

struct fmt_ctx {
    bool table;
    bool json_lines; /* "json" or "{{json .}}": rows without template-only members */
    struct gotmpl *tmpl;
    char *final;    /* the template text after the table prefix and escapes */
    json_t *header; /* column names, by field */
    /* the Go type docker runs the template on, checked on the first row
     * (docker's formatter runs nothing when there is no row) */
    const struct tmpl_type *type;
    bool checked;
    struct buf rows;
};

/* format: "table ...", "json", or a template.  header: field -> column
 * name (stolen).  Errors are docker's "template parsing error: ...". */
int fmt_begin(struct fmt_ctx *f, const char *format, json_t *header, pier_err_t *err);
int fmt_row(struct fmt_ctx *f, json_t *row, pier_err_t *err);
/* Write everything to out (a table is aligned first). */
int fmt_end(struct fmt_ctx *f, FILE *out, pier_err_t *err);
void fmt_free(struct fmt_ctx *f);

/* The header of `.Label "com.example.some-label"`: "some label". */
void fmt_label_header(const char *label, char *out, size_t cap);

#endif
