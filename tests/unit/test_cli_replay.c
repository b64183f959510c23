/* pier (the CLI) against recorded daemons: a small server replays the HTTP
 * exchanges the docker CLI had with dockerd for a command
 * (tests/unit/data/cli/NAME.exchanges), pier runs the same command
 * (NAME.cmd) against it, and must make the same requests and print what
 * docker printed (NAME.out: exit status, stdout, stderr).  The data is made
 * with a logging proxy between docker and dockerd. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../../src/cli/cli.h"
#include "../../src/lib/file.h"

#include "unit.h"

#define DATA_REL "tests/unit/data/cli/"
#define MAX_EXCHANGES 64
#define MAX_CLIENTS 16

struct exchange {
    char line[1024];
    char *body;
    size_t blen;
    char *resp;
    size_t rlen;
    bool used;
};

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, path, 16 * 1024 * 1024, &data, len, &err) < 0) {
        pier_error_free(&err);
        return NULL;
    }
    return data;
}

/* "@@ LINE\n@@ N\n<N bytes>\n@@ M\n<M bytes>\n" ... */
static size_t load_exchanges(const char *path, struct exchange *ex, char **data)
{
    size_t len, n = 0;
    *data = slurp(path, &len);
    char *p = *data, *end = p ? p + len : NULL;
    while (p && p < end && n < MAX_EXCHANGES && strncmp(p, "@@ ", 3) == 0) {
        char *nl = strchr(p, '\n');
        snprintf(ex[n].line, sizeof ex[n].line, "%.*s", (int)(nl - p - 3), p + 3);
        p = nl + 1;
        ex[n].blen = strtoul(p + 3, &nl, 10);
        ex[n].body = nl + 1;
        p = ex[n].body + ex[n].blen + 1;
        ex[n].rlen = strtoul(p + 3, &nl, 10);
        ex[n].resp = nl + 1;
        p = ex[n].resp + ex[n].rlen + 1;
        ex[n].used = false;
        n++;
    }
    return n;
}

struct client {
    int fd;
    struct buf in;
    bool hijacked;
};

/* A complete request at the front of c->in: its line and body, and its
 * length, or 0 when more is needed. */
static size_t take_request(struct client *c, char *line, size_t lcap, struct buf *body)
{
    char *d = c->in.data;
    if (d == NULL)
        return 0;
    char *hend = memmem(d, c->in.len, "\r\n\r\n", 4);
    if (hend == NULL)
        return 0;
    size_t head = (size_t)(hend - d) + 4;
    char *eol = memchr(d, '\r', head);
    char method[16], target[1000];
    if (sscanf(d, "%15s %999s", method, target) != 2)
        return 0;
    snprintf(line, lcap, "%s %s", method, target);
    (void)eol;
    size_t clen = 0;
    bool chunked = false;
    for (char *h = d; h < hend; h = strstr(h, "\r\n") + 2) {
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtoul(h + 15, NULL, 10);
        if (strncasecmp(h, "Transfer-Encoding: chunked", 26) == 0)
            chunked = true;
    }
    if (!chunked) {
        if (c->in.len < head + clen)
            return 0;
        buf_put(body, d + head, clen);
        return head + clen;
    }
    struct http_chunked ch = {0};
    size_t avail = c->in.len - head;
    char *copy = malloc(avail + 1);
    memcpy(copy, d + head, avail);
    size_t used, got;
    int rc = http_chunked_decode(&ch, copy, avail, &used, &got);
    if (rc == 0 && ch.done)
        buf_printf(body, "<chunked %zu bytes>", got);
    free(copy);
    return rc == 0 && ch.done ? head + used : 0;
}

static void serve(int lfd, int ctl, int report, struct exchange *ex, size_t n)
{
    struct client cl[MAX_CLIENTS];
    size_t ncl = 0;
    FILE *rep = fdopen(report, "w");
    for (;;) {
        struct pollfd pf[MAX_CLIENTS + 2];
        pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = ctl, .events = POLLIN};
        for (size_t i = 0; i < ncl; i++)
            pf[i + 2] = (struct pollfd){.fd = cl[i].fd, .events = POLLIN};
        if (poll(pf, ncl + 2, 10000) <= 0)
            break;
        if (pf[1].revents)
            break;
        if ((pf[0].revents & POLLIN) && ncl < MAX_CLIENTS) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0)
                cl[ncl++] = (struct client){.fd = fd, .in = BUF_INIT};
        }
        for (size_t i = 0; i < ncl; i++) {
            if (!pf[i + 2].revents)
                continue;
            char buf[65536];
            ssize_t r = read(cl[i].fd, buf, sizeof buf);
            if (r <= 0) {
                close(cl[i].fd);
                buf_free(&cl[i].in);
                cl[i] = cl[--ncl];
                pf[i + 2] = pf[ncl + 2];
                i--;
                continue;
            }
            if (cl[i].hijacked)
                continue; /* stdin of an attach: not recorded */
            buf_put(&cl[i].in, buf, (size_t)r);
            char line[1024];
            struct buf body = BUF_INIT;
            size_t took;
            while ((took = take_request(&cl[i], line, sizeof line, &body)) > 0) {
                memmove(cl[i].in.data, cl[i].in.data + took, cl[i].in.len - took);
                cl[i].in.len -= took;
                struct exchange *e = NULL;
                for (size_t k = 0; k < n && !e; k++)
                    if (!ex[k].used && strcmp(ex[k].line, line) == 0)
                        e = &ex[k];
                if (e == NULL) {
                    fprintf(rep, "unexpected request: %s\n", line);
                    const char *nf = "HTTP/1.1 599 Unexpected\r\nContent-Length: 0\r\n\r\n";
                    pier_write_all(cl[i].fd, nf, strlen(nf));
                    buf_free(&body);
                    continue;
                }
                e->used = true;
                if (body.len != e->blen || (body.len && memcmp(body.data, e->body, body.len)))
                    fprintf(rep, "body of %s differs:\n  docker: %.*s\n  pier:   %.*s\n", line,
                            (int)e->blen, e->body, (int)body.len, body.data ? body.data : "");
                buf_free(&body);
                pier_write_all(cl[i].fd, e->resp, e->rlen);
                if (strncmp(e->resp, "HTTP/1.1 101", 12) == 0) {
                    /* the stream as recorded, then its end */
                    shutdown(cl[i].fd, SHUT_WR);
                    cl[i].hijacked = true;
                }
            }
        }
    }
    for (size_t k = 0; k < n; k++)
        if (!ex[k].used)
            fprintf(rep, "request not made: %s\n", ex[k].line);
    fclose(rep);
}

/* The recordings, from the top of the tree or from the program's place
 * (build/unit-tests, build/NAME/unit-tests). */
static const char *data_dir(void)
{
    static char dir[4096];
    if (dir[0])
        return dir;
    if (access(DATA_REL, R_OK) == 0) {
        snprintf(dir, sizeof dir, "%s", DATA_REL);
        return dir;
    }
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(exe, '/');
            if (slash == NULL)
                break;
            *slash = '\0';
            snprintf(dir, sizeof dir, "%s/" DATA_REL, exe);
            if (access(dir, R_OK) == 0)
                return dir;
        }
    }
    snprintf(dir, sizeof dir, "%s", DATA_REL);
    return dir;
}

/* Run pier on the recording NAME; a description of what differs, or "". */
static void replay(const char *name, struct buf *diff)
{
    char path[4200];
    struct exchange ex[MAX_EXCHANGES];
    char *exdata = NULL;
    snprintf(path, sizeof path, "%s%s.exchanges", data_dir(), name);
    size_t n = load_exchanges(path, ex, &exdata);
    snprintf(path, sizeof path, "%s%s.cmd", data_dir(), name);
    size_t clen, olen;
    char *cmd = slurp(path, &clen);
    snprintf(path, sizeof path, "%s%s.out", data_dir(), name);
    char *expected = slurp(path, &olen);
    if (n == 0 || cmd == NULL || expected == NULL) {
        buf_printf(diff, "cannot load the recording %s", name);
        free(exdata);
        free(cmd);
        free(expected);
        return;
    }
    char *argv[256] = {"pier"};
    int argc = 1;
    for (char *p = cmd, *nl; argc < 255 && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        argv[argc++] = p;
    }
    char dir[] = "/tmp/pier-cli-replay-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        buf_printf(diff, "mkdtemp");
        return;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/d.sock", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bind(lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(lfd, 16);
    int ctl[2], rep[2];
    if (pipe(ctl) < 0 || pipe(rep) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(ctl[1]);
        close(rep[0]);
        serve(lfd, ctl[0], rep[1], ex, n);
        _exit(0);
    }
    close(ctl[0]);
    close(rep[1]);
    close(lfd);

    char host[200], outp[128], errp[128];
    snprintf(host, sizeof host, "unix://%s", sa.sun_path);
    setenv("DOCKER_HOST", host, 1);
    unsetenv("PIER_HOST");
    unsetenv("DOCKER_API_VERSION");
    snprintf(outp, sizeof outp, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    fflush(stdout);
    fflush(stderr);
    int save0 = dup(0), save1 = dup(1), save2 = dup(2);
    int in = open("/dev/null", O_RDONLY);
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    close(in);
    close(o);
    close(e);
    int rc = pier_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(save0, 0);
    dup2(save1, 1);
    dup2(save2, 2);
    close(save0);
    close(save1);
    close(save2);
    signal(SIGPIPE, SIG_DFL);

    /* the server's findings, once it is told pier is done */
    if (write(ctl[1], "x", 1) != 1)
        buf_printf(diff, "server gone\n");
    char rbuf[8192];
    ssize_t r;
    while ((r = read(rep[0], rbuf, sizeof rbuf)) > 0)
        buf_put(diff, rbuf, (size_t)r);
    close(ctl[1]);
    close(rep[0]);
    waitpid(pid, NULL, 0);

    int want_rc;
    size_t want_out, want_err;
    char *nl = strchr(expected, '\n');
    sscanf(expected, "@@ %d %zu %zu", &want_rc, &want_out, &want_err);
    size_t glen, elen;
    char *got = slurp(outp, &glen), *gerr = slurp(errp, &elen);
    if (rc != want_rc)
        buf_printf(diff, "exit status %d, docker's %d\n", rc, want_rc);
    if (got == NULL || glen != want_out || memcmp(got, nl + 1, glen) != 0)
        buf_printf(diff, "stdout differs:\n--- docker\n%.*s--- pier\n%s", (int)want_out, nl + 1,
                   got ? got : "");
    if (gerr == NULL || elen != want_err || memcmp(gerr, nl + 1 + want_out, elen) != 0)
        buf_printf(diff, "stderr differs:\n--- docker\n%.*s--- pier\n%s", (int)want_err,
                   nl + 1 + want_out, gerr ? gerr : "");
    free(got);
    free(gerr);
    unlink(outp);
    unlink(errp);
    unlink(sa.sun_path);
    rmdir(dir);
    free(exdata);
    free(cmd);
    free(expected);
}

#define REPLAY(name)                                                                               \
    TEST(cli_replay_##name)                                                                        \
    {                                                                                              \
        struct buf d = BUF_INIT;                                                                   \
        replay(#name, &d);                                                                         \
        if (d.len)                                                                                 \
            unit_fail(__FILE__, __LINE__, "%s", d.data);                                           \
        buf_free(&d);                                                                              \
    }

REPLAY(ps)
REPLAY(ps_json)
REPLAY(inspect_mixed)
REPLAY(logs)
REPLAY(run)
REPLAY(exec)
REPLAY(stop_missing)
REPLAY(images_q)
REPLAY(wait_missing)
REPLAY(create_full)
REPLAY(stats_nostream)
REPLAY(top)
REPLAY(start_missing)
REPLAY(rm_running)
REPLAY(rename_missing)
REPLAY(kill_missing)
REPLAY(inspect_format)
REPLAY(run_d)
REPLAY(version_format)
REPLAY(info_format)
REPLAY(attach_stopped)
REPLAY(logs_tail)
REPLAY(images_filter)
