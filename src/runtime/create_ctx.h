/* What rt_create hands to the container's first process: shared by
 * create.c (the runtime's side) and init.c (the container's side). */
#ifndef PIER_RT_CREATE_CTX_H
#define PIER_RT_CREATE_CTX_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "mount.h"
#include "container.h"
#include "spec.h"
#include "state.h"

struct rt_create_ctx {
    const struct rt_create_opts *o;
    struct rt_spec spec;
    int statefd;     /* <root>/<id> */
    int listen_fd;   /* exec.sock, on which the container waits for start */
    int console_fd;  /* connected console socket, or -1 */
    int sync_parent; /* the runtime's end of the socketpair */
    int sync_child;  /* the container's end */
    int join_fds[RT_NS_COUNT];
    bool join_user; /* joining an existing user namespace: two-step start */
    struct rt_cgroup cg;
    struct rt_host_mounts mounts; /* the container's side: root and bind mounts, opened first */
    pid_t parent_pid;
};

struct sockaddr_un;
/* The address of <state dir>/exec.sock, whatever the length of its path:
 * reached through /proc/self/fd of the state directory. */
int rt_exec_sock_addr(int statefd, struct sockaddr_un *addr);

/* The container's side, in the cloned process.  Never returns. */
__attribute__((noreturn)) void rt_init_main(struct rt_create_ctx *c);

/* Send an error to the runtime and exit. */
__attribute__((noreturn)) void rt_init_fail(int sync_fd, pier_err_t *err);

#endif
