/* The server's sockets live in the container's network namespace: a
 * short-lived thread enters it (setns changes only the calling thread's
 * namespace), makes them, and ends, so that pierd's own threads never
 * leave the host's namespace.  The sockets keep the namespace they were
 * made in. */
#include "dns_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/cleanup.h"

#define DNS_PORT 53
#define DNS_TCP_BACKLOG 64

struct ns_job {
    int netns_fd;
    int udp, tcp;
    int errnum;
    const char *what; /* the step that failed */
};

/* 127.0.0.11 is on lo (127.0.0.0/8) once lo is up; a new namespace has it
 * down. */
static int lo_up(void)
{
    cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

static int bound(int type, struct ns_job *j)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT)};
    inet_pton(AF_INET, DNS_SERVER_ADDR, &sa.sin_addr);
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        j->what = "socket";
        return -1;
    }
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        j->what = type == SOCK_STREAM ? "bind TCP " DNS_SERVER_ADDR ":53"
                                      : "bind UDP " DNS_SERVER_ADDR ":53";
        close(fd);
        return -1;
    }
    if (type == SOCK_STREAM && listen(fd, DNS_TCP_BACKLOG) < 0) {
        j->what = "listen";
        close(fd);
        return -1;
    }
    return fd;
}

static void *in_netns(void *arg)
{
    struct ns_job *j = arg;
    if (setns(j->netns_fd, CLONE_NEWNET) < 0) {
        j->what = "enter the network namespace";
    } else if (lo_up() < 0) {
        j->what = "bring up lo";
    } else if ((j->udp = bound(SOCK_DGRAM, j)) >= 0) {
        j->tcp = bound(SOCK_STREAM, j);
    }
    if (j->what != NULL)
        j->errnum = errno;
    return NULL;
}

int dns_netns_sockets(int netns_fd, int *udp, int *tcp, pier_err_t *err)
{
    struct ns_job j = {.netns_fd = netns_fd, .udp = -1, .tcp = -1};
    pthread_t t;
    int rc = pthread_create(&t, NULL, in_netns, &j);
    if (rc != 0)
        return pier_error(err, rc, "a thread to enter the network namespace");
    pthread_join(t, NULL);
    if (j.what != NULL) {
        if (j.udp >= 0)
            close(j.udp);
        return pier_error(err, j.errnum, "%s", j.what);
    }
    *udp = j.udp;
    *tcp = j.tcp;
    return 0;
}
