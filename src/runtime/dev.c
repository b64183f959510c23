#include "dev.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "mount.h"
#include "rootpath.h"

static const struct {
    const char *path;
    unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static bool dev_is_bind_mounted(const struct rt_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct rt_mount *m = &spec->mounts[i];
        if (strcmp(m->destination, "/dev") == 0 || strcmp(m->destination, "/dev/") == 0)
            return m->bind;
    }
    return false;
}

/* In a user namespace: bind the host's node over an empty file.  The
 * container cannot change the host's node: its root is not the host's. */
static int bind_host_device(int rootfd, const char *path, pier_err_t *err)
{
    cleanup_close int target = rt_mkfile_in_root(rootfd, path, 0644, err);
    if (target < 0)
        return -1;
    cleanup_close int mnt = rt_mount_clone(AT_FDCWD, path, false, err);
    if (mnt < 0)
        return -1;
    return rt_mount_attach(mnt, target, path, err);
}

static int make_node(int rootfd, const char *path, mode_t type, unsigned major, unsigned minor,
                     mode_t mode, uid_t uid, gid_t gid, pier_err_t *err)
{
    char base[PATH_MAX];
    cleanup_close int parent = rt_parent_in_root(rootfd, path, base, err);
    if (parent < 0)
        return -1;
    dev_t rdev = makedev(major, minor);
    struct stat st;
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        bool same = (st.st_mode & S_IFMT) == type && (type == S_IFIFO || st.st_rdev == rdev);
        /* The same node is left as it is, as runc does: it may be the host's,
         * bound there by a mount, and a chmod or chown would change the
         * host's. */
        if (same)
            return 0;
        if (S_ISDIR(st.st_mode))
            return pier_error(err, EISDIR, "create device `%s`", path);
        if (unlinkat(parent, base, 0) < 0)
            return pier_error(err, errno, "replace `%s`", path);
    }
    if (mknodat(parent, base, type | (mode & 07777), type == S_IFIFO ? 0 : rdev) < 0)
        return pier_error(err, errno, "mknod `%s`", path);
    if (fchmodat(parent, base, mode & 07777, 0) < 0)
        return pier_error(err, errno, "chmod `%s`", path);
    if (fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "chown `%s`", path);
    return 0;
}

static mode_t dev_type(char t)
{
    switch (t) {
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return S_IFCHR;
    }
}

int rt_dev_setup(int rootfd, const struct rt_spec *spec, bool userns, pier_err_t *err)
{
    if (dev_is_bind_mounted(spec))
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
        const char *p = default_devices[i].path;
        bool overridden = false;
        for (size_t k = 0; k < spec->n_devices; k++)
            if (strcmp(spec->devices[k].path, p) == 0)
                overridden = true;
        if (overridden)
            continue;
        int r = userns ? bind_host_device(rootfd, p, err)
                       : make_node(rootfd, p, S_IFCHR, default_devices[i].major,
                                   default_devices[i].minor, 0666, 0, 0, err);
        if (r < 0)
            return -1;
    }
    for (size_t k = 0; k < spec->n_devices; k++) {
        const struct rt_device *d = &spec->devices[k];
        int r;
        if (userns)
            r = bind_host_device(rootfd, d->path, err);
        else
            r = make_node(rootfd, d->path, dev_type(d->type), (unsigned)d->major,
                          (unsigned)d->minor, d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
                          d->has_gid ? d->gid : 0, err);
        if (r < 0)
            return pier_error_wrap(err, "linux.devices[%zu]", k);
    }

    cleanup_close int devfd = rt_mkdir_in_root(rootfd, "/dev", 0755, err);
    if (devfd < 0)
        return -1;
    static const struct {
        const char *name, *target;
    } links[] = {
        {"fd", "/proc/self/fd"},
        {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        if (symlinkat(links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
            return pier_error(err, errno, "symlink /dev/%s", links[i].name);
    if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
        errno != EEXIST)
        return pier_error(err, errno, "symlink /dev/core");
    /* /dev/ptmx is the one of the container's own devpts instance. */
    struct stat st;
    if (fstatat(devfd, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        unlinkat(devfd, "ptmx", 0);
    if (symlinkat("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST)
        return pier_error(err, errno, "symlink /dev/ptmx");
    return 0;
}

int rt_send_fd(int sock, int fd, const char *name, pier_err_t *err)
{
    char buf[CMSG_SPACE(sizeof(int))];
    memset(buf, 0, sizeof buf);
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t r;
    do
        r = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return pier_error(err, errno, "send the console over the console socket");
    return 0;
}

int rt_recv_fd(int sock, pier_err_t *err)
{
    char name[PATH_MAX];
    char buf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf};
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return pier_error(err, errno, "receive a file descriptor");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return pier_error(err, 0, "receive a file descriptor: none was sent");
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int rt_console_setup(int rootfd, int console_sock, const struct rt_process *p, bool bind_console,
                     pier_err_t *err)
{
    cleanup_close int master =
        rt_open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_SYMLINKS);
    if (master < 0)
        return pier_error(err, errno,
                          "open /dev/pts/ptmx in the container (is devpts mounted on /dev/pts?)");
    struct statfs sfs;
    if (fstatfs(master, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
        return pier_error(err, 0, "/dev/pts/ptmx in the container is not on a devpts filesystem");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return pier_error(err, errno, "unlock the pty");
    cleanup_close int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return pier_error(err, errno, "open the pty's peer");
    if (p->console_height > 0 || p->console_width > 0) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                             .ws_col = (unsigned short)p->console_width};
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
            return pier_error(err, errno, "set the console size");
    }
    if (bind_console) {
        cleanup_close int console = rt_mkfile_in_root(rootfd, "/dev/console", 0600, err);
        if (console < 0)
            return -1;
        cleanup_close int mnt = rt_mount_clone(slave, "", false, err);
        if (mnt < 0 || rt_mount_attach(mnt, console, "/dev/console", err) < 0)
            return -1;
    }
    if (rt_send_fd(console_sock, master, "/dev/ptmx", err) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return pier_error(err, errno, "dup2 the console to fd %d", i);
    if (ioctl(0, TIOCSCTTY, 0) < 0)
        return pier_error(err, errno, "make the console the controlling terminal");
    return 0;
}
