/* Questions over TCP (RFC 7766): each message after its two-byte length,
 * several on one connection, replies in the order they are ready.  Sends
 * are MSG_NOSIGNAL: a client gone must not raise SIGPIPE in pierd.  A
 * container keeps at most DNS_MAX_CONNS connections: a new one closes its
 * oldest, which bounds what an idle or hostile client holds without a
 * timer per connection. */
#include "dns_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define DNS_TCP_IN_MAX (2 + DNS_TCP_MSG_MAX + 4096)

void dns_conn_close(struct dns_conn *c)
{
    if (c->busy) {
        c->dead = true;
        return;
    }
    struct dns_ep *ep = c->ep;
    for (struct dns_conn **pp = &ep->conns; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            ep->nconns--;
            break;
        }
    }
    dns_forward_cancel(ep->s, ep, c);
    pier_watch_del(c->w);
    close(c->fd);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
}

static int flush(struct dns_conn *c)
{
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        buf_consume(&c->out, (size_t)n);
    }
    return 0;
}

static void update_events(struct dns_conn *c)
{
    pier_watch_mod(c->w, EPOLLIN | (c->out.len > 0 ? EPOLLOUT : 0));
}

void dns_conn_send(struct dns_conn *c, const uint8_t *msg, size_t len)
{
    if (c->dead || len > DNS_TCP_MSG_MAX)
        return;
    uint8_t prefix[2];
    dns_put16(prefix, (uint16_t)len);
    if (c->out.len == 0) {
        struct iovec iov[2] = {{prefix, 2}, {(void *)msg, len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            dns_conn_close(c);
            return;
        }
        size_t done = n < 0 ? 0 : (size_t)n;
        if (done == len + 2)
            return;
        if (done < 2)
            buf_put(&c->out, prefix + done, 2 - done);
        size_t off = done < 2 ? 0 : done - 2;
        buf_put(&c->out, msg + off, len - off);
    } else {
        buf_put(&c->out, prefix, 2);
        buf_put(&c->out, msg, len);
    }
    /* A client that does not read its replies is let go. */
    if (c->out.failed) {
        dns_conn_close(c);
        return;
    }
    update_events(c);
}

/* Handle every whole message in c->in.  A reply that cannot be sent
 * closes the connection: while busy here, that only marks it dead. */
static void handle_messages(struct dns_conn *c)
{
    c->busy = true;
    while (!c->dead && c->in.len >= 2) {
        size_t mlen = dns_get16((uint8_t *)c->in.data);
        if (c->in.len < 2 + mlen)
            break;
        struct dns_client client = {.ep = c->ep, .conn = c};
        dns_handle(&client, (uint8_t *)c->in.data + 2, mlen);
        buf_consume(&c->in, 2 + mlen);
    }
    c->busy = false;
    if (c->dead)
        dns_conn_close(c);
}

static void conn_ready(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)loop;
    (void)w;
    struct dns_conn *c = data;
    if (events & EPOLLOUT) {
        if (flush(c) < 0) {
            dns_conn_close(c);
            return;
        }
        update_events(c);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    char *room = buf_room(&c->in, 4096);
    if (room == NULL) {
        dns_conn_close(c);
        return;
    }
    ssize_t n = read(c->fd, room, 4096);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        dns_conn_close(c);
        return;
    }
    c->in.len += (size_t)n;
    handle_messages(c);
}

void dns_tcp_accept(struct pier_loop *loop, struct pier_watch *w, uint32_t events, void *data)
{
    (void)w;
    (void)events;
    struct dns_ep *ep = data;
    int fd = accept4(ep->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct dns_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        return;
    }
    *c = (struct dns_conn){.ep = ep, .fd = fd, .in = BUF_INIT, .out = BUF_INIT};
    c->in.max = DNS_TCP_IN_MAX;
    c->out.max = DNS_TCP_OUT_MAX;
    pier_err_t err = NULL;
    c->w = pier_watch_add(loop, fd, EPOLLIN, conn_ready, c, &err);
    if (c->w == NULL) {
        pier_error_free(&err);
        close(fd);
        free(c);
        return;
    }
    if (ep->nconns == DNS_MAX_CONNS) {
        struct dns_conn *oldest = ep->conns;
        while (oldest->next != NULL)
            oldest = oldest->next;
        dns_conn_close(oldest);
    }
    c->next = ep->conns;
    ep->conns = c;
    ep->nconns++;
}
