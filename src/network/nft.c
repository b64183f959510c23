/* The table is written whole on every change of pier's networks (a
 * network's creation or removal, pierd's start): one nft transaction that
 * replaces the table atomically, so that no rule of a network that is
 * gone can stay behind. */
#include "nft.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/buf.h"
#include "../lib/heap.h"

/* what an nft run allocates, about */
#define NFT_HEAP ((size_t)4 << 20)

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
static struct nft_ctx *shared;

static struct nft_ctx *shared_ctx(pier_err_t *err)
{
    if (shared == NULL) {
        /* A run takes some twenty blocks of 132 KiB (its netlink batch and
         * buffers): from the heap, mapped in one go, not each its own
         * mapping faulted in page by page and unmapped after (a first run
         * took 20 ms here, 2 ms so) */
        heap_prefault(NFT_HEAP);
        shared = nft_ctx_new(NFT_CTX_DEFAULT);
        if (shared == NULL) {
            pier_error(err, ENOMEM, "nftables context");
            return NULL;
        }
        nft_ctx_buffer_output(shared);
        nft_ctx_buffer_error(shared);
    }
    return shared;
}

void nft_release(void)
{
    if (shared != NULL)
        nft_ctx_free(shared);
    shared = NULL;
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

/* Send h on nl and read until its ack: 1 for the table, 0 for ENOENT. */
static int table_reply(struct mnl_socket *nl, struct nlmsghdr *h, const char *table,
                       pier_err_t *err)
{
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
        mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
        return pier_error(err, errno, "nftables table %s", table);
    unsigned portid = mnl_socket_get_portid(nl);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
        ssize_t r = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (r < 0)
            return pier_error(err, errno, "nftables table %s", table);
        /* the table's own message, then the ack: no callback needed */
        int cb = mnl_cb_run(buf, (size_t)r, h->nlmsg_seq, portid, NULL, NULL);
        if (cb < 0)
            return errno == ENOENT ? 0 : pier_error(err, errno, "nftables table %s", table);
        if (cb == MNL_CB_STOP)
            return 1;
    }
}

/* One NFT_MSG_GETTABLE: the kernel answers with the table or ENOENT. */
int nft_table_exists(const char *table, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
    h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = (unsigned)time(NULL);
    struct nfgenmsg *g = mnl_nlmsg_put_extra_header(h, sizeof *g);
    g->nfgen_family = NFPROTO_IPV4;
    g->version = NFNETLINK_V0;
    mnl_attr_put_strz(h, NFTA_TABLE_NAME, table);
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (nl == NULL)
        return pier_error(err, errno, "netfilter netlink socket");
    int rc = table_reply(nl, h, table, err);
    mnl_socket_close(nl);
    return rc;
}
