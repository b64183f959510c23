/* The OCI runtime spec's config.json, parsed and validated into C values.
 * Every error names the field that is wrong.  Sections applied by other
 * modules (linux.resources, linux.seccomp) stay as JSON, owned by `root`. */
#ifndef PIER_RT_SPEC_H
#define PIER_RT_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* A cap on config.json, which is untrusted input. */
#define RT_SPEC_MAX_BYTES (16u << 20)

struct rt_idmap {
    uint32_t container_id, host_id, size;
};

enum rt_ns_kind {
    RT_NS_PID,
    RT_NS_NET,
    RT_NS_IPC,
    RT_NS_UTS,
    RT_NS_MNT,
    RT_NS_CGROUP,
    RT_NS_USER,
    RT_NS_TIME,
    RT_NS_COUNT
};

struct rt_namespace {
    bool present;
    char *path; /* join this one; NULL means a new namespace */
};

struct rt_mount {
    char *destination;
    char *type;
    char *source;
    unsigned long flags;         /* MS_* set on the mount */
    unsigned long clear_flags;   /* MS_* named with their negation ("rw", "dev", ...) */
    unsigned long propagation;   /* MS_SHARED, MS_SLAVE, ..., with MS_REC */
    uint64_t attr_set, attr_clr; /* recursive MOUNT_ATTR_* ("rro", "rnosuid", ...) */
    char *data;                  /* remaining filesystem options, comma separated */
    bool bind;                   /* bind or rbind */
    bool recursive;              /* rbind */
    bool tmpcopyup;
};

struct rt_device {
    char *path;
    char type; /* 'c', 'b', 'u', 'p' */
    int64_t major, minor;
    mode_t mode;
    bool has_mode;
    uint32_t uid, gid;
    bool has_uid, has_gid;
};

struct rt_rlimit {
    int resource;
    uint64_t soft, hard;
};

struct rt_caps {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_hook {
    char *path;
    char **args;
    char **env;
    int timeout; /* seconds, 0 for none */
};

struct rt_hooks {
    struct rt_hook *items;
    size_t n;
};

enum rt_hook_kind {
    RT_HOOK_PRESTART,
    RT_HOOK_CREATE_RUNTIME,
    RT_HOOK_CREATE_CONTAINER,
    RT_HOOK_START_CONTAINER,
    RT_HOOK_POSTSTART,
    RT_HOOK_POSTSTOP,
    RT_HOOK_COUNT
};

struct rt_process {
    bool terminal;
    unsigned console_height, console_width;
    uint32_t uid, gid;
    bool has_umask;
    mode_t umask;
    gid_t *additional_gids;
    size_t n_additional_gids;
    char **args;
    char **env;
    char *cwd;
    bool has_caps;
    struct rt_caps caps;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    struct rt_rlimit *rlimits;
    size_t n_rlimits;
    char *apparmor_profile;
    char *selinux_label;
};

struct rt_sysctl {
    char *key, *value;
};

struct rt_time_offset {
    int clock; /* CLOCK_MONOTONIC or CLOCK_BOOTTIME */
    int64_t secs;
    uint32_t nanosecs;
};

struct rt_spec {
    json_t *root; /* the whole document; resources and seccomp point into it */
    char *oci_version;
    char *root_path; /* absolute: resolved against the bundle */
    bool root_readonly;
    char *hostname;
    char *domainname;
    bool has_process;
    struct rt_process process;
    struct rt_mount *mounts;
    size_t n_mounts;
    struct rt_hooks hooks[RT_HOOK_COUNT];
    json_t *annotations; /* object or NULL */

    /* linux */
    struct rt_namespace ns[RT_NS_COUNT];
    struct rt_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct rt_device *devices;
    size_t n_devices;
    char *cgroups_path;
    json_t *resources; /* linux.resources */
    json_t *seccomp;   /* linux.seccomp */
    struct rt_sysctl *sysctl;
    size_t n_sysctl;
    char **masked_paths;
    char **readonly_paths;
    unsigned long rootfs_propagation; /* 0 when unset */
    char *mount_label;
    struct rt_time_offset time_offsets[2];
    size_t n_time_offsets;
    int64_t personality; /* -1 when unset */
};

extern const char *const rt_ns_names[RT_NS_COUNT];      /* "pid", "network", ... */
extern const int rt_ns_clone_flags[RT_NS_COUNT];        /* CLONE_NEWPID, ... */
extern const char *const rt_ns_proc_names[RT_NS_COUNT]; /* /proc/PID/ns/<name> */
extern const char *const rt_hook_names[RT_HOOK_COUNT];  /* "prestart", ... */

/* Load bundle/config.json.  The bundle path must be absolute. */
int rt_spec_load(const char *bundle, struct rt_spec *spec, pier_err_t *err);
/* Parse a document already read; root.path relative to bundle. */
int rt_spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec *spec,
                  pier_err_t *err);
void rt_spec_free(struct rt_spec *spec);

/* process.json for `exec --process`, or a process object taken from a spec. */
int rt_process_parse(json_t *obj, const char *path, struct rt_process *p, pier_err_t *err);
void rt_process_free(struct rt_process *p);

/* Parse a mount's options array into m (flags, data, propagation, ...). */
int rt_mount_parse_options(struct rt_mount *m, json_t *options, const char *path, pier_err_t *err);

/* Capability name ("CAP_SYS_ADMIN") to its number, -1 if unknown. */
int rt_cap_from_name(const char *name);
/* Signal name or number ("KILL", "SIGKILL", "9") to its number, -1 if unknown. */
int rt_signal_from_name(const char *name);
/* RLIMIT_* name to resource, -1 if unknown. */
int rt_rlimit_from_name(const char *name);

/* Whether the spec asks for a new (not joined) namespace of kind k. */
static inline bool rt_spec_new_ns(const struct rt_spec *s, enum rt_ns_kind k)
{
    return s->ns[k].present && s->ns[k].path == NULL;
}

#endif
