/* The container lifecycle of the OCI runtime spec: create, start, state,
 * kill, delete, and exec of another process in a running container.  These
 * are library calls; pier-runtime's commands are thin wrappers, and the
 * shim and daemon may call them in-process. */
#ifndef PIER_RT_CONTAINER_H
#define PIER_RT_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "state.h"

struct rt_create_opts {
    const char *root; /* state root, RT_DEFAULT_ROOT if NULL */
    const char *id;
    const char *bundle; /* absolute path */
    const char *pid_file;
    const char *console_socket; /* path of a unix socket to send the pty master to */
    int console_fd;             /* or an fd connected to one; -1 when unused */
    bool no_pivot;
    bool no_new_keyring;
    bool systemd_cgroup;
    int preserve_fds; /* fds 3 .. 3+n-1 are passed to the container */
    int listen_fds;   /* socket activation: LISTEN_FDS of the caller */
};

/* Build the container and leave its process waiting before the program's
 * exec until rt_start.  *pid is its process id on the host. */
int rt_create(const struct rt_create_opts *o, pid_t *pid, pier_err_t *err);

/* Let a created container's process exec its program; returns once the
 * exec happened (or reports why it could not). */
int rt_start(const char *root, const char *id, pier_err_t *err);

/* Send sig to the container's init, or with all to every process of it. */
int rt_kill(const char *root, const char *id, int sig, bool all, pier_err_t *err);

/* Remove a stopped (or, with force, any) container: processes, cgroup,
 * state; then the poststop hooks. */
int rt_delete(const char *root, const char *id, bool force, pier_err_t *err);

/* The OCI state of a container. */
int rt_state_get(const char *root, const char *id, json_t **out, pier_err_t *err);

/* The processes of a container, as host pids. */
int rt_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, pier_err_t *err);

struct rt_exec_opts {
    const char *root;
    const char *id;
    const char *process_json; /* --process file; or the fields below */
    char **args;
    bool tty;
    const char *cwd;
    char **env;
    const char *user; /* uid[:gid] */
    char **additional_gids;
    char **caps;
    bool no_new_privs;
    const char *pid_file;
    const char *console_socket;
    int console_fd;
    int preserve_fds;
};

/* Start another process in a running container, as a child of this
 * process; returns once it has exec'd its program (or says why not). */
int rt_exec(const struct rt_exec_opts *o, pid_t *pid, pier_err_t *err);

/* Freeze and thaw every process of a container. */
int rt_pause(const char *root, const char *id, pier_err_t *err);
int rt_resume(const char *root, const char *id, pier_err_t *err);

/* Apply linux.resources (only the fields given) to a running container and
 * remember them in its saved spec. */
int rt_update(const char *root, const char *id, json_t *resources, pier_err_t *err);

/* Resource usage, as runc's `events --stats` data. */
int rt_stats(const char *root, const char *id, json_t **out, pier_err_t *err);

/* Watch a container's OOM kills; *pid is its init. */
struct rt_oom_watch;
int rt_oom_watch(const char *root, const char *id, struct rt_oom_watch *w, pid_t *pid,
                 pier_err_t *err);

/* Wait for a child of this process, forwarding the signals this process
 * gets to it; returns its exit status as a shell reports it. */
int rt_wait_forward(pid_t pid, int pidfd);

#endif
