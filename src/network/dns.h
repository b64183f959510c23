/* pierd's embedded DNS server, as docker's: inside each container on a
 * user-defined network it answers at 127.0.0.11:53 (UDP and TCP) with the
 * addresses of the containers it can reach by name or alias, and forwards
 * every other question to the host's resolvers.  It knows no networks: the
 * engine answers for names through callbacks, so that this module is only
 * about packets and sockets.  Everything runs on pierd's loop and never
 * blocks it. */
#ifndef PIER_NETWORK_DNS_H
#define PIER_NETWORK_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../lib/loop.h"

struct dns_server;

/* The IPv4 addresses of `name` as the container container_id sees it: the
 * containers and aliases on its networks, docker's "name" and
 * "name.network" forms.  name is lowercase, without a trailing dot, made
 * of printable labels; compare it without regard to case.  Fills at most
 * max addresses; returns how many there are (0: not a name of ours, the
 * question goes to the host's resolvers). */
typedef size_t (*dns_lookup_fn)(void *ctx, const char *container_id, const char *name,
                                struct in_addr *out, size_t max);
/* The name of addr as container_id sees it ("web.mynet"), for PTR
 * questions: writes it to name (size n) and returns 0, or -1 when the
 * address is not a container's (the question is forwarded). */
typedef int (*dns_reverse_fn)(void *ctx, const char *container_id, struct in_addr addr, char *name,
                              size_t n);

struct dns_names {
    dns_lookup_fn lookup;
    dns_reverse_fn reverse; /* NULL: PTR questions all go upstream */
    void *ctx;
};

/* A server on loop; the upstream resolvers are the nameservers of the file
 * resolv_conf (the host's /etc/resolv.conf), read now; docker's 8.8.8.8
 * and 8.8.4.4 when it has none.  names is copied. */
int dns_server_new(struct pier_loop *loop, const char *resolv_conf, const struct dns_names *names,
                   struct dns_server **out, pier_err_t *err);
/* Detaches every container and drops the questions still upstream. */
void dns_server_free(struct dns_server *s);

/* How long a question waits for all the upstreams together (5000 ms by
 * default), each tried in turn for its share. */
void dns_server_set_timeout(struct dns_server *s, unsigned ms);

/* Serve container_id: bring up lo in the network namespace netns_fd and
 * listen on 127.0.0.11:53 there, UDP and TCP.  The fd is only used during
 * the call.  Fails if container_id is already attached. */
int dns_attach(struct dns_server *s, const char *container_id, int netns_fd, pier_err_t *err);
/* Stop serving container_id (nothing when it is not attached). */
void dns_detach(struct dns_server *s, const char *container_id);

/* What docker sets per container for its resolver. */
struct dns_policy {
    /* The resolvers its questions go to instead of the host's: docker's
     * --dns on a user-defined network.  Numeric IPv4 or IPv6 addresses;
     * at most 3 are used, others and ones not numeric are skipped; none:
     * the host's.  They are asked from pierd's namespace, where docker
     * asks from the container's: an address only the container reaches
     * (its own loopback) does not work. */
    const char *const *upstreams;
    size_t nupstreams;
    /* Only on internal networks: nothing is forwarded (SERVFAIL), so
     * that the container reaches no resolver outside, as docker. */
    bool internal;
    /* The user set ndots (--dns-option ndots:N): an unknown name of one
     * label (A, AAAA) gets an empty NOERROR instead of going upstream,
     * so that the client goes on with its search domains, as docker. */
    bool ndots_set;
};

/* Set container_id's policy (the default: all false, the host's
 * resolvers).  Questions upstream for it at the time are dropped; the
 * client asks again. */
int dns_configure(struct dns_server *s, const char *container_id, const struct dns_policy *p,
                  pier_err_t *err);

/* The address docker's containers have in their resolv.conf. */
#define DNS_SERVER_ADDR "127.0.0.11"

#endif
