#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../container.h"
#include "../state.h"
#include "cli.h"

int cmd_list(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const char *format = "table";
    bool quiet = false;
    const struct opt opts[] = {
        {"format", 'f', OPT_STRING, &format},
        {"quiet", 'q', OPT_BOOL, &quiet},
        {NULL, 0, 0, NULL},
    };
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("list", argc, next, 0, "[flags]", err) < 0)
        return -1;
    bool json = strcmp(format, "json") == 0;
    if (!json && strcmp(format, "table") != 0)
        return pier_error(err, 0, "list: unknown --format `%s` (want table or json)", format);
    const char *root = g->root ? g->root : RT_DEFAULT_ROOT;
    json_t *all = json_array();
    DIR *d = opendir(root);
    if (d == NULL && errno != ENOENT) {
        json_decref(all);
        return pier_error(err, errno, "list `%s`", root);
    }
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        json_t *st = NULL;
        pier_err_t e2 = NULL;
        /* A container being created or deleted meanwhile is skipped. */
        if (rt_state_get(root, de->d_name, &st, &e2) < 0) {
            pier_error_free(&e2);
            continue;
        }
        json_array_append_new(all, st);
    }
    if (d != NULL)
        closedir(d);

    size_t i;
    json_t *c;
    if (quiet) {
        json_array_foreach (all, i, c)
            printf("%s\n", json_string_value(json_object_get(c, "id")));
    } else if (json) {
        cli_print_json(all, false);
    } else {
        printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
        json_array_foreach (all, i, c) {
            printf("%-12s %-8lld %-10s %-40s %-30s %s\n",
                   json_string_value(json_object_get(c, "id")),
                   json_integer_value(json_object_get(c, "pid")),
                   json_string_value(json_object_get(c, "status")),
                   json_string_value(json_object_get(c, "bundle")),
                   json_string_value(json_object_get(c, "created")),
                   json_string_value(json_object_get(c, "owner")));
        }
    }
    json_decref(all);
    return 0;
}
