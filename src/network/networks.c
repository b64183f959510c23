/* Networks: records under data-root/networks/<id>.json (written durably:
 * a network outlives reboots), the predefined ones made on first start,
 * and each bridge network's interface and rules made again at every
 * start. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/ident.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "network.h"
#include "nft.h"

#define RECORD_MAX (1u << 20)

static void net_free(struct network *n)
{
    if (n == NULL)
        return;
    free(n->name);
    free(n->created);
    if (n->labels)
        json_decref(n->labels);
    if (n->options)
        json_decref(n->options);
    ipam_pool_free(&n->pool);
    free(n);
}

static bool is_bridge(const struct network *n)
{
    return strcmp(n->driver, "bridge") == 0;
}

static json_t *record(const struct network *n)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:O, s:O, s:s, s:{s:s, s:s, s:s}}", "Id", n->id,
                     "Name", n->name, "Created", n->created, "Driver", n->driver, "Internal",
                     n->internal, "Labels", n->labels, "Options", n->options, "Bridge", n->bridge,
                     "IPAM", "Subnet", n->subnet, "Gateway", n->gateway, "IPRange", n->ip_range);
}

static int save(struct net_mgr *m, const struct network *n, pier_err_t *err)
{
    cleanup_close int dfd = open(m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", m->dir);
    cleanup_json json_t *j = record(n);
    char name[80];
    snprintf(name, sizeof name, "%s.json", n->id);
    if (j == NULL)
        return pier_error(err, ENOMEM, "network record");
    return pier_json_write_atomic_at(dfd, name, j, PIER_DURABLE, err);
}

static struct network *from_record(json_t *j)
{
    const char *id = json_string_value(json_object_get(j, "Id"));
    const char *name = json_string_value(json_object_get(j, "Name"));
    const char *driver = json_string_value(json_object_get(j, "Driver"));
    const char *created = json_string_value(json_object_get(j, "Created"));
    json_t *ipam = json_object_get(j, "IPAM");
    if (id == NULL || strlen(id) != 64 || name == NULL || driver == NULL)
        return NULL;
    struct network *n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    snprintf(n->id, sizeof n->id, "%s", id);
    n->name = strdup(name);
    n->created = strdup(created ? created : "");
    snprintf(n->driver, sizeof n->driver, "%s", driver);
    n->internal = json_is_true(json_object_get(j, "Internal"));
    json_t *l = json_object_get(j, "Labels"), *o = json_object_get(j, "Options");
    n->labels = json_is_object(l) ? json_incref(l) : json_object();
    n->options = json_is_object(o) ? json_incref(o) : json_object();
    const char *br = json_string_value(json_object_get(j, "Bridge"));
    snprintf(n->bridge, sizeof n->bridge, "%s", br ? br : "");
    const char *s = json_string_value(json_object_get(ipam, "Subnet"));
    const char *g = json_string_value(json_object_get(ipam, "Gateway"));
    const char *r = json_string_value(json_object_get(ipam, "IPRange"));
    snprintf(n->subnet, sizeof n->subnet, "%s", s ? s : "");
    snprintf(n->gateway, sizeof n->gateway, "%s", g ? g : "");
    snprintf(n->ip_range, sizeof n->ip_range, "%s", r ? r : "");
    if (n->name == NULL || n->created == NULL) {
        net_free(n);
        return NULL;
    }
    return n;
}

static void load_all(struct net_mgr *m)
{
    DIR *d = opendir(m->dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strlen(de->d_name) != 69 || strcmp(de->d_name + 64, ".json") != 0)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", m->dir, de->d_name);
        cleanup_json json_t *j = NULL;
        pier_err_t err = NULL;
        struct network *n = NULL;
        if (pier_json_load_file_at(AT_FDCWD, path, RECORD_MAX, &j, &err) < 0 ||
            (n = from_record(j)) == NULL) {
            pier_warn("network record %s: %s", path, err ? pier_error_msg(err) : "malformed");
            pier_error_free(&err);
            continue;
        }
        n->next = m->nets;
        m->nets = n;
    }
    closedir(d);
}

static struct network *by_name(struct net_mgr *m, const char *name)
{
    for (struct network *n = m->nets; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

struct network *net_find(struct net_mgr *m, const char *ref, pier_err_t *err)
{
    if (ref && *ref) {
        for (struct network *n = m->nets; n; n = n->next)
            if (strcmp(n->id, ref) == 0)
                return n;
        struct network *n = by_name(m, ref);
        if (n)
            return n;
        struct network *found = NULL;
        int count = 0;
        size_t len = strlen(ref);
        for (n = m->nets; n; n = n->next)
            if (len < 64 && strncmp(n->id, ref, len) == 0) {
                found = n;
                count++;
            }
        if (count == 1)
            return found;
        if (count > 1) {
            pier_fail(err, EINVAL, "network %s is ambiguous (%d matches found on id)", ref, count);
            return NULL;
        }
    }
    pier_fail(err, ENOENT, "network %s not found", ref ? ref : "");
    return NULL;
}

struct network *net_default(struct net_mgr *m)
{
    struct network *n = by_name(m, "bridge");
    return n && n->predefined ? n : NULL;
}

/* ---- subnets ---- */

/* Whether the subnet overlaps a route of the host's (but those on the
 * bridge that is to carry it) or another network's subnet. */
static bool subnet_taken(struct net_mgr *m, uint32_t net, int prefix, const char *own_bridge)
{
    for (struct network *n = m->nets; n; n = n->next) {
        uint32_t a;
        int p;
        if (n->subnet[0] && ipam_parse_cidr(n->subnet, &a, &p, NULL) == 0 &&
            ipam_overlaps(a, p, net, prefix) && strcmp(n->bridge, own_bridge) != 0)
            return true;
    }
    FILE *f = fopen("/proc/net/route", "re");
    if (f == NULL)
        return false;
    char line[512];
    bool taken = false;
    while (!taken && fgets(line, sizeof line, f)) {
        char iface[64];
        unsigned dst, flags, mask;
        if (sscanf(line, "%63s %x %*x %x %*d %*d %*d %x", iface, &dst, &flags, &mask) != 4)
            continue;
        if (mask == 0 || strcmp(iface, own_bridge) == 0)
            continue; /* the default route overlaps everything */
        uint32_t d = ntohl(dst), mk = ntohl(mask);
        int p = __builtin_popcount(mk);
        taken = ipam_overlaps(d, p, net, prefix);
    }
    fclose(f);
    return taken;
}

/* docker's default address pools: 172.17-31.0.0/16, then 192.168.0.0/20 in
 * steps of /20 */
static int pick_subnet(struct net_mgr *m, const char *own_bridge, char *out, size_t cap,
                       pier_err_t *err)
{
    for (int i = 17; i <= 31; i++) {
        uint32_t net = (172u << 24) | ((uint32_t)i << 16);
        if (!subnet_taken(m, net, 16, own_bridge)) {
            snprintf(out, cap, "172.%d.0.0/16", i);
            return 0;
        }
    }
    for (int i = 0; i < 256; i += 16) {
        uint32_t net = (192u << 24) | (168u << 16) | ((uint32_t)i << 8);
        if (!subnet_taken(m, net, 20, own_bridge)) {
            snprintf(out, cap, "192.168.%d.0/20", i);
            return 0;
        }
    }
    return pier_fail(err, ENOSPC, "all predefined address pools have been fully subnetted");
}

/* ---- bridges and rules ---- */

static int bridge_up(struct net_mgr *m, struct network *n, pier_err_t *err)
{
    if (nl_bridge_add(&m->nl, n->bridge, err) < 0)
        return -1;
    int index = nl_ifindex(&m->nl, n->bridge, err);
    if (index <= 0)
        return index < 0 ? -1 : pier_error(err, ENODEV, "bridge %s", n->bridge);
    return nl_addr_add(&m->nl, index, n->pool.gw, n->pool.prefix, err);
}

static int by_bridge(const void *a, const void *b)
{
    return strcmp(((const struct nft_bridge *)a)->bridge, ((const struct nft_bridge *)b)->bridge);
}

static int rules(struct net_mgr *m, pier_err_t *err)
{
    struct nft_bridge b[256] = {0};
    size_t k = 0;
    bool forward = false;
    for (struct network *n = m->nets; n && k < ARRAY_SIZE(b); n = n->next) {
        if (!is_bridge(n))
            continue;
        b[k++] = (struct nft_bridge){n->bridge, n->subnet, n->internal};
        forward = forward || !n->internal;
    }
    /* the same networks make the same table, whatever their order here */
    qsort(b, k, sizeof *b, by_bridge);
    /* no bridge and no table left from before: nothing to run */
    pier_err_t probe = NULL;
    if (k == 0 && nft_table_exists(m->table, &probe) == 0)
        return 0;
    pier_error_free(&probe);
    if (nft_apply(m->table, b, k, err) < 0)
        return -1;
    /* as dockerd: forwarding on when a network needs it, never off */
    if (forward) {
        cleanup_free char *v = NULL;
        pier_err_t e2 = NULL;
        if (pier_read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", 16, &v, NULL, &e2) < 0 ||
            v[0] != '1') {
            pier_error_free(&e2);
            if (pier_write_string_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
                return -1;
        }
    }
    return 0;
}

static int pool_of(struct network *n, pier_err_t *err)
{
    ipam_pool_free(&n->pool);
    if (ipam_pool_init(&n->pool, n->subnet, n->gateway, n->ip_range, err) < 0)
        return pier_error_wrap(err, "network %s", n->name);
    if (n->gateway[0] == '\0')
        ipam_fmt(n->pool.gw, n->gateway);
    return 0;
}

/* ---- the predefined networks ---- */

static struct network *predefined(struct net_mgr *m, const char *name, const char *driver,
                                  pier_err_t *err)
{
    struct network *n = by_name(m, name);
    if (n == NULL) {
        n = calloc(1, sizeof *n);
        if (n == NULL || pier_random_id(n->id) < 0 || (n->name = strdup(name)) == NULL ||
            (n->created = pier_now_rfc3339()) == NULL) {
            net_free(n);
            pier_error(err, ENOMEM, "network %s", name);
            return NULL;
        }
        n->labels = json_object();
        n->options = json_object();
        n->next = m->nets;
        m->nets = n;
    }
    n->predefined = true;
    snprintf(n->driver, sizeof n->driver, "%s", driver);
    return n;
}

static int default_bridge(struct net_mgr *m, const struct net_opts *o, pier_err_t *err)
{
    struct network *n = predefined(m, "bridge", "bridge", err);
    if (n == NULL)
        return -1;
    snprintf(n->bridge, sizeof n->bridge, "%s", o->bridge);
    n->ip_range[0] = '\0';
    if (o->bip && *o->bip) {
        uint32_t gw;
        int prefix;
        if (ipam_parse_cidr(o->bip, &gw, &prefix, err) < 0)
            return pier_error_wrap(err, "--bip");
        char net[16];
        ipam_fmt(gw & ipam_mask(prefix), net);
        snprintf(n->subnet, sizeof n->subnet, "%s/%d", net, prefix);
        ipam_fmt(gw, n->gateway);
    } else {
        n->subnet[0] = n->gateway[0] = '\0';
        if (pick_subnet(m, n->bridge, n->subnet, sizeof n->subnet, err) < 0)
            return -1;
    }
    json_decref(n->options);
    n->options = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s}", "com.docker.network.bridge.default_bridge", "true",
        "com.docker.network.bridge.enable_icc", "true",
        "com.docker.network.bridge.enable_ip_masquerade", "true",
        "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0", "com.docker.network.bridge.name",
        n->bridge, "com.docker.network.driver.mtu", "1500");
    return 0;
}

/* A table name nft's syntax takes as it is. */
static void table_name(const struct net_opts *o, char *out, size_t cap)
{
    char base[32];
    if (o->bridge && strcmp(o->bridge, "none") != 0) {
        snprintf(base, sizeof base, "%s", o->bridge);
    } else {
        /* no bridge to name it after: the exec root, unique to a pierd */
        uint32_t h = 2166136261u;
        for (const char *p = o->exec_root; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        snprintf(base, sizeof base, "%08x", h);
    }
    for (char *p = base; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            *p = '_';
    snprintf(out, cap, "pier_%s", base);
}

int net_open(const struct net_opts *o, struct net_mgr **out, pier_err_t *err)
{
    struct net_mgr *m = calloc(1, sizeof *m);
    if (m == NULL)
        return pier_error(err, ENOMEM, "networks");
    snprintf(m->dir, sizeof m->dir, "%s/networks", o->data_root);
    snprintf(m->ns_dir, sizeof m->ns_dir, "%s/netns", o->exec_root);
    table_name(o, m->table, sizeof m->table);
    const char *bridge = o->bridge && *o->bridge ? o->bridge : "pier0";
    if (strlen(bridge) > 15) {
        free(m);
        return pier_fail(err, EINVAL, "--bridge %s: an interface name has at most 15 characters",
                         bridge);
    }
    if (pier_mkdir_p(m->dir, 0700, err) < 0 || pier_mkdir_p(m->ns_dir, 0700, err) < 0 ||
        nl_open(&m->nl, err) < 0) {
        free(m);
        return -1;
    }
    load_all(m);
    struct net_opts dflt = *o;
    dflt.bridge = bridge;
    bool with_bridge = strcmp(bridge, "none") != 0;
    if (!with_bridge) {
        /* as dockerd with --bridge=none: there is no "bridge" network */
        for (struct network **p = &m->nets; *p; p = &(*p)->next)
            if (strcmp((*p)->name, "bridge") == 0) {
                struct network *gone = *p;
                *p = gone->next;
                net_free(gone);
                break;
            }
    }
    struct network *host = predefined(m, "host", "host", err);
    struct network *none = host ? predefined(m, "none", "null", err) : NULL;
    if (none == NULL || (with_bridge && default_bridge(m, &dflt, err) < 0) ||
        save(m, host, err) < 0 || save(m, none, err) < 0 ||
        (with_bridge && save(m, net_default(m), err) < 0))
        goto fail;
    for (struct network *n = m->nets; n; n = n->next) {
        if (!is_bridge(n))
            continue;
        if (pool_of(n, err) < 0 || bridge_up(m, n, err) < 0)
            goto fail;
    }
    if (rules(m, err) < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    net_close(m);
    return -1;
}

void net_close(struct net_mgr *m)
{
    if (m == NULL)
        return;
    while (m->nets) {
        struct network *n = m->nets;
        m->nets = n->next;
        net_free(n);
    }
    nl_close(&m->nl);
    free(m);
}

/* ---- user-defined networks ---- */

int net_create(struct net_mgr *m, const struct net_create *c, struct network **out, pier_err_t *err)
{
    const char *driver = c->driver && *c->driver ? c->driver : "bridge";
    if (!pier_name_valid(c->name))
        return pier_fail(err, EINVAL,
                         "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                         c->name ? c->name : "");
    if (strcmp(c->name, "bridge") == 0 || strcmp(c->name, "host") == 0 ||
        strcmp(c->name, "none") == 0) {
        if (by_name(m, c->name))
            return pier_fail(err, EEXIST, "network with name %s already exists", c->name);
        return pier_fail(err, EPERM, "%s is a pre-defined network and cannot be created", c->name);
    }
    if (by_name(m, c->name))
        return pier_fail(err, EEXIST, "network with name %s already exists", c->name);
    if (strcmp(driver, "bridge") != 0)
        return pier_fail(err, ENOENT, "plugin \"%s\" not found", driver);
    if ((c->gateway && *c->gateway && !(c->subnet && *c->subnet)) ||
        (c->ip_range && *c->ip_range && !(c->subnet && *c->subnet)))
        return pier_fail(err, EINVAL, "invalid pool request: a gateway or ip-range needs a subnet");
    struct network *n = calloc(1, sizeof *n);
    if (n == NULL || pier_random_id(n->id) < 0 || (n->name = strdup(c->name)) == NULL ||
        (n->created = pier_now_rfc3339()) == NULL) {
        net_free(n);
        return pier_error(err, ENOMEM, "network");
    }
    snprintf(n->driver, sizeof n->driver, "bridge");
    snprintf(n->bridge, sizeof n->bridge, "br-%.12s", n->id);
    n->internal = c->internal;
    n->labels = json_is_object(c->labels) ? json_deep_copy(c->labels) : json_object();
    n->options = json_is_object(c->options) ? json_deep_copy(c->options) : json_object();
    int r = 0;
    if (c->subnet && *c->subnet) {
        snprintf(n->subnet, sizeof n->subnet, "%s", c->subnet);
        snprintf(n->gateway, sizeof n->gateway, "%s", c->gateway ? c->gateway : "");
        snprintf(n->ip_range, sizeof n->ip_range, "%s", c->ip_range ? c->ip_range : "");
        if (strlen(c->subnet) >= sizeof n->subnet ||
            (c->gateway && strlen(c->gateway) >= sizeof n->gateway) ||
            (c->ip_range && strlen(c->ip_range) >= sizeof n->ip_range))
            r = pier_fail(err, EINVAL, "invalid address in IPAM config");
    } else {
        r = pick_subnet(m, n->bridge, n->subnet, sizeof n->subnet, err);
    }
    if (r == 0 && (r = pool_of(n, err)) == 0) {
        for (struct network *o = m->nets; o; o = o->next) {
            uint32_t a;
            int p;
            if (o->subnet[0] && ipam_parse_cidr(o->subnet, &a, &p, NULL) == 0 &&
                ipam_overlaps(a, p, n->pool.net, n->pool.prefix)) {
                r = pier_fail(err, EBUSY,
                              "invalid pool request: Pool overlaps with other one "
                              "on this address space");
                break;
            }
        }
    }
    if (r < 0) {
        if ((*err)->errnum == EINVAL || (*err)->errnum == EBUSY)
            (*err)->errnum = (*err)->errnum == EBUSY ? EEXIST : EINVAL;
        net_free(n);
        return -1;
    }
    n->next = m->nets;
    m->nets = n;
    if (bridge_up(m, n, err) < 0 || save(m, n, err) < 0 || rules(m, err) < 0) {
        pier_err_t e2 = NULL;
        if (net_remove(m, n, &e2) < 0)
            pier_error_free(&e2);
        return -1;
    }
    *out = n;
    return 0;
}

int net_remove(struct net_mgr *m, struct network *n, pier_err_t *err)
{
    if (n->predefined)
        return pier_fail(err, EPERM, "%s is a pre-defined network and cannot be removed", n->name);
    for (struct network **p = &m->nets; *p; p = &(*p)->next)
        if (*p == n) {
            *p = n->next;
            break;
        }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.json", m->dir, n->id);
    unlink(path);
    pier_err_t e2 = NULL;
    if (nl_link_del(&m->nl, n->bridge, &e2) < 0) {
        pier_warn("network %s: %s", n->name, pier_error_msg(e2));
        pier_error_free(&e2);
    }
    net_free(n);
    return rules(m, err);
}

json_t *net_json(const struct network *n)
{
    json_t *config = json_array();
    if (is_bridge(n)) {
        /* in the order of docker's IPAMConfig struct */
        json_t *c = json_pack("{s:s}", "Subnet", n->subnet);
        if (n->ip_range[0])
            json_object_set_new(c, "IPRange", json_string(n->ip_range));
        json_object_set_new(c, "Gateway", json_string(n->gateway));
        json_array_append_new(config, c);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:o, s:o}, s:b, s:b, s:b,"
                     " s:{s:s}, s:b, s:{}, s:O, s:O}",
                     "Name", n->name, "Id", n->id, "Created", n->created, "Scope", "local",
                     "Driver", n->driver, "EnableIPv4", true, "EnableIPv6", false, "IPAM", "Driver",
                     "default", "Options", n->predefined ? json_null() : json_object(), "Config",
                     config, "Internal", n->internal, "Attachable", false, "Ingress", false,
                     "ConfigFrom", "Network", "", "ConfigOnly", false, "Containers", "Options",
                     n->options, "Labels", n->labels);
}
