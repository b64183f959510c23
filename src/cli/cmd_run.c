/* run, create and start: create the container (pulling a missing image),
 * attach to it before it starts, wait for its exit, and exit with its
 * status, as docker's run.go, create.go and start.go do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "attach.h"
#include "cli.h"
#include "opts.h"
#include "progress.h"
#include "ref.h"

static int check_pull(const char *v, pier_err_t *err)
{
    if (*v == '\0' || strcmp(v, "always") == 0 || strcmp(v, "missing") == 0 ||
        strcmp(v, "never") == 0)
        return 0;
    return pier_error(err, 0,
                      "invalid pull option: '%s': must be one of \"always\", \"missing\" or "
                      "\"never\"",
                      v);
}

/* runStartContainerErr: 127 for a missing program, 126 when it cannot run. */
static int start_error_status(const char *msg)
{
    if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
        strstr(msg, "system cannot find the file specified"))
        return 127;
    if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
        return 126;
    return 125;
}

/* The create body from the flags, checked alike for run and create. */
static int parse_container(struct cli *cli, struct flagset *fs, struct container_config *cc,
                           pier_err_t *err)
{
    if (check_pull(flag_str(fs, "pull"), err) < 0)
        return -1;
    return container_parse(fs, fs->args, fs->nargs, api_version(cli), cc, err);
}

static void set_console_size(json_t *body, bool tty)
{
    unsigned rows = 0, cols = 0;
    if (tty)
        term_size(1, &rows, &cols);
    json_t *cs = json_object_get(json_object_get(body, "HostConfig"), "ConsoleSize");
    json_array_set_new(cs, 0, json_integer(rows));
    json_array_set_new(cs, 1, json_integer(cols));
}

/* createContainer, with the terminal's size when tty: the container's ID
 * in *id (heap). */
static int create_container(struct cli *cli, struct flagset *fs, json_t *body, bool tty, char **id,
                            pier_err_t *err)
{
    set_console_size(body, tty);
    const char *image = json_string_value(json_object_get(body, "Image"));
    const char *name = flag_str(fs, "name");
    const char *platform = flag_str(fs, "platform");
    const char *pull = flag_str(fs, "pull");
    bool quiet = flag_bool(fs, "quiet");
    const char *cidfile = flag_str(fs, "cidfile");
    cleanup_close int cidfd = -1;
    if (*cidfile) {
        struct stat st;
        if (stat(cidfile, &st) == 0)
            return pier_error(err, 0,
                              "container ID file found, make sure the other container isn't "
                              "running or delete %s",
                              cidfile);
        cidfd = open(cidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (cidfd < 0)
            return pier_error(err, 0, "failed to create the container ID file: open %s: %s",
                              cidfile, go_strerror(errno));
    }
    struct ref r;
    char msg[256];
    bool named = false;
    if (!ref_is_id(image)) {
        if (ref_parse(image, &r, msg, sizeof msg) < 0) {
            if (cidfd >= 0)
                unlink(cidfile);
            return pier_error(err, 0, "%s", msg);
        }
        ref_default_tag(&r);
        named = true;
    }
    int rc = -1;
    if (strcmp(pull, "always") == 0 && named && pull_image(cli, image, platform, quiet, err) < 0)
        goto out;
    {
        cleanup_buf struct buf q = BUF_INIT;
        buf_puts(&q, "/containers/create");
        if (*name)
            url_param(&q, "name", name);
        if (*platform)
            url_param(&q, "platform", platform);
        struct api_resp resp;
        if (api_do(cli, "POST", q.data, body, &resp, err) < 0)
            goto out;
        if (resp.status == 404 && named && strcmp(pull, "missing") == 0 &&
            strstr(resp.body ? resp.body : "", "image") != NULL) {
            api_resp_free(&resp);
            char fam[1024];
            ref_familiar(&r, fam, sizeof fam);
            if (!quiet)
                fprintf(stderr, "Unable to find image '%s' locally\n", fam);
            if (pull_image(cli, image, platform, quiet, err) < 0)
                goto out;
            if (api_do(cli, "POST", q.data, body, &resp, err) < 0)
                goto out;
        }
        if (resp.status >= 400) {
            api_error(&resp, err);
            api_resp_free(&resp);
            goto out;
        }
        json_t *j;
        if (api_json(&resp, &j, err) < 0) {
            api_resp_free(&resp);
            goto out;
        }
        size_t i;
        json_t *w;
        json_array_foreach (json_object_get(j, "Warnings"), i, w) {
            fprintf(stderr, "WARNING: %s\n", json_string_value(w) ?: "");
        }
        const char *cid = json_string_value(json_object_get(j, "Id"));
        *id = strdup(cid ? cid : "");
        api_resp_free(&resp);
        if (*id == NULL)
            goto out;
        if (cidfd >= 0 && pier_write_all(cidfd, *id, strlen(*id)) < 0) {
            pier_error(err, errno, "failed to write the container ID to the file");
            goto out;
        }
        rc = 0;
    }
out:
    if (rc < 0 && cidfd >= 0)
        unlink(cidfile);
    return rc;
}

static int run_create(struct cli *cli, const char *path, struct flagset *fs)
{
    pier_err_t err = NULL;
    struct container_config cc;
    if (parse_container(cli, fs, &cc, &err) < 0)
        return cli_fail_run(path, &err);
    cleanup_json json_t *body = cc.body;
    cleanup_free char *id = NULL;
    if (create_container(cli, fs, body, cc.tty, &id, &err) < 0)
        return cli_fail(&err);
    printf("%s\n", id);
    return 0;
}

static int run_attached(struct cli *cli, const char *path, struct container_config *cc,
                        const char *id, bool sig_proxy, struct flagset *fs);

static int run_run(struct cli *cli, const char *path, struct flagset *fs)
{
    pier_err_t err = NULL;
    struct container_config cc;
    if (parse_container(cli, fs, &cc, &err) < 0)
        return cli_fail_run(path, &err);
    cleanup_json json_t *body = cc.body;
    bool detach = flag_bool(fs, "detach");
    if (!detach) {
        if (check_tty(cc.attach_stdin, cc.tty, &err) < 0)
            return cli_fail(&err);
    } else {
        if (cc.nattach) {
            pier_error(&err, 0, "conflicting options: cannot specify both --attach and --detach");
            return cli_fail(&err);
        }
        json_object_set_new(body, "AttachStdin", json_false());
        json_object_set_new(body, "AttachStdout", json_false());
        json_object_set_new(body, "AttachStderr", json_false());
        json_object_set_new(body, "StdinOnce", json_false());
        cc.attach_stdin = cc.attach_stdout = cc.attach_stderr = false;
    }
    cleanup_free char *id = NULL;
    if (create_container(cli, fs, body, cc.tty, &id, &err) < 0) {
        int status = start_error_status(pier_error_msg(err));
        cli_fail_run(path, &err);
        return status;
    }
    bool sig_proxy = flag_bool(fs, "sig-proxy");
    sig_catch(sig_proxy, cc.tty);
    int rc = run_attached(cli, path, &cc, id, sig_proxy, fs);
    sig_release();
    return rc;
}

/* run, once created: attach, wait, start, copy, and the exit status. */
static int run_attached(struct cli *cli, const char *path, struct container_config *cc_,
                        const char *id, bool sig_proxy, struct flagset *fs)
{
    struct container_config cc = *cc_;
    pier_err_t err = NULL;
    if (!cc.attach_stdout && !cc.attach_stderr) {
        printf("%s\n", id);
        fflush(stdout);
    }
    struct io_opts io = {
        .id = id,
        .tty = cc.tty,
        .in = cc.attach_stdin,
        .out = cc.attach_stdout,
        .err = cc.attach_stderr,
        .detach_keys = detach_keys(cli, fs),
        .sig_proxy = sig_proxy,
    };
    bool attach = cc.attach_stdin || cc.attach_stdout || cc.attach_stderr;
    struct api_stream as = {.conn = {.fd = -1}};
    if (attach && attach_open(cli, &io, &as, &err) < 0)
        return cli_fail(&err);
    /* docker asks for the exit even when it will not wait for it */
    bool want_status = cc.attach_stdout || cc.attach_stderr;
    struct api_stream ws = {.conn = {.fd = -1}};
    if (wait_open(cli, id, cc.auto_remove ? "removed" : "next-exit", &ws, &err) < 0) {
        api_stream_close(&as);
        return cli_fail(&err);
    }
    char spath[128];
    snprintf(spath, sizeof spath, "/containers/%s/start", id);
    struct api_resp r;
    if (api_call(cli, "POST", spath, NULL, &r, &err) < 0) {
        api_stream_close(&as);
        /* docker waits for the removal (whose error it logs) first */
        if (cc.auto_remove)
            wait_status(&ws);
        api_stream_close(&ws);
        int status = start_error_status(pier_error_msg(err));
        cli_fail_run(path, &err);
        return status;
    }
    api_resp_free(&r);
    if (attach && cc.tty && isatty(1))
        io.resize_retry = !init_tty_size(cli, id, false);
    int rc = 0;
    if (attach) {
        int c = attach_copy(cli, &io, &as, &err);
        api_stream_close(&as);
        if (c < 0) {
            api_stream_close(&ws);
            return cli_fail(&err);
        }
        if (c == 1) { /* detached with the escape keys */
            api_stream_close(&ws);
            return 0;
        }
    }
    if (want_status)
        rc = wait_status(&ws);
    api_stream_close(&ws);
    return rc;
}

struct cmd cmd_create = {
    .use = "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
    .aliases = "container create, create",
    .short_desc = "Create a new container",
    .args = ARGS_MIN,
    .amin = 1,
    .no_interspersed = true,
    .flags = container_flags,
    .skip_flags = FLAG_RUN,
    .run = run_create,
};

struct cmd cmd_run = {
    .use = "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
    .aliases = "container run, run",
    .short_desc = "Create and run a new container from an image",
    .args = ARGS_MIN,
    .amin = 1,
    .no_interspersed = true,
    .flags = container_flags,
    .skip_flags = FLAG_CREATE,
    .run = run_run,
};

/* --- start ------------------------------------------------------------------ */

static int start_attached(struct cli *cli, struct flagset *fs, const char *name)
{
    pier_err_t err = NULL;
    struct api_resp r;
    json_t *c;
    if (api_inspect_container(cli, name, &r, &c, &err) < 0)
        return cli_fail(&err);
    cleanup_free char *id = strdup(json_string_value(json_object_get(c, "Id")) ?: name);
    json_t *config = json_object_get(c, "Config");
    bool tty = json_is_true(json_object_get(config, "Tty"));
    bool open_stdin = json_is_true(json_object_get(config, "OpenStdin"));
    bool auto_remove =
        json_is_true(json_object_get(json_object_get(c, "HostConfig"), "AutoRemove"));
    api_resp_free(&r);
    struct io_opts io = {
        .id = id,
        .tty = tty,
        .in = flag_bool(fs, "interactive") && open_stdin,
        .out = true,
        .err = true,
        .detach_keys = detach_keys(cli, fs),
        .sig_proxy = !tty,
    };
    if (!tty)
        sig_catch(true, false);
    else
        sig_catch(false, true);
    struct api_stream ws = {.conn = {.fd = -1}}, as = {.conn = {.fd = -1}};
    if (wait_open(cli, id, auto_remove ? "removed" : "next-exit", &ws, &err) < 0)
        return cli_fail(&err);
    if (attach_open(cli, &io, &as, &err) < 0) {
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    char spath[128];
    snprintf(spath, sizeof spath, "/containers/%s/start", id);
    if (api_call(cli, "POST", spath, NULL, &r, &err) < 0) {
        /* docker's start cancels its wait here (run's waits on) */
        api_stream_close(&as);
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    api_resp_free(&r);
    if (tty && isatty(1))
        io.resize_retry = !init_tty_size(cli, id, false);
    int c2 = attach_copy(cli, &io, &as, &err);
    api_stream_close(&as);
    if (c2 < 0) {
        api_stream_close(&ws);
        return cli_fail(&err);
    }
    int rc = 0;
    if (c2 == 0)
        rc = wait_status(&ws);
    api_stream_close(&ws);
    return rc;
}

static int run_start(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    if (flag_bool(fs, "attach") || flag_bool(fs, "interactive")) {
        if (fs->nargs > 1) {
            pier_error(&err, 0, "you cannot start and attach multiple containers at once");
            return cli_fail(&err);
        }
        return start_attached(cli, fs, fs->args[0]);
    }
    cleanup_buf struct buf suffix = BUF_INIT;
    buf_puts(&suffix, "/start");
    const char *cp = flag_str(fs, "checkpoint");
    if (*cp)
        url_param(&suffix, "checkpoint", cp);
    cleanup_buf struct buf failed = BUF_INIT;
    for (int i = 0; i < fs->nargs; i++) {
        if (api_container_call(cli, "POST", fs->args[i], suffix.data, &err) < 0) {
            cli_fail(&err);
            if (failed.len)
                buf_puts(&failed, ", ");
            buf_puts(&failed, fs->args[i]);
            continue;
        }
        printf("%s\n", fs->args[i]);
    }
    if (failed.len) {
        fflush(stdout);
        fprintf(stderr, "Error: failed to start containers: %s\n", failed.data);
        return 1;
    }
    return 0;
}

static struct flag start_flags[] = {
    {"attach", 'a', FK_BOOL, NULL, "Attach STDOUT/STDERR and forward signals"},
    {"checkpoint", 0, FK_STRING, NULL, "Restore from this checkpoint", .attrs = FLAG_EXPERIMENTAL},
    {"checkpoint-dir", 0, FK_STRING, NULL, "Use a custom checkpoint storage directory",
     .attrs = FLAG_EXPERIMENTAL},
    {"detach-keys", 0, FK_STRING, NULL, "Override the key sequence for detaching a container"},
    {"interactive", 'i', FK_BOOL, NULL, "Attach container's STDIN"},
    {NULL},
};

struct cmd cmd_start = {
    .use = "start [OPTIONS] CONTAINER [CONTAINER...]",
    .aliases = "container start, start",
    .short_desc = "Start one or more stopped containers",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = start_flags,
    .run = run_start,
};
