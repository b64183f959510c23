/* events (system events): the daemon's event stream, one line each as it
 * comes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/gotmpl.h"
#include "../lib/json.h"
#include "cli.h"
#include "filters.h"
#include "fmt_event.h"
#include "units.h"

#define EVENT_LINE_MAX (1024u * 1024)

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* TIME TYPE ACTION ID (k=v, ...), as docker's printOutput. */
static void print_event(json_t *ev, struct buf *o)
{
    json_t *tn = json_object_get(ev, "timeNano");
    json_t *t = json_object_get(ev, "time");
    char ts[64];
    if (tn && json_integer_value(tn) != 0) {
        int64_t ns = json_integer_value(tn);
        rfc3339_nano_fixed(ns / 1000000000, (long)(ns % 1000000000), ts, sizeof ts);
        buf_printf(o, "%s ", ts);
    } else if (t && json_integer_value(t) != 0) {
        rfc3339_nano_fixed(json_integer_value(t), 0, ts, sizeof ts);
        buf_printf(o, "%s ", ts);
    }
    json_t *actor = json_object_get(ev, "Actor");
    buf_printf(o, "%s %s %s", json_string_value(json_object_get(ev, "Type")) ?: "",
               json_string_value(json_object_get(ev, "Action")) ?: "",
               json_string_value(json_object_get(actor, "ID")) ?: "");
    json_t *attrs = json_object_get(actor, "Attributes");
    size_t n = json_object_size(attrs);
    if (n > 0) {
        const char **keys = calloc(n, sizeof *keys);
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach (attrs, key, v) {
            if (keys)
                keys[k++] = key;
        }
        if (keys)
            qsort(keys, k, sizeof *keys, cmp_keys);
        buf_puts(o, " (");
        for (size_t i = 0; i < k; i++)
            buf_printf(o, "%s%s=%s", i ? ", " : "", keys[i],
                       json_string_value(json_object_get(attrs, keys[i])) ?: "");
        buf_putc(o, ')');
        free(keys);
    }
    buf_putc(o, '\n');
}

static int run_events(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *format = flag_str(fs, "format");
    if (strcmp(format, "json") == 0)
        format = "{{json .}}";
    /* {{json .}} marshals the message under its json names */
    bool tagged = strcmp(format, "{{json .}}") == 0;
    struct gotmpl *tmpl = NULL;
    if (*format) {
        /* the template runs once on an empty message, which finds the
         * errors that do not depend on the events */
        cleanup_json json_t *empty = json_object();
        cleanup_json json_t *row = tagged ? event_tagged(empty) : event_row(empty);
        char *t = NULL;
        size_t tl = 0;
        if (gotmpl_parse(format, &tmpl, &err) < 0 ||
            tmpl_check(format, "", &event_message_type, &err) < 0 ||
            gotmpl_exec(tmpl, row, &t, &tl, &err) < 0) {
            if (tmpl)
                gotmpl_free(tmpl);
            fprintf(stderr, "Error parsing format: %s\n", pier_error_msg(err));
            pier_error_free(&err);
            return 64;
        }
        free(t);
    }
    cleanup_buf struct buf q = BUF_INIT;
    cleanup_buf struct buf filters = BUF_INIT;
    filters_json(flag_get(fs, "filter"), &filters);
    buf_puts(&q, "/events");
    char sep = '?';
    if (filters.len) {
        buf_printf(&q, "%cfilters=", sep);
        url_escape(filters.data, &q);
        sep = '&';
    }
    time_t now = time(NULL);
    char ts[64], msg[256];
    static const char *const keys[] = {"since", "until"};
    for (int k = 0; k < 2; k++) {
        const char *v = flag_str(fs, keys[k]);
        if (*v == '\0')
            continue;
        if (get_timestamp(v, now, ts, sizeof ts, msg, sizeof msg) < 0) {
            if (tmpl)
                gotmpl_free(tmpl);
            pier_error(&err, 0, "%s", msg);
            return cli_fail(&err);
        }
        buf_printf(&q, "%c%s=", sep, keys[k]);
        url_escape(ts, &q);
        sep = '&';
    }
    struct api_stream s;
    if (api_stream_open(cli, "GET", q.data, NULL, -1, NULL, &s, &err) < 0) {
        if (tmpl)
            gotmpl_free(tmpl);
        return cli_fail(&err);
    }
    struct buf line = BUF_INIT;
    line.max = EVENT_LINE_MAX;
    char buf[8192];
    int rc = 0;
    for (;;) {
        ssize_t n = http_read_body(&s.conn, &s.resp, buf, sizeof buf, &err);
        if (n < 0) {
            rc = cli_fail(&err);
            break;
        }
        if (n == 0)
            break;
        buf_put(&line, buf, (size_t)n);
        if (line.failed) {
            pier_error(&err, 0, "event larger than %u bytes", EVENT_LINE_MAX);
            rc = cli_fail(&err);
            break;
        }
        char *nl;
        while (line.len && (nl = memchr(line.data, '\n', line.len)) != NULL) {
            json_t *ev = json_loadb(line.data, (size_t)(nl - line.data), 0, NULL);
            if (ev) {
                cleanup_buf struct buf o = BUF_INIT;
                if (tmpl) {
                    cleanup_json json_t *row = tagged ? event_tagged(ev) : event_row(ev);
                    char *t = NULL;
                    size_t tl = 0;
                    if (gotmpl_exec(tmpl, row, &t, &tl, &err) == 0)
                        buf_put(&o, t, tl);
                    free(t);
                    buf_putc(&o, '\n');
                } else {
                    print_event(ev, &o);
                }
                out_write(1, o.data, o.len);
                json_decref(ev);
                if (err) {
                    /* as docker: the line ends, then the error ends us */
                    rc = cli_fail(&err);
                    break;
                }
            }
            size_t rest = line.len - (size_t)(nl + 1 - line.data);
            memmove(line.data, nl + 1, rest);
            line.len = rest;
        }
        if (rc != 0)
            break;
    }
    buf_free(&line);
    api_stream_close(&s);
    if (tmpl)
        gotmpl_free(tmpl);
    return rc;
}

static struct flag events_flags[] = {
    {"filter", 'f', FK_LIST, "filter", "Filter output based on conditions provided",
     .check = filter_check},
    {"format", 0, FK_STRING, NULL,
     "Format output using a custom template:\n'json':             Print in JSON "
     "format\n'TEMPLATE':         Print output using the given Go template.\nRefer to "
     "https://docs.docker.com/go/formatting/ for more information about formatting output with "
     "templates"},
    {"since", 0, FK_STRING, NULL, "Show all events created since timestamp"},
    {"until", 0, FK_STRING, NULL, "Stream events until this timestamp"},
    {NULL},
};

struct cmd cmd_events = {
    .use = "events [OPTIONS]",
    .aliases = "system events, events",
    .short_desc = "Get real time events from the server",
    .args = ARGS_NONE,
    .flags = events_flags,
    .run = run_events,
};
