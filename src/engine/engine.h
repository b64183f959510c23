/* The engine of pierd: containers (their records on disk, their shims, their
 * lifecycle), exec instances, logs and events.  Everything runs on pierd's
 * one event loop; what must wait (a start, a stop's grace period, a wait)
 * completes through a callback. */
#ifndef PIER_ENGINE_H
#define PIER_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../lib/loop.h"

struct engine;
struct container;
struct img_store;

struct engine_opts {
    const char *data_root; /* /var/lib/pier */
    const char *exec_root; /* /run/pier */
    const char *shim_path; /* pier-shim; default: beside pierd */
    const char *runtime_root;
    const char *cgroup_parent; /* of every container without its own; default /pier */
    const char *bridge;        /* the default bridge's interface (pier0); "none": none */
    const char *bip;           /* its gateway/prefix; NULL: the first free 172.x.0.0/16 */
};

int engine_open(struct pier_loop *loop, const struct engine_opts *o, struct engine **out,
                pier_err_t *err);
void engine_close(struct engine *e);
/* An idle daemon lets go of what it can make again (before its memory is
 * trimmed). */
void engine_idle(struct engine *e);
struct img_store *engine_images(struct engine *e);
struct pier_loop *engine_loop(struct engine *e);

/* Errors carry an errno that says the HTTP status: ENOENT 404 (no such
 * container/image), EEXIST 409 (name in use), EBUSY 409 (running, in use),
 * EINVAL 400 (bad parameter), EALREADY 304 (already started/stopped). */

/* ---- containers ---- */

/* Find by full id, unique id prefix, or name (with or without '/'). */
struct container *engine_find(struct engine *e, const char *ref, pier_err_t *err);
const char *container_id(const struct container *c);
const char *container_name(const struct container *c);
bool container_running(const struct container *c);
bool container_tty(const struct container *c);

/* POST /containers/create: body is Docker's ContainerCreate object. */
int engine_create(struct engine *e, const char *name, json_t *body, json_t **warnings,
                  struct container **out, pier_err_t *err);

typedef void (*engine_done_fn)(void *data, pier_err_t err);
/* Start: done(data, NULL) once the container's program runs. */
void engine_start(struct engine *e, struct container *c, engine_done_fn done, void *data);
/* Stop: the stop signal, then SIGKILL after timeout seconds (-1: the
 * container's StopTimeout, else 10); done once it exited. */
void engine_stop(struct engine *e, struct container *c, int timeout, const char *signal,
                 engine_done_fn done, void *data);
void engine_restart(struct engine *e, struct container *c, int timeout, engine_done_fn done,
                    void *data);
int engine_kill(struct engine *e, struct container *c, int sig, pier_err_t *err);
int engine_pause(struct engine *e, struct container *c, bool pause, pier_err_t *err);
int engine_remove(struct engine *e, struct container *c, bool force, bool volumes, pier_err_t *err);
int engine_rename(struct engine *e, struct container *c, const char *name, pier_err_t *err);
int engine_resize(struct engine *e, struct container *c, unsigned h, unsigned w, pier_err_t *err);

enum engine_wait { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };
typedef void (*engine_wait_fn)(void *data, int exit_code, const char *error);
/* Registers a waiter; returns a handle to cancel it (client went away). */
void *engine_wait(struct engine *e, struct container *c, enum engine_wait cond, engine_wait_fn fn,
                  void *data);
void engine_wait_cancel(struct engine *e, void *handle);

/* Attach: hand the client's connection (after the 101) to the container's
 * shim, or keep it until the container starts. */
int engine_attach(struct engine *e, struct container *c, int fd, bool in, bool out, bool err_,
                  const char *detach_keys, pier_err_t *err);

/* Docker's JSON for GET /containers/{id}/json and one row of /containers/json. */
json_t *engine_inspect(struct engine *e, struct container *c, bool size);
/* GET /containers/json: all (or running), filters (Docker's filter map),
 * limit (-1 none), size; *out is the JSON text of the reply. */
int engine_list(struct engine *e, bool all, json_t *filters, int limit, bool size, char **out,
                pier_err_t *err);
int engine_prune(struct engine *e, json_t *filters, json_t **out, pier_err_t *err);
int engine_top(struct engine *e, struct container *c, const char *ps_args, json_t **out,
               pier_err_t *err);
int engine_stats(struct engine *e, struct container *c, json_t **out, pier_err_t *err);
/* Whether a container uses this image (for rmi): a running one, if any, is
 * named in container_id. */
bool engine_image_user(struct engine *e, const char *image_id, char container_id[65],
                       bool *running);

/* `docker commit`: what it takes from a container (its upper layer's
 * directory, image and a copy of its Config), refused for a dead or
 * removed one (EBUSY); then its "commit" event. */
struct engine_commit_src {
    char id[65];
    char *upper, *image_id;
    json_t *config;
    bool running; /* and not paused */
};
int engine_commit_source(struct engine *e, struct container *c, struct engine_commit_src *out,
                         pier_err_t *err);
void engine_commit_src_free(struct engine_commit_src *src);
/* The mountpoints a start makes in a container's layer ("etc/hosts",
 * "proc", ...), which commits leave out. */
extern const char *const engine_mountpoints[];
void engine_commit_done(struct engine *e, const char *id, const char *image_id,
                        const char *image_ref, const char *comment);

/* ---- logs ---- */

struct log_opts {
    bool out, err, timestamps, follow;
    long long tail;               /* -1: all */
    long long since_ns, until_ns; /* 0: none */
};
struct log_reader;
/* Frames (or raw bytes, for a tty) go to emit; follow keeps reading until
 * the container stops; done at the end (or when stopped). */
typedef int (*log_emit_fn)(void *data, const char *p, size_t n);
int engine_logs(struct engine *e, struct container *c, const struct log_opts *o, log_emit_fn emit,
                void (*done)(void *data), void *data, struct log_reader **out, pier_err_t *err);
/* More may be read (the consumer drained its buffer). */
void log_reader_kick(struct log_reader *r);
void log_reader_stop(struct log_reader *r);

/* ---- exec ---- */

int engine_exec_create(struct engine *e, struct container *c, json_t *body, char **id,
                       pier_err_t *err);
/* Whether the instance can start now (before the connection is hijacked). */
int engine_exec_check(struct engine *e, const char *id, pier_err_t *err);
/* fd: the hijacked connection (-1 when detached); taken. */
int engine_exec_start(struct engine *e, const char *id, int fd, bool detach, pier_err_t *err);
int engine_exec_inspect(struct engine *e, const char *id, json_t **out, pier_err_t *err);
int engine_exec_resize(struct engine *e, const char *id, unsigned h, unsigned w, pier_err_t *err);

/* ---- events ---- */

typedef void (*event_fn)(void *data, json_t *event);
/* Record an event (type "container", "image", ...; action; actor id and
 * attributes object, taken). */
void engine_event(struct engine *e, const char *type, const char *action, const char *id,
                  json_t *attrs);
/* Whether filters (docker's map) has only keys that events know. */
int engine_events_check(json_t *filters, pier_err_t *err);
/* Past events in [since, until] (ns, 0 for none), then live ones, to fn;
 * only those that pass the filters (checked; may be NULL).  NULL when out
 * of memory. */
void *engine_events_subscribe(struct engine *e, long long since_ns, long long until_ns,
                              json_t *filters, event_fn fn, void *data);
void engine_events_unsubscribe(struct engine *e, void *handle);

/* ---- networks ---- */
/* GET /networks: docker's filters (driver, id, label, name, scope, type,
 * dangling). */
int engine_network_list(struct engine *e, json_t *filters, json_t **out, pier_err_t *err);
int engine_network_inspect(struct engine *e, const char *ref, json_t **out, pier_err_t *err);
/* POST /networks/create: *out is {"Id", "Warning"}. */
int engine_network_create(struct engine *e, json_t *body, json_t **out, pier_err_t *err);
int engine_network_remove(struct engine *e, const char *ref, pier_err_t *err);
int engine_network_connect(struct engine *e, const char *ref, json_t *body, pier_err_t *err);
int engine_network_disconnect(struct engine *e, const char *ref, json_t *body, pier_err_t *err);
int engine_network_prune(struct engine *e, json_t *filters, json_t **out, pier_err_t *err);

/* ---- system ---- */
json_t *engine_info(struct engine *e);

#endif
