#include "dns_wire.h"

#include <string.h>

enum {
    FLAG_QR = 0x8000,
    FLAG_OPCODE = 0x7800,
    FLAG_AA = 0x0400,
    FLAG_TC = 0x0200,
    FLAG_RD = 0x0100,
    FLAG_RA = 0x0080,
};

#define RR_FIXED 10     /* type, class, TTL, RDLENGTH */
#define OPT_LEN 11      /* root name and RR_FIXED, no options */
#define MAX_POINTERS 64 /* a name needs fewer than 128 labels: more jumps are a loop */

/* Read the name at msg[off]; its text (lowercase, dotted, no trailing dot)
 * goes to text, and *next is where the name ends in the message.
 * Compression pointers are followed when allowed, at most MAX_POINTERS of
 * them, so that a loop ends; the encoded name is at most 255 bytes. */
static bool read_name(const uint8_t *msg, size_t len, size_t off, bool pointers,
                      char text[DNS_NAME_TEXT_MAX], bool *plain, size_t *next)
{
    size_t pos = off, wire = 1, tlen = 0;
    int jumps = 0;
    bool jumped = false;
    *plain = true;
    for (;;) {
        if (pos >= len)
            return false;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (!pointers || pos + 1 >= len || ++jumps > MAX_POINTERS)
                return false;
            if (!jumped)
                *next = pos + 2;
            jumped = true;
            pos = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
            continue;
        }
        if (l & 0xc0) /* the extended label types of RFC 6891 are obsolete */
            return false;
        if (l == 0) {
            if (!jumped)
                *next = pos + 1;
            text[tlen] = '\0';
            return true;
        }
        wire += 1u + l;
        if (wire > DNS_NAME_WIRE_MAX || pos + 1 + l > len)
            return false;
        if (tlen > 0)
            text[tlen++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = msg[pos + 1 + i];
            if (c <= ' ' || c >= 0x7f || c == '.') {
                *plain = false;
                c = '?';
            }
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c - 'A' + 'a');
            text[tlen++] = (char)c;
        }
        pos += 1u + l;
    }
}

/* Skip count resource records from *off; the last OPT record seen (RFC
 * 6891: at most one) sets q's EDNS fields. */
static bool read_records(const uint8_t *msg, size_t len, size_t *off, unsigned count,
                         struct dns_query *q, bool additional)
{
    char name[DNS_NAME_TEXT_MAX];
    bool plain;
    for (unsigned i = 0; i < count; i++) {
        size_t pos;
        if (!read_name(msg, len, *off, true, name, &plain, &pos))
            return false;
        if (pos + RR_FIXED > len)
            return false;
        uint16_t type = dns_get16(msg + pos), class = dns_get16(msg + pos + 2);
        size_t rdlen = dns_get16(msg + pos + 8);
        if (pos + RR_FIXED + rdlen > len)
            return false;
        if (type == DNS_TYPE_OPT) {
            if (!additional || q->edns || name[0] != '\0')
                return false;
            q->edns = true;
            q->udp_size = class < DNS_UDP_MIN ? DNS_UDP_MIN : class;
        }
        *off = pos + RR_FIXED + rdlen;
    }
    return true;
}

enum dns_verdict dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q,
                                 enum dns_rcode *rcode)
{
    memset(q, 0, sizeof *q);
    q->udp_size = DNS_UDP_MIN;
    if (len < DNS_HEADER_LEN)
        return DNS_DROP;
    q->id = dns_get16(msg);
    q->flags = dns_get16(msg + 2);
    if (q->flags & FLAG_QR)
        return DNS_DROP;
    *rcode = DNS_RCODE_FORMERR;
    if (q->flags & FLAG_OPCODE) {
        *rcode = DNS_RCODE_NOTIMP;
        return DNS_REFUSE;
    }
    if (dns_get16(msg + 4) != 1)
        return DNS_REFUSE;
    /* The question is echoed byte for byte in replies, where a pointer
     * would mean something else: its name must not be compressed. */
    size_t pos;
    if (!read_name(msg, len, DNS_HEADER_LEN, false, q->name, &q->plain, &pos) || pos + 4 > len)
        return DNS_REFUSE;
    q->qtype = dns_get16(msg + pos);
    q->qclass = dns_get16(msg + pos + 2);
    q->question_end = pos + 4;
    pos = q->question_end;
    unsigned an = dns_get16(msg + 6), ns = dns_get16(msg + 8), ar = dns_get16(msg + 10);
    if (!read_records(msg, len, &pos, an + ns, q, false) ||
        !read_records(msg, len, &pos, ar, q, true)) {
        q->question_end = 0;
        return DNS_REFUSE;
    }
    return DNS_QUERY;
}

static uint16_t reply_flags(uint16_t query_flags, enum dns_rcode rcode)
{
    return (uint16_t)(FLAG_QR | (query_flags & (FLAG_OPCODE | FLAG_RD)) | FLAG_RA | rcode);
}

size_t dns_error_reply(const uint8_t *msg, size_t len, const struct dns_query *q,
                       enum dns_rcode rcode, uint8_t *out, size_t cap)
{
    if (cap < DNS_HEADER_LEN)
        return 0;
    memset(out, 0, DNS_HEADER_LEN);
    if (len >= 2)
        memcpy(out, msg, 2);
    uint16_t flags = len >= 4 ? dns_get16(msg + 2) : 0;
    dns_put16(out + 2, reply_flags(flags, rcode));
    size_t n = DNS_HEADER_LEN;
    if (q != NULL && q->question_end > DNS_HEADER_LEN && q->question_end <= len &&
        q->question_end <= cap) {
        memcpy(out + n, msg + n, q->question_end - n);
        dns_put16(out + 4, 1);
        n = q->question_end;
    }
    return n;
}

void dns_answer_begin(struct dns_answer *a, const uint8_t *msg, const struct dns_query *q,
                      size_t limit, uint8_t *out, size_t cap)
{
    *a = (struct dns_answer){.out = out, .cap = cap, .edns = q->edns};
    a->limit = limit < cap ? limit : cap;
    if (a->edns)
        a->limit = a->limit > OPT_LEN ? a->limit - OPT_LEN : 0;
    memset(out, 0, DNS_HEADER_LEN);
    memcpy(out, msg, 2);
    dns_put16(out + 2, (uint16_t)(reply_flags(q->flags, DNS_RCODE_NOERROR) | FLAG_AA));
    a->len = DNS_HEADER_LEN;
    if (q->question_end > a->limit) {
        a->truncated = true;
        return;
    }
    memcpy(out + a->len, msg + a->len, q->question_end - a->len);
    dns_put16(out + 4, 1);
    a->len = q->question_end;
}

/* Room for a record of rdlen bytes whose owner is the question's name (a
 * pointer to offset 12); NULL and TC when it does not fit. */
static uint8_t *add_record(struct dns_answer *a, uint16_t type, size_t rdlen)
{
    size_t n = 2 + RR_FIXED + rdlen;
    if (a->truncated || a->len + n > a->limit || a->len < DNS_HEADER_LEN + 1 ||
        a->ancount == UINT16_MAX) {
        a->truncated = true;
        return NULL;
    }
    uint8_t *p = a->out + a->len;
    p[0] = 0xc0;
    p[1] = DNS_HEADER_LEN;
    dns_put16(p + 2, type);
    dns_put16(p + 4, DNS_CLASS_IN);
    dns_put16(p + 6, 0);
    dns_put16(p + 8, DNS_TTL);
    dns_put16(p + 10, (uint16_t)rdlen);
    a->len += n;
    a->ancount++;
    return p + 2 + RR_FIXED;
}

void dns_answer_a(struct dns_answer *a, struct in_addr addr)
{
    uint8_t *p = add_record(a, DNS_TYPE_A, 4);
    if (p != NULL)
        memcpy(p, &addr.s_addr, 4);
}

bool dns_answer_ptr(struct dns_answer *a, const char *name)
{
    uint8_t wire[DNS_NAME_WIRE_MAX];
    size_t n = 0;
    const char *s = name;
    while (*s != '\0') {
        size_t l = strcspn(s, ".");
        if (l == 0 || l > 63 || n + 1 + l + 1 > sizeof wire)
            return false;
        wire[n++] = (uint8_t)l;
        memcpy(wire + n, s, l);
        n += l;
        s += l;
        if (*s == '.')
            s++;
    }
    if (n == 0)
        return false;
    wire[n++] = 0;
    uint8_t *p = add_record(a, DNS_TYPE_PTR, n);
    if (p != NULL)
        memcpy(p, wire, n);
    return true;
}

size_t dns_answer_end(struct dns_answer *a)
{
    uint8_t *h = a->out;
    if (a->truncated)
        dns_put16(h + 2, dns_get16(h + 2) | FLAG_TC);
    dns_put16(h + 6, a->ancount);
    /* The room for it was kept by dns_answer_begin. */
    if (a->edns && a->len + OPT_LEN <= a->cap) {
        uint8_t *p = a->out + a->len;
        memset(p, 0, OPT_LEN);
        dns_put16(p + 1, DNS_TYPE_OPT);
        dns_put16(p + 3, DNS_UDP_MAX);
        a->len += OPT_LEN;
        dns_put16(h + 10, 1);
    }
    return a->len;
}

bool dns_ptr_addr(const char *name, struct in_addr *out)
{
    static const char suffix[] = "in-addr.arpa";
    uint8_t b[4];
    const char *s = name;
    for (int i = 3; i >= 0; i--) {
        unsigned v = 0;
        size_t digits = 0;
        for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
            v = v * 10 + (unsigned)(*s - '0');
        if (digits == 0 || v > 255 || *s != '.' || (digits > 1 && s[-(long)digits] == '0'))
            return false;
        s++;
        b[i] = (uint8_t)v;
    }
    if (strcmp(s, suffix) != 0)
        return false;
    memcpy(&out->s_addr, b, 4);
    return true;
}

bool dns_reply_matches(const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen)
{
    if (qlen < DNS_HEADER_LEN || rlen < DNS_HEADER_LEN || memcmp(query, reply, 2) != 0 ||
        !(dns_get16(reply + 2) & FLAG_QR))
        return false;
    /* An error reply may leave the question out; one that has it must
     * have ours (in any case: resolvers may echo 0x20-mixed names). */
    if (dns_get16(reply + 4) == 0)
        return true;
    char name[DNS_NAME_TEXT_MAX];
    bool plain;
    size_t end;
    if (dns_get16(reply + 4) != 1 ||
        !read_name(query, qlen, DNS_HEADER_LEN, false, name, &plain, &end) || end + 4 > qlen ||
        end + 4 > rlen)
        return false;
    for (size_t i = DNS_HEADER_LEN; i < end + 4; i++) {
        uint8_t x = query[i], y = reply[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}
