/* IPv4 address management for one network: its subnet, gateway and
 * allocation range, and the addresses its endpoints hold.  Pure: no I/O,
 * so that the rules (docker's) are unit-tested. */
#ifndef PIER_NETWORK_IPAM_H
#define PIER_NETWORK_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* Addresses in host byte order. */
struct ipam_pool {
    uint32_t net, mask;
    int prefix;
    uint32_t gw;
    uint32_t lo, hi; /* what may be handed out, inclusive */
    uint32_t *used;  /* sorted */
    size_t nused, capused;
    uint32_t next; /* docker allocates serially: the search starts here */
};

/* "10.1.2.3" */
int ipam_parse_ip(const char *s, uint32_t *out);
/* "10.1.0.0/16": the address as written and its prefix length. */
int ipam_parse_cidr(const char *s, uint32_t *addr, int *prefix, pier_err_t *err);
void ipam_fmt(uint32_t a, char buf[16]);
uint32_t ipam_mask(int prefix);
bool ipam_overlaps(uint32_t n1, int p1, uint32_t n2, int p2);

/* The pool of subnet (required), gateway and ip_range (NULL or "": the
 * subnet's first address, the whole subnet), with docker's checks. */
int ipam_pool_init(struct ipam_pool *p, const char *subnet, const char *gateway,
                   const char *ip_range, pier_err_t *err);
void ipam_pool_free(struct ipam_pool *p);
bool ipam_in_subnet(const struct ipam_pool *p, uint32_t a);
bool ipam_is_used(const struct ipam_pool *p, uint32_t a);
/* want 0: the next free address of the range; else that one, which must be
 * in the subnet and free.  Errors: EINVAL (not in the subnet), EEXIST (in
 * use), ENOSPC (none left). */
int ipam_alloc(struct ipam_pool *p, uint32_t want, uint32_t *out, pier_err_t *err);
/* An address already held (found again after a restart): no error if it was. */
int ipam_reserve(struct ipam_pool *p, uint32_t a, pier_err_t *err);
void ipam_release(struct ipam_pool *p, uint32_t a);

#endif
