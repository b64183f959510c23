/* A container's endpoints: which networks it is on (docker's
 * NetworkSettings.Networks, kept in its record), their set-up in a network
 * namespace pierd makes at each start, and their removal at each exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../network/netns.h"
#include "../network/network.h"
#include "internal.h"

/* Keys of pier's own in an endpoint's JSON, never shown to clients. */
#define EP_IF "PierInterface"
#define EP_VETH "PierVeth"

static const char *const ep_runtime_keys[] = {"EndpointID", "Gateway", "IPAddress", "MacAddress"};

/* An endpoint not (yet) up: what the user asked for, the rest empty. */
static json_t *ep_new(const struct network *n, json_t *cfg)
{
    json_t *ipam = json_object_get(cfg, "IPAMConfig");
    json_t *aliases = json_object_get(cfg, "Aliases");
    json_t *ep = json_pack("{s:O, s:n, s:O, s:s, s:n, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i,"
                           " s:n}",
                           "IPAMConfig", json_is_object(ipam) ? ipam : json_null(), "Links",
                           "Aliases", json_is_array(aliases) ? aliases : json_null(), "MacAddress",
                           "", "DriverOpts", "GwPriority", 0, "NetworkID", n->id, "EndpointID", "",
                           "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
                           "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "DNSNames");
    return ep;
}

static void ep_clear(json_t *ep)
{
    for (size_t i = 0; i < ARRAY_SIZE(ep_runtime_keys); i++)
        json_object_set_new(ep, ep_runtime_keys[i], json_string(""));
    json_object_set_new(ep, "IPPrefixLen", json_integer(0));
    json_object_set_new(ep, "DNSNames", json_null());
    json_object_del(ep, EP_IF);
    json_object_del(ep, EP_VETH);
}

/* docker's DNSNames on a user-defined network: name, short id, aliases */
static json_t *dns_names(const struct container *c, const struct network *n, json_t *ep)
{
    if (n->predefined)
        return json_null();
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%.12s", c->id);
    json_t *a = json_pack("[s, s]", c->name, short_id);
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ep, "Aliases"), i, v)
        json_array_append(a, v);
    return a;
}

static bool user_ip(json_t *ep, uint32_t *addr)
{
    const char *ip =
        json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
    *addr = 0;
    return ip && *ip && ipam_parse_ip(ip, addr) == 0;
}

/* The checks of docker's create (and connect) on an endpoint's settings. */
static int ep_check(const struct network *n, json_t *cfg, pier_err_t *err)
{
    json_t *ipam = json_object_get(cfg, "IPAMConfig");
    const char *ip = json_string_value(json_object_get(ipam, "IPv4Address"));
    if (ip == NULL || *ip == '\0')
        return 0;
    if (n->predefined)
        return pier_fail(err, EINVAL,
                         "user specified IP address is supported on user defined networks only");
    uint32_t a;
    if (ipam_parse_ip(ip, &a) < 0)
        return pier_fail(err, EINVAL, "invalid endpoint settings:\ninvalid IPv4 address: %s", ip);
    /* anywhere in the subnet: an ip-range only bounds what is handed out */
    if (!ipam_in_subnet(&n->pool, a))
        return pier_fail(err, EINVAL,
                         "invalid endpoint settings:\nno configured subnet or ip-range contain "
                         "the IP address %s",
                         ip);
    return 0;
}

int ep_create(struct engine *e, struct container *c, json_t *networking, pier_err_t *err)
{
    const char *mode = json_string_value(json_object_get(c->host, "NetworkMode"));
    json_t *cfgs = json_object_get(networking, "EndpointsConfig");
    c->nets = json_object();
    if (mode == NULL || strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 ||
        strncmp(mode, "container:", 10) == 0)
        return 0;
    struct network *n;
    if (strcmp(mode, "default") == 0) {
        n = net_default(e->net);
        if (n == NULL) /* --bridge none: as dockerd, no network at all */
            return 0;
    } else if ((n = net_find(e->net, mode, err)) == NULL) {
        return -1;
    }
    if (strcmp(n->driver, "bridge") != 0)
        return 0;
    json_t *cfg = json_object_get(cfgs, mode);
    if (cfg == NULL)
        cfg = json_object_get(cfgs, n->name);
    if (ep_check(n, cfg, err) < 0)
        return -1;
    json_object_set_new(c->nets, n->name, ep_new(n, cfg));
    /* more networks at once (API 1.44 and later) */
    const char *key;
    json_t *v;
    json_object_foreach (cfgs, key, v) {
        if (strcmp(key, mode) == 0)
            continue;
        struct network *o = net_find(e->net, key, err);
        if (o == NULL)
            return -1;
        if (json_object_get(c->nets, o->name) || strcmp(o->driver, "bridge") != 0)
            continue;
        if (ep_check(o, v, err) < 0)
            return -1;
        json_object_set_new(c->nets, o->name, ep_new(o, v));
    }
    return 0;
}

static struct network *ep_network(struct engine *e, const char *name, json_t *ep)
{
    pier_err_t err = NULL;
    const char *id = json_string_value(json_object_get(ep, "NetworkID"));
    struct network *n = net_find(e->net, id ? id : name, &err);
    pier_error_free(&err);
    return n && strcmp(n->name, name) == 0 ? n : NULL;
}

/* The lowest ethN that no endpoint of c uses. */
static void free_ifname(struct container *c, char *buf, size_t cap)
{
    for (int i = 0;; i++) {
        snprintf(buf, cap, "eth%d", i);
        bool used = false;
        const char *k;
        json_t *ep;
        json_object_foreach (c->nets, k, ep) {
            const char *f = json_string_value(json_object_get(ep, EP_IF));
            used = used || (f && strcmp(f, buf) == 0);
        }
        if (!used)
            return;
    }
}

static bool has_default_route(struct engine *e, struct container *c)
{
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        struct network *n = ep_network(e, k, ep);
        if (n && !n->internal && json_object_get(ep, EP_IF))
            return true;
    }
    return false;
}

static int ep_up(struct engine *e, struct container *c, const char *name, json_t *ep,
                 struct nl *nsnl, int nsfd, pier_err_t *err)
{
    struct network *n = ep_network(e, name, ep);
    if (n == NULL)
        return pier_fail(err, ENOENT, "network %s not found", name);
    uint32_t want;
    user_ip(ep, &want);
    char ifname[16];
    free_ifname(c, ifname, sizeof ifname);
    bool route = !n->internal && !has_default_route(e, c);
    struct net_ep x;
    if (net_ep_up(e->net, n, nsnl, nsfd, ifname, want, route, &x, err) < 0)
        return pier_error_wrap(err, "failed to set up container networking");
    char ip[16], mac[18];
    ipam_fmt(x.addr, ip);
    net_mac_fmt(x.mac, mac);
    json_object_set_new(ep, "EndpointID", json_string(x.id));
    json_object_set_new(ep, "IPAddress", json_string(ip));
    json_object_set_new(ep, "IPPrefixLen", json_integer(n->pool.prefix));
    json_object_set_new(ep, "Gateway", json_string(n->gateway));
    json_object_set_new(ep, "MacAddress", json_string(mac));
    json_object_set_new(ep, "NetworkID", json_string(n->id));
    json_object_set_new(ep, "DNSNames", dns_names(c, n, ep));
    json_object_set_new(ep, EP_IF, json_string(ifname));
    json_object_set_new(ep, EP_VETH, json_string(x.veth));
    return 0;
}

/* ns_going: its namespace is removed next, and the veth with it */
static void ep_down(struct engine *e, struct container *c, const char *name, json_t *ep,
                    bool ns_going)
{
    (void)c;
    const char *veth = json_string_value(json_object_get(ep, EP_VETH));
    if (veth == NULL)
        return;
    struct net_ep x = {0};
    snprintf(x.veth, sizeof x.veth, "%s", veth);
    snprintf(x.id, sizeof x.id, "%s", json_string_value(json_object_get(ep, "EndpointID")));
    ipam_parse_ip(json_string_value(json_object_get(ep, "IPAddress")), &x.addr);
    net_ep_down(e->net, ep_network(e, name, ep), &x, !ns_going);
    ep_clear(ep);
}

void ep_netns_path(struct container *c, char *buf, size_t cap)
{
    net_ns_path(c->e->net, c->id, buf, cap);
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Whether the container publishes ports (-p, -P). */
static bool publishes(const struct container *c)
{
    return json_object_size(json_object_get(c->host, "PortBindings")) > 0 ||
           json_is_true(json_object_get(c->host, "PublishAllPorts"));
}

/* The endpoint its ports are published to: the first with an address,
 * its network's bridge and its veth. */
static json_t *ports_ep(struct engine *e, struct container *c, const struct network **net,
                        struct in_addr *ip)
{
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        const char *a = json_string_value(json_object_get(ep, "IPAddress"));
        const struct network *n = ep_network(e, k, ep);
        if (n && a && inet_pton(AF_INET, a, ip) == 1) {
            *net = n;
            return ep;
        }
    }
    return NULL;
}

/* Its published ports, DNAT to its first endpoint; that veth's bridge port
 * in hairpin mode, so that the container reaches its own published ports
 * (as docker does without its userland proxy). */
static int publish(struct engine *e, struct container *c, pier_err_t *err)
{
    const struct network *n;
    struct in_addr ip;
    json_t *ep = publishes(c) ? ports_ep(e, c, &n, &ip) : NULL;
    if (ep == NULL)
        return 0;
    if (nl_hairpin(&e->net->nl, json_string_value(json_object_get(ep, EP_VETH)), err) < 0 ||
        ct_ports_publish(e, c, n->bridge, ip, err) < 0)
        return pier_error_wrap(err, "failed to set up container networking");
    return 0;
}

void ep_restore_services(struct engine *e, struct container *c)
{
    const struct network *n;
    struct in_addr ip;
    pier_err_t err = NULL;
    if (ports_ep(e, c, &n, &ip) && ct_ports_restore(e, c, n->bridge, ip, &err) < 0)
        pier_warn("%s", pier_error_msg(err));
    pier_error_free(&err);
    if (!c->netns || !ep_user_network(c))
        return;
    char path[PATH_MAX];
    ep_netns_path(c, path, sizeof path);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        pier_error(&err, errno, "open `%s`", path);
    if (err == NULL && ct_dns_attach(e, c, fd, &err) < 0)
        pier_error_wrap(&err, "container %s", c->id);
    if (err != NULL)
        pier_warn("%s", pier_error_msg(err));
    pier_error_free(&err);
}

int ep_start(struct engine *e, struct container *c, pier_err_t *err)
{
    if (json_object_size(c->nets) == 0)
        return 0;
    long long t0 = now_us();
    char path[PATH_MAX];
    ep_netns_path(c, path, sizeof path);
    struct nl nsnl = {0};
    if (netns_create(path, &nsnl, err) < 0)
        return pier_error_wrap(err, "failed to set up container networking");
    c->netns = true;
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    int r = fd < 0 ? pier_error(err, errno, "open `%s`", path) : 0;
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        if (r == 0)
            r = ep_up(e, c, k, ep, &nsnl, fd, err);
    }
    nl_close(&nsnl);
    if (r == 0)
        r = publish(e, c, err);
    if (r == 0 && ct_dns_attach(e, c, fd, err) < 0)
        r = pier_error_wrap(err, "failed to set up container networking");
    if (r < 0)
        ep_stop(e, c);
    else
        pier_debug("%.12s: network set up in %lld us", c->id, now_us() - t0);
    return r;
}

void ep_stop(struct engine *e, struct container *c)
{
    long long t0 = now_us();
    bool any = c->netns;
    ct_dns_detach(e, c);
    ct_ports_unpublish(e, c);
    const char *k;
    json_t *ep;
    /* called when its process is gone (an exit, a removal, a start that
     * failed): nothing but the file's mount holds the namespace */
    json_object_foreach (c->nets, k, ep)
        ep_down(e, c, k, ep, c->netns);
    if (c->netns) {
        char path[PATH_MAX];
        ep_netns_path(c, path, sizeof path);
        netns_remove(path);
        c->netns = false;
    }
    if (any)
        pier_debug("%.12s: network taken down in %lld us", c->id, now_us() - t0);
}

void ep_restore(struct engine *e, struct container *c)
{
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        uint32_t a;
        struct network *n = ep_network(e, k, ep);
        if (n && json_object_get(ep, EP_VETH) &&
            ipam_parse_ip(json_string_value(json_object_get(ep, "IPAddress")), &a) == 0)
            net_ep_reserve(e->net, n, a);
    }
}

json_t *ep_networks_json(const struct container *c)
{
    json_t *out = json_object();
    const char *mode = json_string_value(json_object_get(c->host, "NetworkMode"));
    if (json_object_size(c->nets) == 0 && mode &&
        (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0)) {
        /* the predefined ones, as docker shows them */
        struct network *n = NULL;
        pier_err_t err = NULL;
        n = net_find(c->e->net, mode, &err);
        pier_error_free(&err);
        if (n) {
            json_t *ep = ep_new(n, NULL);
            json_object_set_new(out, n->name, ep);
        }
        return out;
    }
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        json_t *copy = json_deep_copy(ep);
        json_object_del(copy, EP_IF);
        json_object_del(copy, EP_VETH);
        json_object_set_new(out, k, copy);
    }
    return out;
}

/* The endpoint that docker's top-level NetworkSettings fields show: the
 * default bridge's. */
json_t *ep_primary(const struct container *c)
{
    return json_object_get(c->nets, "bridge");
}

const char *ep_first_ip(const struct container *c)
{
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        if (ip && *ip)
            return ip;
    }
    return NULL;
}

bool ep_user_network(const struct container *c)
{
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep)
        if (strcmp(k, "bridge") != 0)
            return true;
    return false;
}

bool ep_internal_only(const struct container *c)
{
    bool any = false;
    const char *k;
    json_t *ep;
    json_object_foreach (c->nets, k, ep) {
        const struct network *n = ep_network(c->e, k, ep);
        if (n == NULL || !n->internal)
            return false;
        any = true;
    }
    return any;
}

/* ---- restart of pierd ---- */

static bool keep_ns(void *data, const char *cid)
{
    struct container *c = ct_by_id(data, cid);
    return c && container_running(c) && c->netns;
}

static bool keep_veth(void *data, const char *veth)
{
    struct engine *e = data;
    for (struct container *c = e->containers; c; c = c->next) {
        if (!container_running(c))
            continue;
        const char *k;
        json_t *ep;
        json_object_foreach (c->nets, k, ep) {
            const char *v = json_string_value(json_object_get(ep, EP_VETH));
            if (v && strcmp(v, veth) == 0)
                return true;
        }
    }
    return false;
}

void ep_reconcile(struct engine *e)
{
    net_reconcile(e->net, keep_ns, keep_veth, e);
}

/* ---- connect, disconnect ---- */

int ep_connect(struct engine *e, struct container *c, struct network *n, json_t *cfg,
               pier_err_t *err)
{
    const char *mode = json_string_value(json_object_get(c->host, "NetworkMode"));
    if (mode && strcmp(mode, "host") == 0)
        return pier_fail(err, EPERM,
                         "container cannot be disconnected from host network or connected to "
                         "host network");
    if (mode && (strcmp(mode, "none") == 0 || strncmp(mode, "container:", 10) == 0))
        return pier_fail(err, EPERM,
                         "container sharing network namespace with another container or host "
                         "cannot be connected to any other network");
    if (strcmp(n->driver, "bridge") != 0)
        return pier_fail(err, EPERM,
                         "container cannot be disconnected from host network or connected to "
                         "host network");
    if (json_object_get(c->nets, n->name))
        return pier_fail(err, EPERM, "endpoint with name %s already exists in network %s", c->name,
                         n->name);
    if (ep_check(n, cfg, err) < 0)
        return -1;
    if (container_running(c) && !c->netns)
        return pier_fail(err, EPERM,
                         "container %s runs without a network namespace of pierd's (started "
                         "with no network)",
                         c->name);
    json_t *ep = ep_new(n, cfg);
    json_object_set_new(c->nets, n->name, ep);
    if (container_running(c)) {
        char path[PATH_MAX];
        ep_netns_path(c, path, sizeof path);
        struct nl nsnl = {0};
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r =
            fd < 0 ? pier_error(err, errno, "open `%s`", path) : netns_enter_nl(path, &nsnl, err);
        if (r == 0)
            r = ep_up(e, c, n->name, ep, &nsnl, fd, err);
        nl_close(&nsnl);
        if (r == 0 && ct_dns_attach(e, c, fd, err) < 0)
            r = pier_error_wrap(err, "failed to set up container networking");
        if (r < 0) {
            json_object_del(c->nets, n->name);
            return -1;
        }
    }
    if (ct_save(c, err) < 0)
        return -1;
    return 0;
}

int ep_disconnect(struct engine *e, struct container *c, struct network *n, pier_err_t *err)
{
    json_t *ep = json_object_get(c->nets, n->name);
    if (ep == NULL) {
        const char *mode = json_string_value(json_object_get(c->host, "NetworkMode"));
        if (mode && strcmp(mode, n->name) == 0 && n->predefined)
            return pier_fail(err, EPERM,
                             "container cannot be disconnected from host network or connected "
                             "to host network");
        return pier_fail(err, EPERM, "container %s is not connected to network %s", c->id, n->name);
    }
    ep_down(e, c, n->name, ep, false);
    json_object_del(c->nets, n->name);
    if (!ep_user_network(c))
        ct_dns_detach(e, c);
    return ct_save(c, err);
}
