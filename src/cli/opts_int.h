/* The parts of run and create's option handling that its files share:
 * opts_flags.c (the flags and their checks), opts_values.c (each option's
 * value as the API wants it), opts.c (the create body). */
#ifndef PIER_CLI_OPTS_INT_H
#define PIER_CLI_OPTS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "flags.h"

/* Caps on what a user can feed in through files. */
#define ENV_FILE_MAX (16u * 1024 * 1024)
#define SECCOMP_FILE_MAX (8u * 1024 * 1024)

/* A list flag's values as a JSON array (null, or [] for the _empty one). */
json_t *strv_json(const struct flag *f);
json_t *strv_json_empty(const struct flag *f);
/* sorted_object (json_go.h) in place of obj, which is released. */
json_t *sort_steal(json_t *obj);
/* A size flag's value in bytes (-1 stays -1; 0 when not given). */
int64_t bytes_value(struct flagset *fs, const char *name);
int read_labels(struct flagset *fs, json_t **out, pier_err_t *err);
/* "80" or "9000-9001". */
/* nat.ParsePortRange: "80" or "80-90"; Go's error text in msg. */
int port_range(const char *s, unsigned long *start, unsigned long *end, char *msg, size_t cap);
int parse_device(const char *s, json_t **out, pier_err_t *err);
int parse_mount(const char *s, json_t **out, char *msg, size_t cap);
int parse_volume(const char *spec, json_t *binds, json_t *volumes, pier_err_t *err);
int parse_restart(const char *s, json_t **out, pier_err_t *err);
/* CAP_-prefixed, upper case, without repeats ("ALL" kept). */
json_t *capabilities(const struct flag *f);
int security_opts(const struct flag *f, json_t **out, bool *unconfined_paths, pier_err_t *err);
json_t *kv_map(const struct flag *f, bool sorted);
json_t *throttle_list(const struct flag *f, bool bps, bool weight);
bool valid_ns_mode(const char *m, bool container_ok, bool private_ok);
bool valid_mac(const char *s);
/* The endpoint settings docker sends for the default network. */
json_t *default_endpoint(void);
bool valid_ip(const char *s);

#endif
