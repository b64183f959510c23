/* push (image push): as docker's: "Using default tag" when none was named
 * (unless -a, which pushes every tag), then the progress on stdout; -q
 * prints only the reference pushed. */
#include <stdio.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "progress.h"
#include "ref.h"

static int run_push(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *image = fs->args[0];
    bool quiet = flag_bool(fs, "quiet"), all = flag_bool(fs, "all-tags");
    struct ref r;
    if (transfer_ref(image, all, quiet, &r, &err) < 0)
        return cli_fail(&err);
    cleanup_buf struct buf q = BUF_INIT;
    buf_printf(&q, "/images/%s/push", r.name);
    if (r.tag[0])
        url_param(&q, "tag", r.tag);
    cleanup_free char *auth = registry_auth_header(cli, r.name);
    const char *headers[] = {auth, NULL};
    struct api_stream s;
    if (api_stream_open_headers(cli, "POST", q.data, headers, &s, &err) < 0)
        return cli_fail(&err);
    int rc = progress_display(&s, stdout, quiet, NULL, &err);
    api_stream_close(&s);
    if (rc < 0)
        return cli_fail(&err);
    if (quiet)
        printf("%s%s%s\n", r.name, r.tag[0] ? ":" : "", r.tag);
    return 0;
}

static struct flag push_flags[] = {
    {"all-tags", 'a', FK_BOOL, NULL, "Push all tags of an image to the repository"},
    {"disable-content-trust", 0, FK_BOOL, NULL, "Skip image signing", "true"},
    {"quiet", 'q', FK_BOOL, NULL, "Suppress verbose output"},
    {NULL},
};

struct cmd cmd_push = {
    .use = "push [OPTIONS] NAME[:TAG]",
    .aliases = "image push, push",
    .short_desc = "Upload an image to a registry",
    .args = ARGS_EXACT,
    .amin = 1,
    .flags = push_flags,
    .run = run_push,
};
