/* The questions the server answers itself: A and AAAA for the names of
 * containers, PTR for their addresses; docker's rules (libnetwork's
 * resolver.go). */
#include "dns_int.h"

#include <string.h>

static size_t answer_names(const struct dns_names *names, const char *container_id,
                           const uint8_t *msg, const struct dns_query *q, size_t limit,
                           unsigned rotate, uint8_t *out, size_t cap)
{
    struct dns_answer a;
    if (q->qtype == DNS_TYPE_PTR) {
        struct in_addr addr;
        char name[DNS_NAME_TEXT_MAX];
        if (names->reverse == NULL || !dns_ptr_addr(q->name, &addr) ||
            names->reverse(names->ctx, container_id, addr, name, sizeof name) < 0)
            return 0;
        name[sizeof name - 1] = '\0';
        dns_answer_begin(&a, msg, q, limit, out, cap);
        if (!dns_answer_ptr(&a, name))
            return 0;
        return dns_answer_end(&a);
    }
    if (q->qtype != DNS_TYPE_A && q->qtype != DNS_TYPE_AAAA && q->qtype != DNS_TYPE_MX)
        return 0;
    struct in_addr addrs[DNS_MAX_ADDRS];
    size_t n = names->lookup(names->ctx, container_id, q->name, addrs, DNS_MAX_ADDRS);
    if (n == 0)
        return 0;
    if (n > DNS_MAX_ADDRS)
        n = DNS_MAX_ADDRS;
    dns_answer_begin(&a, msg, q, limit, out, cap);
    /* A name of ours with no IPv6 address: NOERROR and no records, as
     * docker says, so that the client takes the A records; for MX the
     * same, an "implicit MX" (RFC 5321 5.1). */
    if (q->qtype == DNS_TYPE_A)
        for (size_t i = 0; i < n; i++)
            dns_answer_a(&a, addrs[(i + rotate) % n]);
    return dns_answer_end(&a);
}

ssize_t dns_answer_local(const struct dns_names *names, const char *container_id,
                         const uint8_t *msg, size_t len, unsigned flags, unsigned rotate,
                         uint8_t *out, size_t cap)
{
    struct dns_query q;
    enum dns_rcode rcode;
    switch (dns_parse_query(msg, len, &q, &rcode)) {
    case DNS_DROP:
        return -1;
    case DNS_REFUSE:
        return (ssize_t)dns_error_reply(msg, len, q.question_end ? &q : NULL, rcode, out, cap);
    case DNS_QUERY:
        break;
    }
    if (q.qclass != DNS_CLASS_IN || !q.plain || q.name[0] == '\0')
        return 0;
    size_t limit = flags & DNS_ANSWER_TCP ? DNS_TCP_MSG_MAX : q.udp_size;
    size_t n = answer_names(names, container_id, msg, &q, limit, rotate, out, cap);
    /* With ndots set by the user, a name of one label is not asked of
     * the world: the client goes on with its search domains. */
    if (n == 0 && (flags & DNS_ANSWER_NDOTS) && strchr(q.name, '.') == NULL &&
        (q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA)) {
        struct dns_answer a;
        dns_answer_begin(&a, msg, &q, limit, out, cap);
        n = dns_answer_end(&a);
    }
    return (ssize_t)n;
}
