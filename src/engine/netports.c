/* A container's published ports, between the engine's records and the
 * ports module (src/network/ports.h): checked at create, published at
 * start once the container has its address, unpublished when it stops,
 * taken up again by a restarted pierd.  While it runs, c->ports holds
 * its NetworkSettings.Ports (host ports as taken), saved in its record so
 * that a restart publishes the same ones.
 *
 * endpoints.c calls in: ct_ports_publish at a start once the first
 * endpoint is up (its bridge port in hairpin mode, so that, with
 * br_netfilter loaded, a container reaching its own published port is
 * bridged back out of that port), ct_ports_unpublish at every stop, exit
 * or failed start; engine_open ct_ports_restore for each container still
 * running, then ct_ports_restore_done once (a stale table replaced in one
 * transaction).  The table is the networks' table's name with "_ports",
 * unless ct_ports_init named it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../network/network.h"
#include "../network/ports.h"
#include "internal.h"

int ct_ports_check(json_t *host, pier_err_t *err)
{
    return ports_check(host, err);
}

/* The daemon's table: its networks' table's name with "_ports" (named
 * after its bridge, or its exec root), unless ct_ports_init named it, so
 * that two pierds side by side keep to their own. */
static int table(struct engine *e, struct ports_table **out, pier_err_t *err)
{
    if (e->ports == NULL) {
        char name[sizeof e->net->table + 8];
        snprintf(name, sizeof name, "%s_ports", e->net->table);
        if (ct_ports_init(e, name, err) < 0)
            return -1;
    }
    *out = e->ports;
    return 0;
}

int ct_ports_init(struct engine *e, const char *table_name, pier_err_t *err)
{
    struct ports_table *t;
    if (ports_table_new(table_name, &t, err) < 0)
        return -1;
    ports_table_free(e->ports);
    e->ports = t;
    return 0;
}

static int record(struct container *c, const struct port_binding *b, size_t n, pier_err_t *err)
{
    json_t *p = ports_inspect_json(c->config, b, n);
    if (p == NULL)
        return pier_error(err, ENOMEM, "ports of %s", c->id);
    if (c->ports)
        json_decref(c->ports);
    c->ports = p;
    return 0;
}

int ct_ports_publish(struct engine *e, struct container *c, const char *bridge, struct in_addr ip,
                     pier_err_t *err)
{
    struct ports_table *t;
    cleanup_free struct port_binding *b = NULL;
    size_t n;
    if (table(e, &t, err) < 0 || ports_parse(c->host, c->config, &b, &n, err) < 0)
        return -1;
    if (ports_publish(t, c->id, bridge, ip, b, n, err) < 0)
        return pier_error_wrap(
            err, "driver failed programming external connectivity on endpoint %s (%s)", c->name,
            c->id);
    if (record(c, b, n, err) < 0) {
        pier_err_t e2 = NULL;
        ports_unpublish(t, c->id, &e2);
        pier_error_free(&e2);
        return -1;
    }
    return 0;
}

void ct_ports_unpublish(struct engine *e, struct container *c)
{
    if (c->ports) {
        json_decref(c->ports);
        c->ports = NULL;
    }
    if (e->ports == NULL)
        return;
    pier_err_t err = NULL;
    if (ports_unpublish(e->ports, c->id, &err) < 0) {
        pier_warn("container %s: unpublish its ports: %s", c->id, pier_error_msg(err));
        pier_error_free(&err);
    }
}

int ct_ports_restore(struct engine *e, struct container *c, const char *bridge, struct in_addr ip,
                     pier_err_t *err)
{
    if (c->ports == NULL)
        return 0;
    struct ports_table *t;
    cleanup_free struct port_binding *b = NULL;
    size_t n;
    if (table(e, &t, err) < 0 || ports_from_map(c->ports, &b, &n, err) < 0 ||
        ports_restore(t, c->id, bridge, ip, b, n, err) < 0)
        return pier_error_wrap(err, "restore the published ports of %s", c->id);
    return 0;
}

int ct_ports_restore_done(struct engine *e, pier_err_t *err)
{
    struct ports_table *t;
    if (table(e, &t, err) < 0 || ports_sync(t, err) < 0)
        return pier_error_wrap(err, "published ports");
    return 0;
}

json_t *ct_ports_inspect(const struct container *c)
{
    return c->ports ? json_incref(c->ports) : json_object();
}

json_t *ct_ports_list(const struct container *c)
{
    if (c->ports == NULL)
        return json_array();
    cleanup_free struct port_binding *b = NULL;
    size_t n;
    pier_err_t err = NULL;
    if (ports_from_map(c->ports, &b, &n, &err) < 0) {
        pier_error_free(&err);
        return json_array();
    }
    /* the recorded map's null entries are the exposed ports not published */
    cleanup_json json_t *exposed = json_pack("{s:O}", "ExposedPorts", c->ports);
    return ports_list_json(exposed, b, n);
}
