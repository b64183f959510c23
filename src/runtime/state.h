/* A container's state on disk: <root>/<id>/ holds state.json (what the
 * runtime knows), config.json (the spec it was created from, for exec and
 * delete) and exec.sock (present until start: the created state). */
#ifndef PIER_RT_STATE_H
#define PIER_RT_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

#define RT_DEFAULT_ROOT "/run/pier-runtime"
#define RT_STATE_FILE "state.json"
#define RT_CONFIG_FILE "config.json"
#define RT_EXEC_SOCK "exec.sock"
/* Under the root, beside the containers: compiled seccomp filters. */
#define RT_SECCOMP_CACHE ".seccomp-cache"

enum rt_status {
    RT_STATUS_CREATING,
    RT_STATUS_CREATED,
    RT_STATUS_RUNNING,
    RT_STATUS_PAUSED,
    RT_STATUS_STOPPED
};

struct rt_state {
    char *id;
    pid_t pid;
    uint64_t start_time; /* field 22 of /proc/PID/stat: tells a reused pid apart */
    char *bundle;
    char *rootfs;
    char *created; /* RFC 3339, UTC, nanoseconds */
    uid_t owner;
    char *cgroup_path; /* relative to each hierarchy's root, without leading '/' */
    json_t *annotations;
    bool userns;   /* in a new user namespace */
    bool creating; /* create has not finished (or was cut off) */
};

extern const char *const rt_status_names[];

/* An id the runtime accepts: not empty, no '/', not "." or "..", printable,
 * at most 1024 bytes. */
int rt_check_id(const char *id, pier_err_t *err);

/* Open <root>/<id>; a missing one is "container `id` does not exist". */
int rt_state_dir_open(const char *root, const char *id, pier_err_t *err);

int rt_state_load(const char *root, const char *id, struct rt_state *st, pier_err_t *err);
int rt_state_load_at(int dirfd, const char *id, struct rt_state *st, pier_err_t *err);
int rt_state_save_at(int dirfd, const struct rt_state *st, pier_err_t *err);
void rt_state_free(struct rt_state *st);

/* The status, computed from the process, exec.sock and the freezer. */
enum rt_status rt_state_status(int dirfd, const struct rt_state *st);
/* Whether pid is still the process with this start time. */
bool rt_process_alive(pid_t pid, uint64_t start_time);
/* Field 22 of /proc/PID/stat; 0 if the process is gone. */
uint64_t rt_process_start_time(pid_t pid);

/* The OCI state document (ociVersion, id, status, pid, bundle, annotations,
 * plus runc's rootfs, created and owner). */
json_t *rt_state_oci_json(const struct rt_state *st, enum rt_status status);

/* Now, as RFC 3339 with nanoseconds in UTC. */
char *rt_now_rfc3339(void);

#endif
