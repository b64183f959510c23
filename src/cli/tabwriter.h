/* Go's text/tabwriter, as docker's tables use it. */
#ifndef PIER_CLI_TABWRITER_H
#define PIER_CLI_TABWRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/buf.h"

struct tw_opts {
    size_t minwidth, tabwidth, padding;
    char padchar;
    bool align_right, discard_empty, strip_escape;
};

/* docker's tables: NewWriter(out, 10, 1, 3, ' ', 0). */
#define TW_TABLE ((struct tw_opts){.minwidth = 10, .tabwidth = 1, .padding = 3, .padchar = ' '})

/* Format all of in (cells ended by \t, lines by \n) onto out, as writing it
 * to a tabwriter and flushing would.  -1 on allocation failure. */
int tabwriter_format(const struct tw_opts *o, const char *in, size_t n, struct buf *out);
/* The display width of a UTF-8 string (wide East Asian runes count 2). */
size_t tw_text_width(const char *s, size_t n);

#endif
