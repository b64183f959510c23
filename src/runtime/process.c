#include "process.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/log.h"
#include "rootpath.h"
#include "seccomp.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char **env, const char *name)
{
    size_t n = strlen(name);
    for (char **e = env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* The home directory of uid in the container's /etc/passwd, or "/". */
static char *home_of(int rootfd, uid_t uid)
{
    cleanup_close int fd = rt_open_in_root(rootfd, "/etc/passwd", O_RDONLY, 0);
    cleanup_free char *text = NULL;
    pier_err_t err = NULL;
    if (fd < 0 || pier_read_fd(fd, "/etc/passwd", 4 << 20, &text, NULL, &err) < 0) {
        pier_error_free(&err);
        return strdup("/");
    }
    for (char *line = text; *line;) {
        char *eol = strchrnul(line, '\n');
        char *f[7];
        int nf = 0;
        for (char *p = line; nf < 7 && p <= eol;) {
            f[nf++] = p;
            char *c = memchr(p, ':', (size_t)(eol - p));
            if (c == NULL)
                break;
            p = c + 1;
        }
        if (nf == 7) {
            char *end;
            unsigned long u = strtoul(f[2], &end, 10);
            if (end != f[2] && *end == ':' && u == uid) {
                size_t len = (size_t)(f[6] - 1 - f[5]);
                if (len > 0)
                    return strndup(f[5], len);
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return strdup("/");
}

static bool is_executable(int dirfd, const char *path)
{
    struct stat st;
    return fstatat(dirfd, path, &st, 0) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* The program as execve will find it, looked up as runc does: a name with a
 * slash is taken as is, others are searched in the process's $PATH. */
static int find_program(const char *name, char **env, int cwd_fd, char **out, pier_err_t *err)
{
    if (strchr(name, '/') != NULL) {
        struct stat st;
        if (fstatat(cwd_fd, name, &st, 0) < 0)
            return pier_error(err, errno, "exec: `%s`", name);
        if (S_ISDIR(st.st_mode))
            return pier_error(err, 0, "exec: `%s` is a directory", name);
        /* As runc's lookup: a program without an execute bit fails create,
         * not start, where podman and containerd report it less clearly. */
        if (!(st.st_mode & 0111))
            return pier_error(err, EACCES, "exec: `%s`", name);
        *out = strdup(name);
        return *out ? 0 : pier_error(err, ENOMEM, "exec");
    }
    const char *path = env_get(env, "PATH");
    if (path == NULL)
        path = DEFAULT_PATH;
    for (const char *d = path;;) {
        const char *e = strchrnul(d, ':');
        char cand[PATH_MAX];
        int n;
        if (e == d)
            n = snprintf(cand, sizeof cand, "%s", name);
        else
            n = snprintf(cand, sizeof cand, "%.*s/%s", (int)(e - d), d, name);
        if (n > 0 && (size_t)n < sizeof cand && is_executable(cwd_fd, cand)) {
            *out = strdup(cand);
            return *out ? 0 : pier_error(err, ENOMEM, "exec");
        }
        if (*e == '\0')
            break;
        d = e + 1;
    }
    return pier_error(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

int rt_exec_plan_make(const struct rt_process *p, int rootfd, int preserve_fds,
                      struct rt_exec_plan *plan, pier_err_t *err)
{
    memset(plan, 0, sizeof *plan);
    plan->cwd_fd = -1;
    plan->preserve_fds = preserve_fds;
    /* RESOLVE_NO_MAGICLINKS: a cwd of /proc/self/fd/N cannot lead to a
     * descriptor of the host (CVE-2024-21626). */
    plan->cwd_fd = rt_open_in_root(rootfd, p->cwd, O_PATH | O_DIRECTORY, 0);
    if (plan->cwd_fd < 0)
        return pier_error(err, errno, "process.cwd `%s`", p->cwd);

    size_t n = 0;
    while (p->env && p->env[n])
        n++;
    plan->env = calloc(n + 2, sizeof(char *));
    if (plan->env == NULL)
        return pier_error(err, ENOMEM, "env");
    for (size_t i = 0; i < n; i++)
        if ((plan->env[i] = strdup(p->env[i])) == NULL)
            return pier_error(err, ENOMEM, "env");
    if (env_get(p->env, "HOME") == NULL) {
        cleanup_free char *home = home_of(rootfd, p->uid);
        if (home == NULL || asprintf(&plan->env[n], "HOME=%s", home) < 0)
            return pier_error(err, ENOMEM, "env");
    }
    /* Look the program up from the container's root. */
    if (fchdir(plan->cwd_fd) < 0)
        return pier_error(err, errno, "chdir to process.cwd `%s`", p->cwd);
    return find_program(p->args[0], plan->env, AT_FDCWD, &plan->path, err);
}

void rt_exec_plan_free(struct rt_exec_plan *plan)
{
    free(plan->path);
    pier_strv_freep(&plan->env);
    if (plan->cwd_fd >= 0)
        close(plan->cwd_fd);
    memset(plan, 0, sizeof *plan);
    plan->cwd_fd = -1;
}

int rt_process_set_rlimits(const struct rt_process *p, pid_t pid, pier_err_t *err)
{
    static const char *const names[] = {
        [RLIMIT_CPU] = "RLIMIT_CPU",           [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_STACK] = "RLIMIT_STACK",
        [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
    };
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct rt_rlimit *r = &p->rlimits[i];
        struct rlimit rl = {
            .rlim_cur = r->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->soft,
            .rlim_max = r->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->hard,
        };
        if (prlimit(pid, (enum __rlimit_resource)r->resource, &rl, NULL) < 0) {
            int e = errno;
            struct rlimit cur;
            getrlimit(r->resource, &cur);
            if (e == EPERM && rl.rlim_max > cur.rlim_max)
                return pier_error(err, 0,
                                  "process.rlimits: %s hard limit %llu is above the runtime's own "
                                  "(%llu), and raising it needs CAP_SYS_RESOURCE",
                                  names[r->resource], (unsigned long long)r->hard,
                                  (unsigned long long)cur.rlim_max);
            return pier_error(err, e, "process.rlimits: set %s to %llu:%llu", names[r->resource],
                              (unsigned long long)r->soft, (unsigned long long)r->hard);
        }
    }
    return 0;
}

static int drop_bounding(const struct rt_process *p, pier_err_t *err)
{
    int last = cap_max_bits();
    for (int c = 0; c < last; c++) {
        if (c < 64 && (p->caps.bounding & (1ULL << c)))
            continue;
        /* EINVAL: a capability this kernel does not have. */
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return pier_error(err, errno, "drop capability %d from the bounding set", c);
    }
    return 0;
}

static int set_caps(const struct rt_process *p, pier_err_t *err)
{
    cap_t c = cap_init();
    if (c == NULL)
        return pier_error(err, errno, "capabilities");
    int last = cap_max_bits();
    for (int i = 0; i < last && i < 64; i++) {
        cap_value_t v = i;
        if (p->caps.effective & (1ULL << i))
            cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (p->caps.permitted & (1ULL << i))
            cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
        if (p->caps.inheritable & (1ULL << i))
            cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    int r = cap_set_proc(c);
    int e = errno;
    cap_free(c);
    if (r < 0)
        return pier_error(err, e, "set capabilities");
    if (cap_reset_ambient() < 0 && errno != EINVAL)
        return pier_error(err, errno, "reset ambient capabilities");
    /* An ambient capability must be permitted and inheritable; runc's own
     * default spec asks for some that are not, and runc goes on without
     * them: so do we. */
    for (int i = 0; i < last && i < 64; i++)
        if ((p->caps.ambient & (1ULL << i)) && cap_set_ambient(i, CAP_SET) < 0)
            pier_debug("cannot raise ambient capability %d: %s", i, strerror(errno));
    return 0;
}

static bool setgroups_denied(void)
{
    char buf[16] = "";
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && strncmp(buf, "deny", 4) == 0;
}

static int set_user(const struct rt_process *p, bool userns, pier_err_t *err)
{
    if (!(userns && setgroups_denied())) {
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
            return pier_error(err, errno, "process.user.additionalGids: setgroups");
    } else if (p->n_additional_gids > 0) {
        return pier_error(
            err, 0, "process.user.additionalGids: setgroups is denied in this user namespace");
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return pier_error(err, errno, "process.user.gid: setgid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return pier_error(err, errno, "process.user.uid: setuid %u", p->uid);
    return 0;
}

int rt_process_finalize(const struct rt_process *p, const struct rt_exec_plan *plan,
                        json_t *seccomp, int64_t personality_, bool userns, pier_err_t *err)
{
    if (rt_process_set_rlimits(p, 0, err) < 0)
        return -1;
    if (seccomp != NULL && !p->no_new_privileges && rt_seccomp_load(seccomp, err) < 0)
        return -1;
    if (p->has_caps) {
        if (drop_bounding(p, err) < 0)
            return -1;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
            return pier_error(err, errno, "keep capabilities across setuid");
    }
    if (set_user(p, userns, err) < 0)
        return -1;
    /* After the switch of user: the user must be allowed into its cwd. */
    if (fchdir(plan->cwd_fd) < 0)
        return pier_error(err, errno, "chdir to process.cwd `%s`", p->cwd);
    if (p->has_caps) {
        if (set_caps(p, err) < 0)
            return -1;
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    }
    umask(p->has_umask ? p->umask : 0022);
    if (personality_ >= 0 && personality((unsigned long)personality_) < 0)
        return pier_error(err, errno, "linux.personality");
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return pier_error(err, errno, "set no_new_privs");
    if (seccomp != NULL && p->no_new_privileges && rt_seccomp_load(seccomp, err) < 0)
        return -1;
    return 0;
}

void rt_signals_default(void)
{
    /* the kernel's call: glibc's sigaction refuses the two signals it keeps
     * for itself (32, 33), which the shim's libc ignores */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int rt_process_exec(const struct rt_exec_plan *plan, char *const argv[], pier_err_t *err)
{
    /* Nothing the runtime holds reaches the container (CVE-2024-21626). */
    unsigned first = 3u + (unsigned)plan->preserve_fds;
    if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = (int)first; fd < 65536; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    /* An ignored signal and the signal mask outlive execve: the program
     * must not inherit the shim's (SIGPIPE ignored, SIGCHLD blocked). */
    rt_signals_default();
    execve(plan->path, argv, plan->env);
    return pier_error(err, errno, "exec `%s`", plan->path);
}
