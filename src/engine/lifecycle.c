/* Create, start, stop, kill, wait, pause, remove, rename: a container's
 * life as docker's API drives it, and restart policies. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/signals.h"
#include "../runtime/container.h"
#include "../shim/proto.h"
#include "internal.h"

struct waiter {
    struct container *c;
    enum engine_wait cond;
    engine_wait_fn fn;
    void *data;
    struct waiter *next;
};

struct pending_attach {
    int fd;
    bool in, out, err;
    char keys[64];
    struct pending_attach *next;
};

/* ---- create ---- */

/* docker's mergeAndVerifyConfig: the image's config fills what the
 * container's does not say. */
static void merge_image_config(json_t *cfg, json_t *img)
{
    if (!json_is_object(img))
        return;
    json_t *env = json_array();
    env_merge(env, json_object_get(img, "Env"));
    env_merge(env, json_object_get(cfg, "Env"));
    json_object_set_new(cfg, "Env", env);
    json_t *ep = json_object_get(cfg, "Entrypoint");
    json_t *cmd = json_object_get(cfg, "Cmd");
    /* `--entrypoint ''` (sent as [""]) clears the image's entrypoint */
    if (json_array_size(ep) == 1 && json_string_length(json_array_get(ep, 0)) == 0 &&
        json_is_string(json_array_get(ep, 0))) {
        json_object_set_new(cfg, "Entrypoint", json_array());
        ep = json_object_get(cfg, "Entrypoint");
    }
    if (json_array_size(ep) == 0) {
        if (json_array_size(cmd) == 0)
            json_object_set(cfg, "Cmd",
                            json_object_get(img, "Cmd") ? json_object_get(img, "Cmd")
                                                        : json_null());
        if (!json_is_array(ep)) {
            json_t *iep = json_object_get(img, "Entrypoint");
            json_object_set(cfg, "Entrypoint", iep ? iep : json_null());
        }
    }
    static const char *const strs[] = {"WorkingDir", "User", "StopSignal"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(cfg, strs[i]));
        json_t *iv = json_object_get(img, strs[i]);
        if ((v == NULL || *v == '\0') && json_is_string(iv))
            json_object_set(cfg, strs[i], iv);
    }
    static const char *const maps[] = {"Labels", "ExposedPorts", "Volumes"};
    for (size_t i = 0; i < 3; i++) {
        json_t *iv = json_object_get(img, maps[i]);
        if (!json_is_object(iv))
            continue;
        json_t *cv = json_object_get(cfg, maps[i]);
        json_t *m = json_deep_copy(iv);
        if (json_is_object(cv))
            json_object_update(m, cv);
        json_object_set_new(cfg, maps[i], m);
    }
}

static int validate_host(json_t *host, json_t **warnings, pier_err_t *err)
{
    json_t *rp = json_object_get(host, "RestartPolicy");
    const char *pol = json_string_value(json_object_get(rp, "Name"));
    if (pol && *pol && strcmp(pol, "no") != 0 && json_is_true(json_object_get(host, "AutoRemove")))
        return pier_fail(err, EINVAL,
                         "conflicting options: cannot specify both --restart and --rm");
    if (pol && *pol && strcmp(pol, "no") != 0 && strcmp(pol, "always") != 0 &&
        strcmp(pol, "on-failure") != 0 && strcmp(pol, "unless-stopped") != 0)
        return pier_fail(err, EINVAL, "invalid restart policy '%s'", pol);
    json_int_t mem = json_integer_value(json_object_get(host, "Memory"));
    if (mem > 0 && mem < 6 * 1024 * 1024)
        return pier_fail(err, EINVAL, "Minimum memory limit allowed is 6MB");
    json_int_t swap = json_integer_value(json_object_get(host, "MemorySwap"));
    if (swap > 0 && mem > 0 && swap < mem)
        return pier_fail(err, EINVAL,
                         "Minimum memoryswap limit should be larger than memory limit, see usage");
    if (json_integer_value(json_object_get(host, "NanoCpus")) > 0 &&
        (json_integer_value(json_object_get(host, "CpuQuota")) > 0 ||
         json_integer_value(json_object_get(host, "CpuPeriod")) > 0))
        return pier_fail(err, EINVAL,
                         "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (ct_ports_check(host, err) < 0)
        return -1;
    (void)warnings;
    return 0;
}

int engine_create(struct engine *e, const char *name, json_t *body, json_t **warnings,
                  struct container **out, pier_err_t *err)
{
    *warnings = json_array();
    if (!json_is_object(body))
        return pier_fail(err, EINVAL, "config cannot be empty in order to create a container");
    if (name && *name) {
        if (name[0] == '/')
            name++;
        if (!ct_name_valid(name))
            return pier_fail(
                err, EINVAL,
                "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
        for (struct container *c = e->containers; c; c = c->next)
            if (strcmp(c->name, name) == 0)
                return pier_fail(err, EEXIST,
                                 "Conflict. The container name \"/%s\" is already in use by "
                                 "container \"%s\". You have to remove (or rename) that container "
                                 "to be able to reuse that name.",
                                 name, c->id);
    }
    const char *image = json_string_value(json_object_get(body, "Image"));
    if (image == NULL || *image == '\0')
        return pier_fail(err, EINVAL, "no image was specified");
    cleanup_free char *image_id = NULL;
    if (img_resolve(e->images, image, &image_id, err) < 0) {
        cleanup_free char *norm = NULL;
        pier_err_t e2 = NULL;
        if (img_normalize(image, &norm, &e2) < 0)
            pier_error_free(&e2);
        return pier_fail(err, ENOENT, "No such image: %s", norm ? norm : image);
    }
    json_t *host = json_object_get(body, "HostConfig");
    host = json_is_object(host) ? json_deep_copy(host) : json_object();
    if (validate_host(host, warnings, err) < 0) {
        json_decref(host);
        return -1;
    }
    json_t *cfg = json_deep_copy(body);
    json_object_del(cfg, "HostConfig");
    json_object_del(cfg, "NetworkingConfig");
    json_t *imgcfg = json_object_get(img_config(e->images, image_id), "config");
    merge_image_config(cfg, imgcfg);
    const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
    if (wd && *wd && *wd != '/') {
        pier_fail(err, EINVAL,
                  "the working directory '%s' is invalid, it needs to be an absolute path", wd);
        json_decref(cfg);
        json_decref(host);
        return -1;
    }
    if (json_object_get(host, "NetworkMode") == NULL ||
        json_string_value(json_object_get(host, "NetworkMode"))[0] == '\0')
        json_object_set_new(host, "NetworkMode", json_string("default"));
    /* the default log driver named, as dockerd names it */
    json_t *lc = json_object_get(host, "LogConfig");
    const char *lt = json_string_value(json_object_get(lc, "Type"));
    if (lt == NULL || *lt == '\0') {
        if (!json_is_object(lc)) {
            lc = json_object();
            json_object_set_new(host, "LogConfig", lc);
        }
        json_object_set_new(lc, "Type", json_string("json-file"));
        if (!json_is_object(json_object_get(lc, "Config")))
            json_object_set_new(lc, "Config", json_object());
    }

    struct container *c = calloc(1, sizeof *c);
    if (c == NULL) {
        json_decref(cfg);
        json_decref(host);
        return pier_error(err, ENOMEM, "container");
    }
    c->e = e;
    c->config = cfg;
    c->host = host;
    c->state = C_CREATED;
    c->image_id = steal_pointer(&image_id);
    c->created = now_rfc3339();
    c->name = name && *name ? strdup(name) : names_generate(e);
    if (ct_new_id(c->id) < 0 || c->name == NULL || c->created == NULL) {
        ct_free(c);
        return pier_error(err, ENOMEM, "container");
    }
    if (ep_create(e, c, json_object_get(body, "NetworkingConfig"), err) < 0) {
        ct_free(c);
        return -1;
    }
    char dir[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    if (mkdir(dir, 0710) < 0 || ct_save_durable(c, err) < 0 || etc_files(e, c, err) < 0) {
        if (*err == NULL)
            pier_error(err, errno, "create `%s`", dir);
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s/containers", e->data_root);
        cleanup_close int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        pier_rm_rf_at(pfd, c->id, NULL);
        ct_free(c);
        return -1;
    }
    c->next = e->containers;
    e->containers = c;
    e->ncontainers++;
    ct_event(c, "create", NULL);
    *out = c;
    return 0;
}

/* ---- waiters ---- */

static void notify_waiters(struct container *c, bool removed)
{
    for (struct waiter **p = &c->waiters; *p;) {
        struct waiter *w = *p;
        bool fire =
            removed ? w->cond == WAIT_REMOVED || !container_running(c) : w->cond != WAIT_REMOVED;
        if (!fire) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        w->fn(w->data, c->exit_code, c->error);
        free(w);
    }
}

void *engine_wait(struct engine *e, struct container *c, enum engine_wait cond, engine_wait_fn fn,
                  void *data)
{
    (void)e;
    if (cond == WAIT_NOT_RUNNING && !container_running(c)) {
        fn(data, c->exit_code, c->error);
        return NULL;
    }
    struct waiter *w = calloc(1, sizeof *w);
    if (w == NULL) {
        fn(data, -1, "out of memory");
        return NULL;
    }
    *w = (struct waiter){.c = c, .cond = cond, .fn = fn, .data = data, .next = c->waiters};
    c->waiters = w;
    return w;
}

void engine_wait_cancel(struct engine *e, void *handle)
{
    if (handle == NULL)
        return;
    for (struct container *c = e->containers; c; c = c->next)
        for (struct waiter **p = &c->waiters; *p; p = &(*p)->next)
            if (*p == handle) {
                *p = (*p)->next;
                free(handle);
                return;
            }
}

/* ---- start ---- */

struct start_op {
    struct engine *e;
    struct container *c;
    engine_done_fn done;
    void *data;
};

static int remove_now(struct engine *e, struct container *c, pier_err_t *err);

/* The system's error texts as Go writes them (lower case), in a copy of
 * msg: the docker CLI reads "permission denied" and "no such file or
 * directory" in a start's error to choose 126 or 127. */
static char *go_errno_text(const char *msg)
{
    char *out = strdup(msg);
    for (int e = 1; out && e < 134; e++) {
        const char *t = strerror(e);
        for (char *p = strstr(out, t); p; p = strstr(p + 1, t))
            *p = (char)tolower((unsigned char)*p);
    }
    return out;
}

struct stop_later {
    int timeout;
    char signal[32];
    engine_done_fn done;
    void *data;
};

/* The start ended: a stop that waited for it goes now (or, when the start
 * failed, finds the container stopped). */
static void start_ended(struct container *c)
{
    c->starting = false;
    struct stop_later *s = c->stop_later;
    if (s == NULL)
        return;
    c->stop_later = NULL;
    if (container_running(c))
        engine_stop(c->e, c, s->timeout, s->signal, s->done, s->data);
    else
        s->done(s->data, NULL);
    free(s);
}

static void start_failed(struct start_op *op, pier_err_t err)
{
    struct container *c = op->c;
    if (c->shim)
        shim_close(c->shim);
    ep_stop(op->e, c);
    rootfs_unmount(op->e, c);
    const char *msg = pier_error_msg(err);
    /* docker's exit codes for a program that cannot run */
    c->exit_code = strstr(msg, "executable file not found") || strstr(msg, "no such file") ? 127
                   : strstr(msg, "permission denied")                                      ? 126
                                                                                           : 128;
    free(c->error);
    c->error = strdup(msg);
    c->state = c->has_started ? C_EXITED : C_CREATED;
    pier_err_t e2 = NULL;
    if (ct_save(c, &e2) < 0)
        pier_error_free(&e2);
    while (c->attaches) {
        struct pending_attach *a = c->attaches;
        c->attaches = a->next;
        close(a->fd);
        free(a);
    }
    /* As docker: a start that failed is no exit (its waiters go on
     * waiting), but a --rm container goes. */
    struct engine *e = op->e;
    op->done(op->data, err);
    free(op);
    start_ended(c);
    if (json_is_true(json_object_get(c->host, "AutoRemove")) && remove_now(e, c, &e2) < 0) {
        pier_warn("remove %s: %s", c->id, pier_error_msg(e2));
        pier_error_free(&e2);
    }
}

static void on_started(void *data, json_t *msg)
{
    struct start_op *op = data;
    struct container *c = op->c;
    const char *opn = msg ? json_string_value(json_object_get(msg, "op")) : NULL;
    if (opn == NULL || strcmp(opn, "started") != 0) {
        pier_err_t err = NULL;
        const char *why = msg ? json_string_value(json_object_get(msg, "error")) : NULL;
        cleanup_free char *text = go_errno_text(why ? why : "its monitor exited");
        pier_error(&err, 0, "failed to start container %s: %s", c->id,
                   text ? text : "out of memory");
        start_failed(op, err);
        return;
    }
    c->state = C_RUNNING;
    c->has_started = true;
    c->exit_code = 0;
    free(c->error);
    c->error = NULL;
    free(c->started_at);
    c->started_at = now_rfc3339();
    free(c->finished_at);
    c->finished_at = NULL;
    c->oom_killed = false;
    pier_err_t err = NULL;
    if (ct_save(c, &err) < 0) {
        pier_warn("%s", pier_error_msg(err));
        pier_error_free(&err);
    }
    ct_event(c, "start", NULL);
    op->done(op->data, NULL);
    free(op);
    start_ended(c);
}

static void on_created(void *data, json_t *msg)
{
    struct start_op *op = data;
    struct container *c = op->c;
    const char *opn = msg ? json_string_value(json_object_get(msg, "op")) : NULL;
    if (opn == NULL || strcmp(opn, "created") != 0) {
        pier_err_t err = NULL;
        const char *why = msg ? json_string_value(json_object_get(msg, "error")) : NULL;
        cleanup_free char *text = go_errno_text(why ? why : "pier-shim exited");
        pier_error(&err, 0, "OCI runtime create failed: %s", text ? text : "out of memory");
        start_failed(op, err);
        return;
    }
    c->pid = (int)json_integer_value(json_object_get(msg, "pid"));
    /* Clients attached before the start get everything from the start. */
    lc_start_pending_attaches(c);
    pier_err_t err = NULL;
    json_t *m = json_pack("{s:s}", "op", "start");
    if (shim_send(c->shim, m, -1, &err) < 0) {
        json_decref(m);
        start_failed(op, err);
        return;
    }
    json_decref(m);
    shim_expect(c->shim, "started|error", on_started, op);
}

static int write_bundle(struct engine *e, struct container *c, pier_err_t *err)
{
    char run[PATH_MAX];
    ct_run_dir(c, run, sizeof run);
    if (pier_mkdir_p(run, 0700, err) < 0)
        return -1;
    /* A shim of a previous run leaves these: the new one starts clean. */
    cleanup_close int dfd = open(run, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", run);
    unlinkat(dfd, "exit.json", 0);
    cleanup_json json_t *spec = NULL;
    if (oci_spec(e, c, &spec, err) < 0)
        return -1;
    return pier_json_write_atomic_at(dfd, "config.json", spec, 0, err);
}

void engine_start(struct engine *e, struct container *c, engine_done_fn done, void *data)
{
    pier_err_t err = NULL;
    if (c->state == C_RUNNING || c->state == C_RESTARTING) {
        pier_fail(&err, EALREADY, "container %s is already started", c->id);
        done(data, err);
        return;
    }
    if (c->state == C_PAUSED || c->state == C_REMOVING || c->removing) {
        pier_fail(&err, EBUSY, "cannot start a %s container, try unpause instead",
                  c->state == C_PAUSED ? "paused" : "removing");
        done(data, err);
        return;
    }
    struct start_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        pier_error(&err, ENOMEM, "start");
        done(data, err);
        return;
    }
    *op = (struct start_op){.e = e, .c = c, .done = done, .data = data};
    if (c->restart_timer) {
        pier_timer_del(c->restart_timer);
        c->restart_timer = NULL;
    }
    c->stopped_by_user = false;
    c->starting = true;
    /* No shim runs it now, so what the runtime still holds of it is stale:
     * a shim killed with its container (a reboot's leftovers are gone
     * already). */
    rt_delete(e->rt_root, c->id, true, NULL);
    if (rootfs_mount(e, c, &err) < 0 || ep_start(e, c, &err) < 0 || etc_files(e, c, &err) < 0 ||
        write_bundle(e, c, &err) < 0 || shim_launch(e, c, &err) < 0) {
        start_failed(op, err);
        return;
    }
    shim_expect(c->shim, "created|error", on_created, op);
}

/* ---- attach ---- */

static int send_attach(struct container *c, int fd, bool in, bool out, bool err_, const char *keys,
                       pier_err_t *err)
{
    json_t *m = json_pack("{s:s, s:b, s:b, s:b, s:s}", "op", "attach", "stdin", in, "stdout", out,
                          "stderr", err_, "detach_keys", keys ? keys : "");
    int r = shim_send(c->shim, m, fd, err);
    json_decref(m);
    close(fd);
    return r;
}

void lc_start_pending_attaches(struct container *c)
{
    while (c->attaches) {
        struct pending_attach *a = c->attaches;
        c->attaches = a->next;
        pier_err_t err = NULL;
        if (send_attach(c, a->fd, a->in, a->out, a->err, a->keys, &err) < 0) {
            pier_warn("attach to %s: %s", c->id, pier_error_msg(err));
            pier_error_free(&err);
        }
        free(a);
    }
}

int engine_attach(struct engine *e, struct container *c, int fd, bool in, bool out, bool err_,
                  const char *keys, pier_err_t *err)
{
    (void)e;
    ct_event(c, "attach", NULL);
    if (c->shim != NULL && c->state != C_CREATED)
        return send_attach(c, fd, in, out, err_, keys, err);
    /* as dockerd's: an attach to a stopped container gets its next run
     * (`start -a` attaches first, then starts) */
    if (c->state != C_REMOVING && !c->removing) {
        struct pending_attach *a = calloc(1, sizeof *a);
        if (a == NULL) {
            close(fd);
            return pier_error(err, ENOMEM, "attach");
        }
        *a = (struct pending_attach){.fd = fd, .in = in, .out = out, .err = err_};
        snprintf(a->keys, sizeof a->keys, "%s", keys ? keys : "");
        struct pending_attach **p = &c->attaches;
        while (*p)
            p = &(*p)->next;
        *p = a;
        return 0;
    }
    close(fd);
    return 0;
}

/* ---- signals, stop ---- */

static int signal_init(struct container *c, int sig, pier_err_t *err)
{
    int pidfd = c->pid > 0 ? (int)syscall(SYS_pidfd_open, c->pid, 0) : -1;
    if (pidfd < 0)
        return pier_fail(err, EBUSY, "Cannot kill container: %s: container %s is not running",
                         c->id, c->id);
    int r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    int e2 = errno;
    close(pidfd);
    if (r < 0)
        return pier_error(err, e2, "Cannot kill container: %s", c->id);
    return 0;
}

int engine_kill(struct engine *e, struct container *c, int sig, pier_err_t *err)
{
    (void)e;
    if (!container_running(c) || c->state == C_RESTARTING)
        return pier_fail(err, EBUSY, "Cannot kill container: %s: container %s is not running",
                         c->id, c->id);
    if (c->state == C_PAUSED && sig == SIGKILL)
        rt_resume(c->e->rt_root, c->id, NULL);
    if (signal_init(c, sig, err) < 0)
        return -1;
    json_t *attrs = json_object();
    char s[16];
    snprintf(s, sizeof s, "%d", sig);
    json_object_set_new(attrs, "signal", json_string(s));
    ct_event(c, "kill", attrs);
    return 0;
}

struct stop_op {
    struct engine *e;
    struct container *c;
    struct pier_watch *timer;
    void *waiter;
    engine_done_fn done;
    void *data;
};

static void stop_exited(void *data, int code, const char *error)
{
    (void)code;
    (void)error;
    struct stop_op *op = data;
    if (op->timer)
        pier_timer_del(op->timer);
    ct_event(op->c, "stop", NULL);
    op->done(op->data, NULL);
    free(op);
}

static void stop_timeout(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct stop_op *op = data;
    pier_timer_del(op->timer);
    op->timer = NULL;
    pier_err_t err = NULL;
    if (container_running(op->c) && engine_kill(op->e, op->c, SIGKILL, &err) < 0)
        pier_error_free(&err);
}

void engine_stop(struct engine *e, struct container *c, int timeout, const char *signal_,
                 engine_done_fn done, void *data)
{
    pier_err_t err = NULL;
    if (c->state == C_RESTARTING && c->restart_timer) {
        pier_timer_del(c->restart_timer);
        c->restart_timer = NULL;
        c->state = C_EXITED;
        c->stopped_by_user = true;
        ct_save(c, NULL);
        done(data, NULL);
        return;
    }
    if (c->starting) {
        /* a restart (policy or user) under way: stop what it starts */
        struct stop_later *s = c->stop_later ? NULL : calloc(1, sizeof *s);
        if (s == NULL) {
            pier_fail(&err, EBUSY, "container %s is being started", c->id);
            done(data, err);
            return;
        }
        *s = (struct stop_later){.timeout = timeout, .done = done, .data = data};
        snprintf(s->signal, sizeof s->signal, "%s", signal_ ? signal_ : "");
        c->stopped_by_user = true;
        c->stop_later = s;
        return;
    }
    if (!container_running(c)) {
        pier_fail(&err, EALREADY, "container %s is already stopped", c->id);
        done(data, err);
        return;
    }
    c->stopped_by_user = true;
    const char *sname =
        signal_ && *signal_ ? signal_ : json_string_value(json_object_get(c->config, "StopSignal"));
    int sig = sname && *sname ? pier_signal_parse(sname) : SIGTERM;
    if (sig < 0)
        sig = SIGTERM;
    if (timeout < 0) {
        json_t *t = json_object_get(c->config, "StopTimeout");
        timeout = json_is_integer(t) ? (int)json_integer_value(t) : 10;
    }
    struct stop_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        pier_error(&err, ENOMEM, "stop");
        done(data, err);
        return;
    }
    *op = (struct stop_op){.e = e, .c = c, .done = done, .data = data};
    if (engine_kill(e, c, sig, &err) < 0) {
        /* it may be exiting already: the wait says */
        pier_error_free(&err);
    }
    if (c->state == C_PAUSED)
        rt_resume(e->rt_root, c->id, NULL);
    if (timeout >= 0)
        op->timer = pier_timer_add(e->loop, (uint64_t)timeout * 1000, 0, stop_timeout, op, NULL);
    op->waiter = engine_wait(e, c, WAIT_NOT_RUNNING, stop_exited, op);
}

struct restart_op {
    struct engine *e;
    struct container *c;
    engine_done_fn done;
    void *data;
};

static void restart_started_again(void *data, pier_err_t err)
{
    struct restart_op *op = data;
    if (err == NULL)
        ct_event(op->c, "restart", NULL);
    op->done(op->data, err);
    free(op);
}

static void restart_stopped(void *data, pier_err_t err)
{
    struct restart_op *op = data;
    op->c->keep_root = false;
    if (err != NULL && err->errnum != EALREADY) {
        if (!container_running(op->c))
            rootfs_unmount(op->e, op->c);
        op->done(op->data, err);
        free(op);
        return;
    }
    pier_error_free(&err);
    engine_start(op->e, op->c, restart_started_again, op);
}

void engine_restart(struct engine *e, struct container *c, int timeout, engine_done_fn done,
                    void *data)
{
    struct restart_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        pier_err_t err = NULL;
        pier_error(&err, ENOMEM, "restart");
        done(data, err);
        return;
    }
    *op = (struct restart_op){.e = e, .c = c, .done = done, .data = data};
    /* its root stays mounted for the start that follows: an unmount would
     * sync the host's filesystem only for the start to wait for it */
    c->keep_root = true;
    engine_stop(e, c, timeout, NULL, restart_stopped, op);
}

int engine_pause(struct engine *e, struct container *c, bool pause, pier_err_t *err)
{
    if (pause && c->state != C_RUNNING)
        return pier_fail(err, EBUSY, "Container %s is not running", c->id);
    if (!pause && c->state != C_PAUSED)
        return pier_fail(err, EBUSY, "Container %s is not paused", c->id);
    if ((pause ? rt_pause(e->rt_root, c->id, err) : rt_resume(e->rt_root, c->id, err)) < 0)
        return -1;
    c->state = pause ? C_PAUSED : C_RUNNING;
    ct_save(c, NULL);
    ct_event(c, pause ? "pause" : "unpause", NULL);
    return 0;
}

int engine_resize(struct engine *e, struct container *c, unsigned h, unsigned w, pier_err_t *err)
{
    (void)e;
    if (c->shim == NULL)
        return pier_fail(err, EBUSY, "Container %s is not running", c->id);
    json_t *m = json_pack("{s:s, s:i, s:i}", "op", "resize", "h", (int)h, "w", (int)w);
    int r = shim_send(c->shim, m, -1, err);
    json_decref(m);
    return r;
}

int engine_rename(struct engine *e, struct container *c, const char *name, pier_err_t *err)
{
    if (name && name[0] == '/')
        name++;
    if (!ct_name_valid(name))
        return pier_fail(err, EINVAL,
                         "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                         name ? name : "");
    if (strcmp(c->name, name) == 0)
        return pier_fail(err, EINVAL,
                         "Renaming a container with the same name as its current "
                         "name");
    for (struct container *o = e->containers; o; o = o->next)
        if (strcmp(o->name, name) == 0)
            return pier_fail(err, EEXIST,
                             "Conflict. The container name \"/%s\" is already in use by "
                             "container \"%s\". You have to remove (or rename) that container to "
                             "be able to reuse that name.",
                             name, o->id);
    char *old = c->name;
    c->name = strdup(name);
    if (c->name == NULL || ct_save_durable(c, err) < 0) {
        free(c->name);
        c->name = old;
        return -1;
    }
    json_t *attrs = json_pack("{s:s}", "oldName", old);
    free(old);
    ct_event(c, "rename", attrs);
    return 0;
}

/* ---- removal ---- */

static int remove_now(struct engine *e, struct container *c, pier_err_t *err)
{
    if (c->stop_later) {
        c->stop_later->done(c->stop_later->data, NULL);
        free(c->stop_later);
        c->stop_later = NULL;
    }
    if (c->shim)
        shim_close(c->shim);
    ep_stop(e, c);
    rt_delete(e->rt_root, c->id, true, NULL);
    if (rootfs_remove(e, c, err) < 0)
        return -1;
    ct_event(c, "destroy", NULL);
    notify_waiters(c, true);
    logs_container_gone(c);
    exec_container_gone(e, c);
    ct_unlink(e, c);
    ct_free(c);
    return 0;
}

int engine_remove(struct engine *e, struct container *c, bool force, bool volumes, pier_err_t *err)
{
    (void)volumes;
    if (container_running(c) && c->state != C_RESTARTING) {
        if (!force)
            return pier_fail(err, EBUSY,
                             "cannot remove container \"/%s\": container is running: stop the "
                             "container before removing or force remove",
                             c->name);
        /* removed when its exit comes */
        c->removing = true;
        if (engine_kill(e, c, SIGKILL, err) < 0)
            return -1;
        errno = EINPROGRESS;
        return 1;
    }
    if (c->restart_timer) {
        pier_timer_del(c->restart_timer);
        c->restart_timer = NULL;
    }
    return remove_now(e, c, err);
}

/* ---- exits and restarts ---- */

static void restart_due(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data);

static bool should_restart(struct container *c)
{
    if (c->stopped_by_user || c->removing)
        return false;
    json_t *rp = json_object_get(c->host, "RestartPolicy");
    const char *pol = json_string_value(json_object_get(rp, "Name"));
    if (pol == NULL || *pol == '\0' || strcmp(pol, "no") == 0)
        return false;
    if (strcmp(pol, "on-failure") == 0) {
        int max = (int)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
        return c->exit_code != 0 && (max == 0 || c->restart_count < max);
    }
    return true; /* always, unless-stopped */
}

static void restart_started(void *data, pier_err_t err)
{
    struct container *c = data;
    if (err != NULL) {
        pier_warn("restart %s: %s", c->id, pier_error_msg(err));
        pier_error_free(&err);
    }
}

static void restart_due(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)l;
    (void)w;
    (void)events;
    struct container *c = data;
    pier_timer_del(c->restart_timer);
    c->restart_timer = NULL;
    c->restart_count++;
    c->state = C_EXITED;
    engine_start(c->e, c, restart_started, c);
}

void lc_exited(struct engine *e, struct container *c, int code, const char *finished_at,
               bool oom_killed)
{
    if (!container_running(c) && c->state != C_RESTARTING)
        return;
    if (c->shim)
        shim_close(c->shim);
    ep_stop(e, c);
    if (!c->keep_root)
        rootfs_unmount(e, c);
    long long ran = rfc3339_to_ns(finished_at) - rfc3339_to_ns(c->started_at);
    c->exit_code = code;
    c->oom_killed = oom_killed;
    c->pid = 0;
    free(c->finished_at);
    c->finished_at = finished_at ? strdup(finished_at) : now_rfc3339();
    c->state = C_EXITED;
    /* as dockerd's cleanup: a container's exec instances end with it */
    exec_container_gone(e, c);
    if (oom_killed)
        ct_event(c, "oom", NULL);
    json_t *attrs = json_object();
    char s[16];
    snprintf(s, sizeof s, "%d", code);
    json_object_set_new(attrs, "exitCode", json_string(s));
    ct_event(c, "die", attrs);
    bool restart = should_restart(c);
    if (restart) {
        /* docker's back-off: 100 ms doubling, reset after 10 s of running */
        static const uint64_t max_ms = 60000;
        uint64_t delay = 100;
        if (ran < 10000000000LL)
            for (int i = 0; i < c->restart_count && delay < max_ms; i++)
                delay *= 2;
        if (delay > max_ms)
            delay = max_ms;
        c->state = C_RESTARTING;
        c->restart_timer = pier_timer_add(e->loop, delay, 0, restart_due, c, NULL);
    }
    pier_err_t err = NULL;
    if (ct_save(c, &err) < 0) {
        pier_warn("%s", pier_error_msg(err));
        pier_error_free(&err);
    }
    notify_waiters(c, false);
    logs_container_stopped(c);
    if (!restart && (c->removing || json_is_true(json_object_get(c->host, "AutoRemove")))) {
        if (remove_now(e, c, &err) < 0) {
            pier_warn("remove %s: %s", c->id, pier_error_msg(err));
            pier_error_free(&err);
        }
    }
}

/* After pierd restarted: the shims of running containers are found again;
 * a container whose shim is gone exited meanwhile. */
void lc_restore(struct engine *e, struct container *c)
{
    if (!container_running(c)) {
        if (c->state == C_RESTARTING ||
            (c->state == C_EXITED && c->has_started && !c->stopped_by_user && should_restart(c))) {
            c->state = C_RESTARTING;
            c->restart_timer = pier_timer_add(e->loop, 100, 0, restart_due, c, NULL);
        }
        return;
    }
    pier_err_t err = NULL;
    if (shim_reconnect(e, c, &err) == 0)
        return;
    pier_debug("restore %s: %s", c->id, pier_error_msg(err));
    pier_error_free(&err);
    lc_exited_as_recorded(e, c, "the container's monitor (pier-shim) was gone when pierd started");
}

void lc_exited_as_recorded(struct engine *e, struct container *c, const char *otherwise)
{
    char path[PATH_MAX];
    ct_run_dir(c, path, sizeof path);
    strcat(path, "/" SHIM_EXIT_FILE);
    cleanup_json json_t *x = NULL;
    pier_err_t err = NULL;
    if (pier_json_load_file_at(AT_FDCWD, path, 1 << 16, &x, &err) == 0) {
        lc_exited(e, c, (int)json_integer_value(json_object_get(x, "exit_code")),
                  json_string_value(json_object_get(x, "finished_at")),
                  json_is_true(json_object_get(x, "oom_killed")));
    } else {
        pier_error_free(&err);
        free(c->error);
        c->error = strdup(otherwise);
        lc_exited(e, c, 255, NULL, false);
    }
}
