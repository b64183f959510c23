/* container prune and image prune: ask first unless -f, then POST
 * /containers/prune or /images/prune. */
#include <stdio.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "filters.h"
#include "units.h"

/* command.PromptForConfirmation: "y" or "Y" says yes. */
static bool confirm(const char *message)
{
    printf("%s [y/N] ", message);
    fflush(stdout);
    char line[256];
    if (fgets(line, sizeof line, stdin) == NULL)
        return false;
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t l = strcspn(p, "\r\n");
    while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
        l--;
    return l == 1 && (p[0] == 'y' || p[0] == 'Y');
}

/* The reply's list under key, one line each after title, then the space
 * reclaimed (counted only when something went, as docker prints it). */
static void report(json_t *reply, const char *key, const char *title, void (*line)(json_t *))
{
    json_t *deleted = json_object_get(reply, key);
    double space = 0;
    if (json_array_size(deleted) > 0) {
        printf("%s\n", title);
        size_t i;
        json_t *d;
        json_array_foreach (deleted, i, d)
            line(d);
        printf("\n");
        space = (double)(uint64_t)json_integer_value(json_object_get(reply, "SpaceReclaimed"));
    }
    char s[32];
    human_size(space, s, sizeof s);
    printf("Total reclaimed space: %s\n", s);
}

static void container_line(json_t *d)
{
    printf("%s\n", json_string_value(d) ?: "");
}

static void image_line(json_t *d)
{
    const char *u = json_string_value(json_object_get(d, "Untagged"));
    if (u && *u)
        printf("untagged: %s\n", u);
    else
        printf("deleted: %s\n", json_string_value(json_object_get(d, "Deleted")) ?: "");
}

static int run_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    if (!flag_bool(fs, "force") &&
        !confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to "
                 "continue?"))
        return 0;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/containers/prune");
    filters_param(flag_get(fs, "filter"), &q);
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "POST", q.data, NULL, &r, &err) < 0 || api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    report(j, "ContainersDeleted", "Deleted Containers:", container_line);
    api_resp_free(&r);
    return 0;
}

static struct flag prune_flags[] = {
    {"filter", 0, FK_LIST, "filter", "Provide filter values (e.g. \"until=<timestamp>\")",
     .check = filter_check},
    {"force", 'f', FK_BOOL, NULL, "Do not prompt for confirmation"},
    {NULL},
};

struct cmd cmd_container_prune = {
    .use = "prune [OPTIONS]",
    .short_desc = "Remove all stopped containers",
    .args = ARGS_NONE,
    .flags = prune_flags,
    .run = run_prune,
};

static int run_image_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    bool all = flag_bool(fs, "all");
    if (!flag_bool(fs, "force") &&
        !confirm(all ? "WARNING! This will remove all images without at least one container "
                       "associated to them.\nAre you sure you want to continue?"
                     : "WARNING! This will remove all dangling images.\nAre you sure you want "
                       "to continue?"))
        return 0;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/prune");
    filters_param_with(flag_get(fs, "filter"), all ? "dangling=false" : "dangling=true", &q);
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "POST", q.data, NULL, &r, &err) < 0 || api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    report(j, "ImagesDeleted", "Deleted Images:", image_line);
    api_resp_free(&r);
    return 0;
}

static struct flag image_prune_flags[] = {
    {"all", 'a', FK_BOOL, NULL, "Remove all unused images, not just dangling ones"},
    {"filter", 0, FK_LIST, "filter", "Provide filter values (e.g. \"until=<timestamp>\")",
     .check = filter_check},
    {"force", 'f', FK_BOOL, NULL, "Do not prompt for confirmation"},
    {NULL},
};

struct cmd cmd_image_prune = {
    .use = "prune [OPTIONS]",
    .short_desc = "Remove unused images",
    .args = ARGS_NONE,
    .flags = image_prune_flags,
    .run = run_image_prune,
};
