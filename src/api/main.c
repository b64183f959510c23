/* pierd: the daemon behind pier and the docker CLI.
 *
 *   pierd [--data-root DIR] [--exec-root DIR] [-H unix:///PATH]
 *         [--group NAME] [--pidfile FILE] [--log-level LEVEL] [-D]
 *
 * One event loop serves the API socket, the containers' shims, timers and
 * signals.  Containers outlive pierd: on SIGTERM it closes its socket and
 * goes, and the next pierd finds every shim again. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/engine.h"
#include "../image/pull.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/log.h"
#include "server.h"

struct opts {
    const char *data_root, *exec_root, *host, *group, *pidfile, *shim, *cgroup_parent;
    const char *bridge, *bip;
    bool debug;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pierd [OPTIONS]\n\n"
            "The pier daemon: the Docker Engine API on a unix socket.\n\n"
            "Options:\n"
            "      --data-root string   Root of persistent state (default \"/var/lib/pier\")\n"
            "      --exec-root string   Root of runtime state (default \"/run/pier\")\n"
            "  -H, --host string        Socket to listen on (default "
            "\"unix:///run/pier/pier.sock\")\n"
            "      --cgroup-parent string  Parent cgroup of the containers (default "
            "\"/pier\")\n"
            "  -G, --group string       Group that may use the socket (default: root only)\n"
            "  -p, --pidfile string     Where to write the daemon's pid (default "
            "EXEC-ROOT/pierd.pid)\n"
            "  -l, --log-level string   debug, info, warn, error or fatal (default \"info\")\n"
            "  -D, --debug              Same as --log-level debug\n"
            "      --shim string        pier-shim to run (default: beside pierd)\n"
            "      --insecure-registry string  A registry (HOST[:PORT]) whose certificate is not "
            "verified (https, else plain http); repeatable (loopback ones always are)\n"
            "      --registry-certs-dir string  CA certificates of registries, as "
            "DIR/HOST[:PORT]/*.crt (default \"/etc/docker/certs.d\")\n"
            "  -b, --bridge string      The default bridge network's interface (default "
            "\"pier0\"); \"none\": no default bridge network\n"
            "      --bip string         The default bridge's address and prefix (default: "
            "the first free of 172.17.0.1/16, 172.18.0.1/16, ...)\n"
            "  -v, --version            Print the version and exit\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {{"data-root", required_argument, NULL, 'd'},
                                          {"exec-root", required_argument, NULL, 'e'},
                                          {"host", required_argument, NULL, 'H'},
                                          {"cgroup-parent", required_argument, NULL, 'c'},
                                          {"group", required_argument, NULL, 'G'},
                                          {"pidfile", required_argument, NULL, 'p'},
                                          {"log-level", required_argument, NULL, 'l'},
                                          {"debug", no_argument, NULL, 'D'},
                                          {"shim", required_argument, NULL, 's'},
                                          {"insecure-registry", required_argument, NULL, 'I'},
                                          {"registry-certs-dir", required_argument, NULL, 'C'},
                                          {"bridge", required_argument, NULL, 'b'},
                                          {"bip", required_argument, NULL, 'B'},
                                          {"help", no_argument, NULL, 'h'},
                                          {"version", no_argument, NULL, 'v'},
                                          {NULL, 0, NULL, 0}};
    *o = (struct opts){.data_root = "/var/lib/pier", .exec_root = "/run/pier"};
    int ch;
    while ((ch = getopt_long(argc, argv, "H:G:p:l:Dhvb:", longs, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->data_root = optarg;
            break;
        case 'e':
            o->exec_root = optarg;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'G':
            o->group = optarg;
            break;
        case 'p':
            o->pidfile = optarg;
            break;
        case 'l':
            if (strcmp(optarg, "debug") != 0 && strcmp(optarg, "info") != 0 &&
                strcmp(optarg, "warn") != 0 && strcmp(optarg, "error") != 0 &&
                strcmp(optarg, "fatal") != 0) {
                fprintf(stderr, "pierd: unknown log level `%s`\n", optarg);
                return 2;
            }
            o->debug = strcmp(optarg, "debug") == 0;
            break;
        case 'D':
            o->debug = true;
            break;
        case 's':
            o->shim = optarg;
            break;
        case 'c':
            o->cgroup_parent = optarg;
            break;
        case 'b':
            o->bridge = optarg;
            break;
        case 'B':
            o->bip = optarg;
            break;
        case 'I':
        case 'C': {
            pier_err_t err = NULL;
            if ((ch == 'I' ? img_pull_insecure_add(optarg, &err)
                           : img_registry_certs_dir(optarg, &err)) < 0) {
                fprintf(stderr, "pierd: %s\n", pier_error_msg(err));
                pier_error_free(&err);
                return 2;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'v':
            printf("pierd version 0.1.0, API %s\n", API_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pierd: unexpected argument `%s`\n", argv[optind]);
        return 2;
    }
    return -1;
}

/* The socket, mode 0660, root's or the named group's. */
static int listen_unix(const char *path, const char *group, pier_err_t *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return pier_fail(err, EINVAL, "socket path `%s` is too long", path);
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    gid_t gid = 0;
    if (group) {
        struct group *g = getgrnam(group);
        char *end;
        unsigned long n = strtoul(group, &end, 10);
        if (g)
            gid = g->gr_gid;
        else if (*group && *end == '\0')
            gid = (gid_t)n;
        else
            return pier_fail(err, EINVAL, "group `%s` not found", group);
    }
    cleanup_free char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (pier_mkdir_p(dir, 0711, err) < 0)
            return -1;
    }
    /* a socket left by a pierd that died; the lock says none runs */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return pier_fail(err, EEXIST, "`%s` exists and is not a socket", path);
        unlink(path);
    }
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return pier_error(err, errno, "socket");
    /* never, even for an instant, open to others */
    mode_t old = umask(0177);
    int r = bind(s, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (r < 0 || chown(path, 0, gid) < 0 || chmod(path, 0660) < 0 || listen(s, 1024) < 0) {
        int e = errno;
        close(s);
        return pier_error(err, e, "listen on `%s`", path);
    }
    return s;
}

struct daemon {
    struct pier_loop *loop;
    int sigfd;
    struct pier_watch *sig_w;
};

static void on_signal(struct pier_loop *l, struct pier_watch *w, uint32_t events, void *data)
{
    (void)w;
    (void)events;
    struct daemon *d = data;
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            /* shims are our children until we go: reap those that ended */
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            pier_log(PIER_LOG_INFO, "signal %u: stopping; containers keep running", si.ssi_signo);
            pier_loop_quit(l, 0);
        }
    }
}

static int lock_roots(const char *exec_root, pier_err_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/pierd.lock", exec_root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return pier_error(err, errno, "open `%s`", path);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        return pier_fail(err, EBUSY, "another pierd uses `%s` (its lock `%s` is held)", exec_root,
                         path);
    }
    return fd;
}

static int write_pidfile(const char *path, pier_err_t *err)
{
    char text[32];
    snprintf(text, sizeof text, "%d\n", (int)getpid());
    cleanup_free char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    const char *name = path;
    cleanup_close int dfd = -1;
    if (slash) {
        *slash = '\0';
        name = slash + 1;
        dfd = open(slash == dir ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return pier_error(err, errno, "open `%s`", dir);
    }
    return pier_write_file_atomic_at(slash ? dfd : AT_FDCWD, name, text, strlen(text), 0644, 0,
                                     err);
}

static int run(const struct opts *o, pier_err_t *err)
{
    char data_root[PATH_MAX], exec_root[PATH_MAX], sock[PATH_MAX], pidfile[PATH_MAX];
    if (pier_mkdir_p(o->data_root, 0711, err) < 0 || pier_mkdir_p(o->exec_root, 0711, err) < 0)
        return -1;
    if (realpath(o->data_root, data_root) == NULL)
        return pier_error(err, errno, "data root `%s`", o->data_root);
    if (realpath(o->exec_root, exec_root) == NULL)
        return pier_error(err, errno, "exec root `%s`", o->exec_root);
    const char *host = o->host ? o->host : "unix:///run/pier/pier.sock";
    if (strncmp(host, "unix://", 7) == 0)
        host += 7;
    else if (strstr(host, "://"))
        return pier_fail(err, EINVAL, "-H %s: only unix:// sockets are served", host);
    snprintf(sock, sizeof sock, "%s", host);
    snprintf(pidfile, sizeof pidfile, "%s", o->pidfile ? o->pidfile : "");
    if (!o->pidfile)
        snprintf(pidfile, sizeof pidfile, "%s/pierd.pid", exec_root);

    cleanup_close int lock = lock_roots(exec_root, err);
    if (lock < 0)
        return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct daemon d = {.sigfd = -1};
    struct engine *e = NULL;
    struct api_server *srv = NULL;
    int listen_fd = -1, ret = -1;
    struct engine_opts eo = {.data_root = data_root,
                             .exec_root = exec_root,
                             .shim_path = o->shim,
                             .cgroup_parent = o->cgroup_parent,
                             .bridge = o->bridge,
                             .bip = o->bip};
    if (pier_loop_new(&d.loop, err) < 0)
        return -1;
    d.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (d.sigfd < 0) {
        pier_error(err, errno, "signalfd");
        goto out;
    }
    if ((d.sig_w = pier_watch_add(d.loop, d.sigfd, EPOLLIN, on_signal, &d, err)) == NULL)
        goto out;
    if (engine_open(d.loop, &eo, &e, err) < 0)
        goto out;
    listen_fd = listen_unix(sock, o->group, err);
    if (listen_fd < 0)
        goto out;
    if (api_server_start(d.loop, listen_fd, e, &srv, err) < 0)
        goto out;
    if (write_pidfile(pidfile, err) < 0)
        goto out;
    pier_log(PIER_LOG_INFO, "pierd listening on %s (data %s, exec %s)", sock, data_root, exec_root);
    ret = pier_loop_run(d.loop);
    unlink(pidfile);
out:
    api_server_stop(srv);
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(sock);
    }
    engine_close(e);
    if (d.sig_w)
        pier_watch_del(d.sig_w);
    if (d.sigfd >= 0)
        close(d.sigfd);
    pier_loop_free(d.loop);
    return ret;
}

int main(int argc, char **argv)
{
    /* No fastbins: every request builds and frees thousands of small JSON
     * nodes, and the next large allocation walked them all to consolidate
     * (a third of the time of GET /containers/json with 1000 containers, and
     * growing with the daemon's age); freed chunks merge at once instead. */
    mallopt(M_MXFAST, 0);
    struct opts o;
    int r = parse(argc, argv, &o);
    if (r >= 0)
        return r;
    pier_err_t err = NULL;
    if (pier_log_init(NULL, PIER_LOG_TEXT, o.debug, &err) < 0) {
        fprintf(stderr, "pierd: %s\n", pier_error_msg(err));
        return 1;
    }
    if (run(&o, &err) < 0) {
        fprintf(stderr, "pierd: %s\n", pier_error_msg(err));
        pier_error_free(&err);
        return 1;
    }
    return 0;
}
