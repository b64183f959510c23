/* Docker's /networks API over src/network: the networks themselves are
 * there; which containers are on them is the engine's to say. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/filters.h"
#include "../lib/json.h"
#include "../network/network.h"
#include "internal.h"

static const char *const net_filters[] = {"driver", "id",   "label",    "name",
                                          "scope",  "type", "dangling", NULL};

/* the containers with a live endpoint on n, as docker's inspect lists them */
static json_t *containers_of(struct engine *e, const struct network *n)
{
    json_t *out = json_object();
    for (struct container *c = e->containers; c; c = c->next) {
        json_t *ep = json_object_get(c->nets, n->name);
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        if (ep == NULL || ip == NULL || *ip == '\0')
            continue;
        char cidr[32];
        snprintf(cidr, sizeof cidr, "%s/%d", ip,
                 (int)json_integer_value(json_object_get(ep, "IPPrefixLen")));
        json_object_set_new(out, c->id,
                            json_pack("{s:s, s:O, s:O, s:s, s:s}", "Name", c->name, "EndpointID",
                                      json_object_get(ep, "EndpointID"), "MacAddress",
                                      json_object_get(ep, "MacAddress"), "IPv4Address", cidr,
                                      "IPv6Address", ""));
    }
    return out;
}

/* any container on n at all, running or not */
static struct container *user_of(struct engine *e, const struct network *n, bool running)
{
    for (struct container *c = e->containers; c; c = c->next) {
        json_t *ep = json_object_get(c->nets, n->name);
        const char *id = json_string_value(json_object_get(ep, "NetworkID"));
        if (ep && id && strcmp(id, n->id) == 0 && (!running || container_running(c)))
            return c;
    }
    return NULL;
}

struct match {
    struct engine *e;
    struct network *n;
};

static bool by_driver(const char *v, void *d)
{
    return strcmp(((struct match *)d)->n->driver, v) == 0;
}

static bool by_id(const char *v, void *d)
{
    return strncmp(((struct match *)d)->n->id, v, strlen(v)) == 0;
}

/* docker matches names by substring */
static bool by_name(const char *v, void *d)
{
    return strstr(((struct match *)d)->n->name, v) != NULL;
}

static bool by_scope(const char *v, void *d)
{
    (void)d;
    return strcmp(v, "local") == 0;
}

static bool by_type(const char *v, void *d)
{
    bool builtin = ((struct match *)d)->n->predefined;
    return strcmp(v, builtin ? "builtin" : "custom") == 0;
}

static bool by_dangling(const char *v, void *d)
{
    struct match *m = d;
    bool dangling = !m->n->predefined && user_of(m->e, m->n, false) == NULL;
    bool want = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
    return dangling == want;
}

static int check_filters(json_t *filters, pier_err_t *err)
{
    static const char *const types[] = {"custom", "builtin", NULL};
    static const char *const bools[] = {"true", "false", "1", "0", NULL};
    if (pier_filters_check(filters, net_filters, err) < 0 ||
        pier_filters_check_values(filters, "type", types, err) < 0)
        return -1;
    if (pier_filters_check_values(filters, "dangling", bools, err) < 0) {
        pier_error_free(err);
        return pier_fail(err, EINVAL, "invalid value for 'dangling' filter");
    }
    return 0;
}

static bool matches(struct engine *e, struct network *n, json_t *f)
{
    struct match m = {e, n};
    return pier_filters_any(f, "driver", by_driver, &m) && pier_filters_any(f, "id", by_id, &m) &&
           pier_filters_any(f, "name", by_name, &m) && pier_filters_any(f, "scope", by_scope, &m) &&
           pier_filters_any(f, "type", by_type, &m) &&
           pier_filters_any(f, "dangling", by_dangling, &m) &&
           pier_filters_labels(f, "label", n->labels);
}

int engine_network_list(struct engine *e, json_t *filters, json_t **out, pier_err_t *err)
{
    if (check_filters(filters, err) < 0)
        return -1;
    json_t *a = json_array();
    for (struct network *n = e->net->nets; n; n = n->next)
        if (filters == NULL || matches(e, n, filters))
            json_array_append_new(a, net_json(n));
    *out = a;
    return 0;
}

int engine_network_inspect(struct engine *e, const char *ref, json_t **out, pier_err_t *err)
{
    struct network *n = net_find(e->net, ref, err);
    if (n == NULL)
        return -1;
    json_t *j = net_json(n);
    json_object_set_new(j, "Containers", containers_of(e, n));
    *out = j;
    return 0;
}

static void net_event(struct engine *e, struct network *n, const char *action, json_t *extra)
{
    json_t *attrs = json_pack("{s:s, s:s}", "name", n->name, "type", n->driver);
    if (extra) {
        json_object_update(attrs, extra);
        json_decref(extra);
    }
    engine_event(e, "network", action, n->id, attrs);
}

int engine_network_create(struct engine *e, json_t *body, json_t **out, pier_err_t *err)
{
    struct net_create nc;
    struct network *n;
    if (net_create_parse(body, &nc, err) < 0 || net_create(e->net, &nc, &n, err) < 0)
        return -1;
    net_event(e, n, "create", NULL);
    *out = json_pack("{s:s, s:s}", "Id", n->id, "Warning", "");
    return 0;
}

static int remove_one(struct engine *e, struct network *n, pier_err_t *err)
{
    struct container *c = user_of(e, n, true);
    if (c)
        return pier_fail(err, EPERM,
                         "error while removing network: network %s has active endpoints "
                         "(name:\"%s\" id:\"%.12s\")",
                         n->name, c->name, c->id);
    /* stopped containers on it forget it, as dockerd's do */
    for (c = e->containers; c; c = c->next)
        if (json_object_get(c->nets, n->name)) {
            json_object_del(c->nets, n->name);
            ct_save(c, NULL);
        }
    char id[65], name[256];
    snprintf(id, sizeof id, "%s", n->id);
    snprintf(name, sizeof name, "%s", n->name);
    json_t *attrs = json_pack("{s:s, s:s}", "name", name, "type", n->driver);
    if (net_remove(e->net, n, err) < 0) {
        json_decref(attrs);
        return -1;
    }
    engine_event(e, "network", "destroy", id, attrs);
    return 0;
}

int engine_network_remove(struct engine *e, const char *ref, pier_err_t *err)
{
    struct network *n = net_find(e->net, ref, err);
    if (n == NULL)
        return -1;
    return remove_one(e, n, err);
}

static int container_of_body(struct engine *e, json_t *body, struct container **out,
                             pier_err_t *err)
{
    const char *ref = NULL;
    if (!json_is_object(body) || pj_string(body, "", "Container", &ref, err) < 0 || ref == NULL) {
        if (*err == NULL)
            pier_fail(err, EINVAL, "the body must name a Container");
        (*err)->errnum = EINVAL;
        return -1;
    }
    *out = engine_find(e, ref, err);
    return *out ? 0 : -1;
}

int engine_network_connect(struct engine *e, const char *ref, json_t *body, pier_err_t *err)
{
    struct network *n = net_find(e->net, ref, err);
    struct container *c;
    if (n == NULL || container_of_body(e, body, &c, err) < 0)
        return -1;
    json_t *cfg = json_object_get(body, "EndpointConfig");
    if (ep_connect(e, c, n, json_is_object(cfg) ? cfg : NULL, err) < 0)
        return -1;
    net_event(e, n, "connect", json_pack("{s:s}", "container", c->id));
    return 0;
}

int engine_network_disconnect(struct engine *e, const char *ref, json_t *body, pier_err_t *err)
{
    struct network *n = net_find(e->net, ref, err);
    struct container *c;
    if (n == NULL || container_of_body(e, body, &c, err) < 0)
        return -1;
    if (ep_disconnect(e, c, n, err) < 0)
        return -1;
    net_event(e, n, "disconnect", json_pack("{s:s}", "container", c->id));
    return 0;
}

static bool older_than(const char *v, void *d)
{
    struct network *n = d;
    char *end;
    long long secs = strtoll(v, &end, 10);
    long long t = *end == '\0' ? secs * 1000000000LL : rfc3339_to_ns(v);
    return t > 0 && rfc3339_to_ns(n->created) < t;
}

int engine_network_prune(struct engine *e, json_t *filters, json_t **out, pier_err_t *err)
{
    static const char *const known[] = {"until", "label", "label!", NULL};
    if (pier_filters_check(filters, known, err) < 0)
        return -1;
    json_t *gone = json_array();
    for (struct network *n = e->net->nets, *next; n; n = next) {
        next = n->next;
        if (n->predefined || user_of(e, n, false) ||
            !pier_filters_any(filters, "until", older_than, n) ||
            !pier_filters_labels(filters, "label", n->labels))
            continue;
        if (pier_filters_has(filters, "label!")) {
            json_t *neg = json_object_get(filters, "label!");
            json_t *f = json_pack("{s:O}", "label", neg);
            bool has = pier_filters_labels(f, "label", n->labels);
            json_decref(f);
            if (has)
                continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%s", n->name);
        pier_err_t e2 = NULL;
        if (remove_one(e, n, &e2) < 0) {
            pier_error_free(&e2);
            continue;
        }
        json_array_append_new(gone, json_string(name));
    }
    *out = json_pack("{s:o}", "NetworksDeleted", gone);
    return 0;
}
