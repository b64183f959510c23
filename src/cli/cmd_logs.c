/* logs: GET /containers/{id}/logs, copied as it comes (raw for a tty
 * container, demultiplexed otherwise), so that -f follows. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "stream.h"
#include "units.h"

static int emit(void *ctx, int stream, const char *data, size_t len)
{
    (void)ctx;
    out_write(stream == 2 ? 2 : 1, data, len);
    return 0;
}

static int run_logs(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *name = fs->args[0];
    struct api_resp r;
    json_t *c;
    if (api_inspect_container(cli, name, &r, &c, &err) < 0)
        return cli_fail(&err);
    bool tty = json_is_true(json_object_get(json_object_get(c, "Config"), "Tty"));
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/containers/");
    url_escape(json_string_value(json_object_get(c, "Id")) ?: name, &q);
    api_resp_free(&r);
    buf_puts(&q, "/logs");
    /* keys as url.Values sorts them */
    if (flag_bool(fs, "details"))
        url_param(&q, "details", "1");
    if (flag_bool(fs, "follow"))
        url_param(&q, "follow", "1");
    time_t now = time(NULL);
    char ts[64], msg[256];
    const char *since = flag_str(fs, "since");
    if (*since) {
        if (get_timestamp(since, now, ts, sizeof ts, msg, sizeof msg) < 0) {
            pier_error(&err, 0, "invalid value for \"since\": %s", msg);
            return cli_fail(&err);
        }
        url_param(&q, "since", ts);
    }
    url_param(&q, "stderr", "1");
    url_param(&q, "stdout", "1");
    const char *tail = flag_str(fs, "tail");
    if (*tail)
        url_param(&q, "tail", tail);
    if (flag_bool(fs, "timestamps"))
        url_param(&q, "timestamps", "1");
    const char *until = flag_str(fs, "until");
    if (*until) {
        if (get_timestamp(until, now, ts, sizeof ts, msg, sizeof msg) < 0) {
            pier_error(&err, 0, "invalid value for \"until\": %s", msg);
            return cli_fail(&err);
        }
        url_param(&q, "until", ts);
    }

    struct api_stream s;
    if (api_stream_open(cli, "GET", q.data, NULL, -1, NULL, &s, &err) < 0)
        return cli_fail(&err);
    struct demux d = {0};
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = http_read_body(&s.conn, &s.resp, buf, sizeof buf, &err);
        if (n < 0) {
            rc = cli_fail(&err);
            break;
        }
        if (n == 0)
            break;
        if (tty) {
            out_write(1, buf, (size_t)n);
        } else if (demux_feed(&d, buf, (size_t)n, emit, NULL, &err) < 0) {
            rc = cli_fail(&err);
            break;
        }
    }
    api_stream_close(&s);
    return rc;
}

static struct flag logs_flags[] = {
    {"details", 0, FK_BOOL, NULL, "Show extra details provided to logs"},
    {"follow", 'f', FK_BOOL, NULL, "Follow log output"},
    {"since", 0, FK_STRING, NULL,
     "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
     "minutes)"},
    {"tail", 'n', FK_STRING, NULL, "Number of lines to show from the end of the logs", "all"},
    {"timestamps", 't', FK_BOOL, NULL, "Show timestamps"},
    {"until", 0, FK_STRING, NULL,
     "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for "
     "42 minutes)",
     .min_api = "1.35"},
    {NULL},
};

struct cmd cmd_logs = {
    .use = "logs [OPTIONS] CONTAINER",
    .aliases = "container logs, logs",
    .short_desc = "Fetch the logs of a container",
    .args = ARGS_EXACT,
    .amin = 1,
    .flags = logs_flags,
    .run = run_logs,
};
