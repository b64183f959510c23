#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "cgroup.h"

const char *const rt_status_names[] = {
    [RT_STATUS_CREATING] = "creating", [RT_STATUS_CREATED] = "created",
    [RT_STATUS_RUNNING] = "running",   [RT_STATUS_PAUSED] = "paused",
    [RT_STATUS_STOPPED] = "stopped",
};

int rt_check_id(const char *id, pier_err_t *err)
{
    if (id == NULL || id[0] == '\0')
        return pier_error(err, 0, "container id is empty");
    size_t n = strlen(id);
    if (n > 1024)
        return pier_error(err, 0, "container id is longer than 1024 bytes");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return pier_error(err, 0, "invalid container id `%s`", id);
    for (const char *p = id; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c <= 0x20 || c == 0x7f)
            return pier_error(err, 0,
                              "invalid container id `%s`: it may not contain '/', spaces or "
                              "control characters",
                              id);
    }
    return 0;
}

/* errnum ENOENT, without strerror in the text: callers test for it. */
static int not_found(const char *id, pier_err_t *err)
{
    pier_fail(err, ENOENT, "container `%s` does not exist", id);
    return -1;
}

int rt_state_dir_open(const char *root, const char *id, pier_err_t *err)
{
    if (rt_check_id(id, err) < 0)
        return -1;
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        if (errno == ENOENT)
            return not_found(id, err);
        return pier_error(err, errno, "open state root `%s`", root);
    }
    int fd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return not_found(id, err);
        return pier_error(err, errno, "open state of container `%s`", id);
    }
    return fd;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int rt_state_load_at(int dirfd, const char *id, struct rt_state *st, pier_err_t *err)
{
    memset(st, 0, sizeof *st);
    cleanup_json json_t *j = NULL;
    if (pier_json_load_file_at(dirfd, RT_STATE_FILE, 1 << 20, &j, err) < 0) {
        if (err != NULL && *err != NULL && (*err)->errnum == ENOENT)
            return pier_error(err, 0, "container `%s` is still being created or was not cleaned up",
                              id);
        return pier_error_wrap(err, "state of container `%s`", id);
    }
    const char *s;
    st->id = dup_or_null(json_string_value(json_object_get(j, "id")));
    st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
    st->start_time = (uint64_t)json_integer_value(json_object_get(j, "start_time"));
    st->bundle = dup_or_null(json_string_value(json_object_get(j, "bundle")));
    st->rootfs = dup_or_null(json_string_value(json_object_get(j, "rootfs")));
    st->created = dup_or_null(json_string_value(json_object_get(j, "created")));
    st->owner = (uid_t)json_integer_value(json_object_get(j, "owner"));
    s = json_string_value(json_object_get(j, "cgroup_path"));
    st->cgroup_path = dup_or_null(s);
    st->userns = json_is_true(json_object_get(j, "userns"));
    st->creating = json_is_true(json_object_get(j, "creating"));
    json_t *a = json_object_get(j, "annotations");
    if (json_is_object(a))
        st->annotations = json_incref(a);
    if (st->id == NULL || st->pid <= 0 || st->bundle == NULL)
        return pier_error(err, 0, "state of container `%s`: state.json is incomplete", id);
    return 0;
}

int rt_state_load(const char *root, const char *id, struct rt_state *st, pier_err_t *err)
{
    cleanup_close int dfd = rt_state_dir_open(root, id, err);
    if (dfd < 0)
        return -1;
    return rt_state_load_at(dfd, id, st, err);
}

int rt_state_save_at(int dirfd, const struct rt_state *st, pier_err_t *err)
{
    cleanup_json json_t *j =
        json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:I, s:s, s:b}", "id", st->id, "pid",
                  (int)st->pid, "start_time", (json_int_t)st->start_time, "bundle", st->bundle,
                  "rootfs", st->rootfs ? st->rootfs : "", "created", st->created ? st->created : "",
                  "owner", (json_int_t)st->owner, "cgroup_path",
                  st->cgroup_path ? st->cgroup_path : "", "userns", st->userns);
    if (j == NULL)
        return pier_error(err, ENOMEM, "state of container `%s`", st->id);
    if (st->annotations != NULL)
        json_object_set(j, "annotations", st->annotations);
    if (st->creating)
        json_object_set_new(j, "creating", json_true());
    return pier_json_write_atomic_at(dirfd, RT_STATE_FILE, j, 0, err);
}

void rt_state_free(struct rt_state *st)
{
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->cgroup_path);
    if (st->annotations)
        json_decref(st->annotations);
    memset(st, 0, sizeof *st);
}

uint64_t rt_process_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields start after
     * the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p++;
    /* p is now before field 3 (state); the start time is field 22. */
    char state = 0;
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return 0;
        if (field == 3)
            state = *p;
        if (field == 22)
            return state == 'Z' || state == 'X' ? 0 : strtoull(p, NULL, 10);
        p = strchrnul(p, ' ');
    }
    return 0;
}

bool rt_process_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return false;
    uint64_t now = rt_process_start_time(pid);
    return now != 0 && now == start_time;
}

enum rt_status rt_state_status(int dirfd, const struct rt_state *st)
{
    if (!rt_process_alive(st->pid, st->start_time))
        return RT_STATUS_STOPPED;
    if (st->creating)
        return RT_STATUS_CREATING;
    struct stat sb;
    if (fstatat(dirfd, RT_EXEC_SOCK, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        return RT_STATUS_CREATED;
    if (st->cgroup_path != NULL && st->cgroup_path[0] != '\0' &&
        rt_cgroup_is_frozen(st->cgroup_path))
        return RT_STATUS_PAUSED;
    return RT_STATUS_RUNNING;
}

char *rt_now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char *out = NULL;
    if (asprintf(&out, "%s.%09ldZ", when, ts.tv_nsec) < 0)
        return NULL;
    return out;
}

json_t *rt_state_oci_json(const struct rt_state *st, enum rt_status status)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", "1.2.0", "id",
                          st->id, "status", rt_status_names[status], "pid",
                          status == RT_STATUS_STOPPED ? 0 : (int)st->pid, "bundle", st->bundle,
                          "rootfs", st->rootfs ? st->rootfs : "", "created",
                          st->created ? st->created : "", "owner", "");
    if (j == NULL)
        return NULL;
    if (st->owner != 0) {
        char owner[32];
        snprintf(owner, sizeof owner, "%u", (unsigned)st->owner);
        json_object_set_new(j, "owner", json_string(owner));
    } else {
        json_object_set_new(j, "owner", json_string("root"));
    }
    json_object_set_new(j, "annotations",
                        st->annotations ? json_incref(st->annotations) : json_object());
    return j;
}
