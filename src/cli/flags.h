/* Command-line flags as spf13/pflag parses them for the docker CLI: long
 * and short forms, -abc bundles, --flag=value, -fvalue, -f=value, "--" to
 * end the flags, interspersed or not; and the help text as cobra and
 * pflag lay it out (flags sorted, usages wrapped at the terminal width). */
#ifndef PIER_CLI_FLAGS_H
#define PIER_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flag_kind {
    FK_BOOL,
    FK_STRING,
    FK_INT,    /* Go int/int64: strconv.ParseInt(s, 0, 64) */
    FK_UINT16, /* strconv.ParseUint(s, 0, 16) */
    FK_UINT64,
    FK_LIST,     /* repeatable; every value kept */
    FK_DURATION, /* Go time.ParseDuration */
};

#define FLAG_HIDDEN 1u
#define FLAG_WINDOWS 2u      /* ostype windows: hidden against a linux daemon */
#define FLAG_DEPRECATED 4u   /* hidden, still accepted */
#define FLAG_EXPERIMENTAL 8u /* hidden unless the daemon is experimental */
/* Tables shared by two commands (run and create) mark what only one has;
 * a flag set's skip mask makes the other's flags absent. */
#define FLAG_RUN 16u
#define FLAG_CREATE 32u

/* A value check run as each value is parsed; returns NULL or the reason,
 * written into msg, that pflag prints after
 * `invalid argument "V" for "-x, --xx" flag: `. */
typedef const char *(*flag_check_fn)(const char *value, char *msg, size_t cap);

#define FLAG_MAX_VALUES 1024

struct flag {
    const char *name;
    char shorthand;
    enum flag_kind kind;
    const char *type; /* the value's name in help ("list", "bytes"); NULL: from kind */
    const char *usage;
    const char *def; /* default value, also shown in help unless zero */
    unsigned attrs;
    const char *min_api; /* API version the flag needs ("1.43") */
    flag_check_fn check;
    /* results */
    bool changed;
    const char *val;
    const char **vals;
    size_t nvals;
};

struct flagset {
    struct flag *flags; /* terminated by a flag with name NULL */
    unsigned skip;      /* flags with any of these attrs are not there */
    bool interspersed;
    /* results */
    char **args;
    int nargs;
    bool help;
};

/* Parse argv[0..argc) (after the command's name).  On an error, *msg holds
 * pflag's message and -1 is returned. */
int flags_parse(struct flagset *fs, int argc, char **argv, char *msg, size_t cap);
void flags_reset(struct flagset *fs);

struct flag *flag_get(struct flagset *fs, const char *name);
bool flag_changed(struct flagset *fs, const char *name);
bool flag_bool(struct flagset *fs, const char *name);
/* The value, or the default ("" when none). */
const char *flag_str(struct flagset *fs, const char *name);
int64_t flag_int(struct flagset *fs, const char *name);
/* Go duration in nanoseconds. */
int64_t flag_duration(struct flagset *fs, const char *name);

/* Help: the options block as pflag's FlagUsagesWrapped(cols) makes it.
 * api: the daemon's API version (flags needing newer are hidden); linux:
 * whether the daemon is known to run linux (hides windows-only flags). */
char *flags_usages(struct flagset *fs, int cols, const char *api, bool linux_daemon,
                   bool experimental);

/* Parsers shared with option checks; -1 when invalid (msg says why, in Go's
 * words). */
int go_parse_int(const char *s, int bits, int64_t *out, char *msg, size_t cap);
int go_parse_uint(const char *s, int bits, uint64_t *out, char *msg, size_t cap);
int go_parse_bool(const char *s, bool *out);
int go_parse_duration(const char *s, int64_t *ns, char *msg, size_t cap);
/* Go's %q of a string (ASCII printable kept, the rest escaped). */
void go_quote(const char *s, char *out, size_t cap);
/* API versions "1.41" < "1.9"? compared numerically per part. */
int api_version_cmp(const char *a, const char *b);

#endif
