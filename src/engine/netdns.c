/* The embedded DNS server (src/network/dns.h) for the engine's containers:
 * made on first use, attached to every container on a user-defined
 * network from its start (or its first connect to one) to its stop, and
 * answering from the containers' endpoints: a running container's name,
 * short id and aliases (its endpoint's DNSNames) on a network the asking
 * container is on too, also as "name.network"; the default bridge, as
 * docker's, resolves no names. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../lib/json.h"
#include "../lib/log.h"
#include "../network/dns.h"
#include "internal.h"

/* Whether one of the endpoint's DNSNames is name[0..len). */
static bool named(json_t *ep, const char *name, size_t len)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(ep, "DNSNames"), i, v) {
        const char *s = json_string_value(v);
        if (s && strlen(s) == len && strncasecmp(s, name, len) == 0)
            return true;
    }
    return false;
}

static size_t lookup(void *ctx, const char *cid, const char *name, struct in_addr *out, size_t max)
{
    struct engine *e = ctx;
    struct container *c = ct_by_id(e, cid);
    if (c == NULL)
        return 0;
    size_t found = 0, len = strlen(name);
    const char *net;
    json_t *mine;
    json_object_foreach (c->nets, net, mine) {
        if (strcmp(net, "bridge") == 0)
            continue;
        /* "web.mynet": web on mynet only */
        size_t nl = strlen(net), want = len;
        bool qualified =
            len > nl + 1 && name[len - nl - 1] == '.' && strcasecmp(name + len - nl, net) == 0;
        for (struct container *o = e->containers; o; o = o->next) {
            json_t *ep = json_object_get(o->nets, net);
            struct in_addr a;
            const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
            if (ep == NULL || !container_running(o) || ip == NULL ||
                inet_pton(AF_INET, ip, &a) != 1)
                continue;
            if (!named(ep, name, want) && !(qualified && named(ep, name, len - nl - 1)))
                continue;
            if (found < max)
                out[found] = a;
            found++;
        }
    }
    return found;
}

static int reverse(void *ctx, const char *cid, struct in_addr addr, char *name, size_t n)
{
    struct engine *e = ctx;
    struct container *c = ct_by_id(e, cid);
    char ip[INET_ADDRSTRLEN];
    if (c == NULL || inet_ntop(AF_INET, &addr, ip, sizeof ip) == NULL)
        return -1;
    const char *net;
    json_t *mine;
    json_object_foreach (c->nets, net, mine) {
        if (strcmp(net, "bridge") == 0)
            continue;
        for (struct container *o = e->containers; o; o = o->next) {
            const char *oip =
                json_string_value(json_object_get(json_object_get(o->nets, net), "IPAddress"));
            if (container_running(o) && oip && strcmp(oip, ip) == 0) {
                snprintf(name, n, "%s.%s", o->name, net);
                return 0;
            }
        }
    }
    return -1;
}

/* docker's per-container settings: --dns servers, only internal
 * networks, a user's ndots. */
static int configure(struct engine *e, struct container *c, pier_err_t *err)
{
    const char *ups[3];
    size_t nups = 0, i;
    json_t *v;
    json_array_foreach (json_object_get(c->host, "Dns"), i, v)
        if (nups < 3 && json_string_value(v))
            ups[nups++] = json_string_value(v);
    bool ndots = false;
    json_array_foreach (json_object_get(c->host, "DnsOptions"), i, v) {
        const char *s = json_string_value(v);
        ndots = ndots || (s && strncmp(s, "ndots:", 6) == 0);
    }
    struct dns_policy p = {
        .upstreams = ups, .nupstreams = nups, .internal = ep_internal_only(c), .ndots_set = ndots};
    if (nups == 0 && !p.internal && !ndots)
        return 0;
    return dns_configure(e->dns, c->id, &p, err);
}

int ct_dns_attach(struct engine *e, struct container *c, int nsfd, pier_err_t *err)
{
    if (c->dns || !ep_user_network(c))
        return 0;
    if (e->dns == NULL) {
        struct dns_names names = {.lookup = lookup, .reverse = reverse, .ctx = e};
        if (dns_server_new(e->loop, "/etc/resolv.conf", &names, &e->dns, err) < 0)
            return pier_error_wrap(err, "the embedded DNS server");
    }
    if (dns_attach(e->dns, c->id, nsfd, err) < 0)
        return pier_error_wrap(err, "the embedded DNS server");
    c->dns = true;
    if (configure(e, c, err) < 0) {
        ct_dns_detach(e, c);
        return pier_error_wrap(err, "the embedded DNS server");
    }
    return 0;
}

void ct_dns_detach(struct engine *e, struct container *c)
{
    if (!c->dns)
        return;
    dns_detach(e->dns, c->id);
    c->dns = false;
}
