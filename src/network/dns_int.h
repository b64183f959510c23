/* Inside the embedded DNS server: what its files share. */
#ifndef PIER_NETWORK_DNS_INT_H
#define PIER_NETWORK_DNS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../lib/buf.h"
#include "dns.h"
#include "dns_wire.h"

#define DNS_MAX_UPSTREAMS 3    /* as glibc's MAXNS */
#define DNS_MAX_FORWARDS 256   /* questions upstream at once; each holds a socket */
#define DNS_MAX_CONNS 8        /* TCP connections per container; the oldest goes first */
#define DNS_MAX_ADDRS 256      /* addresses of one name in an answer */
#define DNS_TCP_MSG_MAX 65535  /* a message's length over TCP: two bytes */
#define DNS_TCP_OUT_MAX 262144 /* replies a TCP client has not read yet */

struct dns_upstream {
    struct sockaddr_storage addr;
    socklen_t len;
};

struct dns_upstreams {
    struct dns_upstream up[DNS_MAX_UPSTREAMS];
    size_t n;
};

struct dns_server {
    struct pier_loop *loop;
    struct dns_names names;
    struct dns_upstreams up; /* the host's */
    unsigned timeout_ms;
    struct dns_ep *eps;
    /* Questions upstream, oldest deadline first (each try is as long). */
    struct dns_fwd *fwd_head, *fwd_tail;
    size_t nfwd;
    struct pier_watch *timer; /* at the head's deadline; NULL when none is upstream */
    unsigned rotate;          /* turns the order of a name's addresses, as docker shuffles */
};

/* One attached container. */
struct dns_ep {
    struct dns_server *s;
    struct dns_ep *next;
    char *id;
    struct dns_upstreams up;  /* its own (--dns), or none: the server's */
    bool internal, ndots_set; /* as struct dns_policy says */
    int udp, tcp;
    struct pier_watch *wudp, *wtcp;
    struct dns_conn *conns; /* newest first */
    size_t nconns;
};

/* A TCP client of a container. */
struct dns_conn {
    struct dns_ep *ep;
    struct dns_conn *next;
    int fd;
    struct pier_watch *w;
    struct buf in, out;
    bool busy, dead; /* in handle_messages; closed meanwhile, to be freed after it */
};

/* Where a reply goes: a UDP peer of ep, or a TCP connection. */
struct dns_client {
    struct dns_ep *ep;
    struct dns_conn *conn; /* NULL: UDP */
    struct sockaddr_in peer;
};

enum {
    DNS_ANSWER_TCP = 1,   /* the client asked over TCP: no cut at its UDP size */
    DNS_ANSWER_NDOTS = 2, /* struct dns_policy's ndots_set */
};

/* The reply to a message from the name table, in out (cap at least
 * DNS_UDP_MAX): its length, 0 when the question must go upstream, -1 when
 * nothing is to be said.  Over UDP the reply is cut to the client's EDNS
 * size (TC set).  Pure but for the callbacks: the fuzzer drives it. */
ssize_t dns_answer_local(const struct dns_names *names, const char *container_id,
                         const uint8_t *msg, size_t len, unsigned flags, unsigned rotate,
                         uint8_t *out, size_t cap);

/* Answer msg from client: locally, or upstream. */
void dns_handle(struct dns_client *c, const uint8_t *msg, size_t len);
void dns_send(struct dns_client *c, const uint8_t *msg, size_t len);

/* dns_forward.c */
int dns_read_resolv_conf(struct dns_upstreams *up, const char *path, pier_err_t *err);
/* Add a numeric IPv4 or IPv6 address, port 53; false when it is none or
 * the list is full. */
bool dns_add_upstream(struct dns_upstreams *up, const char *addr);
void dns_forward(struct dns_client *c, const uint8_t *msg, size_t len);
/* Drop the questions whose replies would go to ep (conn NULL) or conn. */
void dns_forward_cancel(struct dns_server *s, const struct dns_ep *ep, const struct dns_conn *conn);

/* dns_tcp.c */
void dns_tcp_accept(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data);
void dns_conn_send(struct dns_conn *c, const uint8_t *msg, size_t len);
void dns_conn_close(struct dns_conn *c);

/* dns_netns.c: UDP and listening TCP sockets on 127.0.0.11:53 in netns_fd. */
int dns_netns_sockets(int netns_fd, int *udp, int *tcp, pier_err_t *err);

#endif
