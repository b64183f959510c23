#include <errno.h>

#include "../container.h"
#include "cli.h"

int cmd_delete(struct global *g, int argc, char **argv, pier_err_t *err)
{
    bool force = false;
    const struct opt opts[] = {{"force", 'f', OPT_BOOL, &force}, {NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0)
        return -1;
    if (argc - next < 1)
        return pier_error(err, 0,
                          "delete: expected ID (usage: pier-runtime delete [--force] ID...)");
    int ret = 0;
    for (int i = next; i < argc; i++) {
        if (rt_delete(g->root, argv[i], force, err) < 0) {
            /* runc: deleting a container that is gone, with force, succeeds. */
            if (force && (*err)->errnum == ENOENT) {
                pier_error_free(err);
                continue;
            }
            return -1;
        }
    }
    return ret;
}
