/* pierd's networks: the predefined bridge, host and none, and user-defined
 * bridge networks (their records on disk, their bridges, their address
 * pools and their nftables rules); and the endpoints that join containers
 * to them.  Knows nothing of containers but their ids: src/engine keeps
 * which container has which endpoint. */
#ifndef PIER_NETWORK_H
#define PIER_NETWORK_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "ipam.h"
#include "netlink.h"

struct net_opts {
    const char *data_root;
    const char *exec_root;
    const char *bridge; /* the default bridge's interface; "none": no default bridge */
    const char *bip;    /* its gateway/prefix, "172.17.0.1/16"; NULL: chosen */
};

struct network {
    char id[65];
    char *name;
    char *created;
    char driver[16]; /* bridge, host, null */
    bool internal;
    bool predefined;
    json_t *labels, *options;
    char bridge[16]; /* the interface (bridge driver) */
    char subnet[24], gateway[16], ip_range[24];
    struct ipam_pool pool;
    struct network *next;
};

struct net_mgr {
    char dir[PATH_MAX];    /* data-root/networks */
    char ns_dir[PATH_MAX]; /* exec-root/netns */
    char table[64];        /* pier's nftables table */
    struct nl nl;          /* in pierd's namespace */
    struct network *nets;
};

int net_open(const struct net_opts *o, struct net_mgr **out, pier_err_t *err);
void net_close(struct net_mgr *m);

/* By full id, name, or unique id prefix (docker's order); ENOENT with
 * docker's "network X not found". */
struct network *net_find(struct net_mgr *m, const char *ref, pier_err_t *err);
/* The default bridge network ("bridge"), or NULL when disabled. */
struct network *net_default(struct net_mgr *m);

struct net_create {
    const char *name, *driver;
    bool internal;
    json_t *labels, *options; /* borrowed */
    const char *subnet, *gateway, *ip_range;
};
int net_create(struct net_mgr *m, const struct net_create *c, struct network **out,
               pier_err_t *err);
/* Docker's NetworkCreateRequest (untrusted) into c, whose strings point
 * into body; errors (EINVAL) name the field. */
int net_create_parse(json_t *body, struct net_create *c, pier_err_t *err);
/* Removes its bridge, rules and record (the caller checked it is unused). */
int net_remove(struct net_mgr *m, struct network *n, pier_err_t *err);
/* Docker's network object, its Containers left empty. */
json_t *net_json(const struct network *n);

/* ---- endpoints ---- */

struct net_ep {
    char id[65];
    char veth[16]; /* the host's end */
    uint32_t addr;
    uint8_t mac[6];
};

/* exec-root/netns/<container id> */
void net_ns_path(struct net_mgr *m, const char *cid, char *buf, size_t cap);
/* An endpoint of n in the namespace that nsnl talks to and netns_fd is:
 * an address (want, or the next free), a veth pair (ifname inside), the
 * address and the default route (when default_route) inside.  On error
 * nothing stays. */
int net_ep_up(struct net_mgr *m, struct network *n, struct nl *nsnl, int netns_fd,
              const char *ifname, uint32_t want, bool default_route, struct net_ep *ep,
              pier_err_t *err);
/* Its address released and, with del_link, its veth deleted (a deletion
 * waits for the kernel's RCU grace periods, ~10 ms: when the namespace
 * goes anyway, the kernel deletes the pair itself, in the background). */
void net_ep_down(struct net_mgr *m, struct network *n, const struct net_ep *ep, bool del_link);
/* After a restart: the address of a running container's endpoint is held. */
void net_ep_reserve(struct net_mgr *m, struct network *n, uint32_t addr);
/* Docker's MAC for an address: 02:42 and the address. */
void net_mac(uint32_t addr, uint8_t mac[6]);
void net_mac_fmt(const uint8_t mac[6], char buf[18]);

/* At start, once endpoints were reserved: namespaces of containers that
 * keep_ns does not name are removed; links on pier's bridges that keep_veth
 * does not name are deleted. */
void net_reconcile(struct net_mgr *m, bool (*keep_ns)(void *data, const char *cid),
                   bool (*keep_veth)(void *data, const char *veth), void *data);

#endif
