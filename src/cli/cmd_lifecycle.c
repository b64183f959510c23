/* stop, restart, kill, rm, pause, unpause, wait, rename: one request per
 * container; each success prints the name as given, each failure the
 * daemon's error, and any failure makes the exit status 1. */
#include <stdio.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "attach.h"
#include "cli.h"

/* One POST per argument: "/containers/NAME" + suffix. */
static int each(struct cli *cli, struct flagset *fs, const char *suffix)
{
    int rc = 0;
    pier_err_t err = NULL;
    for (int i = 0; i < fs->nargs; i++) {
        if (api_container_call(cli, "POST", fs->args[i], suffix, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        printf("%s\n", fs->args[i]);
        fflush(stdout);
    }
    return rc;
}

/* "?signal=S&t=N" as url.Values orders them; the signal only from 1.42. */
static void stop_query(struct cli *cli, struct flagset *fs, const char *base, struct buf *q)
{
    buf_puts(q, base);
    const char *sig = flag_str(fs, "signal");
    pier_err_t err = NULL;
    api_ping(cli, &err);
    pier_error_free(&err);
    if (*sig && api_version_cmp(cli->version, "1.42") >= 0)
        url_param(q, "signal", sig);
    if (flag_changed(fs, "timeout")) {
        char t[24];
        snprintf(t, sizeof t, "%lld", (long long)flag_int(fs, "timeout"));
        url_param(q, "t", t);
    }
}

static int run_stop(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    cleanup_buf struct buf q = BUF_INIT;
    stop_query(cli, fs, "/stop", &q);
    return each(cli, fs, q.data);
}

static int run_restart(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    cleanup_buf struct buf q = BUF_INIT;
    stop_query(cli, fs, "/restart", &q);
    return each(cli, fs, q.data);
}

static int run_kill(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/kill");
    const char *sig = flag_str(fs, "signal");
    if (*sig)
        url_param(&q, "signal", sig);
    return each(cli, fs, q.data);
}

static int run_rm(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    cleanup_buf struct buf q = BUF_INIT;
    if (flag_bool(fs, "force"))
        url_param(&q, "force", "1");
    if (flag_bool(fs, "link"))
        url_param(&q, "link", "1");
    if (flag_bool(fs, "volumes"))
        url_param(&q, "v", "1");
    /* a name with a trailing slash is still that name */
    int rc = 0;
    pier_err_t err = NULL;
    for (int i = 0; i < fs->nargs; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s", fs->args[i]);
        size_t l = strlen(name);
        while (l > 1 && name[l - 1] == '/')
            name[--l] = '\0';
        if (*name == '\0') {
            fflush(stdout);
            fprintf(stderr, "Error: container name cannot be empty\n");
            rc = 1;
            continue;
        }
        if (api_container_call(cli, "DELETE", name, q.len ? q.data : "", &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        printf("%s\n", fs->args[i]);
        fflush(stdout);
    }
    return rc;
}

static int run_pause(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    return each(cli, fs, "/pause");
}

static int run_unpause(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    return each(cli, fs, "/unpause");
}

static int run_wait(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    int rc = 0;
    for (int i = 0; i < fs->nargs; i++) {
        cleanup_buf struct buf p = BUF_INIT;
        url_escape(fs->args[i], &p);
        struct api_stream s;
        pier_err_t err = NULL;
        if (wait_open(cli, p.data, NULL, &s, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        char *body = NULL;
        size_t len;
        if (http_read_body_all(&s.conn, &s.resp, 64 * 1024, &body, &len, &err) < 0) {
            fprintf(stderr, "%s\n", pier_error_msg(err));
            pier_error_free(&err);
            rc = 1;
        } else {
            json_t *j = json_loadb(body, len, 0, NULL);
            const char *msg =
                json_string_value(json_object_get(json_object_get(j, "Error"), "Message"));
            if (msg && *msg) {
                fflush(stdout);
                fprintf(stderr, "%s\n", msg);
                rc = 1;
            } else {
                printf("%lld\n", (long long)json_integer_value(json_object_get(j, "StatusCode")));
                fflush(stdout);
            }
            if (j)
                json_decref(j);
        }
        free(body);
        api_stream_close(&s);
    }
    return rc;
}

static int run_rename(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    const char *old = fs->args[0], *new = fs->args[1];
    pier_err_t err = NULL;
    char nn[512];
    snprintf(nn, sizeof nn, "%s", new);
    /* strings.TrimSpace of the new name */
    char *p = nn;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    size_t l = strlen(p);
    while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\n'))
        p[--l] = '\0';
    if (*p == '\0') {
        fprintf(stderr, "Error: new name cannot be blank\n");
        return 1;
    }
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/rename");
    url_param(&q, "name", p);
    if (api_container_call(cli, "POST", old, q.data, &err) < 0) {
        cli_fail(&err);
        fprintf(stderr, "Error: failed to rename container named %s\n", old);
        return 1;
    }
    return 0;
}

static struct flag stop_flags[] = {
    {"signal", 's', FK_STRING, NULL, "Signal to send to the container"},
    {"timeout", 't', FK_INT, NULL, "Seconds to wait before killing the container"},
    {NULL},
};
static struct flag restart_flags[] = {
    {"signal", 's', FK_STRING, NULL, "Signal to send to the container"},
    {"timeout", 't', FK_INT, NULL, "Seconds to wait before killing the container"},
    {NULL},
};
static struct flag kill_flags[] = {
    {"signal", 's', FK_STRING, NULL, "Signal to send to the container"},
    {NULL},
};
static struct flag rm_flags[] = {
    {"force", 'f', FK_BOOL, NULL, "Force the removal of a running container (uses SIGKILL)"},
    {"link", 'l', FK_BOOL, NULL, "Remove the specified link"},
    {"volumes", 'v', FK_BOOL, NULL, "Remove anonymous volumes associated with the container"},
    {NULL},
};

struct cmd cmd_stop = {
    .use = "stop [OPTIONS] CONTAINER [CONTAINER...]",
    .aliases = "container stop, stop",
    .short_desc = "Stop one or more running containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = stop_flags,
    .run = run_stop,
};
struct cmd cmd_restart = {
    .use = "restart [OPTIONS] CONTAINER [CONTAINER...]",
    .aliases = "container restart, restart",
    .short_desc = "Restart one or more containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = restart_flags,
    .run = run_restart,
};
struct cmd cmd_kill = {
    .use = "kill [OPTIONS] CONTAINER [CONTAINER...]",
    .aliases = "container kill, kill",
    .short_desc = "Kill one or more running containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = kill_flags,
    .run = run_kill,
};
struct cmd cmd_rm = {
    .use = "rm [OPTIONS] CONTAINER [CONTAINER...]",
    .aliases = "container rm, container remove, rm",
    .short_desc = "Remove one or more containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = rm_flags,
    .run = run_rm,
};
struct cmd cmd_pause = {
    .use = "pause CONTAINER [CONTAINER...]",
    .aliases = "container pause, pause",
    .short_desc = "Pause all processes within one or more containers",
    .args = ARGS_MIN,
    .amin = 1,
    .run = run_pause,
};
struct cmd cmd_unpause = {
    .use = "unpause CONTAINER [CONTAINER...]",
    .aliases = "container unpause, unpause",
    .short_desc = "Unpause all processes within one or more containers",
    .args = ARGS_MIN,
    .amin = 1,
    .run = run_unpause,
};
struct cmd cmd_wait = {
    .use = "wait CONTAINER [CONTAINER...]",
    .aliases = "container wait, wait",
    .short_desc = "Block until one or more containers stop, then print their exit codes",
    .args = ARGS_MIN,
    .amin = 1,
    .run = run_wait,
};
struct cmd cmd_rename = {
    .use = "rename CONTAINER NEW_NAME",
    .aliases = "container rename, rename",
    .short_desc = "Rename a container",
    .args = ARGS_EXACT,
    .amin = 2,
    .run = run_rename,
};
