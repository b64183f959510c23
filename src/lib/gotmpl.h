/* Go's text/template, as docker's --format and inspect -f use it, over
 * JSON data: field paths (.State.Status), pipelines, variables, actions
 * (if/else if/else, range/else, with/else, define/template/block), the
 * builtin functions (and, or, not, len, index, slice, print, printf,
 * println, eq, ne, lt, le, gt, ge, urlquery, html, js) and docker's (json,
 * split, join, title, lower, upper, pad, truncate).  A field given
 * arguments on an object looks the first argument up in it, so that
 * `{{.Label "k"}}` works on a row whose Label member is the labels map. */
#ifndef PIER_GOTMPL_H
#define PIER_GOTMPL_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

struct gotmpl;

/* Parse; errors say where: "template: 1:7: unexpected `}}`". */
int gotmpl_parse(const char *text, struct gotmpl **out, pier_err_t *err);

/* Execute on data; *out is a heap string (NUL-terminated, length in *len). */
int gotmpl_exec(const struct gotmpl *t, json_t *data, char **out, size_t *len, pier_err_t *err);

void gotmpl_free(struct gotmpl *t);

#endif
