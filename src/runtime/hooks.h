/* OCI hooks: each is run with the container's state on stdin, its own args
 * and env, and its timeout; a failure reports the hook's output. */
#ifndef PIER_RT_HOOKS_H
#define PIER_RT_HOOKS_H

#include "../lib/error.h"
#include "spec.h"

int rt_hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
                 pier_err_t *err);

#endif
