/* Between pierd and a container's pier-shim: one JSON object per
 * SOCK_SEQPACKET message, with at most one fd (SCM_RIGHTS).  The first
 * channel is a socketpair pierd passes as fd 3; after a restart pierd
 * reconnects on <state dir>/shim.sock.
 *
 * pierd -> shim
 *   {"op":"attach","stdin":b,"stdout":b,"stderr":b,"detach_keys":"ctrl-p,ctrl-q"} + fd
 *       the client's hijacked connection: output goes to it (docker's
 *       multiplexed frames unless the container has a tty), input from it
 *       reaches the container's stdin when "stdin".
 *   {"op":"start"}                  start the created container
 *   {"op":"resize","h":N,"w":N}     the container's console size
 *   {"op":"exec","id":S,"process":"<path of process.json>","tty":b,"stdin":b,
 *    "stdout":b,"stderr":b,"detach_keys":S} [+ fd]
 *   {"op":"exec-resize","id":S,"h":N,"w":N}
 *   {"op":"status"}
 *
 * shim -> pierd
 *   {"op":"created","pid":N} | {"op":"error","error":S} (after launch)
 *   {"op":"started"} | {"op":"error","error":S}          (after start)
 *   {"op":"exec-started","id":S,"pid":N} | {"op":"exec-error","id":S,"error":S}
 *   {"op":"exec-exit","id":S,"exit_code":N}
 *   {"op":"exit","exit_code":N,"finished_at":S,"oom_killed":b}
 *   {"op":"status","pid":N,"running":b,"exit_code":N,"finished_at":S}
 *
 * Files in the state dir: shim.sock, shim.pid, and exit.json (the "exit"
 * message, written atomically before it is sent, for a pierd that was down). */
#ifndef PIER_SHIM_PROTO_H
#define PIER_SHIM_PROTO_H

#define SHIM_SOCK "shim.sock"
#define SHIM_PID_FILE "shim.pid"
#define SHIM_EXIT_FILE "exit.json"
#define SHIM_MSG_MAX 65536

#endif
