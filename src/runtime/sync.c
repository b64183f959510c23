#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int rt_sync_pair(int fds[2], pier_err_t *err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return pier_error(err, errno, "socketpair");
    return 0;
}

int rt_sync_send(int fd, enum rt_sync_type type, int32_t value, const char *text)
{
    /* Header and text gathered as they are: no 64 KiB message to fill. */
    struct {
        uint32_t type;
        int32_t value;
    } hdr = {type, value};
    _Static_assert(sizeof hdr == offsetof(struct rt_sync_msg, text), "sync header layout");
    size_t len = text != NULL ? strnlen(text, RT_SYNC_TEXT_MAX - 1) : 0;
    struct iovec iov[3] = {
        {.iov_base = &hdr, .iov_len = sizeof hdr},
        {.iov_base = (void *)(text ? text : ""), .iov_len = len},
        {.iov_base = "", .iov_len = 1},
    };
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
    ssize_t w;
    do
        w = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return w < 0 ? -1 : 0;
}

void rt_sync_send_error(int fd, pier_err_t err)
{
    rt_sync_send(fd, RT_SYNC_ERROR, err != NULL ? err->errnum : 0, pier_error_msg(err));
}

int rt_sync_expect(int fd, enum rt_sync_type want, struct rt_sync_msg *msg, pier_err_t *err)
{
    struct rt_sync_msg local;
    if (msg == NULL)
        msg = &local;
    ssize_t r;
    do
        r = recv(fd, msg, sizeof *msg, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return pier_error(err, errno, "read from the container's process");
    if (r == 0)
        return pier_error(err, 0, "the container's process exited while being set up");
    if ((size_t)r < offsetof(struct rt_sync_msg, text))
        return pier_error(err, 0, "short message from the container's process");
    msg->text[RT_SYNC_TEXT_MAX - 1] = '\0';
    if ((size_t)r == offsetof(struct rt_sync_msg, text))
        msg->text[0] = '\0';
    if (msg->type == RT_SYNC_ERROR) {
        pier_error(err, 0, "%s", msg->text);
        (*err)->errnum = msg->value;
        return -1;
    }
    if (msg->type != (uint32_t)want)
        return pier_error(err, 0, "unexpected message %u from the container's process (want %d)",
                          msg->type, want);
    return 0;
}
