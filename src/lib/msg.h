/* JSON messages over a SOCK_SEQPACKET unix socket, each with at most one
 * fd: how pierd and its shims talk. */
#ifndef PIER_MSG_H
#define PIER_MSG_H

#include <jansson.h>

#include "error.h"

/* Send j (and fd when >= 0). */
int pier_msg_send(int sock, json_t *j, int fd, pier_err_t *err);

/* Receive one message: 1 with *j (and *fd, or -1), 0 at end of stream,
 * -1 on error.  A message that is not a JSON object is an error. */
int pier_msg_recv(int sock, json_t **j, int *fd, pier_err_t *err);

#endif
