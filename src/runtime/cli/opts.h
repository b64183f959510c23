/* Command-line flags as runc's (Go) parser takes them: `--name value`,
 * `--name=value`, one dash or two, booleans as `--name` or `--name=false`,
 * `--` to end them.  Like runc's urfave/cli, a command's flags may also
 * follow its arguments (`delete ID --force`). */
#ifndef PIER_RTCLI_OPTS_H
#define PIER_RTCLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../../lib/error.h"

enum opt_type { OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST };

struct strlist {
    char **v; /* NULL-terminated */
    size_t n;
};

struct opt {
    const char *name;
    char short_name;
    enum opt_type type;
    void *dest; /* bool *, const char **, int *, struct strlist * */
};

/* Parse flags from argv[0..argc), wherever they are: argv is reordered so
 * that the arguments start at *next, in their order. */
int opts_parse(const struct opt *opts, int argc, char **argv, int *next, pier_err_t *err);
/* Only the flags before the first argument: for the global flags and for
 * commands whose trailing arguments are another program's (exec, ps). */
int opts_parse_head(const struct opt *opts, int argc, char **argv, int *next, pier_err_t *err);
void strlist_free(struct strlist *l);

#endif
