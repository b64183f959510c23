/* IPAM: docker's pools (gateway, network and broadcast never handed out,
 * serial allocation, --ip checks) and the nftables text of pier's table. */
#include <errno.h>
#include <stdlib.h>

#include "../../src/network/ipam.h"
#include "../../src/network/nft.h"
#include "unit.h"

static uint32_t ip(const char *s)
{
    uint32_t a = 0;
    ipam_parse_ip(s, &a);
    return a;
}

static const char *fmt(uint32_t a)
{
    static char buf[4][16];
    static int k;
    k = (k + 1) % 4;
    ipam_fmt(a, buf[k]);
    return buf[k];
}

TEST(ipam_cidr_parsing)
{
    uint32_t a;
    int p;
    pier_err_t err = NULL;
    CHECK(ipam_parse_cidr("10.1.2.0/24", &a, &p, &err) == 0);
    CHECK_STR(fmt(a), "10.1.2.0");
    CHECK(p == 24);
    static const char *const bad[] = {"10.1.2.0", "10.1.2.0/",   "10.1.2.0/33", "10.1.2/24",
                                      "x/24",     "10.1.2.0/2x", "/24",         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(ipam_parse_cidr(bad[i], &a, &p, &err) < 0);
        CHECK_CONTAINS(pier_error_msg(err), "invalid CIDR address");
        pier_error_free(&err);
    }
    CHECK(ipam_overlaps(ip("10.1.0.0"), 16, ip("10.1.200.0"), 24));
    CHECK(!ipam_overlaps(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16));
    CHECK(ipam_overlaps(ip("0.0.0.0"), 0, ip("10.2.0.0"), 16));
}

TEST(ipam_pool_checks)
{
    struct ipam_pool p;
    pier_err_t err = NULL;
    CHECK(ipam_pool_init(&p, "10.1.2.3/24", NULL, NULL, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid subnet 10.1.2.3/24: it should be 10.1.2.0/24");
    pier_error_free(&err);
    CHECK(ipam_pool_init(&p, "10.1.2.0/24", "10.1.3.1", NULL, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "it must be within subnet 10.1.2.0/24");
    pier_error_free(&err);
    CHECK(ipam_pool_init(&p, "10.1.2.0/24", "10.1.2.255", NULL, &err) < 0);
    pier_error_free(&err);
    CHECK(ipam_pool_init(&p, "10.1.2.0/24", NULL, "10.1.3.0/25", &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "invalid ip-range 10.1.3.0/25");
    pier_error_free(&err);
    CHECK(ipam_pool_init(&p, "10.1.2.0/31", NULL, NULL, &err) < 0);
    pier_error_free(&err);
    CHECK(ipam_pool_init(&p, "10.1.2.0/24", NULL, NULL, &err) == 0);
    CHECK_STR(fmt(p.gw), "10.1.2.1");
    ipam_pool_free(&p);
}

TEST(ipam_allocates_serially_past_the_gateway)
{
    struct ipam_pool p;
    pier_err_t err = NULL;
    CHECK(ipam_pool_init(&p, "10.1.2.0/29", "10.1.2.3", NULL, &err) == 0);
    uint32_t a[8];
    /* .1 .2 .4 .5 .6: not .0, .3 (gateway) nor .7 (broadcast) */
    static const char *const want[] = {"10.1.2.1", "10.1.2.2", "10.1.2.4", "10.1.2.5", "10.1.2.6"};
    for (int i = 0; i < 5; i++) {
        CHECK(ipam_alloc(&p, 0, &a[i], &err) == 0);
        CHECK_STR(fmt(a[i]), want[i]);
    }
    CHECK(ipam_alloc(&p, 0, &a[5], &err) < 0);
    CHECK(err->errnum == ENOSPC);
    pier_error_free(&err);
    /* one released is handed out again only once the search wraps */
    ipam_release(&p, a[1]);
    ipam_release(&p, a[3]);
    CHECK(ipam_alloc(&p, 0, &a[5], &err) == 0);
    CHECK_STR(fmt(a[5]), "10.1.2.2");
    CHECK(ipam_alloc(&p, 0, &a[6], &err) == 0);
    CHECK_STR(fmt(a[6]), "10.1.2.5");
    ipam_pool_free(&p);
}

TEST(ipam_requested_addresses)
{
    struct ipam_pool p;
    pier_err_t err = NULL;
    CHECK(ipam_pool_init(&p, "172.30.0.0/16", NULL, "172.30.5.0/24", &err) == 0);
    uint32_t a;
    CHECK(ipam_alloc(&p, 0, &a, &err) == 0);
    CHECK_STR(fmt(a), "172.30.5.0");
    /* --ip may be anywhere in the subnet, outside the range too */
    CHECK(ipam_alloc(&p, ip("172.30.9.9"), &a, &err) == 0);
    CHECK(ipam_alloc(&p, ip("172.30.9.9"), &a, &err) < 0);
    CHECK(err->errnum == EEXIST);
    CHECK_STR(pier_error_msg(err), "Address already in use");
    pier_error_free(&err);
    CHECK(ipam_alloc(&p, ip("172.30.0.1"), &a, &err) < 0); /* the gateway */
    pier_error_free(&err);
    CHECK(ipam_alloc(&p, ip("172.31.0.9"), &a, &err) < 0);
    CHECK(err->errnum == EINVAL);
    CHECK_STR(pier_error_msg(err),
              "no configured subnet or ip-range contain the IP address 172.31.0.9");
    pier_error_free(&err);
    /* a restart finds the addresses held again; twice is no error */
    CHECK(ipam_reserve(&p, ip("172.30.5.7"), &err) == 0);
    CHECK(ipam_reserve(&p, ip("172.30.5.7"), &err) == 0);
    CHECK(ipam_is_used(&p, ip("172.30.5.7")));
    CHECK(p.nused == 3);
    ipam_release(&p, ip("172.30.5.7"));
    CHECK(!ipam_is_used(&p, ip("172.30.5.7")));
    CHECK(ipam_reserve(&p, ip("10.0.0.1"), &err) < 0);
    pier_error_free(&err);
    ipam_pool_free(&p);
}

TEST(nft_table_text)
{
    struct nft_bridge b[] = {{"pier0", "172.17.0.0/16", false}, {"br-1", "10.5.0.0/24", true}};
    char *t = nft_ruleset("pier_pier0", b, 2);
    CHECK(t != NULL);
    CHECK_CONTAINS(t, "add table ip pier_pier0\ndelete table ip pier_pier0\n");
    CHECK_CONTAINS(t, "ip saddr 172.17.0.0/16 oifname != \"pier0\" masquerade");
    CHECK_CONTAINS(t, "iifname \"br-1\" drop");
    CHECK(strstr(t, "10.5.0.0/24") == NULL); /* internal: no masquerade */
    free(t);
    /* no bridges: the table only goes */
    t = nft_ruleset("pier_x", NULL, 0);
    CHECK_STR(t, "add table ip pier_x\ndelete table ip pier_x\n");
    free(t);
}
