/* Port bindings from a container's configuration, and back to the JSON
 * docker shows: pure functions, no state. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "ports.h"

const char *ports_proto_name(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_SCTP:
        return "sctp";
    }
    return "?";
}

static int proto_from(const char *s, size_t len, uint8_t *proto)
{
    static const struct {
        const char *name;
        uint8_t proto;
    } protos[] = {{"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"sctp", IPPROTO_SCTP}};
    for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
        if (strlen(protos[i].name) == len && strncasecmp(s, protos[i].name, len) == 0) {
            *proto = protos[i].proto;
            return 0;
        }
    return -1;
}

/* A decimal port of 1..65535, digits only (strconv.ParseUint(s, 10, 16)
 * but for 0, which no packet can be sent to). */
static int port_from(const char *s, size_t len, uint16_t *port)
{
    if (len == 0 || len > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int ports_parse_key(const char *key, uint16_t *port, uint8_t *proto)
{
    const char *slash = strchr(key, '/');
    size_t plen = slash ? (size_t)(slash - key) : strlen(key);
    *proto = IPPROTO_TCP;
    if (slash && slash[1] && proto_from(slash + 1, strlen(slash + 1), proto) < 0)
        return -1;
    return port_from(key, plen, port);
}

/* HostPort: "", "8080" or "8000-8010". */
static int host_port_from(const char *s, uint16_t *port, uint16_t *end)
{
    *port = *end = 0;
    if (*s == '\0')
        return 0;
    const char *dash = strchr(s, '-');
    if (dash == NULL)
        return port_from(s, strlen(s), port);
    if (port_from(s, (size_t)(dash - s), port) < 0 ||
        port_from(dash + 1, strlen(dash + 1), end) < 0 || *end < *port)
        return -1;
    if (*end == *port)
        *end = 0;
    return 0;
}

static int cmp_binding(const void *a, const void *b)
{
    const struct port_binding *x = a, *y = b;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    if (x->ctr_port != y->ctr_port)
        return x->ctr_port < y->ctr_port ? -1 : 1;
    uint32_t xi = ntohl(x->host_ip.s_addr), yi = ntohl(y->host_ip.s_addr);
    if (xi != yi)
        return xi < yi ? -1 : 1;
    return x->host_port < y->host_port ? -1 : x->host_port > y->host_port;
}

struct blist {
    struct port_binding *v;
    size_t n, cap;
};

static int blist_add(struct blist *l, const struct port_binding *b, pier_err_t *err)
{
    if (l->n == PORTS_MAX)
        return pier_fail(err, EINVAL, "too many port bindings (at most %d)", PORTS_MAX);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct port_binding *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return pier_error(err, ENOMEM, "port bindings");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *b;
    return 0;
}

static int binding_from(const char *key, uint16_t port, uint8_t proto, json_t *item,
                        struct port_binding *b, pier_err_t *err)
{
    (void)key;
    memset(b, 0, sizeof *b);
    b->ctr_port = port;
    b->proto = proto;
    if (!json_is_object(item))
        return pier_fail(err, EINVAL, "invalid port binding for %s: not an object", key);
    json_t *jip = json_object_get(item, "HostIp");
    json_t *jport = json_object_get(item, "HostPort");
    if ((jip && !json_is_string(jip) && !json_is_null(jip)) ||
        (jport && !json_is_string(jport) && !json_is_null(jport)))
        return pier_fail(err, EINVAL,
                         "invalid port binding for %s: HostIp and HostPort are strings", key);
    const char *ip = json_string_value(jip) ?: "";
    const char *hp = json_string_value(jport) ?: "";
    if (host_port_from(hp, &b->host_port, &b->host_port_end) < 0)
        return pier_fail(err, EINVAL, "invalid port specification: \"%s\"", hp);
    if (*ip == '\0')
        b->host_ip.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, ip, &b->host_ip) != 1) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, ip, &a6) == 1)
            return pier_fail(err, EINVAL,
                             "invalid HostIp %s for %s: ports are published on IPv4 host "
                             "addresses only",
                             ip, key);
        return pier_fail(err, EINVAL, "invalid IP address: %s", ip);
    }
    return 0;
}

static int list_from_map(json_t *map, struct blist *l, pier_err_t *err)
{
    if (map == NULL || json_is_null(map))
        return 0;
    if (!json_is_object(map))
        return pier_fail(err, EINVAL, "invalid port bindings: not an object");
    const char *key;
    json_t *list;
    json_object_foreach (map, key, list) {
        uint16_t port;
        uint8_t proto;
        if (ports_parse_key(key, &port, &proto) < 0) {
            const char *slash = strchr(key, '/');
            int plen = slash ? (int)(slash - key) : (int)strlen(key);
            if (port_from(key, (size_t)plen, &port) == 0)
                return pier_fail(err, EINVAL, "invalid proto: %s", slash + 1);
            return pier_fail(err, EINVAL, "invalid port specification: \"%.*s\"", plen, key);
        }
        if (json_is_null(list))
            continue;
        if (!json_is_array(list))
            return pier_fail(err, EINVAL, "invalid port bindings for %s: not a list", key);
        size_t i;
        json_t *item;
        json_array_foreach (list, i, item) {
            struct port_binding b;
            if (binding_from(key, port, proto, item, &b, err) < 0 || blist_add(l, &b, err) < 0)
                return -1;
        }
    }
    return 0;
}

int ports_from_map(json_t *map, struct port_binding **out, size_t *n, pier_err_t *err)
{
    struct blist l = {0};
    *out = NULL;
    *n = 0;
    if (list_from_map(map, &l, err) < 0) {
        free(l.v);
        return -1;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_binding);
    *out = l.v;
    *n = l.n;
    return 0;
}

int ports_check(json_t *host_config, pier_err_t *err)
{
    cleanup_free struct port_binding *b = NULL;
    size_t n;
    return ports_from_map(json_object_get(host_config, "PortBindings"), &b, &n, err);
}

int ports_parse(json_t *host_config, json_t *config, struct port_binding **out, size_t *n,
                pier_err_t *err)
{
    struct blist l = {0};
    *out = NULL;
    *n = 0;
    json_t *bindings = json_object_get(host_config, "PortBindings");
    json_t *exposed = json_object_get(config, "ExposedPorts");
    if (list_from_map(bindings, &l, err) < 0)
        goto fail;
    if (json_is_true(json_object_get(host_config, "PublishAllPorts")) && json_is_object(exposed)) {
        const char *key;
        json_t *v;
        json_object_foreach (exposed, key, v) {
            struct port_binding b = {.host_ip.s_addr = htonl(INADDR_ANY)};
            /* as inspect shows them: a key that is no port is no port */
            if (ports_parse_key(key, &b.ctr_port, &b.proto) < 0)
                continue;
            /* one the bindings name already is published as they say */
            bool bound = false;
            for (size_t i = 0; i < l.n && !bound; i++)
                bound = l.v[i].ctr_port == b.ctr_port && l.v[i].proto == b.proto;
            if (!bound && blist_add(&l, &b, err) < 0)
                goto fail;
        }
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_binding);
    *out = l.v;
    *n = l.n;
    return 0;
fail:
    free(l.v);
    return -1;
}

/* ---- back to JSON ---- */

static void port_key(char *buf, size_t cap, uint16_t port, uint8_t proto)
{
    snprintf(buf, cap, "%u/%s", port, ports_proto_name(proto));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy with its keys in Go's order (encoding/json sorts map keys). */
static json_t *sorted(json_t *o)
{
    size_t n = json_object_size(o), i = 0;
    if (n == 0)
        return o;
    cleanup_free const char **keys = calloc(n, sizeof *keys);
    json_t *s = json_object();
    if (keys == NULL || s == NULL) {
        json_decref(s);
        return o;
    }
    const char *k;
    json_t *v;
    json_object_foreach (o, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    for (i = 0; i < n; i++)
        json_object_set(s, keys[i], json_object_get(o, keys[i]));
    json_decref(o);
    return s;
}

/* The exposed ports, each null, under their canonical keys. */
static json_t *exposed_map(json_t *config)
{
    json_t *m = json_object();
    json_t *exposed = json_object_get(config, "ExposedPorts");
    const char *key;
    json_t *v;
    json_object_foreach (exposed, key, v) {
        uint16_t port;
        uint8_t proto;
        char k[32];
        if (ports_parse_key(key, &port, &proto) < 0)
            continue;
        port_key(k, sizeof k, port, proto);
        json_object_set_new(m, k, json_null());
    }
    return m;
}

json_t *ports_inspect_json(json_t *config, const struct port_binding *b, size_t n)
{
    json_t *m = exposed_map(config);
    for (size_t i = 0; i < n; i++) {
        char k[32], ip[INET_ADDRSTRLEN], hp[8];
        port_key(k, sizeof k, b[i].ctr_port, b[i].proto);
        inet_ntop(AF_INET, &b[i].host_ip, ip, sizeof ip);
        snprintf(hp, sizeof hp, "%u", b[i].host_port);
        json_t *list = json_object_get(m, k);
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(m, k, list);
        }
        json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hp));
    }
    return sorted(m);
}

json_t *ports_list_json(json_t *config, const struct port_binding *b, size_t n)
{
    json_t *out = json_array();
    json_t *m = exposed_map(config);
    for (size_t i = 0; i < n; i++) {
        char k[32];
        port_key(k, sizeof k, b[i].ctr_port, b[i].proto);
        json_object_del(m, k);
    }
    /* exposed, not published, then published: docker's order is a map's
     * (none); the CLI sorts what it shows */
    const char *key;
    json_t *v;
    m = sorted(m);
    json_object_foreach (m, key, v) {
        uint16_t port;
        uint8_t proto;
        if (ports_parse_key(key, &port, &proto) == 0)
            json_array_append_new(
                out, json_pack("{s:i, s:s}", "PrivatePort", port, "Type", ports_proto_name(proto)));
    }
    json_decref(m);
    for (size_t i = 0; i < n; i++) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &b[i].host_ip, ip, sizeof ip);
        json_array_append_new(out, json_pack("{s:s, s:i, s:i, s:s}", "IP", ip, "PrivatePort",
                                             b[i].ctr_port, "PublicPort", b[i].host_port, "Type",
                                             ports_proto_name(b[i].proto)));
    }
    return out;
}
