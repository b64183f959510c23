/* libFuzzer target: what a container sends pierd's DNS server, and what
 * an upstream resolver replies.  Any bytes must give an answer, an error
 * reply, silence or "forward it", never a read out of bounds. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "../src/network/dns_int.h"

static size_t lookup(void *ctx, const char *container_id, const char *name, struct in_addr *out,
                     size_t max)
{
    (void)ctx;
    (void)container_id;
    /* Every name of an even length is known, with up to 300 addresses. */
    size_t len = strlen(name);
    if (len % 2)
        return 0;
    size_t n = len > 300 ? 300 : len;
    for (size_t i = 0; i < n && i < max; i++)
        out[i].s_addr = (uint32_t)i;
    return n;
}

static int reverse(void *ctx, const char *container_id, struct in_addr addr, char *name, size_t n)
{
    (void)ctx;
    (void)container_id;
    if (addr.s_addr % 3 == 0)
        return -1;
    /* Names the server must refuse too: empty labels, overlong ones. */
    static const char *const names[] = {
        "web.net", "a..b", "",
        "x.",      ".y",   "toolong-toolong-toolong-toolong-toolong-toolong-toolong-toolong.z"};
    snprintf(name, n, "%s", names[addr.s_addr % (sizeof names / sizeof names[0])]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct dns_names names = {lookup, reverse, NULL};
    uint8_t out[2 * DNS_UDP_MAX];
    for (unsigned flags = 0; flags < 4; flags++) {
        ssize_t n =
            dns_answer_local(&names, "c", data, size, flags, (unsigned)size, out, sizeof out);
        if (n > (ssize_t)sizeof out)
            __builtin_trap();
        /* Our own answer must read back as a reply to the query. */
        if (n > 0 && size >= DNS_HEADER_LEN && dns_get16(out + 4) == 1 &&
            !dns_reply_matches(data, size, out, (size_t)n))
            __builtin_trap();
    }
    /* The input as an upstream's reply to itself, and to its first half. */
    dns_reply_matches(data, size, data, size);
    dns_reply_matches(data, size / 2, data + size / 2, size - size / 2);
    struct dns_query q;
    enum dns_rcode rc;
    if (dns_parse_query(data, size, &q, &rc) == DNS_QUERY) {
        struct in_addr a;
        dns_ptr_addr(q.name, &a);
        dns_error_reply(data, size, &q, DNS_RCODE_SERVFAIL, out, DNS_HEADER_LEN + 1);
    }
    return 0;
}
