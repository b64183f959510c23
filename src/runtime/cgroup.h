/* cgroups: the host's layout (v1, hybrid or v2, found at run time), and a
 * container's cgroup: one directory per hierarchy, created, joined, listed,
 * signalled, frozen and removed together. */
#ifndef PIER_RT_CGROUP_H
#define PIER_RT_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

#define RT_CG_MAX_HIER 24

enum rt_cg_mode { RT_CG_NONE, RT_CG_V1, RT_CG_HYBRID, RT_CG_V2 };

struct rt_cg_hier {
    char *mountpoint;  /* /sys/fs/cgroup/cpu */
    char *root;        /* the cgroup the mount shows at its top, usually "/" */
    char *controllers; /* "cpu,cpuacct", "name=systemd", or "" for cgroup2 */
    bool v2;
};

struct rt_cg_layout {
    enum rt_cg_mode mode;
    struct rt_cg_hier h[RT_CG_MAX_HIER];
    size_t n;
};

/* The layout of this host, read once from /proc/self/mountinfo. */
int rt_cgroup_layout(const struct rt_cg_layout **out, pier_err_t *err);
/* Parse a mountinfo text (exposed for unit tests over a fake host). */
int rt_cgroup_layout_parse(const char *mountinfo, struct rt_cg_layout *out, pier_err_t *err);
void rt_cgroup_layout_free(struct rt_cg_layout *l);
/* Use this layout instead of the host's (unit tests over a fake cgroupfs);
 * NULL goes back to the host's. */
void rt_cgroup_layout_override(const struct rt_cg_layout *l);

/* A container's cgroup: in each hierarchy, the directory it lives in. */
struct rt_cgroup {
    size_t n;
    struct {
        char *dir;        /* full path of the container's cgroup in this hierarchy */
        const char *ctrl; /* controllers of the hierarchy; "" for cgroup2 */
        bool v2;
    } h[RT_CG_MAX_HIER];
};

/* Resolve linux.cgroupsPath as runc reads it: absolute paths from each
 * hierarchy's root, relative ones under the caller's own cgroup, empty as
 * the container id under the caller's cgroup; with systemd, "slice:prefix:
 * name" becomes slice/prefix-name.scope. */
int rt_cgroup_resolve(const char *cgroups_path, const char *id, bool systemd, struct rt_cgroup *cg,
                      pier_err_t *err);

int rt_cgroup_create(struct rt_cgroup *cg, pier_err_t *err);
int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, pier_err_t *err);
/* Remove the directories; processes still inside make it fail with EBUSY
 * after a short wait for them to go. */
int rt_cgroup_destroy(const struct rt_cgroup *cg, pier_err_t *err);
/* The pids in the cgroup (from the pids or cgroup2 hierarchy). */
int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n, pier_err_t *err);
/* Signal every process in it; with the freezer, frozen first so that none
 * forks away. */
int rt_cgroup_kill(const struct rt_cgroup *cg, int sig, pier_err_t *err);
int rt_cgroup_freeze(const struct rt_cgroup *cg, bool frozen, pier_err_t *err);
bool rt_cgroup_is_frozen_cg(const struct rt_cgroup *cg);
/* For state: frozen, given the path list stored in state.json. */
bool rt_cgroup_is_frozen(const char *stored);

/* The dir of the hierarchy holding controller `ctrl` ("memory", ...), or of
 * the cgroup2 tree when ctrl is NULL; NULL if none. */
const char *rt_cgroup_dir(const struct rt_cgroup *cg, const char *ctrl);

/* linux.resources, on the layout of this host (cgroup_resources.c). */
int rt_cgroup_apply_resources(const struct rt_cgroup *cg, json_t *resources, pier_err_t *err);
/* On a v2-only host, enable the controllers in the ancestors' subtree_control. */
int rt_cgroup_enable_v2(const struct rt_cgroup *cg, pier_err_t *err);
/* runc's conversions for cgroup v2. */
uint64_t rt_cgroup_shares_to_weight(uint64_t shares);
uint64_t rt_cgroup_blkio_to_io_weight(uint64_t weight);

/* Usage in the shape of runc's `events --stats` data (cgroup_stats.c). */
int rt_cgroup_stats(const struct rt_cgroup *cg, json_t **out, pier_err_t *err);

/* OOM kills in the container's memory cgroup: fd becomes readable on each
 * (an eventfd on v1, inotify of memory.events on v2). */
struct rt_oom_watch {
    int fd;
    bool v2;
    char events[4096]; /* v2: path of memory.events */
    long long kills;   /* v2: oom_kill count seen */
};
int rt_cgroup_oom_watch(const struct rt_cgroup *cg, struct rt_oom_watch *w, pier_err_t *err);
/* Consume the fd's readiness; the number of new OOM kills. */
int rt_cgroup_oom_read(struct rt_oom_watch *w);
void rt_cgroup_oom_close(struct rt_oom_watch *w);

/* To and from the string stored in state.json: one dir per line. */
char *rt_cgroup_to_string(const struct rt_cgroup *cg);
int rt_cgroup_from_string(const char *s, struct rt_cgroup *cg, pier_err_t *err);
void rt_cgroup_free(struct rt_cgroup *cg);

#endif
