/* What run, start -a, attach and exec share: hijacking the attach or exec
 * stream, waiting for the exit, forwarding signals, resizing the tty. */
#ifndef PIER_CLI_ATTACH_H
#define PIER_CLI_ATTACH_H

#include <stdbool.h>

#include "cli.h"
#include "stream.h"

struct io_opts {
    const char *id; /* container (or exec) ID */
    bool exec;
    bool tty;
    bool in, out, err;
    const char *detach_keys; /* NULL or "" for the default */
    bool sig_proxy;
    bool resize_retry; /* the initial resize failed: retried while copying */
};

/* --detach-keys, else the config file's detachKeys. */
const char *detach_keys(struct cli *cli, struct flagset *fs);

/* POST /containers/{id}/attach?...&stream=1, hijacked. */
int attach_open(struct cli *cli, const struct io_opts *o, struct api_stream *s, pier_err_t *err);
/* Copy between the terminal and s until the output ends (0), the detach
 * keys are typed (1), or an error (-1). */
int attach_copy(struct cli *cli, const struct io_opts *o, struct api_stream *s, pier_err_t *err);

/* POST /containers/{id}/wait?condition=C on its own connection, returning
 * once the daemon sent the head (so that a start cannot be missed). */
int wait_open(struct cli *cli, const char *id, const char *condition, struct api_stream *s,
              pier_err_t *err);
/* The exit status from the wait's body: 125 (with the error logged as
 * docker's logrus does) when the daemon reports one. */
int wait_status(struct api_stream *s);

/* POST /{containers,exec}/{id}/resize?h=&w= to our terminal's size. */
int resize_tty(struct cli *cli, const char *id, bool exec, unsigned dh, unsigned dw);
/* The initial resize; false when it failed, and attach_copy is to retry
 * it (io_opts.resize_retry) as docker's initTtySize does in the
 * background: ten more times, then "failed to resize tty, using default
 * size". */
bool init_tty_size(struct cli *cli, const char *id, bool exec);

/* The stdin check of docker's CheckTty. */
int check_tty(bool attach_stdin, bool tty, pier_err_t *err);

#endif
