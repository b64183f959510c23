/* The columns of `ps` as docker's formatter computes them from the API's
 * container summaries. */
#ifndef PIER_CLI_FMT_CONTAINER_H
#define PIER_CLI_FMT_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../lib/buf.h"
#include "tmpl_check.h"

/* TruncateID: the part after any "algo:" prefix, at most 12 characters. */
void truncate_id(const char *id, char *out, size_t cap);
/* formatter.Ellipsis: cut to max display columns, ending in "…". */
void ellipsis(const char *s, int max, struct buf *out);
/* DisplayablePorts over the API's Ports array: "0.0.0.0:80->80/tcp, 9000-9001/udp". */
void displayable_ports(json_t *ports, struct buf *out);
/* The image name as ps shows it (familiar, digest dropped when truncating). */
void container_image(json_t *c, bool trunc, struct buf *out);

/* A row for the formatter: every field of docker's ContainerContext, keys
 * sorted as its {{json .}} has them, plus Label (the labels map) for
 * {{.Label "k"}}.  now: for RunningFor. */
json_t *container_row(json_t *c, bool trunc, time_t now);
/* field -> column name. */
json_t *container_header(void);
/* What a template may name on docker's *formatter.ContainerContext. */
extern const struct tmpl_type container_context_type;

#endif
