/* container prune: asks first unless -f, then POST /containers/prune. */
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
    json_t *deleted = json_object_get(j, "ContainersDeleted");
    double space = 0;
    if (json_array_size(deleted) > 0) {
        printf("Deleted Containers:\n");
        size_t i;
        json_t *d;
        json_array_foreach (deleted, i, d) {
            printf("%s\n", json_string_value(d) ?: "");
        }
        printf("\n");
        space = (double)(uint64_t)json_integer_value(json_object_get(j, "SpaceReclaimed"));
    }
    char s[32];
    human_size(space, s, sizeof s);
    printf("Total reclaimed space: %s\n", s);
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

/* network prune: asks first unless -f, then POST /networks/prune; what
 * went is listed by name. */
static int run_network_prune(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    if (!flag_bool(fs, "force") &&
        !confirm("WARNING! This will remove all custom networks not used by at least one "
                 "container.\nAre you sure you want to continue?"))
        return 0;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/networks/prune");
    filters_param(flag_get(fs, "filter"), &q);
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "POST", q.data, NULL, &r, &err) < 0 || api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    json_t *deleted = json_object_get(j, "NetworksDeleted");
    if (json_array_size(deleted) > 0) {
        printf("Deleted Networks:\n");
        size_t i;
        json_t *d;
        json_array_foreach (deleted, i, d) {
            printf("%s\n", json_string_value(d) ?: "");
        }
        printf("\n");
    }
    api_resp_free(&r);
    return 0;
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
