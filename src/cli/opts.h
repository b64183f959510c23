/* The options of run and create, turned into the body of POST
 * /containers/create as docker's opts.go parse() builds it. */
#ifndef PIER_CLI_OPTS_H
#define PIER_CLI_OPTS_H

#include <jansson.h>
#include <stdbool.h>

#include "../lib/error.h"
#include "flags.h"

/* The flags both commands take (run adds detach, sig-proxy, detach-keys). */
extern struct flag container_flags[];

struct container_config {
    json_t *body; /* Config + HostConfig + NetworkingConfig */
    bool attach_stdin, attach_stdout, attach_stderr;
    bool tty, open_stdin, auto_remove;
    int nattach; /* -a given */
};

/* Build the create body from the parsed flags and IMAGE [CMD...] for the
 * daemon's API version (the body's shape changes with it).  Errors
 * are docker's texts (the caller adds "pier: " and the help hint). */
int container_parse(struct flagset *fs, char **args, int nargs, const char *api,
                    struct container_config *cc, pier_err_t *err);

/* Pieces shared with exec and unit tests. */
/* opts.ReadKVEnvStrings: --env-file lines then -e values, each "K" taken
 * from our environment when set. */
int read_env(struct flag *files, struct flag *envs, json_t **out, pier_err_t *err);
/* nat.ParsePortSpec of one -p value into exposed (set) and bindings (map). */
int parse_publish(const char *spec, json_t *exposed, json_t *bindings, pier_err_t *err);
/* units.ParseUlimit: "nofile=1024:2048". */
int parse_ulimit(const char *s, json_t **out, char *msg, size_t cap);
/* The cobra-level checks of value flags. */
const char *check_bytes(const char *v, char *msg, size_t cap);
const char *check_env(const char *v, char *msg, size_t cap);

#endif
