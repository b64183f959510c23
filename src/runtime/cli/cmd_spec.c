#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/file.h"
#include "../spec_default.h"
#include "cli.h"

int cmd_spec(struct global *g, int argc, char **argv, pier_err_t *err)
{
    (void)g;
    const char *bundle = ".";
    bool rootless = false;
    const struct opt opts[] = {
        {"bundle", 'b', OPT_STRING, &bundle},
        {"rootless", 0, OPT_BOOL, &rootless},
        {NULL, 0, 0, NULL},
    };
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("spec", argc, next, 0, "[--bundle DIR] [--rootless]", err) < 0)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    if (access(path, F_OK) == 0)
        return pier_error(err, 0, "spec: `%s` exists; remove it first", path);
    json_t *j = rt_spec_default(rootless);
    if (j == NULL)
        return pier_error(err, ENOMEM, "spec");
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    if (text == NULL)
        return pier_error(err, ENOMEM, "spec");
    size_t len = strlen(text);
    text[len] = '\n';
    int r = pier_write_file_atomic_at(AT_FDCWD, path, text, len + 1, 0644, PIER_DURABLE, err);
    free(text);
    return r < 0 ? -1 : 0;
}
