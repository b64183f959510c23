#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

#define MSG_MAX 65536

int pier_msg_send(int sock, json_t *j, int fd, pier_err_t *err)
{
    cleanup_free char *text = json_dumps(j, JSON_COMPACT);
    if (text == NULL)
        return pier_error(err, ENOMEM, "message");
    size_t len = strlen(text);
    if (len > MSG_MAX)
        return pier_error(err, EMSGSIZE, "message of %zu bytes", len);
    struct iovec iov = {.iov_base = text, .iov_len = len};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(cbuf, 0, sizeof cbuf);
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof cbuf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t w;
    do
        w = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return pier_error(err, errno, "send message");
    return 0;
}

int pier_msg_recv(int sock, json_t **j, int *fd, pier_err_t *err)
{
    cleanup_free char *buf = malloc(MSG_MAX + 1);
    if (buf == NULL)
        return pier_error(err, ENOMEM, "message");
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = MSG_MAX};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return pier_error(err, errno, "receive message");
    *fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len >= CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    if (r == 0 && *fd < 0)
        return 0;
    if (msg.msg_flags & MSG_TRUNC) {
        if (*fd >= 0)
            close(*fd);
        return pier_error(err, EMSGSIZE, "message too large");
    }
    json_error_t je;
    *j = json_loadb(buf, (size_t)r, 0, &je);
    if (*j == NULL || !json_is_object(*j)) {
        if (*j)
            json_decref(*j);
        if (*fd >= 0)
            close(*fd);
        return pier_error(err, 0, "bad message: %s", je.text);
    }
    return 1;
}
