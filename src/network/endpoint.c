/* Endpoints: a veth pair from a network's bridge into a container's
 * namespace, with an address of the network's pool.  Set up on the loop at
 * each start (a handful of netlink requests), removed at each exit. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/ident.h"
#include "../lib/log.h"
#include "netns.h"
#include "network.h"

void net_ns_path(struct net_mgr *m, const char *cid, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", m->ns_dir, cid);
}

void net_mac(uint32_t addr, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    mac[2] = (uint8_t)(addr >> 24);
    mac[3] = (uint8_t)(addr >> 16);
    mac[4] = (uint8_t)(addr >> 8);
    mac[5] = (uint8_t)addr;
}

void net_mac_fmt(const uint8_t mac[6], char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

int net_ep_up(struct net_mgr *m, struct network *n, struct nl *nsnl, int netns_fd,
              const char *ifname, uint32_t want, bool default_route, struct net_ep *ep,
              pier_err_t *err)
{
    if (pier_random_id(ep->id) < 0)
        return pier_error(err, errno, "endpoint id");
    snprintf(ep->veth, sizeof ep->veth, "veth%.7s", ep->id);
    if (ipam_alloc(&n->pool, want, &ep->addr, err) < 0)
        return -1;
    net_mac(ep->addr, ep->mac);
    int master = nl_ifindex(&m->nl, n->bridge, err);
    if (master <= 0) {
        ipam_release(&n->pool, ep->addr);
        return master < 0 ? -1
                          : pier_error(err, ENODEV, "bridge %s of network %s", n->bridge, n->name);
    }
    if (nl_veth_add(&m->nl, ep->veth, master, ifname, ep->mac, netns_fd, err) < 0) {
        ipam_release(&n->pool, ep->addr);
        return -1;
    }
    int index = nl_ifindex(nsnl, ifname, err);
    if (index <= 0 || nl_addr_add(nsnl, index, ep->addr, n->pool.prefix, err) < 0 ||
        nl_link_up(nsnl, index, err) < 0 ||
        (default_route && nl_route_default(nsnl, n->pool.gw, err) < 0)) {
        if (index == 0)
            pier_error(err, ENODEV, "%s in the container's namespace", ifname);
        net_ep_down(m, n, ep, true);
        return -1;
    }
    return 0;
}

void net_ep_down(struct net_mgr *m, struct network *n, const struct net_ep *ep, bool del_link)
{
    pier_err_t err = NULL;
    if (del_link && ep->veth[0] && nl_link_del(&m->nl, ep->veth, &err) < 0) {
        pier_warn("endpoint %.12s: %s", ep->id, pier_error_msg(err));
        pier_error_free(&err);
    }
    if (n && ep->addr)
        ipam_release(&n->pool, ep->addr);
}

void net_ep_reserve(struct net_mgr *m, struct network *n, uint32_t addr)
{
    (void)m;
    pier_err_t err = NULL;
    if (ipam_reserve(&n->pool, addr, &err) < 0) {
        pier_warn("network %s: %s", n->name, pier_error_msg(err));
        pier_error_free(&err);
    }
}

struct sweep {
    struct net_mgr *m;
    bool (*keep)(void *data, const char *veth);
    void *data;
    char gone[64][16];
    int n;
};

static void sweep_link(void *data, const char *name)
{
    struct sweep *s = data;
    if (!s->keep(s->data, name) && s->n < 64)
        snprintf(s->gone[s->n++], sizeof s->gone[0], "%s", name);
}

void net_reconcile(struct net_mgr *m, bool (*keep_ns)(void *data, const char *cid),
                   bool (*keep_veth)(void *data, const char *veth), void *data)
{
    DIR *d = opendir(m->ns_dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || keep_ns(data, de->d_name))
            continue;
        char path[PATH_MAX];
        net_ns_path(m, de->d_name, path, sizeof path);
        pier_debug("remove the stale network namespace %s", path);
        netns_remove(path);
    }
    if (d)
        closedir(d);
    for (struct network *n = m->nets; n; n = n->next) {
        if (strcmp(n->driver, "bridge") != 0)
            continue;
        pier_err_t err = NULL;
        int master = nl_ifindex(&m->nl, n->bridge, &err);
        struct sweep s = {.m = m, .keep = keep_veth, .data = data};
        if (master <= 0 || nl_links_of(&m->nl, master, sweep_link, &s, &err) < 0) {
            pier_error_free(&err);
            continue;
        }
        for (int i = 0; i < s.n; i++) {
            pier_debug("delete the stale link %s of network %s", s.gone[i], n->name);
            if (nl_link_del(&m->nl, s.gone[i], &err) < 0)
                pier_error_free(&err);
        }
    }
}
