/* The table is written whole on every change of pier's networks (a
 * network's creation or removal, pierd's start): one nft transaction that
 * replaces the table atomically, so that no rule of a network that is
 * gone can stay behind. */
#include "nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/buf.h"

char *nft_ruleset(const char *table, const struct nft_bridge *b, size_t n)
{
    struct buf t = BUF_INIT;
    /* an add first, so that the delete never fails on a missing table */
    buf_printf(&t, "add table ip %s\ndelete table ip %s\n", table, table);
    if (n > 0) {
        buf_printf(&t,
                   "table ip %s {\n"
                   "  chain forward {\n"
                   "    type filter hook forward priority filter; policy accept;\n",
                   table);
        for (size_t i = 0; i < n; i++) {
            const char *br = b[i].bridge;
            buf_printf(&t, "    iifname \"%s\" oifname \"%s\" accept\n", br, br);
            if (b[i].internal)
                buf_printf(&t, "    iifname \"%s\" drop\n    oifname \"%s\" drop\n", br, br);
            else
                buf_printf(&t,
                           "    iifname \"%s\" accept\n"
                           "    oifname \"%s\" ct state related,established accept\n",
                           br, br);
        }
        buf_printf(&t, "  }\n"
                       "  chain postrouting {\n"
                       "    type nat hook postrouting priority srcnat; policy accept;\n");
        for (size_t i = 0; i < n; i++)
            if (!b[i].internal)
                buf_printf(&t, "    ip saddr %s oifname != \"%s\" masquerade\n", b[i].subnet,
                           b[i].bridge);
        buf_printf(&t, "  }\n}\n");
    }
    if (t.failed) {
        buf_free(&t);
        return NULL;
    }
    return buf_steal(&t);
}

/* One libnftables context for the process: making one reads
 * /etc/iproute2 and opens netlink sockets, milliseconds that pierd's
 * start paid once per table.  Only pierd's loop runs nft. */
static struct nft_ctx *shared_ctx(pier_err_t *err)
{
    static struct nft_ctx *ctx;
    if (ctx == NULL) {
        ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (ctx == NULL) {
            pier_error(err, ENOMEM, "nftables context");
            return NULL;
        }
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
    }
    return ctx;
}

int nft_run(const char *table, const char *script, pier_err_t *err)
{
    struct nft_ctx *ctx = shared_ctx(err);
    if (ctx == NULL)
        return -1;
    if (nft_run_cmd_from_buffer(ctx, script) == 0)
        return 0;
    /* the first line says what went wrong; the rest quotes the script */
    const char *why = nft_ctx_get_error_buffer(ctx);
    why = why && *why ? why : "failed";
    return pier_fail(err, EIO, "nftables table %s: %.*s", table, (int)strcspn(why, "\n"), why);
}

int nft_apply(const char *table, const struct nft_bridge *b, size_t n, pier_err_t *err)
{
    char *text = nft_ruleset(table, b, n);
    if (text == NULL)
        return pier_error(err, ENOMEM, "nftables rules");
    int r = nft_run(table, text, err);
    free(text);
    return r;
}
