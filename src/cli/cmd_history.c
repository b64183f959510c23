/* history (image history): GET /images/{name}/history as docker's
 * history formatter shows it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"
#include "fmt_container.h"
#include "format.h"
#include "units.h"

#define HISTORY_TABLE                                                                              \
    "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
#define HISTORY_TABLE_NON_HUMAN                                                                    \
    "table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"

static const struct tmpl_field history_fields[] = {
    {"Comment", &tmpl_string},   {"CreatedAt", &tmpl_string},
    {"CreatedBy", &tmpl_string}, {"CreatedSince", &tmpl_string},
    {"ID", &tmpl_string},        {"Size", &tmpl_string},
    {"FullHeader", NULL},        {"Header", NULL},
    {"MarshalJSON", NULL},       {NULL},
};
static const struct tmpl_type history_context_type = {"*image.historyContext", history_fields,
                                                      false};

static json_t *history_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince", "CREATED",
                     "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY", "Size", "SIZE",
                     "Comment", "COMMENT");
}

/* Keys in sorted order: the json format prints them as they are. */
static json_t *history_row(json_t *h, bool human, bool trunc, time_t now)
{
    char id[80], at[64], since[64], size[64];
    const char *full = json_string_value(json_object_get(h, "Id")) ?: "";
    if (trunc)
        truncate_id(full, id, sizeof id);
    else
        snprintf(id, sizeof id, "%s", full);
    int64_t created = json_integer_value(json_object_get(h, "Created"));
    rfc3339_seconds(created, at, sizeof at);
    if (human) {
        char d[64];
        human_duration(((int64_t)now - created) * 1000000000LL, d, sizeof d);
        snprintf(since, sizeof since, "%s ago", d);
    } else {
        snprintf(since, sizeof since, "%s", at);
    }
    /* tabs would break the table's columns */
    cleanup_free char *by = strdup(json_string_value(json_object_get(h, "CreatedBy")) ?: "");
    for (char *p = by; p && *p; p++)
        if (*p == '\t')
            *p = ' ';
    cleanup_buf struct buf b = BUF_INIT;
    if (trunc)
        ellipsis(by ? by : "", 45, &b);
    else
        buf_puts(&b, by ? by : "");
    int64_t bytes = json_integer_value(json_object_get(h, "Size"));
    if (human)
        human_size_prec((double)bytes, 3, size, sizeof size);
    else
        snprintf(size, sizeof size, "%lld", (long long)bytes);
    const char *comment = json_string_value(json_object_get(h, "Comment"));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", comment ? comment : "",
                     "CreatedAt", at, "CreatedBy", b.data ? b.data : "", "CreatedSince", since,
                     "ID", id, "Size", size);
}

static int run_history(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/");
    buf_puts(&q, fs->args[0]);
    buf_puts(&q, "/history");
    const char *platform = flag_str(fs, "platform");
    if (*platform) {
        /* as docker's client sends it: the ocispec.Platform as JSON */
        char os[64] = "", arch[64] = "", variant[64] = "";
        sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant);
        cleanup_json json_t *p = json_pack("{s:s, s:s}", "architecture", arch, "os", os);
        if (p && *variant)
            json_object_set_new(p, "variant", json_string(variant));
        cleanup_free char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
        url_param(&q, "platform", text ? text : platform);
    }
    struct api_resp r;
    json_t *list;
    if (api_call(cli, "GET", q.data, NULL, &r, &err) < 0 || api_json(&r, &list, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    bool quiet = flag_bool(fs, "quiet"), human = flag_bool(fs, "human");
    const char *format = flag_str(fs, "format");
    if (*format == '\0' || strcmp(format, "table") == 0)
        format = quiet ? "{{.ID}}" : human ? HISTORY_TABLE : HISTORY_TABLE_NON_HUMAN;
    struct fmt_ctx f;
    if (fmt_begin(&f, format, history_header(), &err) < 0) {
        fmt_free(&f);
        api_resp_free(&r);
        return cli_fail(&err);
    }
    f.type = &history_context_type;
    time_t now = time(NULL);
    bool trunc = !flag_bool(fs, "no-trunc");
    int rc = 0;
    size_t i;
    json_t *h;
    json_array_foreach (list, i, h) {
        cleanup_json json_t *row = history_row(h, human, trunc, now);
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

static struct flag history_flags[] = {
    {"format", 0, FK_STRING, NULL, TABLE_FORMAT_HELP},
    {"human", 'H', FK_BOOL, NULL, "Print sizes and dates in human readable format", "true"},
    {"no-trunc", 0, FK_BOOL, NULL, "Don't truncate output"},
    {"platform", 0, FK_STRING, NULL,
     "Show history for the given platform. Formatted as \"os[/arch[/variant]]\" (e.g., "
     "\"linux/amd64\")",
     .min_api = "1.48"},
    {"quiet", 'q', FK_BOOL, NULL, "Only show image IDs"},
    {NULL},
};

struct cmd cmd_history = {
    .use = "history [OPTIONS] IMAGE",
    .aliases = "image history, history",
    .short_desc = "Show the history of an image",
    .args = ARGS_EXACT,
    .amin = 1,
    .flags = history_flags,
    .run = run_history,
};
