/* The subset of DNS messages (RFC 1035) that pierd's embedded server reads
 * and writes: one question in, A / PTR answers or an error out.  Every
 * reader takes untrusted bytes and checks each offset against the length. */
#ifndef PIER_NETWORK_DNS_WIRE_H
#define PIER_NETWORK_DNS_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_WIRE_MAX 255 /* a name's encoded length, root label included */
#define DNS_NAME_TEXT_MAX 254 /* its dotted text without the trailing dot, and the NUL */
#define DNS_UDP_MIN 512       /* the payload every client takes over UDP */
#define DNS_UDP_MAX 4096      /* the most we answer with over UDP, whatever EDNS offers */
#define DNS_TTL 600           /* docker's TTL for container names */

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_MX = 15,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_OPT = 41,
};
enum { DNS_CLASS_IN = 1 };
enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
};

struct dns_query {
    uint16_t id, flags;
    uint16_t qtype, qclass;
    /* Lowercase dotted text without the trailing dot ("" for the root);
     * only meaningful when `plain`: every label printable, without '.'. */
    char name[DNS_NAME_TEXT_MAX];
    bool plain;
    size_t question_end; /* offset past the question section */
    bool edns;
    uint16_t udp_size; /* what the client takes over UDP: EDNS's size, at least 512 */
};

/* What to do with a message that came in. */
enum dns_verdict {
    DNS_QUERY,  /* a well-formed standard query: answer or forward it */
    DNS_DROP,   /* too short to answer, or itself a response: say nothing */
    DNS_REFUSE, /* answer with the error rcode in *rcode */
};

/* Read a message a client sent; *rcode is set for DNS_REFUSE. */
enum dns_verdict dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q,
                                 enum dns_rcode *rcode);

/* An error reply to msg in out (cap at least DNS_HEADER_LEN): the ID, opcode
 * and RD echoed, the question too when q is given.  Returns its length. */
size_t dns_error_reply(const uint8_t *msg, size_t len, const struct dns_query *q,
                       enum dns_rcode rcode, uint8_t *out, size_t cap);

/* A reply being built in a caller's buffer, cut at `limit` bytes: records
 * that do not fit set TC (RFC 2181 9) and are left out. */
struct dns_answer {
    uint8_t *out;
    size_t cap, len, limit;
    uint16_t ancount;
    bool truncated, edns;
};

/* Start the reply to the query q (parsed from msg): header and question.
 * limit is the most the client takes (q->udp_size over UDP, 65535 over
 * TCP); cap at least msg's question and an OPT record. */
void dns_answer_begin(struct dns_answer *a, const uint8_t *msg, const struct dns_query *q,
                      size_t limit, uint8_t *out, size_t cap);
void dns_answer_a(struct dns_answer *a, struct in_addr addr);
/* A PTR record naming `name` (dotted text); false when it is no valid name. */
bool dns_answer_ptr(struct dns_answer *a, const char *name);
/* Finish: counts, flags and EDNS; returns the reply's length. */
size_t dns_answer_end(struct dns_answer *a);

/* The IPv4 address of an "in-addr.arpa" name (as dns_query.name holds it). */
bool dns_ptr_addr(const char *name, struct in_addr *out);

/* Whether reply answers query (both whole messages): a response with the
 * same ID and the same question. */
bool dns_reply_matches(const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen);

static inline uint16_t dns_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void dns_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

#endif
