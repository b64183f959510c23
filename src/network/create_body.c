/* POST /networks/create's body, read defensively: every field checked for
 * its type, what pier does not do (IPv6, other drivers of IPAM, several
 * subnets) refused by name. */
#include <errno.h>
#include <string.h>

#include "../lib/json.h"
#include "network.h"

/* An optional field that may also be null. */
static int opt_object(json_t *o, const char *path, const char *key, json_t **out, pier_err_t *err)
{
    *out = NULL;
    return json_is_null(json_object_get(o, key)) ? 0 : pj_object(o, path, key, out, err);
}

int net_create_parse(json_t *body, struct net_create *c, pier_err_t *err)
{
    *c = (struct net_create){0};
    bool ipv6 = false;
    json_t *ipam = NULL, *config = NULL;
    if (!json_is_object(body))
        return pier_fail(err, EINVAL, "network create: the body must be a JSON object");
    if (pj_string(body, "", "Name", &c->name, err) < 0 ||
        pj_string(body, "", "Driver", &c->driver, err) < 0 ||
        pj_bool(body, "", "Internal", &c->internal, err) < 0 ||
        (!json_is_null(json_object_get(body, "EnableIPv6")) &&
         pj_bool(body, "", "EnableIPv6", &ipv6, err) < 0) ||
        opt_object(body, "", "Labels", &c->labels, err) < 0 ||
        opt_object(body, "", "Options", &c->options, err) < 0 ||
        opt_object(body, "", "IPAM", &ipam, err) < 0 ||
        (ipam && !json_is_null(json_object_get(ipam, "Config")) &&
         pj_array(ipam, "IPAM", "Config", &config, err) < 0)) {
        (*err)->errnum = EINVAL;
        return -1;
    }
    if (c->name == NULL || *c->name == '\0')
        return pier_fail(err, EINVAL, "network name must not be empty");
    if (ipv6)
        return pier_fail(err, EINVAL, "IPv6 networks are not supported by pier");
    const char *k;
    json_t *v;
    json_object_foreach (c->labels, k, v)
        if (!json_is_string(v))
            return pier_fail(err, EINVAL, "Labels.%s: expected a string", k);
    json_object_foreach (c->options, k, v)
        if (!json_is_string(v))
            return pier_fail(err, EINVAL, "Options.%s: expected a string", k);
    const char *ipam_driver = NULL;
    if (ipam && pj_string(ipam, "IPAM", "Driver", &ipam_driver, err) < 0) {
        (*err)->errnum = EINVAL;
        return -1;
    }
    if (ipam_driver && *ipam_driver && strcmp(ipam_driver, "default") != 0)
        return pier_fail(err, EINVAL, "IPAM driver \"%s\" is not supported", ipam_driver);
    if (json_array_size(config) > 1)
        return pier_fail(err, EINVAL, "pier supports one IPAM config (one IPv4 subnet)");
    json_t *c0 = json_array_get(config, 0);
    if (c0 == NULL)
        return 0;
    if (!json_is_object(c0))
        return pier_fail(err, EINVAL, "IPAM.Config[0]: expected an object");
    if (pj_string(c0, "IPAM.Config[0]", "Subnet", &c->subnet, err) < 0 ||
        pj_string(c0, "IPAM.Config[0]", "Gateway", &c->gateway, err) < 0 ||
        pj_string(c0, "IPAM.Config[0]", "IPRange", &c->ip_range, err) < 0) {
        (*err)->errnum = EINVAL;
        return -1;
    }
    if (c->subnet && strchr(c->subnet, ':'))
        return pier_fail(err, EINVAL, "IPv6 subnets are not supported by pier: %s", c->subnet);
    return 0;
}
