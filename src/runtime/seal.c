#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"

bool rt_exe_is_sealed(void)
{
    struct statvfs sv;
    if (statvfs("/proc/self/exe", &sv) == 0 && (sv.f_flag & ST_RDONLY))
        return true;
    cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_WRITE);
}

/* A read-only bind mount of the binary that belongs to no mount namespace:
 * nothing can remount it writable, and it vanishes with the process. */
static int ro_mount_view(const char *path)
{
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        return -1;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int memfd_copy(const char *path)
{
    cleanup_close int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return -1;
    struct stat st;
    if (fstat(src, &st) < 0)
        return -1;
    cleanup_close int mfd = memfd_create("pier-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -1;
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
        if (n <= 0)
            return -1;
        left -= n;
    }
    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return -1;
    return steal_fd(&mfd);
}

int rt_sealed_view(const char *path, pier_err_t *err)
{
    int fd = ro_mount_view(path);
    if (fd < 0)
        fd = memfd_copy(path);
    if (fd < 0)
        return pier_error(err, errno, "make a sealed copy of `%s`", path);
    return fd;
}

int rt_seal_self(char **argv, char **envp, pier_err_t *err)
{
    if (rt_exe_is_sealed())
        return 0;
    int fd = rt_sealed_view("/proc/self/exe", err);
    if (fd < 0)
        return -1;
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    int e = errno;
    close(fd);
    return pier_error(err, e, "re-execute the runtime from its sealed copy");
}
