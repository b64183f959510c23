#include <jansson.h>

#include "../container.h"
#include "cli.h"

int cmd_state(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const struct opt opts[] = {{NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("state", argc, next, 1, "ID", err) < 0)
        return -1;
    json_t *j = NULL;
    if (rt_state_get(g->root, argv[next], &j, err) < 0)
        return -1;
    cli_print_json(j, true);
    json_decref(j);
    return 0;
}
