/* OOM notices from a container's memory cgroup, without polling. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "cgroup.h"

static long long v2_kills(const char *events)
{
    cleanup_free char *t = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, events, 4096, &t, NULL, &err) < 0) {
        pier_error_free(&err);
        return -1;
    }
    char *p = strstr(t, "oom_kill ");
    return p ? strtoll(p + 9, NULL, 10) : 0;
}

int rt_cgroup_oom_watch(const struct rt_cgroup *cg, struct rt_oom_watch *w, pier_err_t *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    const struct rt_cg_layout *l;
    if (rt_cgroup_layout(&l, err) < 0)
        return -1;
    const char *m = l->mode == RT_CG_V2 ? NULL : rt_cgroup_dir(cg, "memory");
    if (m != NULL) {
        /* v1: register an eventfd for memory.oom_control. */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/memory.oom_control", m);
        cleanup_close int ofd = open(path, O_RDONLY | O_CLOEXEC);
        if (ofd < 0)
            return pier_error(err, errno, "open `%s`", path);
        int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
            return pier_error(err, errno, "eventfd");
        char line[64];
        snprintf(line, sizeof line, "%d %d", efd, ofd);
        snprintf(path, sizeof path, "%s/cgroup.event_control", m);
        if (pier_write_string_at(AT_FDCWD, path, line, err) < 0) {
            close(efd);
            return -1;
        }
        w->fd = efd;
        return 0;
    }
    const char *u = rt_cgroup_dir(cg, NULL);
    if (u == NULL)
        return pier_error(err, 0, "no memory cgroup to watch for OOM kills");
    w->v2 = true;
    snprintf(w->events, sizeof w->events, "%s/memory.events", u);
    w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (w->fd < 0)
        return pier_error(err, errno, "inotify");
    if (inotify_add_watch(w->fd, w->events, IN_MODIFY) < 0) {
        int e = errno;
        close(w->fd);
        w->fd = -1;
        return pier_error(err, e, "watch `%s`", w->events);
    }
    w->kills = v2_kills(w->events);
    return 0;
}

int rt_cgroup_oom_read(struct rt_oom_watch *w)
{
    if (!w->v2) {
        uint64_t n = 0;
        if (read(w->fd, &n, sizeof n) != sizeof n)
            return 0;
        return (int)n;
    }
    char buf[4096];
    while (read(w->fd, buf, sizeof buf) > 0)
        ;
    long long now = v2_kills(w->events);
    int n = now > w->kills ? (int)(now - w->kills) : 0;
    if (now >= 0)
        w->kills = now;
    return n;
}

void rt_cgroup_oom_close(struct rt_oom_watch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}
