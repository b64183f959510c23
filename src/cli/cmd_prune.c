/* container, image and network prune: ask first unless -f, then POST the
 * prune and list what went. */
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

static void name_line(json_t *d)
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

/* What a prune command asks, where it posts, and what the reply lists. */
struct prune {
    const char *warning;
    const char *path;   /* "/containers/prune" */
    const char *filter; /* one the command adds to the user's ("dangling=true"), or NULL */
    const char *key;    /* "ContainersDeleted" */
    const char *title;  /* "Deleted Containers:" */
    void (*line)(json_t *);
    bool space; /* the reply has SpaceReclaimed, always printed */
};

static int prune(struct cli *cli, struct flagset *fs, const struct prune *p)
{
    pier_err_t err = NULL;
    if (!flag_bool(fs, "force") && !confirm(p->warning))
        return 0;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, p->path);
    if (p->filter)
        filters_param_with(flag_get(fs, "filter"), p->filter, &q);
    else
        filters_param(flag_get(fs, "filter"), &q);
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "POST", q.data, NULL, &r, &err) < 0 || api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    json_t *deleted = json_object_get(j, p->key);
    double space = 0;
    if (json_array_size(deleted) > 0) {
        printf("%s\n", p->title);
        size_t i;
        json_t *d;
        json_array_foreach (deleted, i, d)
            p->line(d);
        printf("\n");
        space = (double)(uint64_t)json_integer_value(json_object_get(j, "SpaceReclaimed"));
    }
    if (p->space) {
        char s[32];
        human_size(space, s, sizeof s);
        printf("Total reclaimed space: %s\n", s);
    }
    api_resp_free(&r);
    return 0;
}

static int run_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    static const struct prune p = {
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
        "/containers/prune",
        NULL,
        "ContainersDeleted",
        "Deleted Containers:",
        name_line,
        true};
    return prune(cli, fs, &p);
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

/* image prune: dangling images, or with -a every image no container uses. */
static int run_image_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    bool all = flag_bool(fs, "all");
    const struct prune p = {
        all ? "WARNING! This will remove all images without at least one container associated to "
              "them.\nAre you sure you want to continue?"
            : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?",
        "/images/prune",
        all ? "dangling=false" : "dangling=true",
        "ImagesDeleted",
        "Deleted Images:",
        image_line,
        true};
    return prune(cli, fs, &p);
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

/* network prune: the same, for networks, listed by name. */
static int run_network_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    static const struct prune p = {
        "WARNING! This will remove all custom networks not used by at least one container.\nAre "
        "you sure you want to continue?",
        "/networks/prune",
        NULL,
        "NetworksDeleted",
        "Deleted Networks:",
        name_line,
        false};
    return prune(cli, fs, &p);
}

static struct flag network_prune_flags[] = {
    {"filter", 0, FK_LIST, "filter", "Provide filter values (e.g. \"until=<timestamp>\")",
     .check = filter_check},
    {"force", 'f', FK_BOOL, NULL, "Do not prompt for confirmation"},
    {NULL},
};

struct cmd cmd_network_prune = {
    .use = "prune [OPTIONS]",
    .short_desc = "Remove all unused networks",
    .args = ARGS_NONE,
    .flags = network_prune_flags,
    .run = run_network_prune,
};
