/* The defence against CVE-2019-5736: a container must never be able to
 * reach the runtime's own binary on the host through /proc/self/exe and
 * write to it.  Before it builds or enters a container the runtime runs
 * itself from a read-only view of its binary: a detached, read-only bind
 * mount of the file (no copy, unlike runc 1.1 and crun), or a sealed memfd
 * copy where detached mounts are not allowed. */
#ifndef PIER_RT_SEAL_H
#define PIER_RT_SEAL_H

#include <stdbool.h>

#include "../lib/error.h"

/* Whether the running binary can be written through /proc/self/exe. */
bool rt_exe_is_sealed(void);

/* A read-only view of the binary at path, for execveat: a detached
 * read-only bind mount of it, or a sealed memfd copy. */
int rt_sealed_view(const char *path, pier_err_t *err);

/* Re-execute the running binary from a sealed view with the same argv and
 * environment, unless it already runs from one.  Returns only on error. */
int rt_seal_self(char **argv, char **envp, pier_err_t *err);

#endif
