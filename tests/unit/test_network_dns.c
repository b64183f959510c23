/* The embedded DNS server's packets: queries read, answers built from a fake
 * name table, and malformed input refused without reading out of bounds. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "../../src/network/dns_int.h"
#include "unit.h"

/* A query for name (dotted) and type; edns > 0 adds an OPT record. */
static size_t make_query(uint8_t *q, uint16_t id, const char *name, uint16_t type, uint16_t edns)
{
    memset(q, 0, DNS_HEADER_LEN);
    dns_put16(q, id);
    dns_put16(q + 2, 0x0100);
    dns_put16(q + 4, 1);
    dns_put16(q + 10, edns ? 1 : 0);
    size_t n = DNS_HEADER_LEN;
    for (const char *s = name; *s != '\0';) {
        size_t l = strcspn(s, ".");
        q[n++] = (uint8_t)l;
        memcpy(q + n, s, l);
        n += l;
        s += l;
        if (*s == '.')
            s++;
    }
    q[n++] = 0;
    dns_put16(q + n, type);
    dns_put16(q + n + 2, DNS_CLASS_IN);
    n += 4;
    if (edns) {
        q[n] = 0;
        dns_put16(q + n + 1, DNS_TYPE_OPT);
        dns_put16(q + n + 3, edns);
        memset(q + n + 5, 0, 6);
        n += 11;
    }
    return n;
}

/* The fake table: "web" has one address, "db" two, "many" 40; only the
 * container "c1" sees "secret". */
static char last_container[80];
static char last_name[DNS_NAME_TEXT_MAX];

static size_t fake_lookup(void *ctx, const char *container_id, const char *name,
                          struct in_addr *out, size_t max)
{
    (void)ctx;
    snprintf(last_container, sizeof last_container, "%s", container_id);
    snprintf(last_name, sizeof last_name, "%s", name);
    size_t n = 0;
    if (strcmp(name, "web") == 0 || strcmp(name, "web.mynet") == 0)
        n = 1;
    else if (strcmp(name, "db") == 0)
        n = 2;
    else if (strcmp(name, "many") == 0)
        n = 40;
    else if (strcmp(name, "secret") == 0 && strcmp(container_id, "c1") == 0)
        n = 1;
    for (size_t i = 0; i < n && i < max; i++)
        out[i].s_addr = htonl(0x0a000002 + (uint32_t)i);
    return n;
}

static int fake_reverse(void *ctx, const char *container_id, struct in_addr addr, char *name,
                        size_t n)
{
    (void)ctx;
    (void)container_id;
    if (addr.s_addr != htonl(0x0a000002))
        return -1;
    snprintf(name, n, "web.mynet");
    return 0;
}

static const struct dns_names names = {fake_lookup, fake_reverse, NULL};

struct reply {
    uint16_t id, flags, qd, an, ar;
    struct in_addr a[64];
    size_t na;
    char ptr[DNS_NAME_TEXT_MAX];
};

/* Read what the server answered (records with pointers to offset 12). */
static bool read_reply(const uint8_t *r, size_t len, struct reply *out)
{
    memset(out, 0, sizeof *out);
    if (len < DNS_HEADER_LEN)
        return false;
    out->id = dns_get16(r);
    out->flags = dns_get16(r + 2);
    out->qd = dns_get16(r + 4);
    out->an = dns_get16(r + 6);
    out->ar = dns_get16(r + 10);
    size_t pos = DNS_HEADER_LEN;
    if (out->qd) {
        while (pos < len && r[pos] != 0)
            pos += 1u + r[pos];
        pos += 5;
    }
    for (unsigned i = 0; i < out->an; i++) {
        if (pos + 12 > len || r[pos] != 0xc0 || r[pos + 1] != 12)
            return false;
        uint16_t type = dns_get16(r + pos + 2);
        size_t rdlen = dns_get16(r + pos + 10);
        const uint8_t *rd = r + pos + 12;
        if (pos + 12 + rdlen > len || dns_get16(r + pos + 6) != 0 || dns_get16(r + pos + 8) != 600)
            return false;
        if (type == DNS_TYPE_A && rdlen == 4 && out->na < 64)
            memcpy(&out->a[out->na++].s_addr, rd, 4);
        if (type == DNS_TYPE_PTR) {
            size_t t = 0;
            for (size_t p = 0; p < rdlen && rd[p] != 0; p += 1u + rd[p]) {
                memcpy(out->ptr + t, rd + p + 1, rd[p]);
                t += rd[p];
                out->ptr[t++] = '.';
            }
            out->ptr[t] = '\0';
        }
        pos += 12 + rdlen;
    }
    return true;
}

static ssize_t ask(const uint8_t *q, size_t n, unsigned flags, struct reply *r)
{
    static uint8_t out[2 * DNS_UDP_MAX];
    ssize_t len = dns_answer_local(&names, "c1", q, n, flags, 0, out, sizeof out);
    if (len > 0 && !read_reply(out, (size_t)len, r))
        return -2;
    return len;
}

#define RCODE(r) ((r).flags & 0xf)
#define TC(r) (((r).flags >> 9) & 1)

TEST(dns_parse_query_fields)
{
    uint8_t q[512];
    size_t n = make_query(q, 0x1234, "Web.MyNet", DNS_TYPE_A, 1232);
    struct dns_query dq;
    enum dns_rcode rc;
    CHECK(dns_parse_query(q, n, &dq, &rc) == DNS_QUERY);
    CHECK(dq.id == 0x1234);
    CHECK_STR(dq.name, "web.mynet");
    CHECK(dq.plain);
    CHECK(dq.qtype == DNS_TYPE_A && dq.qclass == DNS_CLASS_IN);
    CHECK(dq.edns && dq.udp_size == 1232);
    CHECK(dq.question_end == n - 11);
    /* An EDNS size under 512 means 512. */
    n = make_query(q, 1, "web", DNS_TYPE_A, 100);
    CHECK(dns_parse_query(q, n, &dq, &rc) == DNS_QUERY && dq.udp_size == 512);
    /* A label with a dot or a space in it is no container name. */
    n = make_query(q, 1, "a b", DNS_TYPE_A, 0);
    CHECK(dns_parse_query(q, n, &dq, &rc) == DNS_QUERY && !dq.plain);
}

TEST(dns_answers_known_names)
{
    uint8_t q[512];
    struct reply r;
    size_t n = make_query(q, 0xbeef, "WEB", DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) > 0);
    CHECK_STR(last_container, "c1");
    CHECK_STR(last_name, "web");
    CHECK(r.id == 0xbeef && (r.flags & 0x8000) && RCODE(r) == DNS_RCODE_NOERROR);
    CHECK(r.flags & 0x0100); /* RD echoed */
    CHECK(r.qd == 1 && r.an == 1 && r.na == 1 && r.a[0].s_addr == htonl(0x0a000002));
    /* the network-qualified form, all addresses of a name */
    n = make_query(q, 2, "web.mynet", DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) > 0 && r.na == 1);
    n = make_query(q, 3, "db", DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) > 0 && r.na == 2);
    CHECK(r.a[0].s_addr != r.a[1].s_addr);
    /* AAAA of a known name: no records, no error */
    n = make_query(q, 4, "db", DNS_TYPE_AAAA, 0);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_NOERROR && r.an == 0 && r.qd == 1);
    /* MX of a known name: no records, no error (an implicit MX) */
    n = make_query(q, 4, "db", DNS_TYPE_MX, 0);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_NOERROR && r.an == 0 && r.qd == 1);
    /* unknown names, other types, other classes: upstream */
    n = make_query(q, 5, "nope", DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) == 0);
    n = make_query(q, 6, "web", 16 /* TXT */, 0);
    CHECK(ask(q, n, 0, &r) == 0);
    n = make_query(q, 7, "web", DNS_TYPE_A, 0);
    dns_put16(q + n - 2, 3 /* CH */);
    CHECK(ask(q, n, 0, &r) == 0);
}

TEST(dns_ndots_set_keeps_single_labels)
{
    uint8_t q[512];
    struct reply r;
    /* an unknown single label: empty NOERROR instead of upstream */
    size_t n = make_query(q, 1, "nope", DNS_TYPE_A, 0);
    CHECK(ask(q, n, DNS_ANSWER_NDOTS, &r) > 0 && RCODE(r) == DNS_RCODE_NOERROR && r.an == 0);
    n = make_query(q, 1, "nope", DNS_TYPE_AAAA, 0);
    CHECK(ask(q, n, DNS_ANSWER_NDOTS, &r) > 0 && r.an == 0);
    /* names with a dot, other types and known names as ever */
    n = make_query(q, 1, "nope.example", DNS_TYPE_A, 0);
    CHECK(ask(q, n, DNS_ANSWER_NDOTS, &r) == 0);
    n = make_query(q, 1, "nope", 16, 0);
    CHECK(ask(q, n, DNS_ANSWER_NDOTS, &r) == 0);
    n = make_query(q, 1, "web", DNS_TYPE_A, 0);
    CHECK(ask(q, n, DNS_ANSWER_NDOTS, &r) > 0 && r.na == 1);
}

TEST(dns_answers_per_container)
{
    uint8_t q[512], out[2 * DNS_UDP_MAX];
    size_t n = make_query(q, 1, "secret", DNS_TYPE_A, 0);
    CHECK(dns_answer_local(&names, "c1", q, n, 0, 0, out, sizeof out) > 0);
    CHECK(dns_answer_local(&names, "c2", q, n, 0, 0, out, sizeof out) == 0);
    CHECK_STR(last_container, "c2");
}

TEST(dns_answers_ptr)
{
    uint8_t q[512];
    struct reply r;
    size_t n = make_query(q, 9, "2.0.0.10.in-addr.arpa", DNS_TYPE_PTR, 0);
    CHECK(ask(q, n, 0, &r) > 0 && r.an == 1);
    CHECK_STR(r.ptr, "web.mynet.");
    n = make_query(q, 9, "3.0.0.10.in-addr.arpa", DNS_TYPE_PTR, 0);
    CHECK(ask(q, n, 0, &r) == 0);

    struct in_addr a;
    CHECK(dns_ptr_addr("4.3.2.1.in-addr.arpa", &a) && a.s_addr == htonl(0x01020304));
    CHECK(dns_ptr_addr("255.0.0.10.in-addr.arpa", &a));
    CHECK(!dns_ptr_addr("256.0.0.10.in-addr.arpa", &a));
    CHECK(!dns_ptr_addr("01.0.0.10.in-addr.arpa", &a));
    CHECK(!dns_ptr_addr("0.0.10.in-addr.arpa", &a));
    CHECK(!dns_ptr_addr("1.0.0.10.in-addr.arpa.x", &a));
    CHECK(!dns_ptr_addr("1.0.0.10.ip6.arpa", &a));
    CHECK(!dns_ptr_addr("", &a));
}

TEST(dns_answers_truncate)
{
    uint8_t q[512];
    struct reply r;
    /* 40 addresses do not fit in 512 bytes: as many as fit, and TC */
    size_t n = make_query(q, 1, "many", DNS_TYPE_A, 0);
    ssize_t len = ask(q, n, 0, &r);
    CHECK(len > 0 && len <= 512);
    CHECK(TC(r) && r.an == r.na && r.na > 20 && r.na < 40);
    /* a client that takes more over EDNS gets all, and an OPT record */
    n = make_query(q, 1, "many", DNS_TYPE_A, 4096);
    CHECK(ask(q, n, 0, &r) > 512 && !TC(r) && r.na == 40 && r.ar == 1);
    /* so does one over TCP */
    n = make_query(q, 1, "many", DNS_TYPE_A, 0);
    CHECK(ask(q, n, DNS_ANSWER_TCP, &r) > 512 && !TC(r) && r.na == 40 && r.ar == 0);
}

TEST(dns_rotates_addresses)
{
    uint8_t q[512], out[2 * DNS_UDP_MAX];
    struct reply r1, r2;
    size_t n = make_query(q, 1, "db", DNS_TYPE_A, 0);
    ssize_t l1 = dns_answer_local(&names, "c1", q, n, 0, 0, out, sizeof out);
    CHECK(l1 > 0 && read_reply(out, (size_t)l1, &r1));
    ssize_t l2 = dns_answer_local(&names, "c1", q, n, 0, 1, out, sizeof out);
    CHECK(l2 > 0 && read_reply(out, (size_t)l2, &r2));
    CHECK(r1.a[0].s_addr == r2.a[1].s_addr && r1.a[1].s_addr == r2.a[0].s_addr);
}

TEST(dns_malformed_queries)
{
    uint8_t q[1024];
    struct reply r;
    size_t n = make_query(q, 0x4242, "web", DNS_TYPE_A, 0);
    /* too short to answer, or a response: silence */
    CHECK(ask(q, 11, 0, &r) == -1);
    CHECK(ask(q, 0, 0, &r) == -1);
    q[2] |= 0x80;
    CHECK(ask(q, n, 0, &r) == -1);
    q[2] &= 0x7f;
    /* the question cut short: FORMERR with the ID and no question */
    CHECK(ask(q, n - 1, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR && r.id == 0x4242);
    CHECK(r.qd == 0 && r.an == 0);
    CHECK(ask(q, 13, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* two questions */
    dns_put16(q + 4, 2);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    dns_put16(q + 4, 1);
    /* a label running past the end */
    q[12] = 60;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* a compression pointer in the question, even to itself */
    q[12] = 0xc0;
    q[13] = 12;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* the obsolete extended label types */
    q[12] = 0x41;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* an opcode other than QUERY */
    n = make_query(q, 7, "web", DNS_TYPE_A, 0);
    q[2] |= 2 << 3;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_NOTIMP && r.id == 7);
    /* records counted but missing */
    n = make_query(q, 8, "web", DNS_TYPE_A, 0);
    dns_put16(q + 10, 3);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
}

TEST(dns_malformed_names)
{
    uint8_t q[1024];
    struct reply r;
    /* 256 bytes encoded: over the limit of 255 */
    char name[300];
    size_t t = 0;
    for (int i = 0; i < 4; i++) {
        memset(name + t, 'a' + i, 62);
        t += 62;
        name[t++] = '.';
    }
    memcpy(name + t, "ab", 3);
    size_t n = make_query(q, 1, name, DNS_TYPE_A, 0);
    CHECK(n - 16 == 256);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* 255 is fine */
    name[t + 1] = '\0';
    n = make_query(q, 1, name, DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) == 0);
    /* a label of 64 */
    memset(name, 'x', 64);
    name[64] = '\0';
    n = make_query(q, 1, name, DNS_TYPE_A, 0);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
}

TEST(dns_compression_in_records)
{
    uint8_t q[1024];
    struct reply r;
    /* An additional record whose owner points back to the question's
     * name is fine; one pointing to itself is a loop. */
    size_t n = make_query(q, 1, "web", DNS_TYPE_A, 0);
    dns_put16(q + 10, 1);
    size_t rr = n;
    q[n++] = 0xc0;
    q[n++] = 12;
    dns_put16(q + n, DNS_TYPE_A);
    dns_put16(q + n + 2, DNS_CLASS_IN);
    memset(q + n + 4, 0, 4);
    dns_put16(q + n + 8, 4);
    memset(q + n + 10, 1, 4);
    n += 14;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_NOERROR && r.na == 1);
    q[rr + 1] = (uint8_t)rr;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* two pointers to each other */
    q[rr] = 0xc0;
    q[rr + 1] = (uint8_t)(rr + 2);
    q[rr + 2] = 0xc0;
    q[rr + 3] = (uint8_t)rr;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* a pointer past the end */
    q[rr] = 0xc0;
    q[rr + 1] = 0xff;
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
    /* rdata longer than the message */
    q[rr + 1] = 12;
    dns_put16(q + rr + 10, 5);
    CHECK(ask(q, n, 0, &r) > 0 && RCODE(r) == DNS_RCODE_FORMERR);
}

TEST(dns_reply_matching)
{
    uint8_t q[512], reply[512];
    size_t n = make_query(q, 0x1111, "Ext.Example", DNS_TYPE_A, 0);
    memcpy(reply, q, n);
    reply[2] |= 0x80;
    CHECK(dns_reply_matches(q, n, reply, n));
    /* another question, or the same question in other case */
    reply[14] = 'X';
    CHECK(dns_reply_matches(q, n, reply, n));
    reply[14] = 'q';
    CHECK(!dns_reply_matches(q, n, reply, n));
    reply[14] = 'x';
    /* not a response, another ID, cut short */
    reply[2] &= 0x7f;
    CHECK(!dns_reply_matches(q, n, reply, n));
    reply[2] |= 0x80;
    dns_put16(reply, 0x1112);
    CHECK(!dns_reply_matches(q, n, reply, n));
    dns_put16(reply, 0x1111);
    CHECK(!dns_reply_matches(q, n, reply, n - 1));
    CHECK(!dns_reply_matches(q, n, reply, 11));
    /* an error without the question */
    dns_put16(reply + 4, 0);
    CHECK(dns_reply_matches(q, n, reply, DNS_HEADER_LEN));
}

TEST(dns_error_replies)
{
    uint8_t q[512], out[512];
    size_t n = make_query(q, 0x5555, "web", DNS_TYPE_A, 0);
    struct dns_query dq;
    enum dns_rcode rc;
    CHECK(dns_parse_query(q, n, &dq, &rc) == DNS_QUERY);
    size_t len = dns_error_reply(q, n, &dq, DNS_RCODE_SERVFAIL, out, sizeof out);
    CHECK(len == n);
    CHECK(dns_get16(out) == 0x5555 && (dns_get16(out + 2) & 0xf) == DNS_RCODE_SERVFAIL);
    CHECK(dns_get16(out + 4) == 1 && memcmp(out + 12, q + 12, n - 12) == 0);
    CHECK(dns_error_reply(q, 1, NULL, DNS_RCODE_FORMERR, out, sizeof out) == DNS_HEADER_LEN);
    CHECK(dns_error_reply(q, n, &dq, DNS_RCODE_FORMERR, out, 4) == 0);
}
