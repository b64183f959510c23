/* The server: containers attached and detached, their UDP questions, and
 * the choice between answering and forwarding. */
#include "dns_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../lib/cleanup.h"

#define DNS_DEFAULT_TIMEOUT_MS 5000
/* Datagrams read in one wake-up, so that one container cannot starve the
 * others. */
#define DNS_UDP_BATCH 64

int dns_server_new(struct pier_loop *loop, const char *resolv_conf, const struct dns_names *names,
                   struct dns_server **out, pier_err_t *err)
{
    struct dns_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return pier_error(err, ENOMEM, "dns server");
    s->loop = loop;
    s->names = *names;
    s->timeout_ms = DNS_DEFAULT_TIMEOUT_MS;
    if (dns_read_resolv_conf(&s->up, resolv_conf, err) < 0) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void dns_server_free(struct dns_server *s)
{
    if (s == NULL)
        return;
    while (s->eps != NULL)
        dns_detach(s, s->eps->id);
    dns_forward_cancel(s, NULL, NULL);
    free(s);
}

void dns_server_set_timeout(struct dns_server *s, unsigned ms)
{
    s->timeout_ms = ms ? ms : 1;
}

void dns_send(struct dns_client *c, const uint8_t *msg, size_t len)
{
    if (c->conn != NULL) {
        dns_conn_send(c->conn, msg, len);
        return;
    }
    /* A full socket buffer drops the reply, as the network would: the
     * client asks again. */
    (void)sendto(c->ep->udp, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                 (const struct sockaddr *)&c->peer, sizeof c->peer);
}

void dns_handle(struct dns_client *c, const uint8_t *msg, size_t len)
{
    struct dns_server *s = c->ep->s;
    uint8_t out[2 * DNS_UDP_MAX];
    unsigned flags =
        (c->conn != NULL ? DNS_ANSWER_TCP : 0) | (c->ep->ndots_set ? DNS_ANSWER_NDOTS : 0);
    ssize_t n =
        dns_answer_local(&s->names, c->ep->id, msg, len, flags, s->rotate++, out, sizeof out);
    if (n > 0)
        dns_send(c, out, (size_t)n);
    else if (n == 0)
        dns_forward(c, msg, len);
}

static void udp_ready(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)loop;
    (void)w;
    (void)events;
    struct dns_ep *ep = data;
    uint8_t msg[DNS_UDP_MAX];
    for (int i = 0; i < DNS_UDP_BATCH; i++) {
        struct dns_client c = {.ep = ep};
        socklen_t plen = sizeof c.peer;
        ssize_t n = recvfrom(ep->udp, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&c.peer, &plen);
        if (n < 0)
            return;
        /* A datagram larger than any query we take is cut: FORMERR. */
        dns_handle(&c, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg);
    }
}

static struct dns_ep *find_ep(struct dns_server *s, const char *id)
{
    for (struct dns_ep *ep = s->eps; ep != NULL; ep = ep->next)
        if (strcmp(ep->id, id) == 0)
            return ep;
    return NULL;
}

static void ep_free(struct dns_ep *ep)
{
    while (ep->conns != NULL)
        dns_conn_close(ep->conns);
    dns_forward_cancel(ep->s, ep, NULL);
    pier_watch_del(ep->wudp);
    pier_watch_del(ep->wtcp);
    if (ep->udp >= 0)
        close(ep->udp);
    if (ep->tcp >= 0)
        close(ep->tcp);
    free(ep->id);
    free(ep);
}

int dns_attach(struct dns_server *s, const char *container_id, int netns_fd, pier_err_t *err)
{
    if (find_ep(s, container_id) != NULL)
        return pier_fail(err, EEXIST, "dns: container %s is already attached", container_id);
    struct dns_ep *ep = calloc(1, sizeof *ep);
    if (ep == NULL || (ep->id = strdup(container_id)) == NULL) {
        free(ep);
        return pier_error(err, ENOMEM, "dns: attach %s", container_id);
    }
    ep->s = s;
    ep->udp = ep->tcp = -1;
    if (dns_netns_sockets(netns_fd, &ep->udp, &ep->tcp, err) < 0 ||
        (ep->wudp = pier_watch_add(s->loop, ep->udp, EPOLLIN, udp_ready, ep, err)) == NULL ||
        (ep->wtcp = pier_watch_add(s->loop, ep->tcp, EPOLLIN, dns_tcp_accept, ep, err)) == NULL) {
        ep_free(ep);
        return pier_error_wrap(err, "dns: attach %s", container_id);
    }
    ep->next = s->eps;
    s->eps = ep;
    return 0;
}

int dns_configure(struct dns_server *s, const char *container_id, const struct dns_policy *p,
                  pier_err_t *err)
{
    struct dns_ep *ep = find_ep(s, container_id);
    if (ep == NULL)
        return pier_fail(err, ENOENT, "dns: container %s is not attached", container_id);
    struct dns_upstreams up = {0};
    for (size_t i = 0; i < p->nupstreams; i++)
        dns_add_upstream(&up, p->upstreams[i]);
    if (p->nupstreams > 0 && up.n == 0)
        return pier_fail(err, EINVAL, "dns: no resolver address among the %zu given for %s",
                         p->nupstreams, container_id);
    /* Questions already upstream keep their index into the old list:
     * they are dropped (the client asks again) rather than misdirected. */
    dns_forward_cancel(s, ep, NULL);
    ep->up = up;
    ep->internal = p->internal;
    ep->ndots_set = p->ndots_set;
    return 0;
}

void dns_detach(struct dns_server *s, const char *container_id)
{
    for (struct dns_ep **pp = &s->eps; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, container_id) == 0) {
            struct dns_ep *ep = *pp;
            *pp = ep->next;
            ep_free(ep);
            return;
        }
    }
}
