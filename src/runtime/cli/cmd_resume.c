#include "../container.h"
#include "cli.h"

int cmd_resume(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const struct opt opts[] = {{NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("resume", argc, next, 1, "ID", err) < 0)
        return -1;
    return rt_resume(g->root, argv[next], err) < 0 ? -1 : 0;
}
