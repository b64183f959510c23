/* Questions the server does not answer go to the host's resolvers, from
 * pierd's (the host's) network namespace, so that loopback resolvers such
 * as systemd-resolved's 127.0.0.53 work.  Each question gets a socket of
 * its own (a random source port, and a connected socket takes replies
 * from that server only) and a random ID; the reply is checked against
 * the question, given back its ID and sent to the container's client.
 * UDP questions go upstream over UDP, TCP questions over TCP; a truncated
 * UDP reply reaches the client as such, and it asks again over TCP.
 * Each server is tried in turn for its share of the timeout, and one that
 * replies SERVFAIL or REFUSED counts as failed (as docker); when all fail,
 * the client gets SERVFAIL. */
#include "dns_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../lib/cleanup.h"

struct dns_fwd {
    struct dns_server *s;
    struct dns_fwd *prev, *next;
    struct dns_client client;
    uint16_t id; /* the client's ID; the query has ours */
    uint8_t *query;
    size_t qlen;
    size_t server; /* the upstream being tried */
    uint64_t deadline;
    int fd;
    struct pier_watch *w;
    size_t sent;   /* TCP: bytes of the length and query written */
    struct buf in; /* TCP: the reply so far */
};

static uint8_t reply_buf[DNS_TCP_MSG_MAX + 1];

/* The resolvers a client's questions go to. */
static const struct dns_upstreams *upstreams_of(const struct dns_client *c)
{
    return c->ep->up.n > 0 ? &c->ep->up : &c->ep->s->up;
}

bool dns_add_upstream(struct dns_upstreams *up, const char *addr)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_DGRAM};
    struct addrinfo *ai = NULL;
    if (up->n == DNS_MAX_UPSTREAMS || getaddrinfo(addr, "53", &hints, &ai) != 0)
        return false;
    bool fits = ai->ai_addrlen <= sizeof up->up[0].addr;
    if (fits) {
        memcpy(&up->up[up->n].addr, ai->ai_addr, ai->ai_addrlen);
        up->up[up->n++].len = ai->ai_addrlen;
    }
    freeaddrinfo(ai);
    return fits;
}

int dns_read_resolv_conf(struct dns_upstreams *up, const char *path, pier_err_t *err)
{
    cleanup_fclose FILE *f = fopen(path, "re");
    if (f == NULL && errno != ENOENT)
        return pier_error(err, errno, "dns: read %s", path);
    cleanup_free char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        char *save = NULL;
        char *key = strtok_r(line, " \t\r\n", &save);
        char *value = key ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        if (key != NULL && value != NULL && strcmp(key, "nameserver") == 0)
            dns_add_upstream(up, value);
    }
    /* What docker uses when the host names no resolver. */
    if (up->n == 0) {
        dns_add_upstream(up, "8.8.8.8");
        dns_add_upstream(up, "8.8.4.4");
    }
    return 0;
}

static void unlink_fwd(struct dns_fwd *f)
{
    struct dns_server *s = f->s;
    if (f->prev != NULL)
        f->prev->next = f->next;
    else if (s->fwd_head == f)
        s->fwd_head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    else if (s->fwd_tail == f)
        s->fwd_tail = f->prev;
    f->prev = f->next = NULL;
}

static void append_fwd(struct dns_fwd *f)
{
    struct dns_server *s = f->s;
    f->prev = s->fwd_tail;
    if (s->fwd_tail != NULL)
        s->fwd_tail->next = f;
    else
        s->fwd_head = f;
    s->fwd_tail = f;
}

static void expire(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data);

/* The timer at the earliest deadline, or none when nothing is upstream. */
static void rearm(struct dns_server *s)
{
    if (s->fwd_head == NULL) {
        pier_timer_del(s->timer);
        s->timer = NULL;
        return;
    }
    uint64_t now = pier_now_ms();
    uint64_t ms = s->fwd_head->deadline > now ? s->fwd_head->deadline - now : 0;
    if (s->timer != NULL && pier_timer_set(s->timer, ms, 0) == 0)
        return;
    pier_timer_del(s->timer);
    pier_err_t err = NULL;
    s->timer = pier_timer_add(s->loop, ms, 0, expire, s, &err);
    pier_error_free(&err);
}

static void close_try(struct dns_fwd *f)
{
    pier_watch_del(f->w);
    f->w = NULL;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->sent = 0;
    buf_free(&f->in);
    f->in.max = 2 + DNS_TCP_MSG_MAX;
}

static void free_fwd(struct dns_fwd *f)
{
    unlink_fwd(f);
    close_try(f);
    f->s->nfwd--;
    free(f->query);
    free(f);
}

static void fail_query(struct dns_client *c, const uint8_t *msg, size_t len, enum dns_rcode rcode)
{
    struct dns_query q;
    enum dns_rcode parse_rcode;
    uint8_t out[DNS_UDP_MIN];
    bool parsed = dns_parse_query(msg, len, &q, &parse_rcode) == DNS_QUERY;
    size_t n = dns_error_reply(msg, len, parsed ? &q : NULL, rcode, out, sizeof out);
    dns_send(c, out, n);
}

static void give_up(struct dns_fwd *f)
{
    dns_put16(f->query, f->id);
    struct dns_client c = f->client;
    uint8_t *query = steal_pointer(&f->query);
    size_t qlen = f->qlen;
    free_fwd(f);
    fail_query(&c, query, qlen, DNS_RCODE_SERVFAIL);
    free(query);
}

static void deliver(struct dns_fwd *f, uint8_t *reply, size_t len)
{
    dns_put16(reply, f->id);
    struct dns_client c = f->client;
    free_fwd(f);
    dns_send(&c, reply, len);
}

static bool start_try(struct dns_fwd *f);

static bool failed_reply(const uint8_t *reply)
{
    unsigned rcode = reply[3] & 0xf;
    return rcode == DNS_RCODE_SERVFAIL || rcode == DNS_RCODE_REFUSED;
}

/* The next upstream, or SERVFAIL when none is left; the timer follows. */
static void next_server(struct dns_fwd *f)
{
    struct dns_server *s = f->s;
    unlink_fwd(f);
    close_try(f);
    bool started = false;
    while (!started && ++f->server < upstreams_of(&f->client)->n)
        started = start_try(f);
    if (!started)
        give_up(f);
    rearm(s);
}

static void udp_reply(struct dns_fwd *f)
{
    for (;;) {
        ssize_t n = recv(f->fd, reply_buf, sizeof reply_buf, MSG_DONTWAIT);
        if (n < 0) {
            /* ECONNREFUSED: no server there (ICMP port unreachable). */
            if (errno != EAGAIN && errno != EINTR)
                next_server(f);
            return;
        }
        if (dns_reply_matches(f->query, f->qlen, reply_buf, (size_t)n)) {
            if (failed_reply(reply_buf)) {
                next_server(f);
                return;
            }
            struct dns_server *s = f->s;
            deliver(f, reply_buf, (size_t)n);
            rearm(s);
            return;
        }
    }
}

/* TCP: write the length and the query, then read the reply. */
static void tcp_ready(struct dns_fwd *f, uint32_t events)
{
    size_t total = 2 + f->qlen;
    if (f->sent < total) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if ((events & (EPOLLERR | EPOLLHUP)) ||
            getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
            next_server(f);
            return;
        }
        uint8_t prefix[2];
        dns_put16(prefix, (uint16_t)f->qlen);
        while (f->sent < total) {
            ssize_t n = f->sent < 2
                            ? send(f->fd, prefix + f->sent, 2 - f->sent, MSG_NOSIGNAL)
                            : send(f->fd, f->query + f->sent - 2, total - f->sent, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            if (n < 0) {
                next_server(f);
                return;
            }
            f->sent += (size_t)n;
        }
        pier_watch_mod(f->w, EPOLLIN);
        return;
    }
    char *room = buf_room(&f->in, 4096);
    ssize_t n = room ? read(f->fd, room, 4096) : -1;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        next_server(f);
        return;
    }
    f->in.len += (size_t)n;
    if (f->in.len < 2)
        return;
    size_t rlen = dns_get16((uint8_t *)f->in.data);
    if (f->in.len < 2 + rlen)
        return;
    uint8_t *reply = (uint8_t *)f->in.data + 2;
    if (!dns_reply_matches(f->query, f->qlen, reply, rlen) || failed_reply(reply)) {
        next_server(f);
        return;
    }
    struct dns_server *s = f->s;
    memcpy(reply_buf, reply, rlen);
    deliver(f, reply_buf, rlen);
    rearm(s);
}

static void fwd_ready(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)loop;
    (void)w;
    struct dns_fwd *f = data;
    if (f->client.conn != NULL)
        tcp_ready(f, events);
    else
        udp_reply(f);
}

/* Ask upstream f->server; false when that cannot even start. */
static bool start_try(struct dns_fwd *f)
{
    struct dns_server *s = f->s;
    const struct dns_upstreams *ups = upstreams_of(&f->client);
    const struct dns_upstream *up = &ups->up[f->server];
    bool tcp = f->client.conn != NULL;
    f->fd = socket(up->addr.ss_family,
                   (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f->fd < 0)
        return false;
    if (connect(f->fd, (const struct sockaddr *)&up->addr, up->len) < 0 && errno != EINPROGRESS) {
        close_try(f);
        return false;
    }
    if (!tcp && send(f->fd, f->query, f->qlen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        close_try(f);
        return false;
    }
    pier_err_t err = NULL;
    f->w = pier_watch_add(s->loop, f->fd, tcp ? EPOLLOUT : EPOLLIN, fwd_ready, f, &err);
    if (f->w == NULL) {
        pier_error_free(&err);
        close_try(f);
        return false;
    }
    unsigned share = s->timeout_ms / (unsigned)ups->n;
    f->deadline = pier_now_ms() + (share ? share : 1);
    append_fwd(f);
    return true;
}

static void expire(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)loop;
    (void)w;
    (void)events;
    struct dns_server *s = data;
    uint64_t now = pier_now_ms();
    /* Each try moves to the tail with a later deadline: this ends. */
    while (s->fwd_head != NULL && s->fwd_head->deadline <= now)
        next_server(s->fwd_head);
    rearm(s);
}

void dns_forward(struct dns_client *c, const uint8_t *msg, size_t len)
{
    struct dns_server *s = c->ep->s;
    /* As docker: SERVFAIL when there is no one to ask, REFUSED when too
     * many questions are upstream already. */
    if (c->ep->internal || upstreams_of(c)->n == 0 || len < DNS_HEADER_LEN) {
        fail_query(c, msg, len, DNS_RCODE_SERVFAIL);
        return;
    }
    if (s->nfwd >= DNS_MAX_FORWARDS) {
        fail_query(c, msg, len, DNS_RCODE_REFUSED);
        return;
    }
    struct dns_fwd *f = calloc(1, sizeof *f);
    uint8_t *query = malloc(len);
    if (f == NULL || query == NULL) {
        free(f);
        free(query);
        fail_query(c, msg, len, DNS_RCODE_SERVFAIL);
        return;
    }
    memcpy(query, msg, len);
    *f = (struct dns_fwd){.s = s,
                          .client = *c,
                          .id = dns_get16(msg),
                          .query = query,
                          .qlen = len,
                          .fd = -1,
                          .in = BUF_INIT};
    f->in.max = 2 + DNS_TCP_MSG_MAX;
    dns_put16(f->query, (uint16_t)arc4random());
    s->nfwd++;
    f->server = 0;
    if (!start_try(f)) {
        /* next_server starts from f->server + 1 */
        next_server(f);
        return;
    }
    rearm(s);
}

void dns_forward_cancel(struct dns_server *s, const struct dns_ep *ep, const struct dns_conn *conn)
{
    struct dns_fwd *f = s->fwd_head;
    while (f != NULL) {
        struct dns_fwd *next = f->next;
        if (ep == NULL || (f->client.ep == ep && (conn == NULL || f->client.conn == conn)))
            free_fwd(f);
        f = next;
    }
    rearm(s);
}
