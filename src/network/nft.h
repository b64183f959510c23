/* pier's own nftables table (one per daemon): masquerade and forwarding
 * for its bridge networks.  Rules in other tables are never touched. */
#ifndef PIER_NETWORK_NFT_H
#define PIER_NETWORK_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

struct nft_bridge {
    const char *bridge; /* the interface */
    const char *subnet; /* "172.17.0.0/16" */
    bool internal;
};

/* The table's whole text for these bridges (NULL when there are none: the
 * table goes); heap. */
char *nft_ruleset(const char *table, const struct nft_bridge *b, size_t n);
/* Replace the table with the rules for these bridges, in one transaction;
 * none: the table is deleted. */
int nft_apply(const char *table, const struct nft_bridge *b, size_t n, pier_err_t *err);
/* Run an nft script (one transaction) about table, through the process's
 * one libnftables context. */
int nft_run(const char *table, const char *script, pier_err_t *err);
/* Free the context nft_run keeps (its caches hold ~1 MB of heap), for
 * an idle daemon; the next run makes another. */
void nft_release(void);
/* 1 if pier's table (family ip) is in the kernel, 0 if not: one netlink
 * request, where an nft run would first make a libnftables context and read
 * the whole ruleset. */
int nft_table_exists(const char *table, pier_err_t *err);

#endif
