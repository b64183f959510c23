/* spawn: run one command N times in a row and time it, for bench/runtime/run.
 *
 *   spawn [-n N] [-o LOG] [-H] -- PROGRAM ARG...
 *
 * Each run: clock_gettime(CLOCK_MONOTONIC), fork, execvp, wait4, clock again.
 * The timed region is the runtime's whole life as a process, from fork to
 * reaped, and nothing else: this helper is built static and small, so its
 * fork costs the same whatever runtime it starts.
 *
 * Prints, one line per run:
 *     ns=<wall ns> rc=<exit status or 128+signal> maxrss=<KiB> hwm=<KiB>
 * and at the end "total=<ns>" (wall time of all the runs, helper loop
 * included).
 *
 *   maxrss  ru_maxrss of wait4(): the runtime process and every child it
 *           reaped itself (e.g. the container's init in `run`), including the
 *           image before its exec (a copy of this helper: ~0.1 MiB).
 *   hwm     with -H only: VmHWM from /proc/PID/status, read when the runtime
 *           process stops at its exit (PTRACE_EVENT_EXIT, the process traced
 *           alone, not its children): the peak resident set of the runtime's
 *           own final image, nothing else.  -H adds ptrace stops, so it is
 *           for memory runs, not for timing runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long read_hwm(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strstr(buf, "VmHWM:");
    return p ? strtol(p + 6, NULL, 10) : -1;
}

/* The child's side of fork: stdio, then exec.  With `stop`, it stops itself
 * first so that the parent can attach before the exec. */
static void child(char **argv, const char *log, int stop)
{
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0)
        _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (in > 2)
        close(in);
    if (out > 2)
        close(out);
    if (stop)
        raise(SIGSTOP);
    execvp(argv[0], argv);
    _exit(127);
}

/* Wait for a traced child, reading its VmHWM at its exit stop. */
static pid_t wait_traced(pid_t pid, int *status, struct rusage *ru, long *hwm)
{
    for (;;) {
        pid_t w = wait4(pid, status, __WALL, ru);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (WIFEXITED(*status) || WIFSIGNALED(*status))
            return w;
        if (!WIFSTOPPED(*status))
            continue;
        int sig = WSTOPSIG(*status);
        int event = *status >> 16;
        if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
            *hwm = read_hwm(pid);
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else if (event == PTRACE_EVENT_STOP) {
            /* group-stop under PTRACE_SEIZE: let it go on (PTRACE_LISTEN would keep it stopped) */
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else {
            ptrace(PTRACE_CONT, pid, 0, sig);
        }
    }
}

int main(int argc, char **argv)
{
    int n = 1, hwm_mode = 0, opt;
    const char *log = "/dev/null";
    while ((opt = getopt(argc, argv, "+n:o:H")) != -1) {
        switch (opt) {
        case 'n':
            n = atoi(optarg);
            break;
        case 'o':
            log = optarg;
            break;
        case 'H':
            hwm_mode = 1;
            break;
        default:
            fprintf(stderr, "usage: spawn [-n N] [-o LOG] [-H] -- PROGRAM ARG...\n");
            return 2;
        }
    }
    if (optind >= argc || n < 1) {
        fprintf(stderr, "usage: spawn [-n N] [-o LOG] [-H] -- PROGRAM ARG...\n");
        return 2;
    }
    char **cmd = argv + optind;
    int failed = 0;
    long long t_all = now_ns();
    for (int i = 0; i < n; i++) {
        int status = 0;
        long hwm = -1;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        long long t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            child(cmd, log, hwm_mode);
        pid_t w;
        if (hwm_mode) {
            /* Attach while it is stopped before exec, then let it run. */
            if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status) ||
                ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT) < 0) {
                perror("spawn: attach");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return 1;
            }
            t0 = now_ns();
            kill(pid, SIGCONT);
            w = wait_traced(pid, &status, &ru, &hwm);
        } else {
            do
                w = wait4(pid, &status, 0, &ru);
            while (w < 0 && errno == EINTR);
        }
        long long t1 = now_ns();
        if (w < 0) {
            perror("wait4");
            return 1;
        }
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (rc != 0)
            failed = 1;
        printf("ns=%lld rc=%d maxrss=%ld hwm=%ld\n", t1 - t0, rc, ru.ru_maxrss, hwm);
    }
    printf("total=%lld\n", now_ns() - t_all);
    return failed;
}
