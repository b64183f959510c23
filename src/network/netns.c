/* The calling thread enters a namespace only for as long as it takes to
 * open a netlink socket there (a socket stays in the namespace it was made
 * in) and comes back at once: no thread of its own is needed, as network
 * namespaces are per thread. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/log.h"

/* pierd's own namespace, to come back to */
static int home_fd(void)
{
    static int fd = -1;
    if (fd < 0)
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return fd;
}

static void go_home(void)
{
    /* in another namespace, pierd would set up everything there after */
    if (setns(home_fd(), CLONE_NEWNET) < 0) {
        pier_log(PIER_LOG_ERROR, "cannot return to pierd's network namespace: %s", strerror(errno));
        abort();
    }
}

int netns_create(const char *path, struct nl *nl, pier_err_t *err)
{
    if (home_fd() < 0)
        return pier_error(err, errno, "open pierd's network namespace");
    netns_remove(path);
    cleanup_close int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return pier_error(err, errno, "create `%s`", path);
    if (unshare(CLONE_NEWNET) < 0) {
        int e = errno;
        unlink(path);
        return pier_error(err, e, "new network namespace");
    }
    int r = 0;
    if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
        r = pier_error(err, errno, "bind the network namespace on `%s`", path);
    else if (nl_open(nl, err) < 0)
        r = -1;
    go_home();
    if (r == 0 && nl_link_up(nl, 1, err) < 0) /* lo is always 1 in a new namespace */
        r = -1;
    if (r < 0) {
        nl_close(nl);
        netns_remove(path);
    }
    return r;
}

int netns_enter_nl(const char *path, struct nl *nl, pier_err_t *err)
{
    if (home_fd() < 0)
        return pier_error(err, errno, "open pierd's network namespace");
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", path);
    if (setns(fd, CLONE_NEWNET) < 0)
        return pier_error(err, errno, "enter the network namespace `%s`", path);
    int r = nl_open(nl, err);
    go_home();
    return r;
}

void netns_remove(const char *path)
{
    umount2(path, MNT_DETACH);
    unlink(path);
}
