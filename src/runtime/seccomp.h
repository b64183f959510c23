/* linux.seccomp compiled with libseccomp and loaded into the calling
 * process: every action, errnoRet, argument conditions, architectures,
 * flags, and the notify listener. */
#ifndef PIER_RT_SECCOMP_H
#define PIER_RT_SECCOMP_H

#include <jansson.h>

#include "../lib/error.h"

/* The container's state, sent with the notify fd to listenerPath. */
void rt_seccomp_set_state(const char *state_json);

/* Compile only (for validation and the benchmark); 0 if the profile is good. */
int rt_seccomp_check(json_t *seccomp, pier_err_t *err);

int rt_seccomp_load(json_t *seccomp, pier_err_t *err);

#endif
