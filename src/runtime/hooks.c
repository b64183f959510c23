#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"

#define HOOK_OUTPUT_MAX 4096

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int run_one(const struct rt_hook *h, const char *where, const char *state_json,
                   pier_err_t *err)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return pier_error(err, errno, "%s: pipe", where);
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return pier_error(err, errno, "%s: pipe", where);
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return pier_error(err, e, "%s: fork", where);
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        char *const default_args[] = {h->path, NULL};
        char *const empty_env[] = {NULL};
        rt_signals_default();
        execve(h->path, h->args && h->args[0] ? h->args : default_args,
               h->env ? h->env : empty_env);
        dprintf(2, "exec `%s`: %s", h->path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* A hook that does not read its stdin must not stall us. */
    signal(SIGPIPE, SIG_IGN);
    pier_write_all(in[1], state_json, strlen(state_json));
    close(in[1]);

    char output[HOOK_OUTPUT_MAX + 1];
    size_t olen = 0;
    long deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
    bool timed_out = false, out_open = true, exited = false;
    /* Collect the output until the hook exits; a child it left behind that
     * still holds the pipe does not keep us waiting. */
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    while (!exited || out_open) {
        struct pollfd p[2] = {{.fd = exited ? -1 : pidfd, .events = POLLIN},
                              {.fd = out_open ? out[0] : -1, .events = POLLIN}};
        int timeout = exited ? 0 : -1;
        if (!exited && deadline >= 0) {
            timeout = (int)(deadline - now_ms());
            if (timeout < 0)
                timeout = 0;
        }
        int r = poll(p, 2, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            if (exited)
                break;
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (p[0].revents & POLLIN)
            exited = true;
        if (out_open && (p[1].revents & (POLLIN | POLLHUP))) {
            char buf[1024];
            ssize_t n = read(out[0], buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN)) {
                out_open = false;
            } else if (n > 0 && olen < HOOK_OUTPUT_MAX) {
                size_t take =
                    (size_t)n < HOOK_OUTPUT_MAX - olen ? (size_t)n : HOOK_OUTPUT_MAX - olen;
                memcpy(output + olen, buf, take);
                olen += take;
            }
        }
        if (pidfd < 0 && !out_open)
            break;
    }
    close(out[0]);
    output[olen] = '\0';
    while (olen > 0 && (output[olen - 1] == '\n' || output[olen - 1] == ' '))
        output[--olen] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return pier_error(err, 0, "%s `%s`: timed out after %d seconds", where, h->path,
                          h->timeout);
    if (WIFSIGNALED(status))
        return pier_error(err, 0, "%s `%s`: killed by signal %d%s%s", where, h->path,
                          WTERMSIG(status), olen ? ": " : "", output);
    if (WEXITSTATUS(status) != 0)
        return pier_error(err, 0, "%s `%s`: exit status %d%s%s", where, h->path,
                          WEXITSTATUS(status), olen ? ": " : "", output);
    return 0;
}

int rt_hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
                 pier_err_t *err)
{
    const struct rt_hooks *hs = &spec->hooks[kind];
    for (size_t i = 0; i < hs->n; i++) {
        char where[64];
        snprintf(where, sizeof where, "hook %s[%zu]", rt_hook_names[kind], i);
        if (run_one(&hs->items[i], where, state_json, err) < 0)
            return -1;
    }
    return 0;
}
