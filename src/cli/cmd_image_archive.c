/* save (image save) and load (image load): images to and from a tar
 * archive, as the docker CLI moves them between machines. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "cli.h"
#include "progress.h"

/* --- save ---------------------------------------------------------------------- */

/* docker's ValidateOutputPath: the folder must exist; an existing path
 * must be a file or a folder. */
/* --platform os[/arch[/variant]] as docker 28 sends it: a JSON OCI
 * platform in the query. */
static int platform_param(struct buf *q, const char *platform, pier_err_t *err)
{
    if (*platform == '\0')
        return 0;
    char os[64] = "", arch[64] = "", variant[64] = "";
    if (sscanf(platform, "%63[^/]/%63[^/]/%63[^/]", os, arch, variant) < 1 || strchr(os, '"') ||
        strchr(arch, '"') || strchr(variant, '"'))
        return pier_error(err, 0, "invalid platform %s", platform);
    cleanup_json json_t *j = json_pack("{s:s, s:s}", "architecture", arch, "os", os);
    if (j && *variant)
        json_object_set_new(j, "variant", json_string(variant));
    cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text == NULL)
        return pier_error(err, ENOMEM, "platform");
    url_param(q, "platform", text);
    return 0;
}

static int check_output(const char *path, pier_err_t *err)
{
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return pier_error(err, ENOMEM, "save");
    const char *dir = dirname(copy);
    struct stat st;
    if (strcmp(dir, ".") != 0 && stat(dir, &st) < 0)
        return pier_error(err, 0, "failed to save image: invalid output path: stat %s: %s", dir,
                          go_strerror(errno));
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return pier_error(err, 0,
                          "failed to save image: invalid output path: \"%s\" must be a directory "
                          "or a regular file",
                          path);
    return 0;
}

/* The response body into fd. */
static int copy_body(struct api_stream *s, int fd, pier_err_t *err)
{
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = http_read_body(&s->conn, &s->resp, buf, sizeof buf, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (pier_write_all(fd, buf, (size_t)n) < 0)
            return pier_error(err, 0, "write /dev/stdout: %s", go_strerror(errno));
    }
}

/* docker's CopyToFile: a temporary file beside the target, renamed over it
 * once whole, so that a failed save leaves no half archive. */
static int save_to_file(struct api_stream *s, const char *path, pier_err_t *err)
{
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return pier_error(err, ENOMEM, "save");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.docker_temp_XXXXXX", dirname(copy));
    int fd = mkstemp(tmp);
    if (fd < 0)
        return pier_error(err, 0, "failed to create temporary file: %s", go_strerror(errno));
    int ret = copy_body(s, fd, err);
    if (ret == 0 && close(fd) < 0)
        ret = pier_error(err, 0, "failed to close file: %s", go_strerror(errno));
    else if (ret < 0)
        close(fd);
    if (ret == 0 && rename(tmp, path) < 0)
        ret = pier_error(err, 0, "failed to rename temporary file: %s", go_strerror(errno));
    if (ret < 0)
        unlink(tmp);
    return ret;
}

static int run_save(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *output = flag_str(fs, "output");
    if (*output == '\0' && isatty(1)) {
        pier_error(&err, 0, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
        return cli_fail(&err);
    }
    if (*output && check_output(output, &err) < 0)
        return cli_fail(&err);
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/get");
    for (int i = 0; i < fs->nargs; i++)
        url_param(&q, "names", fs->args[i]);
    if (platform_param(&q, flag_str(fs, "platform"), &err) < 0)
        return cli_fail(&err);
    struct api_stream s;
    if (api_stream_open(cli, "GET", q.data, NULL, -1, NULL, &s, &err) < 0)
        return cli_fail(&err);
    int rc = *output ? save_to_file(&s, output, &err) : copy_body(&s, 1, &err);
    api_stream_close(&s);
    return rc < 0 ? cli_fail(&err) : 0;
}

static struct flag save_flags[] = {
    {"output", 'o', FK_STRING, NULL, "Write to a file, instead of STDOUT"},
    {"platform", 0, FK_STRING, NULL,
     "Save only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., "
     "\"linux/amd64\")",
     .min_api = "1.48"},
    {NULL},
};

struct cmd cmd_save = {
    .use = "save [OPTIONS] IMAGE [IMAGE...]",
    .aliases = "image save, save",
    .short_desc = "Save one or more images to a tar archive (streamed to STDOUT by default)",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = save_flags,
    .run = run_save,
};

/* --- load ---------------------------------------------------------------------- */

static int run_load(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *input = flag_str(fs, "input");
    cleanup_close int fd = -1;
    if (*input) {
        fd = open(input, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            pier_error(&err, 0, "open %s: %s", input, go_strerror(errno));
            return cli_fail(&err);
        }
    } else if (isatty(0)) {
        /* a terminal would only wait for a tar that never comes */
        pier_error(&err, 0, "requested load from stdin, but stdin is empty");
        return cli_fail(&err);
    } else {
        fd = dup(0);
    }
    /* as docker's: no progress when the output is not a terminal */
    bool quiet = flag_bool(fs, "quiet") || !isatty(1);
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/load");
    if (platform_param(&q, flag_str(fs, "platform"), &err) < 0)
        return cli_fail(&err);
    if (quiet)
        url_param(&q, "quiet", "1");
    struct api_stream s;
    if (api_stream_open(cli, "POST", q.data, NULL, fd, "application/x-tar", &s, &err) < 0)
        return cli_fail(&err);
    int rc = progress_display(&s, stdout, false, NULL, &err);
    api_stream_close(&s);
    return rc < 0 ? cli_fail(&err) : 0;
}

static struct flag load_flags[] = {
    {"input", 'i', FK_STRING, NULL, "Read from tar archive file, instead of STDIN"},
    {"platform", 0, FK_STRING, NULL,
     "Load only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., "
     "\"linux/amd64\")",
     .min_api = "1.48"},
    {"quiet", 'q', FK_BOOL, NULL, "Suppress the load output"},
    {NULL},
};

struct cmd cmd_load = {
    .use = "load [OPTIONS]",
    .aliases = "image load, load",
    .short_desc = "Load an image from a tar archive or STDIN",
    .args = ARGS_NONE,
    .flags = load_flags,
    .run = run_load,
};
