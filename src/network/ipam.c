/* IPv4 pools as docker's default IPAM driver keeps them: the gateway, the
 * network and broadcast addresses never handed out; addresses handed out
 * serially, so that one just released is not reused at once. */
#include "ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ipam_parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

void ipam_fmt(uint32_t a, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t ipam_mask(int prefix)
{
    return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int ipam_parse_cidr(const char *s, uint32_t *addr, int *prefix, pier_err_t *err)
{
    char ip[32];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (slash == NULL || (size_t)(slash - s) >= sizeof ip)
        return pier_fail(err, EINVAL, "invalid CIDR address: %s", s ? s : "");
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || p < 0 || p > 32 ||
        ipam_parse_ip(ip, addr) < 0)
        return pier_fail(err, EINVAL, "invalid CIDR address: %s", s);
    *prefix = (int)p;
    return 0;
}

bool ipam_overlaps(uint32_t n1, int p1, uint32_t n2, int p2)
{
    uint32_t m = ipam_mask(p1 < p2 ? p1 : p2);
    return (n1 & m) == (n2 & m);
}

int ipam_pool_init(struct ipam_pool *p, const char *subnet, const char *gateway,
                   const char *ip_range, pier_err_t *err)
{
    *p = (struct ipam_pool){0};
    uint32_t a;
    int prefix;
    if (ipam_parse_cidr(subnet, &a, &prefix, err) < 0)
        return -1;
    /* a /31 or /32 leaves nothing for a gateway and an endpoint */
    if (prefix > 30)
        return pier_fail(err, EINVAL, "invalid subnet %s: too small, at most /30", subnet);
    if (prefix < 8)
        return pier_fail(err, EINVAL, "invalid subnet %s: too large, at least /8", subnet);
    p->mask = ipam_mask(prefix);
    p->prefix = prefix;
    p->net = a & p->mask;
    if (p->net != a) {
        char want[16];
        ipam_fmt(p->net, want);
        return pier_fail(err, EINVAL, "invalid subnet %s: it should be %s/%d", subnet, want,
                         prefix);
    }
    uint32_t bcast = p->net | ~p->mask;
    p->lo = p->net + 1;
    p->hi = bcast - 1;
    if (ip_range && *ip_range) {
        uint32_t r;
        int rp;
        if (ipam_parse_cidr(ip_range, &r, &rp, err) < 0)
            return -1;
        if (rp < prefix || (r & p->mask) != p->net)
            return pier_fail(err, EINVAL, "invalid ip-range %s: it must be within subnet %s",
                             ip_range, subnet);
        uint32_t rm = ipam_mask(rp);
        if (rp < 31) {
            p->lo = (r & rm) > p->lo ? (r & rm) : p->lo;
            p->hi = ((r & rm) | ~rm) < p->hi ? ((r & rm) | ~rm) : p->hi;
        } else {
            p->lo = p->hi = r;
        }
    }
    if (gateway && *gateway) {
        if (ipam_parse_ip(gateway, &p->gw) < 0)
            return pier_fail(err, EINVAL, "invalid gateway address %s", gateway);
        if ((p->gw & p->mask) != p->net || p->gw == p->net || p->gw == bcast)
            return pier_fail(err, EINVAL, "invalid gateway %s: it must be within subnet %s",
                             gateway, subnet);
    } else {
        p->gw = p->net + 1;
    }
    p->next = p->lo;
    return 0;
}

void ipam_pool_free(struct ipam_pool *p)
{
    free(p->used);
    p->used = NULL;
    p->nused = p->capused = 0;
}

bool ipam_in_subnet(const struct ipam_pool *p, uint32_t a)
{
    return (a & p->mask) == p->net && a != p->net && a != (p->net | ~p->mask);
}

/* the index where a is or would go */
static size_t find(const struct ipam_pool *p, uint32_t a)
{
    size_t lo = 0, hi = p->nused;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->used[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool ipam_is_used(const struct ipam_pool *p, uint32_t a)
{
    size_t i = find(p, a);
    return a == p->gw || (i < p->nused && p->used[i] == a);
}

static int insert(struct ipam_pool *p, uint32_t a, pier_err_t *err)
{
    if (p->nused == p->capused) {
        size_t cap = p->capused ? p->capused * 2 : 16;
        uint32_t *n = realloc(p->used, cap * sizeof *n);
        if (n == NULL)
            return pier_error(err, ENOMEM, "address pool");
        p->used = n;
        p->capused = cap;
    }
    size_t i = find(p, a);
    memmove(p->used + i + 1, p->used + i, (p->nused - i) * sizeof *p->used);
    p->used[i] = a;
    p->nused++;
    return 0;
}

int ipam_alloc(struct ipam_pool *p, uint32_t want, uint32_t *out, pier_err_t *err)
{
    char s[16];
    if (want != 0) {
        ipam_fmt(want, s);
        if (!ipam_in_subnet(p, want))
            return pier_fail(err, EINVAL,
                             "no configured subnet or ip-range contain the IP address %s", s);
        if (ipam_is_used(p, want))
            return pier_fail(err, EEXIST, "Address already in use");
        if (insert(p, want, err) < 0)
            return -1;
        *out = want;
        return 0;
    }
    uint64_t span = (uint64_t)p->hi - p->lo + 1;
    uint32_t a = p->next < p->lo || p->next > p->hi ? p->lo : p->next;
    for (uint64_t k = 0; k < span; k++) {
        if (!ipam_is_used(p, a)) {
            if (insert(p, a, err) < 0)
                return -1;
            p->next = a == p->hi ? p->lo : a + 1;
            *out = a;
            return 0;
        }
        a = a == p->hi ? p->lo : a + 1;
    }
    return pier_fail(err, ENOSPC, "no available IPv4 addresses on this network's address pools");
}

int ipam_reserve(struct ipam_pool *p, uint32_t a, pier_err_t *err)
{
    if (!ipam_in_subnet(p, a))
        return pier_fail(err, EINVAL, "address outside the subnet");
    size_t i = find(p, a);
    if (i < p->nused && p->used[i] == a)
        return 0;
    return insert(p, a, err);
}

void ipam_release(struct ipam_pool *p, uint32_t a)
{
    size_t i = find(p, a);
    if (i < p->nused && p->used[i] == a) {
        memmove(p->used + i, p->used + i + 1, (p->nused - i - 1) * sizeof *p->used);
        p->nused--;
    }
}
