/* exec and attach (hijacked streams), top and port (reads). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "attach.h"
#include "cli.h"
#include "opts.h"
#include "tabwriter.h"

/* --- exec -------------------------------------------------------------------- */

static int run_exec(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *name = fs->args[0];
    bool detach = flag_bool(fs, "detach"), tty = flag_bool(fs, "tty");
    bool interactive = flag_bool(fs, "interactive");
    json_t *env = NULL;
    if (read_env(flag_get(fs, "env-file"), flag_get(fs, "env"), &env, &err) < 0)
        return cli_fail(&err);
    cleanup_json json_t *env_owned = env;
    /* a dummy inspect first, so that "no such container" wins */
    struct api_resp r;
    json_t *c;
    if (api_inspect_container(cli, name, &r, &c, &err) < 0)
        return cli_fail(&err);
    api_resp_free(&r);
    bool a_in = !detach && interactive, a_out = !detach, a_err = !detach;
    if (!detach && check_tty(a_in, tty, &err) < 0)
        return cli_fail(&err);
    unsigned rows = 0, cols = 0;
    if (tty)
        term_size(1, &rows, &cols);
    bool console = tty && api_version_cmp(cli->version, "1.42") >= 0;
    cleanup_json json_t *body = json_object();
    json_object_set_new(body, "User", json_string(flag_str(fs, "user")));
    json_object_set_new(body, "Privileged", json_boolean(flag_bool(fs, "privileged")));
    json_object_set_new(body, "Tty", json_boolean(tty));
    if (console) {
        json_t *cs = json_array();
        json_array_append_new(cs, json_integer(rows));
        json_array_append_new(cs, json_integer(cols));
        json_object_set_new(body, "ConsoleSize", cs);
    }
    json_object_set_new(body, "AttachStdin", json_boolean(a_in));
    json_object_set_new(body, "AttachStderr", json_boolean(a_err));
    json_object_set_new(body, "AttachStdout", json_boolean(a_out));
    json_object_set_new(body, "Detach", json_boolean(detach));
    json_object_set_new(body, "DetachKeys", json_string(detach_keys(cli, fs)));
    json_object_set_new(body, "Env", json_incref(env));
    json_object_set_new(body, "WorkingDir", json_string(flag_str(fs, "workdir")));
    json_t *cmd = json_array();
    for (int i = 1; i < fs->nargs; i++)
        json_array_append_new(cmd, json_string(fs->args[i]));
    json_object_set_new(body, "Cmd", cmd);

    cleanup_buf struct buf p = BUF_INIT;
    buf_puts(&p, "/containers/");
    url_escape(name, &p);
    buf_puts(&p, "/exec");
    if (api_call(cli, "POST", p.data, body, &r, &err) < 0 || api_json(&r, &c, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    cleanup_free char *id = strdup(json_string_value(json_object_get(c, "Id")) ?: "");
    api_resp_free(&r);
    if (id == NULL || *id == '\0') {
        pier_error(&err, 0, "exec ID empty");
        return cli_fail(&err);
    }
    cleanup_json json_t *start = json_object();
    json_object_set_new(start, "Detach", json_boolean(detach));
    json_object_set_new(start, "Tty", json_boolean(tty));
    if (console)
        json_object_set(start, "ConsoleSize", json_object_get(body, "ConsoleSize"));
    char spath[128];
    snprintf(spath, sizeof spath, "/exec/%s/start", id);
    if (detach) {
        if (api_call(cli, "POST", spath, start, &r, &err) < 0)
            return cli_fail(&err);
        api_resp_free(&r);
        return 0;
    }
    struct io_opts io = {
        .id = id,
        .exec = true,
        .tty = tty,
        .in = a_in,
        .out = a_out,
        .err = a_err,
        .detach_keys = detach_keys(cli, fs),
    };
    if (tty)
        sig_catch(false, true);
    struct api_stream as;
    if (api_hijack(cli, spath, start, &as, &err) < 0)
        return cli_fail(&err);
    if (tty && isatty(0))
        io.resize_retry = !init_tty_size(cli, id, true);
    int rc = attach_copy(cli, &io, &as, &err);
    api_stream_close(&as);
    if (rc < 0)
        return cli_fail(&err);
    if (rc == 1) {
        /* docker's exec reports the detach as its error */
        fprintf(stderr, "read escape sequence\n");
        return 1;
    }
    snprintf(spath, sizeof spath, "/exec/%s/json", id);
    if (api_call(cli, "GET", spath, NULL, &r, &err) < 0 || api_json(&r, &c, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    int status = (int)json_integer_value(json_object_get(c, "ExitCode"));
    api_resp_free(&r);
    return status;
}

static struct flag exec_flags[] = {
    {"detach", 'd', FK_BOOL, NULL, "Detached mode: run command in the background"},
    {"detach-keys", 0, FK_STRING, NULL, "Override the key sequence for detaching a container"},
    {"env", 'e', FK_LIST, NULL, "Set environment variables", .min_api = "1.25", .check = check_env},
    {"env-file", 0, FK_LIST, NULL, "Read in a file of environment variables", .min_api = "1.25"},
    {"interactive", 'i', FK_BOOL, NULL, "Keep STDIN open even if not attached"},
    {"privileged", 0, FK_BOOL, NULL, "Give extended privileges to the command"},
    {"tty", 't', FK_BOOL, NULL, "Allocate a pseudo-TTY"},
    {"user", 'u', FK_STRING, NULL, "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},
    {"workdir", 'w', FK_STRING, NULL, "Working directory inside the container", .min_api = "1.35"},
    {NULL},
};

struct cmd cmd_exec = {
    .use = "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
    .aliases = "container exec, exec",
    .short_desc = "Execute a command in a running container",
    .args = ARGS_MIN,
    .amin = 2,
    .no_interspersed = true,
    .flags = exec_flags,
    .run = run_exec,
};

/* --- attach ------------------------------------------------------------------- */

static int check_state(json_t *c, pier_err_t *err)
{
    json_t *st = json_object_get(c, "State");
    if (!json_is_true(json_object_get(st, "Running")))
        return pier_error(err, 0, "You cannot attach to a stopped container, start it first");
    if (json_is_true(json_object_get(st, "Paused")))
        return pier_error(err, 0, "You cannot attach to a paused container, unpause it first");
    if (json_is_true(json_object_get(st, "Restarting")))
        return pier_error(err, 0,
                          "You cannot attach to a restarting container, wait until it is running");
    return 0;
}

static int run_attach(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *name = fs->args[0];
    /* the wait goes first, so that an exit while attaching is seen */
    cleanup_buf struct buf n = BUF_INIT;
    url_escape(name, &n);
    struct api_stream ws;
    pier_err_t werr = NULL;
    int waited = wait_open(cli, n.data, NULL, &ws, &werr);
    struct api_resp r;
    json_t *c;
    /* docker's wait runs apart: the inspect's error is the one shown */
    if (api_inspect_container(cli, name, &r, &c, &err) < 0 || check_state(c, &err) < 0) {
        api_resp_free(&r);
        if (waited == 0)
            api_stream_close(&ws);
        pier_error_free(&werr);
        return cli_fail(&err);
    }
    if (waited < 0) {
        api_resp_free(&r);
        return cli_fail(&werr);
    }
    json_t *config = json_object_get(c, "Config");
    bool tty = json_is_true(json_object_get(config, "Tty"));
    bool open_stdin = json_is_true(json_object_get(config, "OpenStdin"));
    api_resp_free(&r);
    bool no_stdin = flag_bool(fs, "no-stdin");
    if (check_tty(!no_stdin, tty, &err) < 0) {
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    bool sig_proxy = flag_bool(fs, "sig-proxy") && !tty;
    struct io_opts io = {
        .id = n.data,
        .tty = tty,
        .in = !no_stdin && open_stdin,
        .out = true,
        .err = true,
        .detach_keys = detach_keys(cli, fs),
        .sig_proxy = sig_proxy,
    };
    sig_catch(sig_proxy, tty);
    struct api_stream as;
    if (attach_open(cli, &io, &as, &err) < 0) {
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    /* the state again: it may have stopped meanwhile */
    if (api_inspect_container(cli, name, &r, &c, &err) < 0 || check_state(c, &err) < 0) {
        api_resp_free(&r);
        api_stream_close(&as);
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    api_resp_free(&r);
    if (tty && isatty(1)) {
        /* one cell larger and back, so that the program redraws */
        resize_tty(cli, n.data, false, 1, 1);
        io.resize_retry = !init_tty_size(cli, n.data, false);
    }
    int rc = attach_copy(cli, &io, &as, &err);
    api_stream_close(&as);
    if (rc < 0) {
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    if (rc == 1) {
        /* as with docker's attach, the detach is reported as an error */
        api_stream_close(&ws);
        fprintf(stderr, "read escape sequence\n");
        return 1;
    }
    rc = wait_status(&ws);
    api_stream_close(&ws);
    return rc;
}

static struct flag attach_flags[] = {
    {"detach-keys", 0, FK_STRING, NULL, "Override the key sequence for detaching a container"},
    {"no-stdin", 0, FK_BOOL, NULL, "Do not attach STDIN"},
    {"sig-proxy", 0, FK_BOOL, NULL, "Proxy all received signals to the process", "true"},
    {NULL},
};

struct cmd cmd_attach = {
    .use = "attach [OPTIONS] CONTAINER",
    .aliases = "container attach, attach",
    .short_desc = "Attach local standard input, output, and error streams to a running container",
    .args = ARGS_EXACT,
    .amin = 1,
    .flags = attach_flags,
    .run = run_attach,
};

/* --- top ------------------------------------------------------------------------ */

static int run_top(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/containers/");
    url_escape(fs->args[0], &q);
    buf_puts(&q, "/top");
    if (fs->nargs > 1) {
        cleanup_buf struct buf a = BUF_INIT;
        for (int i = 1; i < fs->nargs; i++) {
            if (i > 1)
                buf_putc(&a, ' ');
            buf_puts(&a, fs->args[i]);
        }
        url_param(&q, "ps_args", a.data);
    }
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "GET", q.data, NULL, &r, &err) < 0 || api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    cleanup_buf struct buf t = BUF_INIT;
    size_t i, k;
    json_t *v, *row;
    json_array_foreach (json_object_get(j, "Titles"), i, v) {
        if (i)
            buf_putc(&t, '\t');
        buf_puts(&t, json_string_value(v) ?: "");
    }
    buf_putc(&t, '\n');
    json_array_foreach (json_object_get(j, "Processes"), i, row) {
        json_array_foreach (row, k, v) {
            if (k)
                buf_putc(&t, '\t');
            buf_puts(&t, json_string_value(v) ?: "");
        }
        buf_putc(&t, '\n');
    }
    api_resp_free(&r);
    cleanup_buf struct buf o = BUF_INIT;
    struct tw_opts opts = {.minwidth = 20, .tabwidth = 1, .padding = 3, .padchar = ' '};
    tabwriter_format(&opts, t.data, t.len, &o);
    fwrite(o.data, 1, o.len, stdout);
    return 0;
}

struct cmd cmd_top = {
    .use = "top CONTAINER [ps OPTIONS]",
    .aliases = "container top, top",
    .short_desc = "Display the running processes of a container",
    .args = ARGS_MIN,
    .amin = 1,
    .no_interspersed = true,
    .run = run_top,
};

/* --- port --------------------------------------------------------------------- */

/* sortorder.NaturalLess: digit runs compare as numbers. */
static int natural_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    while (*x && *y) {
        if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
            const char *xs = x, *ys = y;
            while (*xs == '0')
                xs++;
            while (*ys == '0')
                ys++;
            const char *xe = xs, *ye = ys;
            while (isdigit((unsigned char)*xe))
                xe++;
            while (isdigit((unsigned char)*ye))
                ye++;
            if (xe - xs != ye - ys)
                return (xe - xs) < (ye - ys) ? -1 : 1;
            int c = strncmp(xs, ys, (size_t)(xe - xs));
            if (c)
                return c;
            const char *xend = x, *yend = y;
            while (isdigit((unsigned char)*xend))
                xend++;
            while (isdigit((unsigned char)*yend))
                yend++;
            if (xend - x != yend - y)
                return (xend - x) < (yend - y) ? -1 : 1;
            x = xend;
            y = yend;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
        x++;
        y++;
    }
    return *x ? 1 : *y ? -1 : 0;
}

static void host_port(struct buf *b, json_t *frontend)
{
    const char *ip = json_string_value(json_object_get(frontend, "HostIp")) ?: "";
    const char *port = json_string_value(json_object_get(frontend, "HostPort")) ?: "";
    if (strchr(ip, ':'))
        buf_printf(b, "[%s]:%s", ip, port);
    else
        buf_printf(b, "%s:%s", ip, port);
}

static int run_port(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    struct api_resp r;
    json_t *c;
    if (api_inspect_container(cli, fs->args[0], &r, &c, &err) < 0)
        return cli_fail(&err);
    json_t *ports = json_object_get(json_object_get(c, "NetworkSettings"), "Ports");
    char *lines[1024];
    size_t n = 0;
    int rc = 0;
    if (fs->nargs > 1) {
        const char *spec = fs->args[1];
        char port[64], proto[32] = "tcp";
        const char *slash = strchr(spec, '/');
        snprintf(port, sizeof port, "%.*s", slash ? (int)(slash - spec) : (int)strlen(spec), spec);
        if (slash && slash[1])
            snprintf(proto, sizeof proto, "%s", slash + 1);
        uint64_t pv;
        char m[256];
        bool digits = *port != '\0';
        for (const char *p = port; *p; p++)
            digits &= isdigit((unsigned char)*p) != 0;
        if (!digits || go_parse_uint(port, 16, &pv, m, sizeof m) < 0) {
            if (digits)
                fprintf(stderr, "Error: invalid port (%s): %s\n", port, m);
            else
                fprintf(stderr,
                        "Error: invalid port (%s): strconv.ParseUint: parsing \"%s\": invalid "
                        "syntax\n",
                        port, port);
            api_resp_free(&r);
            return 1;
        }
        char key[128];
        snprintf(key, sizeof key, "%s/%s", port, proto);
        json_t *fronts = json_object_get(ports, key);
        if (json_array_size(fronts) == 0) {
            fprintf(stderr, "Error: No public port '%s' published for %s\n", spec, fs->args[0]);
            api_resp_free(&r);
            return 1;
        }
        size_t i;
        json_t *f;
        json_array_foreach (fronts, i, f) {
            struct buf b = BUF_INIT;
            host_port(&b, f);
            if (n < 1024)
                lines[n++] = buf_steal(&b);
        }
    } else {
        const char *key;
        json_t *fronts;
        json_object_foreach (ports, key, fronts) {
            size_t i;
            json_t *f;
            json_array_foreach (fronts, i, f) {
                struct buf b = BUF_INIT;
                buf_printf(&b, "%s -> ", key);
                host_port(&b, f);
                if (n < 1024)
                    lines[n++] = buf_steal(&b);
            }
        }
    }
    qsort(lines, n, sizeof *lines, natural_cmp);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", lines[i]);
        free(lines[i]);
    }
    api_resp_free(&r);
    return rc;
}

struct cmd cmd_port = {
    .use = "port CONTAINER [PRIVATE_PORT[/PROTO]]",
    .aliases = "container port, port",
    .short_desc = "List port mappings or a specific mapping for the container",
    .args = ARGS_RANGE,
    .amin = 1,
    .amax = 2,
    .run = run_port,
};
