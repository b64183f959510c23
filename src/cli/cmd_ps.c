/* ps (container ls): GET /containers/json, then docker's table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/gotmpl.h"
#include "../lib/json.h"
#include "cli.h"
#include "filters.h"
#include "fmt_container.h"
#include "format.h"

#define DEFAULT_TABLE                                                                              \
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{." \
    "Names}}"

#define RAW_FORMAT                                                                                 \
    "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: "                \
    "{{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: "          \
    "{{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n"

/* formatter.NewContainerFormat */
static void container_format(const char *source, bool quiet, bool size, struct buf *out)
{
    if (*source == '\0' || strcmp(source, "table") == 0) {
        if (quiet) {
            buf_puts(out, "{{.ID}}");
            return;
        }
        buf_puts(out, DEFAULT_TABLE);
        if (size)
            buf_puts(out, "\\t{{.Size}}");
        return;
    }
    if (strcmp(source, "raw") == 0) {
        if (quiet) {
            buf_puts(out, "container_id: {{.ID}}");
            return;
        }
        buf_puts(out, RAW_FORMAT);
        if (size)
            buf_puts(out, "size: {{.Size}}\\n");
        return;
    }
    buf_puts(out, quiet ? "{{.ID}}" : source);
}

/* docker checks --format before it asks the daemon: parsed, then run on
 * an empty container. */
static int check_template(const char *format, pier_err_t *err)
{
    struct gotmpl *t = NULL;
    if (gotmpl_parse(format, &t, err) < 0)
        return pier_error_wrap(err, "failed to parse template");
    if (tmpl_check(format, "", &container_context_type, err) < 0) {
        gotmpl_free(t);
        return pier_error_wrap(err, "failed to execute template");
    }
    cleanup_json json_t *empty = json_object();
    cleanup_json json_t *row = container_row(empty, true, time(NULL));
    char *out = NULL;
    size_t len = 0;
    int rc = gotmpl_exec(t, row, &out, &len, err);
    gotmpl_free(t);
    free(out);
    if (rc < 0)
        return pier_error_wrap(err, "failed to execute template");
    return 0;
}

static int run_ps(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    bool quiet = flag_bool(fs, "quiet");
    bool size = flag_bool(fs, "size");
    int64_t last = flag_int(fs, "last");
    const char *format = flag_str(fs, "format");
    bool format_flag = *format != '\0';
    if (!format_flag)
        format = cli_config(cli, "psFormat");
    if (flag_bool(fs, "latest") && last == -1)
        last = 1;
    if (format_flag && quiet) {
        fflush(stdout);
        fprintf(stderr, "WARNING: Ignoring custom format, because both --format and --quiet are "
                        "set.\n");
    }
    pier_err_t err = NULL;
    if (*format && check_template(format, &err) < 0)
        return cli_fail(&err);
    /* a template that shows .Size asks for sizes, unless --size=false;
     * {{json .}} shows every field */
    if (!quiet && !size && !flag_changed(fs, "size") &&
        (strstr(format, ".Size") || strstr(format, "{{json .}}")))
        size = true;

    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/containers/json");
    if (flag_bool(fs, "all"))
        url_param(&q, "all", "1");
    filters_param(flag_get(fs, "filter"), &q);
    if (last > 0) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)last);
        url_param(&q, "limit", n);
    }
    if (size)
        url_param(&q, "size", "1");

    /* the template is checked before the daemon is asked */
    cleanup_buf struct buf fmt = BUF_INIT;
    container_format(format, quiet, size, &fmt);
    struct fmt_ctx f;
    if (fmt_begin(&f, fmt.data, container_header(), &err) < 0) {
        fmt_free(&f);
        return cli_fail(&err);
    }
    struct api_resp r;
    json_t *list;
    if (api_call(cli, "GET", q.data, NULL, &r, &err) < 0 || api_json(&r, &list, &err) < 0) {
        fmt_free(&f);
        api_resp_free(&r);
        return cli_fail(&err);
    }
    time_t now = time(NULL);
    bool trunc = !flag_bool(fs, "no-trunc");
    size_t i;
    json_t *c;
    int rc = 0;
    json_array_foreach (list, i, c) {
        cleanup_json json_t *row = container_row(c, trunc, now);
        if (fmt_row(&f, row, &err) < 0) {
            rc = cli_fail(&err);
            break;
        }
    }
    if (rc == 0 && fmt_end(&f, stdout, &err) < 0)
        rc = cli_fail(&err);
    fmt_free(&f);
    api_resp_free(&r);
    return rc;
}

static struct flag ps_flags[] = {
    {"all", 'a', FK_BOOL, NULL, "Show all containers (default shows just running)"},
    {"filter", 'f', FK_LIST, "filter", "Filter output based on conditions provided",
     .check = filter_check},
    {"format", 0, FK_STRING, NULL, TABLE_FORMAT_HELP},
    {"last", 'n', FK_INT, NULL, "Show n last created containers (includes all states)", "-1"},
    {"latest", 'l', FK_BOOL, NULL, "Show the latest created container (includes all states)"},
    {"no-trunc", 0, FK_BOOL, NULL, "Don't truncate output"},
    {"quiet", 'q', FK_BOOL, NULL, "Only display container IDs"},
    {"size", 's', FK_BOOL, NULL, "Display total file sizes"},
    {NULL},
};

struct cmd cmd_ps = {
    .use = "ls [OPTIONS]",
    .aliases = "container ls, container list, container ps, ps",
    .short_desc = "List containers",
    .args = ARGS_NONE,
    .flags = ps_flags,
    .run = run_ps,
};

/* The top-level shortcut: "ps [OPTIONS]" in its usage line. */
struct cmd cmd_ps_top = {
    .use = "ps [OPTIONS]",
    .aliases = "container ls, container list, container ps, ps",
    .short_desc = "List containers",
    .args = ARGS_NONE,
    .flags = ps_flags,
    .run = run_ps,
};
