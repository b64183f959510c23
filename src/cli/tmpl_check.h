/* docker runs its --format templates over Go structs, where a field the
 * struct lacks is an error ("can't evaluate field Nope in type
 * *formatter.ContainerContext"); pier runs them over JSON objects, where a
 * missing member prints "<no value>".  tmpl_check finds, before a template
 * runs, the field chains on the template's own data that the Go type
 * lacks, and words the error as Go's text/template does.
 *
 * Only chains that certainly run on the root are checked: those outside
 * any if, range, with, define or block body ($.X as well), so that a
 * template docker accepts is never refused. */
#ifndef PIER_CLI_TMPL_CHECK_H
#define PIER_CLI_TMPL_CHECK_H

#include <stdbool.h>

#include "../lib/error.h"

struct tmpl_type;

struct tmpl_field {
    const char *name;
    const struct tmpl_type *type; /* NULL: not checked further */
};

struct tmpl_type {
    const char *name;                /* as Go prints it: "*events.Message" */
    const struct tmpl_field *fields; /* NULL-terminated; NULL: no fields */
    bool map;                        /* any key is an entry */
};

/* The Go types the formatters' fields have. */
extern const struct tmpl_type tmpl_string;
extern const struct tmpl_type tmpl_int64;
extern const struct tmpl_type tmpl_map;

/* 0, or -1 with Go's error: "template: NAME:L:C: executing \"NAME\" at
 * <.A.B>: can't evaluate field B in type string". */
int tmpl_check(const char *text, const char *name, const struct tmpl_type *root, pier_err_t *err);

/* The parser and executor name no template ("template: :1: ..."); docker
 * names some ("template: version:1: ..."): put name in err's message. */
int tmpl_error_name(pier_err_t *err, const char *name);

#endif
