/* stats: one stats stream per container (and, with no names given, the
 * container events, so that containers that start are added), a table
 * redrawn every half second, or once with --no-stream. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"
#include "fmt_container.h"
#include "format.h"
#include "units.h"

#define MAX_STATS 256
#define LINE_MAX_BYTES (4u * 1024 * 1024)

struct entry {
    char name[160]; /* as given, or the ID's first 12 characters */
    struct api_stream s;
    bool open;
    struct buf line;
    bool got;     /* a first sample (or an error) came */
    bool invalid; /* no data: shown as "--" */
    char *error;
    /* the computed values */
    char id[72];
    char cname[256];
    double cpu, mem, limit, mempct, rx, tx, blkr, blkw;
    uint64_t pids;
};

struct stats {
    struct entry *e[MAX_STATS];
    size_t n;
};

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (double)(uint64_t)json_integer_value(v) : json_number_value(v);
}

/* One sample, as docker's stats_helpers compute it. */
static void compute(struct entry *e, json_t *v)
{
    snprintf(e->id, sizeof e->id, "%s", json_string_value(json_object_get(v, "id")) ?: "");
    const char *n = json_string_value(json_object_get(v, "name")) ?: "";
    snprintf(e->cname, sizeof e->cname, "%s", *n == '/' ? n + 1 : n);
    json_t *cs = json_object_get(v, "cpu_stats"), *pcs = json_object_get(v, "precpu_stats");
    double cpu_delta = jnum(json_object_get(cs, "cpu_usage"), "total_usage") -
                       jnum(json_object_get(pcs, "cpu_usage"), "total_usage");
    double sys_delta = jnum(cs, "system_cpu_usage") - jnum(pcs, "system_cpu_usage");
    double online = jnum(cs, "online_cpus");
    if (online == 0)
        online = (double)json_array_size(
            json_object_get(json_object_get(cs, "cpu_usage"), "percpu_usage"));
    e->cpu = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * online * 100.0 : 0;
    json_t *ms = json_object_get(v, "memory_stats");
    double usage = jnum(ms, "usage");
    json_t *st = json_object_get(ms, "stats");
    /* usage without the page cache: cgroup v1's total_inactive_file, else
     * v2's inactive_file (0 when absent, as a Go map gives) */
    json_t *tif = json_object_get(st, "total_inactive_file");
    if (tif && jnum(st, "total_inactive_file") < usage)
        e->mem = usage - jnum(st, "total_inactive_file");
    else if (jnum(st, "inactive_file") < usage)
        e->mem = usage - jnum(st, "inactive_file");
    else
        e->mem = usage;
    e->limit = jnum(ms, "limit");
    e->mempct = e->limit != 0 ? e->mem / e->limit * 100.0 : 0;
    e->rx = e->tx = 0;
    const char *k;
    json_t *net;
    json_object_foreach (json_object_get(v, "networks"), k, net) {
        e->rx += jnum(net, "rx_bytes");
        e->tx += jnum(net, "tx_bytes");
    }
    e->blkr = e->blkw = 0;
    size_t i;
    json_t *b;
    json_array_foreach (
        json_object_get(json_object_get(v, "blkio_stats"), "io_service_bytes_recursive"), i, b) {
        const char *op = json_string_value(json_object_get(b, "op")) ?: "";
        if (*op == 'r' || *op == 'R')
            e->blkr += jnum(b, "value");
        else if (*op == 'w' || *op == 'W')
            e->blkw += jnum(b, "value");
    }
    e->pids = (uint64_t)jnum(json_object_get(v, "pids_stats"), "current");
    e->invalid = false;
    e->got = true;
}

/* "1.2kB / 3.4kB", as the I/O columns show what was read and written
 * (zeros when there is no sample). */
static json_t *io_pair(const struct entry *e, double in, double out)
{
    char a[64], b[64], s[160];
    human_size_prec(e->invalid ? 0 : in, 3, a, sizeof a);
    human_size_prec(e->invalid ? 0 : out, 3, b, sizeof b);
    snprintf(s, sizeof s, "%s / %s", a, b);
    return json_string(s);
}

/* "12.34%", or "--" when there is no sample. */
static json_t *percent(const struct entry *e, double v)
{
    char s[160];
    if (e->invalid)
        snprintf(s, sizeof s, "--");
    else
        snprintf(s, sizeof s, "%.2f%%", v);
    return json_string(s);
}

static json_t *stats_row(struct entry *e, bool trunc)
{
    json_t *row = json_object();
    char a[64], b[64], s[160];
    json_object_set_new(row, "BlockIO", io_pair(e, e->blkr, e->blkw));
    json_object_set_new(row, "CPUPerc", percent(e, e->cpu));
    json_object_set_new(row, "Container", json_string(e->name));
    char tid[16];
    truncate_id(e->id[0] ? e->id : e->name, tid, sizeof tid);
    json_object_set_new(row, "ID", json_string(trunc ? tid : (e->id[0] ? e->id : e->name)));
    json_object_set_new(row, "MemPerc", percent(e, e->mempct));
    if (e->invalid) {
        snprintf(s, sizeof s, "-- / --");
    } else {
        bytes_size(e->mem, a, sizeof a);
        bytes_size(e->limit, b, sizeof b);
        snprintf(s, sizeof s, "%s / %s", a, b);
    }
    json_object_set_new(row, "MemUsage", json_string(s));
    json_object_set_new(row, "Name", json_string(e->invalid && !e->cname[0] ? "--" : e->cname));
    json_object_set_new(row, "NetIO", io_pair(e, e->rx, e->tx));
    if (e->invalid)
        snprintf(s, sizeof s, "--");
    else
        snprintf(s, sizeof s, "%llu", (unsigned long long)e->pids);
    json_object_set_new(row, "PIDs", json_string(s));
    return row;
}

/* What a template may name on docker's *container.statsContext. */
static const struct tmpl_field stats_fields[] = {
    {"BlockIO", &tmpl_string},
    {"CPUPerc", &tmpl_string},
    {"Container", &tmpl_string},
    {"ID", &tmpl_string},
    {"MemPerc", &tmpl_string},
    {"MemUsage", &tmpl_string},
    {"Name", &tmpl_string},
    {"NetIO", &tmpl_string},
    {"PIDs", &tmpl_string},
    {"FullHeader", NULL},
    {"Header", NULL},
    {"MarshalJSON", NULL},
    {NULL},
};
static const struct tmpl_type stats_context_type = {"*container.statsContext", stats_fields, false};

static json_t *stats_header(void)
{
    json_t *h = json_object();
    static const char *const kv[][2] = {
        {"Container", "CONTAINER"},
        {"ID", "CONTAINER ID"},
        {"Name", "NAME"},
        {"CPUPerc", "CPU %"},
        {"MemUsage", "MEM USAGE / LIMIT"},
        {"MemPerc", "MEM %"},
        {"NetIO", "NET I/O"},
        {"BlockIO", "BLOCK I/O"},
        {"PIDs", "PIDS"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        json_object_set_new(h, kv[i][0], json_string(kv[i][1]));
    return h;
}

static struct entry *stats_find(struct stats *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->e[i]->name, name) == 0)
            return st->e[i];
    return NULL;
}

static void drop(struct stats *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->e[i]->name, name) == 0) {
            struct entry *e = st->e[i];
            if (e->open)
                api_stream_close(&e->s);
            buf_free(&e->line);
            free(e->error);
            free(e);
            memmove(&st->e[i], &st->e[i + 1], (st->n - i - 1) * sizeof st->e[0]);
            st->n--;
            return;
        }
}

static void add(struct cli *cli, struct stats *st, const char *name, bool stream)
{
    if (stats_find(st, name) || st->n == MAX_STATS)
        return;
    struct entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->line = (struct buf)BUF_INIT;
    e->line.max = LINE_MAX_BYTES;
    e->invalid = true;
    st->e[st->n++] = e;
    cleanup_buf struct buf p = BUF_INIT;
    buf_puts(&p, "/containers/");
    url_escape(name, &p);
    buf_puts(&p, stream ? "/stats?stream=1" : "/stats?stream=0");
    pier_err_t err = NULL;
    if (api_stream_open(cli, "GET", p.data, NULL, -1, NULL, &e->s, &err) < 0) {
        e->error = strdup(pier_error_msg(err));
        e->got = true;
        pier_error_free(&err);
        return;
    }
    e->open = true;
}

/* Read what a container's stream has; lines are samples. */
static void pump(struct entry *e)
{
    char buf[16384];
    pier_err_t err = NULL;
    ssize_t n = http_read_body(&e->s.conn, &e->s.resp, buf, sizeof buf, &err);
    if (n <= 0) {
        pier_error_free(&err);
        api_stream_close(&e->s);
        e->open = false;
        e->invalid = true;
        e->got = true;
        return;
    }
    buf_put(&e->line, buf, (size_t)n);
    const char *l;
    size_t ll;
    while ((l = stream_line(&e->line, &ll)) != NULL) {
        json_t *j = json_loadb(l, ll, 0, NULL);
        if (j) {
            compute(e, j);
            json_decref(j);
        }
        buf_consume(&e->line, ll + 1);
    }
    if (e->line.failed) {
        buf_free(&e->line);
        e->line.max = LINE_MAX_BYTES;
    }
}

/* An event line: start adds, die removes (create adds with -a). */
static void on_event(struct cli *cli, struct stats *st, const char *line, size_t len, bool all)
{
    json_t *j = json_loadb(line, len, 0, NULL);
    if (j == NULL)
        return;
    const char *action = json_string_value(json_object_get(j, "Action")) ?:
                         json_string_value(json_object_get(j, "status")) ?: "";
    const char *id = json_string_value(json_object_get(j, "id")) ?:
                     json_string_value(json_object_get(j, "ID")) ?: "";
    char sid[16];
    snprintf(sid, sizeof sid, "%.12s", id);
    if (strcmp(action, "start") == 0 || (all && strcmp(action, "create") == 0))
        add(cli, st, sid, true);
    else if (strcmp(action, "die") == 0 && !all)
        drop(st, sid);
    json_decref(j);
}

static int render(struct stats *st, const char *format, bool trunc, bool clear)
{
    struct fmt_ctx f;
    pier_err_t err = NULL;
    if (fmt_begin(&f, format, stats_header(), &err) < 0) {
        fmt_free(&f);
        return cli_fail(&err);
    }
    f.type = &stats_context_type;
    for (size_t i = 0; i < st->n; i++) {
        cleanup_json json_t *row = stats_row(st->e[i], trunc);
        if (fmt_row(&f, row, &err) < 0) {
            fmt_free(&f);
            return cli_fail(&err);
        }
    }
    if (!clear) {
        fmt_end(&f, stdout, &err);
        fflush(stdout);
        fmt_free(&f);
        return 0;
    }
    /* docker's frame: the cursor home, the text, then the text again with
     * each line erased to its end (its Fprintln adds the space), and the
     * rest of the screen erased, in one write */
    cleanup_free char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m == NULL) {
        fmt_free(&f);
        return 1;
    }
    fputs("\033[H", m);
    fmt_end(&f, m, &err);
    fclose(m);
    fmt_free(&f);
    cleanup_buf struct buf frame = BUF_INIT;
    buf_put(&frame, text, len);
    for (const char *p = text;;) {
        const char *nl = memchr(p, '\n', len - (size_t)(p - text));
        size_t n = nl ? (size_t)(nl - p) : len - (size_t)(p - text);
        buf_put(&frame, p, n);
        buf_puts(&frame, " \033[K\n");
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    buf_puts(&frame, "\033[J");
    out_write(1, frame.data, frame.len);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_stats(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    bool no_stream = flag_bool(fs, "no-stream"), all = flag_bool(fs, "all");
    bool show_all = fs->nargs == 0;
    struct stats st = {0};
    struct api_stream ev = {.conn = {.fd = -1}};
    bool ev_open = false;
    struct buf evline = BUF_INIT;
    evline.max = LINE_MAX_BYTES;
    int rc = 0;
    if (show_all) {
        /* subscribed before listing, so that no start is missed */
        if (api_stream_take(cli, "GET",
                            "/events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D", &ev,
                            &err) < 0)
            return cli_fail(&err);
        ev_open = true;
        struct api_resp r;
        json_t *list;
        if (api_call(cli, "GET", all ? "/containers/json?all=1" : "/containers/json", NULL, &r,
                     &err) < 0 ||
            api_json(&r, &list, &err) < 0) {
            api_resp_free(&r);
            api_stream_close(&ev);
            return cli_fail(&err);
        }
        size_t i;
        json_t *c;
        json_array_foreach (list, i, c) {
            char sid[16];
            snprintf(sid, sizeof sid, "%.12s", json_string_value(json_object_get(c, "Id")) ?: "");
            add(cli, &st, sid, !no_stream);
        }
        api_resp_free(&r);
    } else {
        for (int i = 0; i < fs->nargs; i++)
            add(cli, &st, fs->args[i], !no_stream);
    }
    const char *format = flag_str(fs, "format");
    if (*format == '\0')
        format = *cli_config(cli, "statsFormat") ? cli_config(cli, "statsFormat") : "table";
    char deffmt[] = "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{."
                    "NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}";
    if (strcmp(format, "table") == 0)
        format = deffmt;
    bool trunc = !flag_bool(fs, "no-trunc");
    bool waiting_first = true;
    int64_t next = now_ms() + 500;
    for (;;) {
        /* wait for a first sample of each, then draw every 500 ms */
        struct pollfd pf[MAX_STATS + 1];
        struct entry *who[MAX_STATS + 1];
        nfds_t n = 0;
        bool all_got = true, buffered = false;
        for (size_t i = 0; i < st.n; i++) {
            struct entry *e = st.e[i];
            /* buffered bytes first: poll would not see them (and what they
             * hold counts now, not after a wait) */
            if (e->open && e->s.conn.len > e->s.conn.off) {
                pump(e);
                buffered |= e->open && e->s.conn.len > e->s.conn.off;
            }
            all_got &= e->got;
            if (e->open) {
                pf[n] = (struct pollfd){.fd = e->s.conn.fd, .events = POLLIN};
                who[n++] = e;
            }
        }
        if (ev_open) {
            pf[n] = (struct pollfd){.fd = ev.conn.fd, .events = POLLIN};
            who[n++] = NULL;
        }
        if (waiting_first && all_got) {
            waiting_first = false;
            if (!show_all) {
                cleanup_buf struct buf errs = BUF_INIT;
                for (size_t i = 0; i < st.n; i++)
                    if (st.e[i]->error) {
                        if (errs.len)
                            buf_putc(&errs, '\n');
                        buf_puts(&errs, st.e[i]->error);
                    }
                if (errs.len) {
                    fprintf(stderr, "%s\n", errs.data);
                    rc = 1;
                    break;
                }
            }
            next = now_ms() + 500;
        }
        int64_t wait = waiting_first ? (buffered ? 0 : 1000) : next - now_ms();
        if (!waiting_first && wait <= 0) {
            if (render(&st, format, trunc, !no_stream) != 0) {
                rc = 1;
                break;
            }
            if ((st.n == 0 && !show_all) || no_stream)
                break;
            next += 500;
            continue;
        }
        if (buffered && wait > 0)
            wait = 0;
        int pr = poll(pf, n, (int)(wait > 0 ? wait : 0));
        if (pr < 0 && errno != EINTR) {
            rc = 1;
            break;
        }
        for (nfds_t i = 0; pr > 0 && i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (who[i]) {
                pump(who[i]);
                continue;
            }
            char buf[8192];
            ssize_t r = http_read_body(&ev.conn, &ev.resp, buf, sizeof buf, &err);
            if (r <= 0) {
                pier_error_free(&err);
                api_stream_close(&ev);
                ev_open = false;
                continue;
            }
            buf_put(&evline, buf, (size_t)r);
            const char *l;
            size_t ll;
            while ((l = stream_line(&evline, &ll)) != NULL) {
                on_event(cli, &st, l, ll, all);
                buf_consume(&evline, ll + 1);
            }
        }
    }
    while (st.n)
        drop(&st, st.e[0]->name);
    if (ev_open)
        api_stream_close(&ev);
    buf_free(&evline);
    return rc;
}

static struct flag stats_flags[] = {
    {"all", 'a', FK_BOOL, NULL, "Show all containers (default shows just running)"},
    {"format", 0, FK_STRING, NULL, TABLE_FORMAT_HELP},
    {"no-stream", 0, FK_BOOL, NULL, "Disable streaming stats and only pull the first result"},
    {"no-trunc", 0, FK_BOOL, NULL, "Do not truncate output"},
    {NULL},
};

struct cmd cmd_stats = {
    .use = "stats [OPTIONS] [CONTAINER...]",
    .aliases = "container stats, stats",
    .short_desc = "Display a live stream of container(s) resource usage statistics",
    .args = ARGS_ANY,
    .flags = stats_flags,
    .run = run_stats,
};
