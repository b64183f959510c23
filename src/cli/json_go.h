/* JSON as Go's encoding/json writes it (see json_go.c). */
#ifndef PIER_CLI_JSON_GO_H
#define PIER_CLI_JSON_GO_H

#include <jansson.h>
#include <stddef.h>

#include "../lib/buf.h"

/* json.Marshal (indent NULL) or json.MarshalIndent(v, "", indent) of j,
 * keys in j's order. */
void json_go_marshal(json_t *j, const char *indent, struct buf *b);
/* strconv.FormatFloat(f, 'f' or 'e', -1, 64) as json.Marshal picks. */
void go_format_float(double f, struct buf *b);
/* json.Indent(dst, src, "", indent) or, with indent NULL, json.Compact,
 * over raw JSON text.  -1 if unbalanced. */
int json_raw_reformat(const char *src, size_t n, const char *indent, struct buf *b);

/* A copy of obj (holding references to its values) with its keys
 * sorted, as Go marshals maps. */
json_t *sorted_object(json_t *obj);

#endif
