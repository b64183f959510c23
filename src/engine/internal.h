/* The engine's own structures, shared by its files. */
#ifndef PIER_ENGINE_INTERNAL_H
#define PIER_ENGINE_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "../lib/loop.h"
#include "engine.h"

enum cstate { C_CREATED, C_RUNNING, C_PAUSED, C_RESTARTING, C_REMOVING, C_EXITED, C_DEAD };

struct shim_conn;
struct waiter;
struct pending_attach;
struct exec_inst;
struct log_reader;

struct container {
    struct engine *e;
    char id[65];
    char *name;     /* without the leading '/' */
    char *created;  /* RFC 3339, nanoseconds */
    char *image_id; /* sha256:... */
    json_t *config; /* docker's Config: Image, Cmd, Env, ... */
    json_t *host;   /* docker's HostConfig */
    /* state */
    enum cstate state;
    int pid;
    int exit_code;
    bool oom_killed;
    char *error;
    char *started_at;
    char *finished_at;
    int restart_count;
    bool has_started;
    bool stopped_by_user; /* for restart policies: stop and kill end them */
    bool removing;
    bool starting;  /* a start is on its way to the shim */
    bool keep_root; /* a restart: its exit leaves the root mounted */
    /* a stop asked for while starting, done once the start is */
    struct stop_later *stop_later;
    /* runtime */
    struct shim_conn *shim;
    struct waiter *waiters;
    struct pending_attach *attaches;
    struct pier_watch *restart_timer;
    struct log_reader *readers;
    struct unmount *unmount; /* of its root, in the background */
    char *row;               /* its `ps` row, cached: see row_text */
    json_t *ports;           /* NetworkSettings.Ports while published (netports.c) */
    json_t *nets;            /* docker's NetworkSettings.Networks: see endpoints.c */
    bool netns;              /* it has a network namespace of pierd's (exec-root/netns) */
    bool dns;                /* the embedded DNS server answers in it (netdns.c) */
    struct container *next;
};

struct event_sub;

struct engine {
    struct pier_loop *loop;
    char data_root[PATH_MAX];
    char exec_root[PATH_MAX];
    char rt_root[PATH_MAX];
    char shim_path[PATH_MAX];
    char init_path[PATH_MAX];    /* bound as /sbin/docker-init for --init */
    char runtime_path[PATH_MAX]; /* what `info` names */
    int shim_exe;                /* sealed view of pier-shim, for execveat */
    struct img_store *images;
    struct container *containers;
    size_t ncontainers;
    json_t *events; /* the recent ones, oldest first */
    struct event_sub *subs;
    struct exec_inst *execs;
    char *hostname;
    char cgroup_parent[PATH_MAX];
    struct ports_table *ports; /* published ports, made on first use (netports.c) */
    struct net_mgr *net;
    struct dns_server *dns; /* the embedded DNS server, made on first use (netdns.c) */
};

/* paths */
/* SizeRw and SizeRootFs, into o */
void ct_add_sizes(struct engine *e, const struct container *c, json_t *o);
void ct_sizes(struct engine *e, const struct container *c, long long *rw, long long *rootfs);
void ct_dir(const struct container *c, char *buf, size_t cap);     /* data-root/containers/<id> */
void ct_run_dir(const struct container *c, char *buf, size_t cap); /* exec-root/containers/<id> */
void ct_log_path(const struct container *c, char *buf, size_t cap);

/* records */
int ct_save(struct container *c, pier_err_t *err);
int ct_save_durable(struct container *c, pier_err_t *err); /* at create and rename */
int ct_load_all(struct engine *e, pier_err_t *err);
void ct_free(struct container *c);
/* The container of exactly this 64-hex id, or NULL. */
struct container *ct_by_id(struct engine *e, const char *id);
void ct_unlink(struct engine *e, struct container *c);
const char *ct_state_name(enum cstate s);
char *ct_status_text(const struct container *c); /* "Up 5 seconds", ... */
int ct_new_id(char out[65]);
char *names_generate(struct engine *e);
bool ct_name_valid(const char *name);

/* the OCI spec for a start */
int oci_spec(struct engine *e, struct container *c, json_t **out, pier_err_t *err);
/* binds.c: a -v HOST:CONTAINER[:OPTIONS] spec */
struct bind {
    char src[PATH_MAX], dst[PATH_MAX], mode[128];
    bool ro;
    const char *propagation; /* rprivate, rshared or rslave */
};
int bind_parse(const char *spec, struct bind *b, pier_err_t *err);

/* env.c: docker's merge of KEY=VALUE lists, a later key replacing one */
void env_merge(json_t *into, json_t *from);
/* Every capability pierd has: what --privileged gives. */
json_t *oci_all_caps(void);
json_t *seccomp_default(json_t *caps_bounding, pier_err_t *err);
/* Docker's User resolved in the container's root into oci_user (uid, gid,
 * additionalGids) and the user's home. */
int user_resolve(int rootfd, const char *spec, json_t *group_add, json_t *oci_user, char *home,
                 size_t hcap, pier_err_t *err);

/* root filesystem and /etc files */
int rootfs_mount(struct engine *e, struct container *c, pier_err_t *err);
/* Unmounts in the background; rootfs_settle waits for that (or, with
 * wait false, lets it finish alone). */
void rootfs_unmount(struct engine *e, struct container *c);
void rootfs_settle(struct container *c, bool wait);
int rootfs_remove(struct engine *e, struct container *c, pier_err_t *err);
int etc_files(struct engine *e, struct container *c, pier_err_t *err);

/* shims */
typedef void (*shim_reply_fn)(void *data, json_t *msg);
int shim_launch(struct engine *e, struct container *c, pier_err_t *err);
int shim_reconnect(struct engine *e, struct container *c, pier_err_t *err);
int shim_send(struct shim_conn *s, json_t *msg, int fd, pier_err_t *err);
/* The next reply with op in ops ("started|error"), to fn. */
void shim_expect(struct shim_conn *s, const char *ops, shim_reply_fn fn, void *data);
void shim_close(struct shim_conn *s);
/* Handle what the shim already sent (it may close s). */
void shim_drain(struct shim_conn *s);

/* endpoints.c: a container's networks */
struct network;
int ep_create(struct engine *e, struct container *c, json_t *networking, pier_err_t *err);
int ep_start(struct engine *e, struct container *c, pier_err_t *err);
void ep_stop(struct engine *e, struct container *c);
/* After a pierd restart, for a running container: its published ports
 * and its DNS server again (failures are warnings). */
void ep_restore_services(struct engine *e, struct container *c);
void ep_restore(struct engine *e, struct container *c);
void ep_reconcile(struct engine *e);
void ep_netns_path(struct container *c, char *buf, size_t cap);
json_t *ep_networks_json(const struct container *c);
json_t *ep_primary(const struct container *c);
const char *ep_first_ip(const struct container *c);
bool ep_user_network(const struct container *c);
/* On user-defined networks that are all internal. */
bool ep_internal_only(const struct container *c);
/* The embedded DNS server in the container's namespace nsfd, when it is on
 * a user-defined network (and not yet attached); its detach. */
int ct_dns_attach(struct engine *e, struct container *c, int nsfd, pier_err_t *err);
void ct_dns_detach(struct engine *e, struct container *c);
int ep_connect(struct engine *e, struct container *c, struct network *n, json_t *cfg,
               pier_err_t *err);
int ep_disconnect(struct engine *e, struct container *c, struct network *n, pier_err_t *err);

/* lifecycle, driven by the shim's messages */
void lc_exited(struct engine *e, struct container *c, int code, const char *finished_at,
               bool oom_killed);
void lc_exec_event(struct engine *e, struct container *c, json_t *msg);
void lc_start_pending_attaches(struct container *c);
void lc_restore(struct engine *e, struct container *c);
/* The exit the shim recorded on disk, or 255 and otherwise as the error. */
void lc_exited_as_recorded(struct engine *e, struct container *c, const char *otherwise);

/* logs */
void logs_container_stopped(struct container *c);
void logs_container_gone(struct container *c);

/* exec instances */
void exec_container_gone(struct engine *e, struct container *c);

/* events */
void ct_event(struct container *c, const char *action, json_t *extra);

/* published ports (netports.c): see there and src/network/ports.h */
int ct_ports_check(json_t *host, pier_err_t *err);
int ct_ports_init(struct engine *e, const char *table_name, pier_err_t *err);
int ct_ports_publish(struct engine *e, struct container *c, const char *bridge, struct in_addr ip,
                     pier_err_t *err);
void ct_ports_unpublish(struct engine *e, struct container *c);
int ct_ports_restore(struct engine *e, struct container *c, const char *bridge, struct in_addr ip,
                     pier_err_t *err);
int ct_ports_restore_done(struct engine *e, pier_err_t *err);
json_t *ct_ports_inspect(const struct container *c);
json_t *ct_ports_list(const struct container *c);

/* time */
char *now_rfc3339(void);
long long rfc3339_to_ns(const char *s);

#endif
