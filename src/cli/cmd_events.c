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
#include "format.h"
#include "json_go.h"
#include "units.h"

#define EVENT_LINE_MAX (1024u * 1024)

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
    if (json_object_size(attrs) > 0) {
        cleanup_json json_t *sorted = sorted_object(attrs);
        size_t i = 0;
        const char *key;
        json_t *v;
        buf_puts(o, " (");
        json_object_foreach (sorted, key, v) {
            buf_printf(o, "%s%s=%s", i++ ? ", " : "", key, json_string_value(v) ?: "");
        }
        buf_putc(o, ')');
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
    buf_puts(&q, "/events");
    filters_param(flag_get(fs, "filter"), &q);
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
        url_param(&q, keys[k], ts);
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
        const char *l;
        size_t ll;
        while ((l = stream_line(&line, &ll)) != NULL) {
            json_t *ev = json_loadb(l, ll, 0, NULL);
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
            buf_consume(&line, ll + 1);
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
    {"format", 0, FK_STRING, NULL, INSPECT_FORMAT_HELP},
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
