/* docker exec: an instance is created with its command, then started with
 * the client's hijacked connection, which goes to the container's shim
 * with the process to run; the shim reports its pid and exit code. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/msg.h"
#include "internal.h"

struct exec_inst {
    char id[65];
    struct container *c;
    json_t *config; /* docker's ExecConfig */
    bool running, started;
    int exit_code; /* -1: none yet */
    int pid;
    struct exec_inst *next;
};

static struct exec_inst *find(struct engine *e, const char *id, pier_err_t *err)
{
    size_t n = strlen(id);
    struct exec_inst *found = NULL;
    for (struct exec_inst *x = e->execs; x; x = x->next)
        if (strcmp(x->id, id) == 0 || (n >= 12 && strncmp(x->id, id, n) == 0))
            found = x;
    if (found == NULL) {
        pier_fail(err, ENOENT, "No such exec instance: %s", id);
    }
    return found;
}

int engine_exec_create(struct engine *e, struct container *c, json_t *body, char **id,
                       pier_err_t *err)
{
    if (c->state != C_RUNNING) {
        pier_fail(err, EBUSY, "container %s is %s", c->id,
                  c->state == C_PAUSED ? "paused, unpause the container before exec"
                                       : "not running");
        return -1;
    }
    json_t *cmd = json_object_get(body, "Cmd");
    if (json_array_size(cmd) == 0) {
        pier_fail(err, EINVAL, "No exec command specified");
        return -1;
    }
    struct exec_inst *x = calloc(1, sizeof *x);
    if (x == NULL)
        return pier_error(err, ENOMEM, "exec");
    if (ct_new_id(x->id) < 0) {
        free(x);
        return pier_error(err, errno, "exec id");
    }
    x->c = c;
    x->config = json_deep_copy(body);
    x->exit_code = -1;
    x->next = e->execs;
    e->execs = x;
    *id = strdup(x->id);
    json_t *args = json_array_get(cmd, 0);
    char what[512];
    snprintf(what, sizeof what, "exec_create: %s",
             json_string_value(args) ? json_string_value(args) : "");
    ct_event(c, what, json_pack("{s:s}", "execID", x->id));
    return 0;
}

/* The process to run: the container's, with the exec's command, env, user
 * and cwd, and all capabilities when privileged. */
static int process_file(struct engine *e, struct exec_inst *x, char *path, size_t cap,
                        pier_err_t *err)
{
    (void)e;
    char run[PATH_MAX];
    ct_run_dir(x->c, run, sizeof run);
    char spec_path[PATH_MAX];
    snprintf(spec_path, sizeof spec_path, "%s/config.json", run);
    cleanup_json json_t *spec = NULL;
    if (pier_json_load_file_at(AT_FDCWD, spec_path, 64 << 20, &spec, err) < 0)
        return -1;
    json_t *p = json_deep_copy(json_object_get(spec, "process"));
    if (p == NULL)
        return pier_error(err, 0, "the container's spec has no process");
    json_object_set(p, "args", json_object_get(x->config, "Cmd"));
    json_object_set_new(p, "terminal",
                        json_boolean(json_is_true(json_object_get(x->config, "Tty"))));
    json_t *size = json_object_get(x->config, "ConsoleSize");
    json_int_t rows = json_integer_value(json_array_get(size, 0));
    json_int_t cols = json_integer_value(json_array_get(size, 1));
    if (json_is_true(json_object_get(x->config, "Tty")) && rows > 0 && cols > 0 && rows < 65536 &&
        cols < 65536)
        json_object_set_new(p, "consoleSize",
                            json_pack("{s:I, s:I}", "height", rows, "width", cols));
    else
        json_object_del(p, "consoleSize");
    env_merge(json_object_get(p, "env"), json_object_get(x->config, "Env"));
    const char *wd = json_string_value(json_object_get(x->config, "WorkingDir"));
    if (wd && *wd)
        json_object_set_new(p, "cwd", json_string(wd));
    const char *user = json_string_value(json_object_get(x->config, "User"));
    if (user && *user) {
        char dir[PATH_MAX], home[PATH_MAX];
        ct_dir(x->c, dir, sizeof dir);
        strcat(dir, "/rootfs");
        cleanup_close int rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        json_t *u = json_object();
        json_object_set_new(p, "user", u);
        if (rootfd < 0 || user_resolve(rootfd, user, NULL, u, home, sizeof home, err) < 0) {
            if (rootfd < 0)
                pier_error(err, errno, "open the container's root `%s`", dir);
            json_decref(p);
            return -1;
        }
    }
    /* the runtime starts an exec from outside the container, so it is not
     * held to the container's bounding set: privileged means everything */
    if (json_is_true(json_object_get(x->config, "Privileged"))) {
        json_t *caps = json_object_get(p, "capabilities");
        json_t *all = oci_all_caps();
        if (caps) {
            json_object_set(caps, "bounding", all);
            json_object_set(caps, "effective", all);
            json_object_set(caps, "permitted", all);
        }
        json_decref(all);
    }
    snprintf(path, cap, "%s/exec-%s.json", run, x->id);
    cleanup_close int dfd = open(run, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char name[128];
    snprintf(name, sizeof name, "exec-%s.json", x->id);
    int r = dfd < 0 ? pier_error(err, errno, "open `%s`", run)
                    : pier_json_write_atomic_at(dfd, name, p, 0, err);
    json_decref(p);
    return r;
}

static bool attached(struct exec_inst *x, const char *key)
{
    return json_is_true(json_object_get(x->config, key));
}

static struct exec_inst *startable(struct engine *e, const char *id, pier_err_t *err)
{
    struct exec_inst *x = find(e, id, err);
    if (x == NULL)
        return NULL;
    if (x->started) {
        pier_fail(err, EBUSY, "Error: Exec command %s is already running", x->id);
        return NULL;
    }
    if (x->c->shim == NULL || x->c->state != C_RUNNING) {
        pier_fail(err, EBUSY, "container %s is not running", x->c->id);
        return NULL;
    }
    return x;
}

int engine_exec_check(struct engine *e, const char *id, pier_err_t *err)
{
    return startable(e, id, err) ? 0 : -1;
}

int engine_exec_start(struct engine *e, const char *id, int fd, bool detach, pier_err_t *err)
{
    struct exec_inst *x = startable(e, id, err);
    if (x == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char path[PATH_MAX];
    if (process_file(e, x, path, sizeof path, err) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const char *keys = json_string_value(json_object_get(x->config, "DetachKeys"));
    json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:s}", "op", "exec", "id", x->id,
                          "process", path, "tty", json_is_true(json_object_get(x->config, "Tty")),
                          "stdin", !detach && attached(x, "AttachStdin"), "stdout",
                          !detach && attached(x, "AttachStdout"), "stderr",
                          !detach && attached(x, "AttachStderr"), "detach_keys", keys ? keys : "");
    int r = shim_send(x->c->shim, m, detach ? -1 : fd, err);
    json_decref(m);
    if (fd >= 0)
        close(fd);
    if (r == 0) {
        x->started = true;
        x->running = true;
        ct_event(x->c, "exec_start", json_pack("{s:s}", "execID", x->id));
    }
    return r;
}

void lc_exec_event(struct engine *e, struct container *c, json_t *m)
{
    (void)c;
    const char *op = json_string_value(json_object_get(m, "op"));
    const char *id = json_string_value(json_object_get(m, "id"));
    pier_err_t err = NULL;
    struct exec_inst *x = id ? find(e, id, &err) : NULL;
    pier_error_free(&err);
    if (x == NULL)
        return;
    if (strcmp(op, "exec-started") == 0) {
        x->pid = (int)json_integer_value(json_object_get(m, "pid"));
    } else if (strcmp(op, "exec-exit") == 0) {
        x->running = false;
        x->exit_code = (int)json_integer_value(json_object_get(m, "exit_code"));
        char s[16];
        snprintf(s, sizeof s, "%d", x->exit_code);
        ct_event(x->c, "exec_die", json_pack("{s:s, s:s}", "execID", x->id, "exitCode", s));
    } else if (strcmp(op, "exec-error") == 0) {
        const char *why = json_string_value(json_object_get(m, "error"));
        x->running = false;
        x->exit_code = why && (strstr(why, "not found") || strstr(why, "No such file")) ? 127 : 126;
    }
    char run[PATH_MAX], name[128];
    ct_run_dir(x->c, run, sizeof run);
    snprintf(name, sizeof name, "%s/exec-%s.json", run, x->id);
    if (!x->running)
        unlink(name);
}

int engine_exec_inspect(struct engine *e, const char *id, json_t **out, pier_err_t *err)
{
    struct exec_inst *x = find(e, id, err);
    if (x == NULL)
        return -1;
    /* The shim sends an exec's exit before it ends the exec's stream, but a
     * client that saw the end may ask before pierd read that message. */
    if (x->running && x->c->shim) {
        shim_drain(x->c->shim);
        if ((x = find(e, id, err)) == NULL)
            return -1;
    }
    json_t *cmd = json_object_get(x->config, "Cmd");
    json_t *args = json_deep_copy(cmd);
    json_t *entry = json_array_size(args) ? json_incref(json_array_get(args, 0)) : json_string("");
    json_array_remove(args, 0);
    const char *user = json_string_value(json_object_get(x->config, "User"));
    *out = json_pack(
        "{s:b, s:s, s:b, s:b, s:b, s:b, s:s, s:s, s:{s:o, s:o, s:b, s:b, s:s}, s:i}", "CanRemove",
        false, "ContainerID", x->c->id, "OpenStdin",
        json_is_true(json_object_get(x->config, "AttachStdin")), "OpenStderr",
        json_is_true(json_object_get(x->config, "AttachStderr")), "OpenStdout",
        json_is_true(json_object_get(x->config, "AttachStdout")), "Running", x->running,
        "DetachKeys", "", "ID", x->id, "ProcessConfig", "arguments", args, "entrypoint", entry,
        "privileged", json_is_true(json_object_get(x->config, "Privileged")), "tty",
        json_is_true(json_object_get(x->config, "Tty")), "user", user ? user : "", "Pid", x->pid);
    json_object_set_new(*out, "ExitCode",
                        x->exit_code >= 0 && !x->running ? json_integer(x->exit_code)
                                                         : json_null());
    return 0;
}

int engine_exec_resize(struct engine *e, const char *id, unsigned h, unsigned w, pier_err_t *err)
{
    struct exec_inst *x = find(e, id, err);
    if (x == NULL)
        return -1;
    if (x->c->shim == NULL)
        return pier_error(err, 0, "container %s is not running", x->c->id);
    json_t *m = json_pack("{s:s, s:s, s:i, s:i}", "op", "exec-resize", "id", x->id, "h", (int)h,
                          "w", (int)w);
    int r = shim_send(x->c->shim, m, -1, err);
    json_decref(m);
    return r;
}

void exec_container_gone(struct engine *e, struct container *c)
{
    for (struct exec_inst **p = &e->execs; *p;) {
        struct exec_inst *x = *p;
        if (x->c != c) {
            p = &x->next;
            continue;
        }
        *p = x->next;
        json_decref(x->config);
        free(x);
    }
}
