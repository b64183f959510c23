/* pier-shim: one per container, outliving pierd.  It builds and starts the
 * container through the runtime library, holds its stdio (pipes or a pty),
 * writes its log in docker's json-file format, serves attach and exec
 * streams handed to it by pierd, reaps the container and keeps its exit
 * status.  One epoll loop; every fd non-blocking. */
#ifndef PIER_SHIM_H
#define PIER_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../lib/buf.h"
#include "../lib/error.h"
#include "../lib/loop.h"

#define CLIENT_BUF_MAX (8u << 20) /* a client slower than this is dropped */

/* docker's json-file log: one {"log","stream","time"} object a line. */
struct logfile;
int logfile_open(const char *path, struct logfile **out, pier_err_t *err);
/* Output of stream 1 (stdout) or 2 (stderr); a partial line waits for the
 * rest, up to 16 KiB, as docker's does. */
void logfile_write(struct logfile *l, int stream, const char *data, size_t n);
void logfile_flush(struct logfile *l);
void logfile_close(struct logfile *l);

struct stdio;

/* A client: a hijacked connection from pierd, attached to the container's
 * stdio or to an exec's. */
struct client {
    struct stdio *io;
    int fd;
    struct pier_watch *w;
    bool in, out, err;      /* which streams it wants */
    unsigned char keys[16]; /* detach sequence */
    size_t nkeys, matched;
    struct buf pending; /* output not yet written to it */
    bool reading;       /* still reading its input */
    struct client *next;
};

/* The stdio of the container or of an exec'd process. */
struct stdio {
    struct shim *shim;
    bool tty;
    bool stdin_once; /* close the process's stdin when an attached client's ends */
    /* clients stay after the output ends, until stdio_end_clients: an exec's
     * client must see its stream end only once pierd has its exit code */
    bool hold_clients;
    int in;       /* its stdin: pipe write end or pty master; -1 when closed */
    int out, err; /* pipe read ends, or out = the pty master; -1 when done */
    struct pier_watch *out_w, *err_w, *in_w;
    /* a busy pipe is read on a timer: see pace() */
    struct pier_watch *out_t, *err_t;
    bool out_paced, err_paced;
    size_t depth;          /* of the output pipes */
    struct buf in_pending; /* input not yet written to it */
    struct client *clients;
    struct logfile *log;               /* the container's; NULL for an exec */
    void (*drained)(struct stdio *io); /* output ended (both streams) */
    void (*idle)(struct stdio *io);    /* ... and the last client went: may free io */
    bool ending;                       /* in stdio_end_clients: idle waits for its end */
};

struct exec_session {
    struct shim *shim;
    char id[80];
    pid_t pid;
    struct stdio io;
    bool exited;
    bool reported; /* its exit code went to pierd */
    int exit_code;
    struct exec_session *next;
};

struct ctl {
    struct shim *shim;
    int fd;
    struct pier_watch *w;
    struct ctl *next;
};

struct shim {
    const char *id;
    const char *bundle;
    const char *dir;     /* state dir: shim.sock, shim.pid, exit.json */
    const char *rt_root; /* the runtime's --root */
    const char *log_path;
    bool tty, open_stdin, stdin_once;
    struct pier_loop *loop;
    struct pier_watch *listen_w, *sig_w;
    int listen_fd;
    struct ctl *ctls;
    pid_t pid; /* the container's init */
    bool started, exited;
    int exit_code;
    bool oom_killed;
    char finished_at[64];
    struct stdio io;
    struct exec_session *execs;
    int oom_fd; /* readable on an OOM kill in the container's memory cgroup */
    bool oom_seen;
    struct pier_watch *linger; /* after the exit: the last wait for output */
    int own_ns[3];             /* net, ipc, uts: back to them after an exec */
    int own_pidns;
};

/* stdio */
int stdio_setup_pipes(struct stdio *io, bool with_stdin, int child_fds[3], pier_err_t *err);
int stdio_watch(struct stdio *io, pier_err_t *err);
void stdio_close(struct stdio *io);
/* The output has ended: each client gets the rest, then end of stream. */
void stdio_end_clients(struct stdio *io);
/* One stdout message on a client connection that gets nothing else. */
void stdio_send_once(int fd, bool tty, const char *text);
int stdio_attach(struct stdio *io, int fd, bool in, bool out, bool err_, const char *keys,
                 pier_err_t *e);
/* Parse docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-z"). */
int parse_detach_keys(const char *s, unsigned char *out, size_t cap, size_t *n);

/* control: messages to pierd */
struct json_t;
/* Send msg to every connected pierd (the reference is taken). */
void ctl_broadcast(struct shim *s, struct json_t *msg);
void ctl_accept(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data);
int ctl_add(struct shim *s, int fd, pier_err_t *err);

/* lifecycle */
int shim_start(struct shim *s, pier_err_t *err);
void shim_reap(struct shim *s);
void shim_maybe_exit(struct shim *s);

/* exec; client_fd is taken on success, left to the caller on failure */
int exec_start(struct shim *s, const char *id, const char *process, bool tty, bool in, bool out,
               bool err_, const char *keys, int client_fd, pier_err_t *err);
int exec_resize(struct shim *s, const char *id, unsigned h, unsigned w, pier_err_t *err);
bool exec_reaped(struct shim *s, pid_t pid, int status);

#endif
