/* The container's process, from a built container to execve: the program
 * found in $PATH, $HOME, cwd, rlimits, user and groups, capabilities,
 * no_new_privs, seccomp, and the file descriptors it may keep. */
#ifndef PIER_RT_PROCESS_H
#define PIER_RT_PROCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "spec.h"

struct rt_exec_plan {
    char *path;       /* the program, resolved in the container */
    char **env;       /* process.env, with HOME added when missing */
    int cwd_fd;       /* process.cwd, resolved inside the root */
    int preserve_fds; /* fds 3 .. 3+n-1 stay open */
};

/* In the container's root, before any credential changes. */
int rt_exec_plan_make(const struct rt_process *p, int rootfd, int preserve_fds,
                      struct rt_exec_plan *plan, pier_err_t *err);
void rt_exec_plan_free(struct rt_exec_plan *plan);

/* process.rlimits on process pid (0: the caller).  Raising a hard limit
 * needs CAP_SYS_RESOURCE in the host's user namespace: the runtime sets the
 * init's from outside, which works whatever user namespace it is in. */
int rt_process_set_rlimits(const struct rt_process *p, pid_t pid, pier_err_t *err);

/* rlimits, bounding set, groups and ids, cwd, the other capability sets,
 * umask, personality, no_new_privs and seccomp (before the capabilities are
 * dropped when no_new_privs is off, since loading it then needs
 * CAP_SYS_ADMIN).  userns: setgroups may be denied. */
int rt_process_finalize(const struct rt_process *p, const struct rt_exec_plan *plan,
                        json_t *seccomp, int64_t personality, bool userns, pier_err_t *err);

/* Close-on-exec every fd from 3 + preserve_fds up, then execve.  Returns
 * only on failure. */
/* Every signal to its default action, none blocked: how a program, or a
 * hook, must start whatever its parent (the shim) set for itself. */
void rt_signals_default(void);
int rt_process_exec(const struct rt_exec_plan *plan, char *const argv[], pier_err_t *err);

#endif
