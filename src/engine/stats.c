/* docker stats and docker top: what the container's cgroup says, in
 * docker's shapes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/file.h"
#include "../runtime/container.h"
#include "internal.h"

/* The host's CPU time so far, in nanoseconds, as docker's
 * system_cpu_usage: the first line of /proc/stat. */
static json_int_t system_cpu_ns(void)
{
    cleanup_free char *text = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &text, NULL, &err) < 0) {
        pier_error_free(&err);
        return 0;
    }
    unsigned long long v[8] = {0}, ticks = 0;
    if (sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) < 4)
        return 0;
    for (int i = 0; i < 8; i++)
        ticks += v[i];
    long hz = sysconf(_SC_CLK_TCK);
    return (json_int_t)(ticks * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100)));
}

static json_int_t num(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_integer_value(v);
}

/* runc's events --stats names to docker's stats names. */
static json_t *blkio_entries(json_t *in)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (in, i, v) {
        const char *op = json_string_value(json_object_get(v, "op"));
        json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:I}", "major", num(v, "major", NULL),
                                             "minor", num(v, "minor", NULL), "op", op ? op : "",
                                             "value", num(v, "value", NULL)));
    }
    return out;
}

int engine_stats(struct engine *e, struct container *c, json_t **out, pier_err_t *err)
{
    cleanup_json json_t *raw = NULL;
    pier_err_t e2 = NULL;
    bool running = container_running(c) && c->state != C_RESTARTING;
    if (running && rt_stats(e->rt_root, c->id, &raw, &e2) < 0) {
        /* it stopped meanwhile: zeros, as docker shows a stopped container */
        pier_error_free(&e2);
        running = false;
    }
    cleanup_free char *now = now_rfc3339();
    char name[300];
    snprintf(name, sizeof name, "/%s", c->name);
    json_t *cpu = json_object_get(raw, "cpu");
    json_t *mem = json_object_get(raw, "memory");
    json_t *blk = json_object_get(raw, "blkio");
    json_t *cpu_usage = json_pack("{s:I, s:I, s:I}", "total_usage", num(cpu, "usage", "total"),
                                  "usage_in_kernelmode", num(cpu, "usage", "kernel"),
                                  "usage_in_usermode", num(cpu, "usage", "user"));
    json_t *percpu = json_object_get(json_object_get(cpu, "usage"), "percpu");
    if (json_array_size(percpu) > 0)
        json_object_set(cpu_usage, "percpu_usage", percpu);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_t *cpu_stats =
        json_pack("{s:o, s:I, s:i, s:{s:I, s:I, s:I}}", "cpu_usage", cpu_usage, "system_cpu_usage",
                  running ? system_cpu_ns() : (json_int_t)0, "online_cpus", (int)ncpu,
                  "throttling_data", "periods", num(cpu, "throttling", "periods"),
                  "throttled_periods", num(cpu, "throttling", "throttled_periods"),
                  "throttled_time", num(cpu, "throttling", "throttled_time"));
    json_t *memory = json_object();
    if (running) {
        json_int_t limit = num(mem, "usage", "limit");
        /* no limit: docker reports the host's memory */
        json_int_t host = (json_int_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
        if (limit <= 0 || limit > host)
            limit = host;
        json_object_set_new(memory, "usage", json_integer(num(mem, "usage", "usage")));
        if (num(mem, "usage", "max") > 0)
            json_object_set_new(memory, "max_usage", json_integer(num(mem, "usage", "max")));
        json_object_set(memory, "stats", json_object_get(mem, "raw"));
        json_object_set_new(memory, "limit", json_integer(limit));
        if (num(mem, "usage", "failcnt") > 0)
            json_object_set_new(memory, "failcnt", json_integer(num(mem, "usage", "failcnt")));
    }
    json_t *pids = json_object();
    if (running) {
        json_object_set_new(pids, "current", json_integer(num(raw, "pids", "current")));
        json_int_t limit = num(raw, "pids", "limit");
        if (limit > 0)
            json_object_set_new(pids, "limit", json_integer(limit));
    }
    json_t *blkio = json_pack(
        "{s:o, s:o, s:n, s:n, s:n, s:n, s:n, s:n}", "io_service_bytes_recursive",
        running ? blkio_entries(json_object_get(blk, "ioServiceBytesRecursive")) : json_null(),
        "io_serviced_recursive",
        running ? blkio_entries(json_object_get(blk, "ioServicedRecursive")) : json_null(),
        "io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
        "io_merged_recursive", "io_time_recursive", "sectors_recursive");
    *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:{}, s:o, s:o}", "name", name, "id",
                     c->id, "read", running && now ? now : "0001-01-01T00:00:00Z", "preread",
                     "0001-01-01T00:00:00Z", "pids_stats", pids, "blkio_stats", blkio, "num_procs",
                     0, "storage_stats", "cpu_stats", cpu_stats, "memory_stats", memory);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "stats");
    return 0;
}

/* ---- top ---- */

/* ps's output, run on the host as docker does, with ps_args. */
static int run_ps(const char *args, char **out, pier_err_t *err)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "ps";
    cleanup_free char *copy = strdup(args && *args ? args : "-ef");
    for (char *p = strtok(copy, " \t"); p && argc < 62; p = strtok(NULL, " \t"))
        argv[argc++] = p;
    argv[argc] = NULL;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return pier_error(err, errno, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    extern char **environ;
    pid_t pid;
    int rc = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return pier_error(err, rc, "run ps");
    }
    int r = pier_read_fd(pipefd[0], "ps output", 16 << 20, out, NULL, err);
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return pier_fail(err, EINVAL, "Error running ps: exit status %d: %s",
                         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), *out);
    return 0;
}

/* The fields of a line, split on blanks, the last one taking the rest of the line (the
 * command, which has blanks of its own). */
static json_t *fields(char *line, size_t n)
{
    json_t *row = json_array();
    char *p = line;
    for (size_t i = 0; i < n && *p; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (i + 1 == n) {
            json_array_append_new(row, json_string(p));
            break;
        }
        char *e = p + strcspn(p, " \t");
        char save = *e;
        *e = '\0';
        json_array_append_new(row, json_string(p));
        *e = save;
        p = e;
    }
    return row;
}

int engine_top(struct engine *e, struct container *c, const char *ps_args, json_t **out,
               pier_err_t *err)
{
    if (!container_running(c) || c->state == C_RESTARTING)
        return pier_fail(err, EBUSY, "container %s is not running", c->id);
    cleanup_free pid_t *pids = NULL;
    size_t npids = 0;
    if (rt_container_pids(e->rt_root, c->id, &pids, &npids, err) < 0)
        return -1;
    cleanup_free char *text = NULL;
    if (run_ps(ps_args, &text, err) < 0)
        return -1;
    char *nl = strchr(text, '\n');
    if (nl == NULL)
        return pier_fail(err, EINVAL, "Error running ps: no header");
    *nl = '\0';
    json_t *titles = json_array();
    for (char *t = strtok(text, " \t"); t; t = strtok(NULL, " \t"))
        json_array_append_new(titles, json_string(t));
    size_t pid_col = SIZE_MAX, i;
    json_t *v;
    json_array_foreach (titles, i, v)
        if (strcmp(json_string_value(v), "PID") == 0)
            pid_col = i;
    if (pid_col == SIZE_MAX) {
        json_decref(titles);
        return pier_fail(err, EINVAL, "Couldn't find PID field in ps output");
    }
    json_t *procs = json_array();
    for (char *line = nl + 1; *line;) {
        char *end = strchrnul(line, '\n');
        char save = *end;
        *end = '\0';
        json_t *row = fields(line, json_array_size(titles));
        const char *pid_s = json_string_value(json_array_get(row, pid_col));
        long pid = pid_s ? strtol(pid_s, NULL, 10) : 0;
        bool mine = false;
        for (size_t k = 0; k < npids && !mine; k++)
            mine = pids[k] == pid;
        if (mine)
            json_array_append(procs, row);
        json_decref(row);
        *end = save;
        line = *end ? end + 1 : end;
    }
    *out = json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs);
    return 0;
}
