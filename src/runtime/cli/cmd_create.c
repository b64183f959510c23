#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../container.h"
#include "cli.h"

/* The flags create and run share; bundle made absolute. */
int cli_create_opts(const char *cmd, struct global *g, int argc, char **argv, bool *detach,
                    struct rt_create_opts *o, char *bundle_abs, pier_err_t *err);

int cli_create_opts(const char *cmd, struct global *g, int argc, char **argv, bool *detach,
                    struct rt_create_opts *o, char *bundle_abs, pier_err_t *err)
{
    const char *bundle = ".";
    bool keep = false;
    memset(o, 0, sizeof *o);
    o->console_fd = -1;
    struct opt opts[] = {
        {"bundle", 'b', OPT_STRING, &bundle},
        {"console-socket", 0, OPT_STRING, &o->console_socket},
        {"pid-file", 0, OPT_STRING, &o->pid_file},
        {"no-pivot", 0, OPT_BOOL, &o->no_pivot},
        {"no-new-keyring", 0, OPT_BOOL, &o->no_new_keyring},
        {"preserve-fds", 0, OPT_INT, &o->preserve_fds},
        {detach ? "detach" : "", detach ? 'd' : 0, OPT_BOOL, detach},
        {detach ? "keep" : "", 0, OPT_BOOL, &keep},
        {NULL, 0, 0, NULL},
    };
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0)
        return pier_error_wrap(err, "%s", cmd);
    if (cli_args(cmd, argc, next, 1, "[flags] ID", err) < 0)
        return -1;
    o->id = argv[next];
    o->root = g->root;
    o->systemd_cgroup = g->systemd_cgroup;
    if (realpath(bundle, bundle_abs) == NULL)
        return pier_error(err, errno, "%s: bundle `%s`", cmd, bundle);
    o->bundle = bundle_abs;
    /* Socket activation, as sd_listen_fds(3): fds 3.. are ours only when
     * LISTEN_PID names this process, not one that left the variables in an
     * environment we inherited (its fds 3.. would go into the container). */
    const char *lf = getenv("LISTEN_FDS"), *lp = getenv("LISTEN_PID");
    if (lf != NULL && lp != NULL) {
        char *end1, *end2;
        long n = strtol(lf, &end1, 10), pid = strtol(lp, &end2, 10);
        if (*lf && *end1 == '\0' && *lp && *end2 == '\0' && pid == (long)getpid() && n > 0 &&
            n <= 4096)
            o->listen_fds = (int)n;
    }
    return 0;
}

int cmd_create(struct global *g, int argc, char **argv, pier_err_t *err)
{
    struct rt_create_opts o;
    char bundle[PATH_MAX];
    if (cli_create_opts("create", g, argc, argv, NULL, &o, bundle, err) < 0)
        return -1;
    pid_t pid;
    if (rt_create(&o, &pid, err) < 0)
        return -1;
    return 0;
}
