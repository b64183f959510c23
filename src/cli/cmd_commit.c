/* commit (container commit): POST /commit, then the new image's ID. */
#include <stdio.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "ref.h"

static int run_commit(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *reference = fs->nargs > 1 ? fs->args[1] : "";
    struct ref r = {0};
    char msg[512];
    if (*reference) {
        if (ref_parse(reference, &r, msg, sizeof msg) < 0) {
            pier_error(&err, 0, "%s", msg);
            return cli_fail(&err);
        }
        if (r.digest[0]) {
            pier_error(&err, 0, "refusing to create a tag with a digest reference");
            return cli_fail(&err);
        }
        ref_default_tag(&r);
    }
    /* url.Values in key order, as the docker CLI sends them */
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/commit");
    url_param(&q, "author", flag_str(fs, "author"));
    struct flag *ch = flag_get(fs, "change");
    for (size_t i = 0; i < ch->nvals; i++)
        url_param(&q, "changes", ch->vals[i]);
    url_param(&q, "comment", flag_str(fs, "message"));
    url_param(&q, "container", fs->args[0]);
    if (!flag_bool(fs, "pause"))
        url_param(&q, "pause", "0");
    url_param(&q, "repo", r.name);
    url_param(&q, "tag", r.tag);
    struct api_resp resp;
    json_t *j;
    if (api_call(cli, "POST", q.data, NULL, &resp, &err) < 0 || api_json(&resp, &j, &err) < 0) {
        api_resp_free(&resp);
        return cli_fail(&err);
    }
    printf("%s\n", json_string_value(json_object_get(j, "Id")) ?: "");
    api_resp_free(&resp);
    return 0;
}

static struct flag commit_flags[] = {
    {"author", 'a', FK_STRING, NULL,
     "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
    {"change", 'c', FK_LIST, NULL, "Apply Dockerfile instruction to the created image"},
    {"message", 'm', FK_STRING, NULL, "Commit message"},
    {"pause", 'p', FK_BOOL, NULL, "Pause container during commit", "true"},
    {NULL},
};

struct cmd cmd_commit = {
    .use = "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
    .aliases = "container commit, commit",
    .short_desc = "Create a new image from a container's changes",
    .args = ARGS_RANGE,
    .amin = 1,
    .amax = 2,
    .no_interspersed = true,
    .flags = commit_flags,
    .run = run_commit,
};
