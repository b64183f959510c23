/* pier-init: the small init of `run --init` (docker-init's part).  As PID
 * 1 of the container it runs the program, passes every signal it gets on
 * to it, reaps the orphans that end up as its children, and exits as the
 * program did (128+N when killed by signal N).
 *
 *   /sbin/docker-init -- PROGRAM [ARG...]
 *
 * It runs on every start of such a container: static, libc only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t start(char **argv, const sigset_t *old)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* its own process group, in the terminal's foreground: Ctrl-C on a tty
     * reaches the program and its children */
    setpgid(0, 0);
    if (isatty(STDIN_FILENO)) {
        signal(SIGTTOU, SIG_IGN);
        tcsetpgrp(STDIN_FILENO, getpid());
        signal(SIGTTOU, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(argv[0], argv);
    fprintf(stderr, "pier-init: exec %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "usage: pier-init [--] PROGRAM [ARG...]\n");
        return 2;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = start(argv + first, &old);
    if (child < 0) {
        fprintf(stderr, "pier-init: fork: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != child)
                continue;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
}
