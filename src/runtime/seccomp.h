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

/* In the runtime, before the container's process is cloned: compile the
 * profile (or take it from the cache in cache_dir, keyed by the profile's
 * text, libseccomp's version and the kernel's), so that rt_seccomp_load of
 * the same profile in the child only installs the program. */
int rt_seccomp_prepare(json_t *seccomp, const char *cache_dir, pier_err_t *err);

/* Install the filter in the calling process (as prepared, or compiled now),
 * and hand the notify fd to listenerPath if there is one. */
int rt_seccomp_load(json_t *seccomp, pier_err_t *err);

#endif
