#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/file.h"
#include "cli.h"

static void copy_size(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copy what is readable on `from` to `to`; false at end of input. */
static bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    return pier_write_all(to, buf, (size_t)n) == 0;
}

int cli_tty_proxy(int master, int pid, int pidfd)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
    sigset_t set, old;
    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC);

    struct termios saved;
    bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
        copy_size(0, master);
    }
    bool in_open = true;
    for (;;) {
        struct pollfd p[4] = {
            {.fd = pidfd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = master, .events = POLLIN},
            {.fd = in_open ? 0 : -1, .events = POLLIN},
        };
        if (poll(p, 4, -1) < 0 && errno != EINTR)
            break;
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(master, 1) && !(p[2].revents & POLLIN))
                break;
        }
        if (p[3].revents & (POLLIN | POLLHUP)) {
            if (!pump(0, master))
                in_open = false;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH)
                    copy_size(0, master);
                else
                    syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
            }
        }
        if (p[0].revents & POLLIN) {
            /* Whatever the program wrote last is still in the pty. */
            struct pollfd m = {.fd = master, .events = POLLIN};
            while (poll(&m, 1, 0) > 0 && (m.revents & POLLIN) && pump(master, 1))
                ;
            break;
        }
    }
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    int status = 0;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (w < 0)
        return 255;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
