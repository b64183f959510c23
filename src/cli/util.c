/* Printing errors and writing output the way docker does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_fail(pier_err_t *err)
{
    fflush(stdout);
    fprintf(stderr, "%s\n", pier_error_msg(*err));
    pier_error_free(err);
    return 1;
}

int cli_fail_run(const char *path, pier_err_t *err)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n\nRun '%s %s --help' for more information\n", BIN,
            pier_error_msg(*err), BIN, path);
    pier_error_free(err);
    return 125;
}

void out_write(int fd, const char *s, size_t n)
{
    if (fd == 1)
        fflush(stdout);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            /* a closed pipe ends us as it ends a Go program */
            if (errno == EPIPE) {
                signal(SIGPIPE, SIG_DFL);
                raise(SIGPIPE);
            }
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

const char *go_strerror(int errnum)
{
    /* Go's syscall.Errno strings are glibc's, lower-cased first */
    static __thread char buf[256];
    snprintf(buf, sizeof buf, "%s", strerror(errnum));
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}
