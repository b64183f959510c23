/* inspect, container inspect, image inspect: the daemon's JSON as it
 * came, indented as json.Indent does, or each object through a template. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/gotmpl.h"
#include "cli.h"
#include "format.h"
#include "json_go.h"

enum kind { K_CONTAINER, K_IMAGE, K_NETWORK, K_VOLUME, K_PLUGIN, K_ANY };

struct inspector {
    const char *format; /* "", "json" or a template */
    struct gotmpl *tmpl;
    bool has_json;   /* the template prints JSON */
    struct buf raws; /* raw objects joined by "," */
    size_t nraw;
    struct buf out;    /* template output */
    struct buf errors; /* messages joined by "\n" */
};

static void add_error(struct inspector *in, const char *msg)
{
    if (in->errors.len)
        buf_putc(&in->errors, '\n');
    buf_puts(&in->errors, msg);
}

static void add_element(struct inspector *in, const char *raw, size_t len)
{
    if (in->tmpl) {
        json_t *j = json_loadb(raw, len, JSON_DECODE_ANY, NULL);
        /* docker runs templates on its Go types, whose ID field the JSON
         * calls Id; {{.ID}} works there, so it does here (unless the
         * template prints JSON, which must keep the JSON names) */
        if (json_is_object(j) && !in->has_json && json_object_get(j, "Id") &&
            !json_object_get(j, "ID"))
            json_object_set(j, "ID", json_object_get(j, "Id"));
        char *o = NULL;
        size_t ol = 0;
        pier_err_t err = NULL;
        if (j && gotmpl_exec(in->tmpl, j, &o, &ol, &err) == 0) {
            buf_put(&in->out, o, ol);
            buf_putc(&in->out, '\n');
        } else {
            char m[1024];
            snprintf(m, sizeof m, "template parsing error: %s",
                     err ? pier_error_msg(err) : "invalid JSON from the daemon");
            add_error(in, m);
        }
        free(o);
        pier_error_free(&err);
        if (j)
            json_decref(j);
        return;
    }
    if (in->nraw++)
        buf_putc(&in->raws, ',');
    buf_put(&in->raws, raw, len);
}

/* Print what was gathered, then the errors; the exit status. */
static int flush(struct inspector *in)
{
    if (in->tmpl) {
        if (in->out.len == 0)
            putchar('\n');
        else
            fwrite(in->out.data, 1, in->out.len, stdout);
    } else if (in->nraw == 0) {
        fputs("[]\n", stdout);
    } else {
        cleanup_buf struct buf all = BUF_INIT;
        buf_putc(&all, '[');
        buf_put(&all, in->raws.data, in->raws.len);
        buf_putc(&all, ']');
        cleanup_buf struct buf o = BUF_INIT;
        json_raw_reformat(all.data, all.len, strcmp(in->format, "json") == 0 ? NULL : "    ", &o);
        fwrite(o.data, 1, o.len, stdout);
        putchar('\n');
    }
    int rc = 0;
    if (in->errors.len) {
        fflush(stdout);
        fprintf(stderr, "%s\n", in->errors.data);
        rc = 1;
    }
    buf_free(&in->raws);
    buf_free(&in->out);
    buf_free(&in->errors);
    if (in->tmpl)
        gotmpl_free(in->tmpl);
    return rc;
}

static int begin(struct inspector *in, const char *format)
{
    memset(in, 0, sizeof *in);
    in->raws = (struct buf)BUF_INIT;
    in->out = (struct buf)BUF_INIT;
    in->errors = (struct buf)BUF_INIT;
    in->format = format;
    in->has_json = strstr(format, "json") != NULL;
    if (*format && strcmp(format, "json") != 0) {
        pier_err_t err = NULL;
        if (gotmpl_parse(format, &in->tmpl, &err) < 0) {
            fprintf(stderr, "template parsing error: %s\n", pier_error_msg(err));
            pier_error_free(&err);
            return 64;
        }
    }
    return 0;
}

/* GET one object; 1 when it is not there (404), 0 when found (raw added),
 * -1 on another error (message in err). */
static int fetch(struct cli *cli, const char *path, struct inspector *in, pier_err_t *err)
{
    struct api_resp r;
    if (api_do(cli, "GET", path, NULL, &r, err) < 0)
        return -1;
    if (r.status >= 400) {
        api_error(&r, err);
        api_resp_free(&r);
        return r.status == 404 ? 1 : -1;
    }
    /* the daemon's trailing newline is whitespace json.Indent drops */
    add_element(in, r.body, r.len);
    api_resp_free(&r);
    return 0;
}

static void object_path(struct buf *p, enum kind k, const char *ref, bool size)
{
    static const char *const pre[] = {"/containers/", "/images/", "/networks/", "/volumes/",
                                      "/plugins/"};
    buf_puts(p, pre[k]);
    url_escape(ref, p);
    if (k == K_CONTAINER || k == K_IMAGE || k == K_PLUGIN)
        buf_puts(p, "/json");
    if (k == K_CONTAINER && size)
        buf_puts(p, "?size=1");
}

static int inspect_typed(struct cli *cli, struct flagset *fs, enum kind k)
{
    struct inspector in;
    int rc = begin(&in, flag_str(fs, "format"));
    if (rc)
        return rc;
    bool size = k == K_CONTAINER && flag_bool(fs, "size");
    for (int i = 0; i < fs->nargs; i++) {
        cleanup_buf struct buf p = BUF_INIT;
        object_path(&p, k, fs->args[i], size);
        pier_err_t err = NULL;
        if (fetch(cli, p.data, &in, &err) != 0)
            add_error(&in, pier_error_msg(err));
        pier_error_free(&err);
    }
    return flush(&in);
}

static int run_container_inspect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    return inspect_typed(cli, fs, K_CONTAINER);
}

static int run_image_inspect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    return inspect_typed(cli, fs, K_IMAGE);
}

static int run_network_inspect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    return inspect_typed(cli, fs, K_NETWORK);
}

static int run_inspect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    const char *type = flag_str(fs, "type");
    static const char *const types[] = {"",       "config", "container", "image", "network", "node",
                                        "plugin", "secret", "service",   "task",  "volume"};
    bool ok = false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        ok |= strcmp(type, types[i]) == 0;
    if (!ok) {
        fprintf(stderr,
                "unknown type: \"%s\": must be one of \"config\", \"container\", \"image\", "
                "\"network\", \"node\", \"plugin\", \"secret\", \"service\", \"task\", "
                "\"volume\"\n",
                type);
        return 1;
    }
    struct inspector in;
    int rc = begin(&in, flag_str(fs, "format"));
    if (rc)
        return rc;
    bool size = flag_bool(fs, "size");
    for (int i = 0; i < fs->nargs; i++) {
        const char *ref = fs->args[i];
        pier_err_t err = NULL;
        int got = 1;
        static const struct {
            const char *type;
            enum kind k;
        } order[] = {{"container", K_CONTAINER},
                     {"image", K_IMAGE},
                     {"network", K_NETWORK},
                     {"volume", K_VOLUME},
                     {"plugin", K_PLUGIN}};
        for (size_t t = 0; t < sizeof order / sizeof order[0] && got == 1; t++) {
            if (*type && strcmp(type, order[t].type) != 0)
                continue;
            if (order[t].k == K_PLUGIN && !*type) {
                /* docker asks whether swarm is on before its swarm types */
                struct api_resp r;
                pier_err_t ierr = NULL;
                if (api_do(cli, "GET", "/info", NULL, &r, &ierr) == 0)
                    api_resp_free(&r);
                pier_error_free(&ierr);
            }
            pier_error_free(&err);
            cleanup_buf struct buf p = BUF_INIT;
            object_path(&p, order[t].k, ref, size);
            got = fetch(cli, p.data, &in, &err);
            if (got == 0 && size && order[t].k == K_IMAGE) {
                fflush(stdout);
                fprintf(stderr, "WARNING: --size ignored for image\n");
            }
        }
        if (got == 1 && !*type) {
            char m[600];
            snprintf(m, sizeof m, "Error: No such object: %s", ref);
            add_error(&in, m);
        } else if (got != 0) {
            add_error(&in, pier_error_msg(err));
        }
        pier_error_free(&err);
    }
    return flush(&in);
}

static struct flag inspect_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {"size", 's', FK_BOOL, NULL, "Display total file sizes if the type is container"},
    {"type", 0, FK_STRING, NULL, "Only inspect objects of the given type"},
    {NULL},
};

static struct flag container_inspect_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {"size", 's', FK_BOOL, NULL, "Display total file sizes"},
    {NULL},
};

static struct flag image_inspect_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {"platform", 0, FK_STRING, NULL,
     "Inspect a specific platform of the multi-platform image.\nIf the image or the server is "
     "not multi-platform capable, the command will error out if the platform does not "
     "match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
     .min_api = "1.49"},
    {NULL},
};

struct cmd cmd_inspect = {
    .use = "inspect [OPTIONS] NAME|ID [NAME|ID...]",
    .short_desc = "Return low-level information on Docker objects",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = inspect_flags,
    .run = run_inspect,
};

struct cmd cmd_container_inspect = {
    .use = "inspect [OPTIONS] CONTAINER [CONTAINER...]",
    .short_desc = "Display detailed information on one or more containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = container_inspect_flags,
    .run = run_container_inspect,
};

struct cmd cmd_image_inspect = {
    .use = "inspect [OPTIONS] IMAGE [IMAGE...]",
    .short_desc = "Display detailed information on one or more images",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = image_inspect_flags,
    .run = run_image_inspect,
};

static struct flag network_inspect_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {"verbose", 'v', FK_BOOL, NULL, "Verbose output for diagnostics"},
    {NULL},
};

struct cmd cmd_network_inspect = {
    .use = "inspect [OPTIONS] NETWORK [NETWORK...]",
    .short_desc = "Display detailed information on one or more networks",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = network_inspect_flags,
    .run = run_network_inspect,
};
