#include "../container.h"
#include "cli.h"

int cmd_pause(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const struct opt opts[] = {{NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("pause", argc, next, 1, "ID", err) < 0)
        return -1;
    return rt_pause(g->root, argv[next], err) < 0 ? -1 : 0;
}
