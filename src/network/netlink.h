/* rtnetlink through libmnl: the links, addresses and routes of bridge
 * networks.  A socket works in the network namespace it was opened in. */
#ifndef PIER_NETWORK_NETLINK_H
#define PIER_NETWORK_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"

struct nl {
    struct mnl_socket *s;
    unsigned seq, portid;
};

int nl_open(struct nl *n, pier_err_t *err);
void nl_close(struct nl *n);
/* 0 if there is no such link. */
int nl_ifindex(struct nl *n, const char *name, pier_err_t *err);
/* A bridge, up; EEXIST is no error when it is a bridge already. */
int nl_bridge_add(struct nl *n, const char *name, pier_err_t *err);
int nl_link_del(struct nl *n, const char *name, pier_err_t *err);
int nl_link_up(struct nl *n, int ifindex, pier_err_t *err);
/* The bridge port `name` in hairpin mode: a frame may leave by the port it
 * came in by (through netlink: /sys/class/net is the netns of whoever
 * mounted /sys, not necessarily ours). */
int nl_hairpin(struct nl *n, const char *name, pier_err_t *err);
/* addr/prefix on ifindex; one present already is no error. */
int nl_addr_add(struct nl *n, int ifindex, uint32_t addr, int prefix, pier_err_t *err);
int nl_route_default(struct nl *n, uint32_t gw, pier_err_t *err);
/* A veth pair in one message: host_name up on the bridge master, its peer
 * (down) as peer_name with mac in the namespace netns_fd. */
int nl_veth_add(struct nl *n, const char *host_name, int master, const char *peer_name,
                const uint8_t mac[6], int netns_fd, pier_err_t *err);
/* The names of the links whose master is ifindex, each to fn. */
int nl_links_of(struct nl *n, int master, void (*fn)(void *data, const char *name), void *data,
                pier_err_t *err);

#endif
