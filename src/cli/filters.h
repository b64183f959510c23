/* --filter key=value flags, as the API's "filters" query parameter. */
#ifndef PIER_CLI_FILTERS_H
#define PIER_CLI_FILTERS_H

#include <stddef.h>

#include "../lib/buf.h"
#include "flags.h"

/* The check of a filter flag's values: "bad format of filter (expected
 * name=value)". */
const char *filter_check(const char *value, char *msg, size_t cap);
/* {"key":{"value":true},...}, keys sorted at both levels as Go's map
 * marshalling has them; names lower-cased and both sides trimmed.  Empty
 * (len 0) when no filter was given. */
void filters_json(const struct flag *f, struct buf *out);
/* That JSON as the query's "filters" parameter (see url_param), when any
 * filter was given. */
void filters_param(const struct flag *f, struct buf *query);
/* The same with one more "key=value" (a positional argument, a flag's
 * meaning) added to the flag's. */
void filters_param_with(const struct flag *f, const char *extra, struct buf *query);

#endif
