/* pause, resume, update and stats of a container: work on its cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "cgroup.h"
#include "container.h"
#include "spec.h"
#include "state.h"

/* The state and cgroup of a container, and its status. */
static int open_container(const char *root, const char *id, int *statefd, struct rt_state *st,
                          struct rt_cgroup *cg, enum rt_status *status, pier_err_t *err)
{
    *statefd = rt_state_dir_open(root ? root : RT_DEFAULT_ROOT, id, err);
    if (*statefd < 0)
        return -1;
    if (rt_state_load_at(*statefd, id, st, err) < 0 ||
        rt_cgroup_from_string(st->cgroup_path, cg, err) < 0) {
        close(*statefd);
        return -1;
    }
    *status = rt_state_status(*statefd, st);
    return 0;
}

static void close_container(int statefd, struct rt_state *st, struct rt_cgroup *cg)
{
    close(statefd);
    rt_state_free(st);
    rt_cgroup_free(cg);
}

static int set_frozen(const char *root, const char *id, bool frozen, pier_err_t *err)
{
    int fd;
    struct rt_state st;
    struct rt_cgroup cg;
    enum rt_status status;
    if (open_container(root, id, &fd, &st, &cg, &status, err) < 0)
        return -1;
    int r = 0;
    if (frozen && status != RT_STATUS_RUNNING)
        r = pier_error(err, 0, "cannot pause container `%s`: it is %s", id,
                       rt_status_names[status]);
    else if (!frozen && status != RT_STATUS_PAUSED)
        r = pier_error(err, 0, "cannot resume container `%s`: it is %s, not paused", id,
                       rt_status_names[status]);
    else if (rt_cgroup_freeze(&cg, frozen, err) < 0)
        r = pier_error_wrap(err, "%s container `%s`", frozen ? "pause" : "resume", id);
    close_container(fd, &st, &cg);
    return r;
}

int rt_pause(const char *root, const char *id, pier_err_t *err)
{
    return set_frozen(root, id, true, err);
}

int rt_resume(const char *root, const char *id, pier_err_t *err)
{
    return set_frozen(root, id, false, err);
}

/* Merge src into dst, objects recursively, other values replaced. */
static void merge(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach (src, k, v) {
        json_t *d = json_object_get(dst, k);
        if (json_is_object(v) && json_is_object(d))
            merge(d, v);
        else
            json_object_set(dst, k, v);
    }
}

int rt_update(const char *root, const char *id, json_t *resources, pier_err_t *err)
{
    int fd;
    struct rt_state st;
    struct rt_cgroup cg;
    enum rt_status status;
    if (open_container(root, id, &fd, &st, &cg, &status, err) < 0)
        return -1;
    int r = -1;
    json_t *cfg = NULL, *lx, *cur;
    if (status == RT_STATUS_STOPPED) {
        pier_error(err, 0, "cannot update container `%s`: it is stopped", id);
        goto out;
    }
    if (rt_cgroup_apply_resources(&cg, resources, err) < 0) {
        pier_error_wrap(err, "update container `%s`", id);
        goto out;
    }
    /* Keep the saved spec in step, so that later updates and exec see it. */
    if (pier_json_load_file_at(fd, RT_CONFIG_FILE, RT_SPEC_MAX_BYTES, &cfg, err) < 0)
        goto out;
    lx = json_object_get(cfg, "linux");
    if (!json_is_object(lx)) {
        lx = json_object();
        json_object_set_new(cfg, "linux", lx);
    }
    cur = json_object_get(lx, "resources");
    if (!json_is_object(cur))
        json_object_set(lx, "resources", resources);
    else
        merge(cur, resources);
    r = pier_json_write_atomic_at(fd, RT_CONFIG_FILE, cfg, 0, err);
out:
    if (cfg)
        json_decref(cfg);
    close_container(fd, &st, &cg);
    return r;
}

int rt_stats(const char *root, const char *id, json_t **out, pier_err_t *err)
{
    int fd;
    struct rt_state st;
    struct rt_cgroup cg;
    enum rt_status status;
    if (open_container(root, id, &fd, &st, &cg, &status, err) < 0)
        return -1;
    int r = status == RT_STATUS_STOPPED ? pier_error(err, 0, "container `%s` is stopped", id)
                                        : rt_cgroup_stats(&cg, out, err);
    close_container(fd, &st, &cg);
    return r;
}

int rt_oom_watch(const char *root, const char *id, struct rt_oom_watch *w, pid_t *pid,
                 pier_err_t *err)
{
    int fd;
    struct rt_state st;
    struct rt_cgroup cg;
    enum rt_status status;
    if (open_container(root, id, &fd, &st, &cg, &status, err) < 0)
        return -1;
    int r = status == RT_STATUS_STOPPED ? pier_error(err, 0, "container `%s` is stopped", id)
                                        : rt_cgroup_oom_watch(&cg, w, err);
    *pid = st.pid;
    close_container(fd, &st, &cg);
    return r;
}
