/* /dev in a container: the default devices, linux.devices, the standard
 * symlinks, and the console (a pty from the container's own devpts). */
#ifndef PIER_RT_DEV_H
#define PIER_RT_DEV_H

#include <stdbool.h>

#include "../lib/error.h"
#include "spec.h"

/* Before pivot_root: device nodes (bind mounts of the host's in a user
 * namespace, where mknod is not allowed) and symlinks.  Nothing is done when
 * /dev is itself bind-mounted from the host. */
int rt_dev_setup(int rootfd, const struct rt_spec *spec, bool userns, pier_err_t *err);

/* After pivot_root: a pty from /dev/pts/ptmx, sized as asked, its slave on
 * stdio (and on /dev/console when bind_console) and as controlling
 * terminal; the master is sent over console_sock with SCM_RIGHTS, as runc
 * does. */
int rt_console_setup(int rootfd, int console_sock, const struct rt_process *p, bool bind_console,
                     pier_err_t *err);

/* Send fd over a unix socket with SCM_RIGHTS and a name as payload. */
int rt_send_fd(int sock, int fd, const char *name, pier_err_t *err);
/* Receive one fd sent that way. */
int rt_recv_fd(int sock, pier_err_t *err);

#endif
