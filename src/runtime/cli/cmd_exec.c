#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../container.h"
#include "../dev.h"
#include "cli.h"

/* Start the process and, unless detached, wait for it on our terminal. */
static int run_exec(struct rt_exec_opts *o, bool detach, pier_err_t *err)
{
    int sp[2] = {-1, -1};
    if (!detach && o->console_socket == NULL) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
            return pier_error(err, errno, "socketpair");
        o->console_fd = sp[1];
    }
    cleanup_close int console = sp[0];
    pid_t pid;
    int r = rt_exec(o, &pid, err);
    if (sp[1] >= 0)
        close(sp[1]);
    if (r < 0)
        return -1;
    if (detach)
        return 0;
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    cleanup_close int master = -1;
    if (console >= 0) {
        fcntl(console, F_SETFL, O_NONBLOCK);
        pier_err_t none = NULL;
        master = rt_recv_fd(console, &none);
        pier_error_free(&none);
    }
    return master >= 0 ? cli_tty_proxy(master, pid, pidfd) : rt_wait_forward(pid, pidfd);
}

int cmd_exec(struct global *g, int argc, char **argv, pier_err_t *err)
{
    struct rt_exec_opts o = {.root = g->root, .console_fd = -1};
    struct strlist env = {0}, gids = {0}, caps = {0};
    bool detach = false;
    const char *ignored = NULL;
    const struct opt opts[] = {
        {"process", 'p', OPT_STRING, &o.process_json},
        {"tty", 't', OPT_BOOL, &o.tty},
        {"cwd", 0, OPT_STRING, &o.cwd},
        {"env", 'e', OPT_LIST, &env},
        {"user", 'u', OPT_STRING, &o.user},
        {"additional-gids", 'g', OPT_LIST, &gids},
        {"cap", 'c', OPT_LIST, &caps},
        {"no-new-privs", 0, OPT_BOOL, &o.no_new_privs},
        {"detach", 'd', OPT_BOOL, &detach},
        {"pid-file", 0, OPT_STRING, &o.pid_file},
        {"console-socket", 0, OPT_STRING, &o.console_socket},
        {"preserve-fds", 0, OPT_INT, &o.preserve_fds},
        {"apparmor", 0, OPT_STRING, &ignored},
        {"process-label", 0, OPT_STRING, &ignored},
        {"cgroup", 0, OPT_STRING, &ignored},
        {NULL, 0, 0, NULL},
    };
    int next;
    int ret = -1;
    if (opts_parse_head(opts, argc, argv, &next, err) < 0)
        goto out;
    if (next >= argc) {
        pier_error(err, 0,
                   "exec: expected ID [COMMAND...] (usage: pier-runtime exec [flags] ID COMMAND "
                   "[ARG...])");
        goto out;
    }
    o.id = argv[next];
    o.args = argv + next + 1;
    o.env = env.v;
    o.additional_gids = gids.v;
    o.caps = caps.v;
    if (o.process_json == NULL && o.args[0] == NULL) {
        pier_error(err, 0, "exec: no command given, and no --process");
        goto out;
    }
    ret = run_exec(&o, detach, err);
out:
    strlist_free(&env);
    strlist_free(&gids);
    strlist_free(&caps);
    return ret;
}
