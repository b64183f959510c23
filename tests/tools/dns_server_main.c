/* build/test-dns-server: pierd's embedded DNS server on a loop of its own,
 * with a name table from the command line, for tests/integration/network_dns.sh.
 *
 *   test-dns-server --resolv FILE [--timeout MS] [--name [ID:]NAME=IP[,IP...]]...
 *                   --attach ID=NETNS_PATH... [--dns ID=ADDR[,ADDR...]]...
 *                   [--internal ID]... [--ndots ID]...
 *
 * A name with an ID is seen by that container only.  Prints "ready" once
 * every container is attached, then serves until SIGTERM, after which it
 * frees everything (so that the sanitizers see what is left) and exits 0. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../../src/lib/cleanup.h"
#include "../../src/network/dns.h"

#define MAX_ENTRIES 256
#define MAX_IPS 16

struct entry {
    const char *id; /* NULL: every container */
    char *name;
    struct in_addr ip[MAX_IPS];
    size_t nip;
};

static struct entry entries[MAX_ENTRIES];
static size_t nentries;

static bool sees(const struct entry *e, const char *container_id)
{
    return e->id == NULL || strcmp(e->id, container_id) == 0;
}

static size_t lookup(void *ctx, const char *container_id, const char *name, struct in_addr *out,
                     size_t max)
{
    (void)ctx;
    size_t n = 0;
    for (size_t i = 0; i < nentries; i++) {
        const struct entry *e = &entries[i];
        if (!sees(e, container_id) || strcasecmp(e->name, name) != 0)
            continue;
        for (size_t j = 0; j < e->nip && n < max; j++)
            out[n++] = e->ip[j];
    }
    return n;
}

static int reverse(void *ctx, const char *container_id, struct in_addr addr, char *name, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < nentries; i++) {
        const struct entry *e = &entries[i];
        for (size_t j = 0; sees(e, container_id) && j < e->nip; j++) {
            if (e->ip[j].s_addr == addr.s_addr) {
                snprintf(name, n, "%s", e->name);
                return 0;
            }
        }
    }
    return -1;
}

static void die(const char *what, const char *arg) __attribute__((noreturn));

/* dns_policy of the containers that have one. */
struct policy {
    const char *id;
    const char *addrs[MAX_IPS];
    struct dns_policy p;
};

static struct policy policies[MAX_ENTRIES];
static size_t npolicies;

static struct policy *policy_of(const char *id)
{
    for (size_t i = 0; i < npolicies; i++)
        if (strcmp(policies[i].id, id) == 0)
            return &policies[i];
    if (npolicies == MAX_ENTRIES)
        die("too many policies", id);
    struct policy *p = &policies[npolicies++];
    p->id = id;
    p->p.upstreams = p->addrs;
    return p;
}

static void add_dns(char *spec)
{
    char *eq = strchr(spec, '=');
    if (eq == NULL)
        die("expected ID=ADDR[,ADDR...]", spec);
    *eq = '\0';
    struct policy *p = policy_of(spec);
    char *save = NULL;
    for (char *a = strtok_r(eq + 1, ",", &save); a != NULL && p->p.nupstreams < MAX_IPS;
         a = strtok_r(NULL, ",", &save))
        p->addrs[p->p.nupstreams++] = a;
}

static void quit(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)w;
    (void)events;
    (void)data;
    pier_loop_quit(loop, 0);
}

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "test-dns-server: %s: %s\n", what, arg);
    exit(2);
}

static void add_name(char *spec)
{
    if (nentries == MAX_ENTRIES)
        die("too many names", spec);
    struct entry *e = &entries[nentries++];
    char *eq = strchr(spec, '=');
    if (eq == NULL)
        die("expected [ID:]NAME=IP[,IP...]", spec);
    *eq = '\0';
    char *colon = strchr(spec, ':');
    if (colon != NULL) {
        *colon = '\0';
        e->id = spec;
        spec = colon + 1;
    }
    e->name = spec;
    char *save = NULL;
    for (char *ip = strtok_r(eq + 1, ",", &save); ip != NULL; ip = strtok_r(NULL, ",", &save)) {
        if (e->nip == MAX_IPS || inet_pton(AF_INET, ip, &e->ip[e->nip++]) != 1)
            die("bad IPv4 address", ip);
    }
}

int main(int argc, char **argv)
{
    const char *resolv = NULL;
    unsigned timeout = 0;
    char *attach[MAX_ENTRIES];
    size_t nattach = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 == argc)
            die("missing value after", argv[i]);
        if (strcmp(argv[i], "--resolv") == 0)
            resolv = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--name") == 0)
            add_name(argv[++i]);
        else if (strcmp(argv[i], "--attach") == 0 && nattach < MAX_ENTRIES)
            attach[nattach++] = argv[++i];
        else if (strcmp(argv[i], "--dns") == 0)
            add_dns(argv[++i]);
        else if (strcmp(argv[i], "--internal") == 0)
            policy_of(argv[++i])->p.internal = true;
        else if (strcmp(argv[i], "--ndots") == 0)
            policy_of(argv[++i])->p.ndots_set = true;
        else
            die("unknown argument", argv[i]);
    }
    if (resolv == NULL)
        die("missing", "--resolv FILE");
    pier_err_t err = NULL;
    struct pier_loop *loop;
    struct dns_server *s;
    struct dns_names names = {.lookup = lookup, .reverse = reverse};
    if (pier_loop_new(&loop, &err) < 0 || dns_server_new(loop, resolv, &names, &s, &err) < 0)
        die("start", pier_error_msg(err));
    if (timeout)
        dns_server_set_timeout(s, timeout);
    for (size_t i = 0; i < nattach; i++) {
        char *eq = strchr(attach[i], '=');
        if (eq == NULL)
            die("expected ID=NETNS_PATH", attach[i]);
        *eq = '\0';
        cleanup_close int fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die("open", eq + 1);
        if (dns_attach(s, attach[i], fd, &err) < 0)
            die("attach", pier_error_msg(err));
    }
    for (size_t i = 0; i < npolicies; i++)
        if (dns_configure(s, policies[i].id, &policies[i].p, &err) < 0)
            die("configure", pier_error_msg(err));
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    cleanup_close int sfd = signalfd(-1, &term, SFD_CLOEXEC | SFD_NONBLOCK);
    struct pier_watch *sw = sfd < 0 ? NULL : pier_watch_add(loop, sfd, EPOLLIN, quit, NULL, &err);
    if (sw == NULL)
        die("signalfd", pier_error_msg(err));
    printf("ready\n");
    fflush(stdout);
    pier_loop_run(loop);
    pier_watch_del(sw);
    dns_server_free(s);
    pier_loop_free(loop);
    return 0;
}
