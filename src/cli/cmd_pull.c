/* pull (image pull): as docker's: progress on stdout ("Using default tag"
 * first when none was named), then the full reference pulled, which is
 * all -q prints; -a pulls every tag of the repository. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "ref.h"

static int run_pull(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *image = fs->args[0];
    bool quiet = flag_bool(fs, "quiet"), all = flag_bool(fs, "all-tags");
    struct ref r;
    if (transfer_ref(image, all, quiet, &r, &err) < 0)
        return cli_fail(&err);
    if (pull_image_to(cli, image, flag_str(fs, "platform"), stdout, quiet, all, &err) < 0)
        return cli_fail(&err);
    /* reference.String(): the normalized name, its tag or its digest */
    printf("%s%s%s\n", r.name,
           r.digest[0] ? "@"
           : r.tag[0]  ? ":"
                       : "",
           r.digest[0] ? r.digest : r.tag);
    return 0;
}

static struct flag pull_flags[] = {
    {"all-tags", 'a', FK_BOOL, NULL, "Download all tagged images in the repository"},
    {"disable-content-trust", 0, FK_BOOL, NULL, "Skip image verification", "true"},
    {"platform", 0, FK_STRING, NULL, "Set platform if server is multi-platform capable",
     .min_api = "1.32"},
    {"quiet", 'q', FK_BOOL, NULL, "Suppress verbose output"},
    {NULL},
};

struct cmd cmd_pull = {
    .use = "pull [OPTIONS] NAME[:TAG|@DIGEST]",
    .aliases = "image pull, pull",
    .short_desc = "Download an image from a registry",
    .args = ARGS_EXACT,
    .amin = 1,
    .flags = pull_flags,
    .run = run_pull,
};
