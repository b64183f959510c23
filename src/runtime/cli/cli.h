/* pier-runtime's commands: one file each, dispatched from main.c. */
#ifndef PIER_RTCLI_CLI_H
#define PIER_RTCLI_CLI_H

#include <stdbool.h>

#include "../../lib/error.h"
#include "opts.h"

struct global {
    const char *root;
    const char *log;
    const char *log_format;
    const char *rootless;
    const char *criu;
    bool debug;
    bool systemd_cgroup;
};

/* Each returns the exit status, or -1 with *err set. */
typedef int (*cmd_fn)(struct global *g, int argc, char **argv, pier_err_t *err);

int cmd_create(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_run(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_start(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_state(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_kill(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_delete(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_list(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_ps(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_exec(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_pause(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_resume(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_update(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_events(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_spec(struct global *g, int argc, char **argv, pier_err_t *err);
int cmd_features(struct global *g, int argc, char **argv, pier_err_t *err);

/* Exactly n arguments after the flags, or an error naming the command. */
int cli_args(const char *cmd, int argc, int next, int n, const char *usage, pier_err_t *err);

/* Print JSON indented as runc does, with a newline. */
struct json_t;
int cli_print_json(struct json_t *j, bool indent);

/* A container or exec'd process in the foreground on this terminal: copy
 * between its pty master and our stdio (ours in raw mode while it runs),
 * pass window size changes and signals on, and return its exit status
 * when it exits.  pid must be our child. */
int cli_tty_proxy(int master, int pid, int pidfd);

#endif
