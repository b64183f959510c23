/* Messages between the runtime and the container's first process while it
 * is being built: a SOCK_SEQPACKET socketpair, one message per step. */
#ifndef PIER_RT_SYNC_H
#define PIER_RT_SYNC_H

#include <stdint.h>

#include "../lib/error.h"

enum rt_sync_type {
    RT_SYNC_GO = 1,     /* parent -> child: ids mapped, cgroup joined: build it */
    RT_SYNC_HOOKS,      /* child -> parent: namespaces made; run prestart/createRuntime */
    RT_SYNC_HOOKS_DONE, /* parent -> child */
    RT_SYNC_PID,        /* child -> parent: value is the pid of the container's init */
    RT_SYNC_READY,      /* child -> parent: built; waiting for start */
    RT_SYNC_ERROR,      /* either way: text says what failed */
};

#define RT_SYNC_TEXT_MAX 65000

struct rt_sync_msg {
    uint32_t type;
    int32_t value;
    char text[RT_SYNC_TEXT_MAX];
};

int rt_sync_pair(int fds[2], pier_err_t *err);
int rt_sync_send(int fd, enum rt_sync_type type, int32_t value, const char *text);
/* Receive one message; an RT_SYNC_ERROR becomes an error carrying its text,
 * and a message of another type than `want` is an error too. */
int rt_sync_expect(int fd, enum rt_sync_type want, struct rt_sync_msg *msg, pier_err_t *err);
/* Report err to the peer as RT_SYNC_ERROR. */
void rt_sync_send_error(int fd, pier_err_t err);

#endif
