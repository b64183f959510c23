#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../container.h"
#include "../dev.h"
#include "cli.h"

int cli_create_opts(const char *cmd, struct global *g, int argc, char **argv, bool *detach,
                    struct rt_create_opts *o, char *bundle_abs, pier_err_t *err);

int cmd_run(struct global *g, int argc, char **argv, pier_err_t *err)
{
    struct rt_create_opts o;
    char bundle[PATH_MAX];
    bool detach = false;
    if (cli_create_opts("run", g, argc, argv, &detach, &o, bundle, err) < 0)
        return -1;
    /* In the foreground without a console socket, a container with a
     * terminal gets ours: its pty master comes back over this pair. */
    int sp[2] = {-1, -1};
    if (!detach && o.console_socket == NULL) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
            return pier_error(err, errno, "socketpair");
        o.console_fd = sp[1];
    }
    cleanup_close int console = sp[0];
    pid_t pid;
    int r = rt_create(&o, &pid, err);
    if (sp[1] >= 0)
        close(sp[1]);
    if (r < 0)
        return -1;
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* The master, if the container has a terminal, was sent during create. */
    cleanup_close int master = -1;
    if (console >= 0) {
        fcntl(console, F_SETFL, O_NONBLOCK);
        pier_err_t none = NULL;
        master = rt_recv_fd(console, &none);
        pier_error_free(&none);
    }
    if (rt_start(o.root, o.id, err) < 0) {
        pier_err_t e2 = NULL;
        rt_delete(o.root, o.id, true, &e2);
        pier_error_free(&e2);
        return -1;
    }
    if (detach)
        return 0;
    /* The container's init is our child: wait for it, then remove the
     * container, as runc run does. */
    int status = master >= 0 ? cli_tty_proxy(master, pid, pidfd) : rt_wait_forward(pid, pidfd);
    pier_err_t e2 = NULL;
    if (rt_delete(o.root, o.id, true, &e2) < 0)
        pier_log(PIER_LOG_WARN, "%s", pier_error_msg(e2));
    pier_error_free(&e2);
    return status;
}
