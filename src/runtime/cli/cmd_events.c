#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../cgroup.h"
#include "../container.h"
#include "cli.h"

/* A Go duration: "5s", "500ms", "1m30s", "2h". */
static int parse_duration(const char *s, long long *ms)
{
    long long total = 0;
    if (*s == '\0')
        return -1;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0)
            return -1;
        s = end;
        double unit;
        if (strncmp(s, "ms", 2) == 0)
            unit = 1, s += 2;
        else if (strncmp(s, "us", 2) == 0 || strncmp(s, "µs", 3) == 0)
            unit = 0.001, s += s[0] == 'u' ? 2 : 3;
        else if (strncmp(s, "ns", 2) == 0)
            unit = 0.000001, s += 2;
        else if (*s == 's')
            unit = 1000, s++;
        else if (*s == 'm')
            unit = 60000, s++;
        else if (*s == 'h')
            unit = 3600000, s++;
        else
            return -1;
        total += (long long)(v * unit);
    }
    *ms = total;
    return 0;
}

static int print_stats(struct global *g, const char *id, pier_err_t *err)
{
    json_t *data = NULL;
    if (rt_stats(g->root, id, &data, err) < 0)
        return -1;
    json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
    cli_print_json(ev, false);
    fflush(stdout);
    json_decref(ev);
    return 0;
}

int cmd_events(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const char *interval = "5s";
    bool stats = false;
    const struct opt opts[] = {
        {"interval", 0, OPT_STRING, &interval},
        {"stats", 0, OPT_BOOL, &stats},
        {NULL, 0, 0, NULL},
    };
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("events", argc, next, 1, "[--stats] [--interval D] ID", err) < 0)
        return -1;
    const char *id = argv[next];
    long long ms;
    if (parse_duration(interval, &ms) < 0 || ms <= 0)
        return pier_error(err, 0, "events: --interval `%s` is not a duration (like 5s)", interval);
    if (stats)
        return print_stats(g, id, err) < 0 ? -1 : 0;

    struct rt_oom_watch w;
    pid_t pid;
    if (rt_oom_watch(g->root, id, &w, &pid, err) < 0)
        return -1;
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    cleanup_close int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {.it_interval = {ms / 1000, (ms % 1000) * 1000000L},
                             .it_value = {ms / 1000, (ms % 1000) * 1000000L}};
    timerfd_settime(tfd, 0, &its, NULL);
    int ret = 0;
    for (;;) {
        struct pollfd p[3] = {{.fd = w.fd, .events = POLLIN},
                              {.fd = tfd, .events = POLLIN},
                              {.fd = pidfd, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            ret = pier_error(err, errno, "events: poll");
            break;
        }
        if (p[0].revents & POLLIN) {
            for (int n = rt_cgroup_oom_read(&w); n > 0; n--) {
                printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
                fflush(stdout);
            }
        }
        if (p[1].revents & POLLIN) {
            uint64_t t;
            if (read(tfd, &t, sizeof t) > 0 && print_stats(g, id, err) < 0) {
                ret = -1;
                break;
            }
        }
        if (p[2].revents & POLLIN)
            break; /* the container is gone */
    }
    rt_cgroup_oom_close(&w);
    return ret;
}
