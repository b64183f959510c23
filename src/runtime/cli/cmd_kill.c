#include <signal.h>

#include "../../lib/signals.h"
#include "../container.h"
#include "cli.h"

int cmd_kill(struct global *g, int argc, char **argv, pier_err_t *err)
{
    bool all = false;
    const struct opt opts[] = {{"all", 'a', OPT_BOOL, &all}, {NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0)
        return -1;
    if (argc - next < 1 || argc - next > 2)
        return pier_error(
            err, 0, "kill: expected ID [SIGNAL] (usage: pier-runtime kill [--all] ID [SIGNAL])");
    int sig = SIGTERM;
    if (argc - next == 2) {
        sig = pier_signal_parse(argv[next + 1]);
        if (sig < 0)
            return pier_error(err, 0, "kill: unknown signal `%s`", argv[next + 1]);
    }
    return rt_kill(g->root, argv[next], sig, all, err) < 0 ? -1 : 0;
}
