/* Published ports (`-p`, `-P`): a container's port bindings turned into DNAT
 * rules in an nft table of pier's own, through libnftables.  No proxy
 * process per port: the kernel rewrites the packets.
 *
 * The table (`table ip NAME`, NAME given by the daemon, so that two pierds
 * side by side never touch each other's) holds two maps and two sets that
 * publishing adds elements to and unpublishing removes them from; its chains
 * are written once, when the table is made:
 *
 *   dnat_ip   proto . host ip . host port : ctr ip . ctr port   (-p IP:H:C)
 *   dnat_any  proto . host port : ctr ip . ctr port   (-p H:C, every local
 *             address: `fib daddr type local`)
 *   hairpin   proto . ctr ip . ctr ip . ctr port   (a container reaching
 *             its own published port: masqueraded, so replies come back)
 *   bridges   the bridges of published containers: 127.0.0.0/8 sources
 *             going out to them are masqueraded (the bridge has
 *             route_localnet=1), and packets for 127.0.0.0/8 coming in from
 *             them are dropped (what route_localnet would otherwise let in)
 *
 * prerouting (other hosts, other containers) and output (the host itself,
 * 127.0.0.1 included) look both maps up.  Only IPv4: with no proxy there is
 * no way from an IPv6 host address to an IPv4 container, so no "::"
 * bindings either (docker with --userland-proxy=false behaves the same).
 *
 * Each published host port is also held by a socket bound (not listening)
 * in the daemon, as docker does: a host program cannot take it later, and a
 * port some program already listens on fails at start.
 *
 * All calls run nft through netlink and return when the kernel has
 * answered: no process is started, no I/O waits on anything but the kernel.
 */
#ifndef PIER_NETWORK_PORTS_H
#define PIER_NETWORK_PORTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../lib/buf.h"
#include "../lib/error.h"

/* Cap on the bindings of one container (a range like -p 1000-3000:1000-3000
 * makes one per port). */
#define PORTS_MAX 8192

struct port_binding {
    struct in_addr host_ip; /* INADDR_ANY: every local address */
    uint16_t host_port;     /* 0: a free one is taken when published */
    uint16_t host_port_end; /* a free one of host_port..host_port_end
                               (docker's -p 8000-8010:80); 0 when none */
    uint16_t ctr_port;
    uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
};

/* ---- from the create body to bindings (no state, no I/O) ---- */

/* Check HostConfig.PortBindings as dockerd does at create: errors are
 * docker's text, errnum EINVAL (400). */
int ports_check(json_t *host_config, pier_err_t *err);

/* The bindings to publish for a container: HostConfig.PortBindings, and
 * with PublishAllPorts every port of Config.ExposedPorts (the image's are
 * merged into it at create) that has none, on a free host port.  Sorted by
 * (proto, container port); *out is NULL when there are none. */
int ports_parse(json_t *host_config, json_t *config, struct port_binding **out, size_t *n,
                pier_err_t *err);

/* The bindings recorded in a map shaped like NetworkSettings.Ports (or
 * PortBindings): {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], "81/tcp":
 * null}.  What ports_parse uses, and what a restart reads back. */
int ports_from_map(json_t *map, struct port_binding **out, size_t *n, pier_err_t *err);

/* "80/tcp" -> 80, IPPROTO_TCP. */
int ports_parse_key(const char *key, uint16_t *port, uint8_t *proto);
const char *ports_proto_name(uint8_t proto);

/* NetworkSettings.Ports of a running container: every port of
 * Config.ExposedPorts (null when not published) and every binding, as
 * {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}. */
json_t *ports_inspect_json(json_t *config, const struct port_binding *b, size_t n);

/* The Ports of GET /containers/json: [{"IP": "0.0.0.0", "PrivatePort": 80,
 * "PublicPort": 8080, "Type": "tcp"}, {"PrivatePort": 81, "Type": "tcp"}]. */
json_t *ports_list_json(json_t *config, const struct port_binding *b, size_t n);

/* ---- the table ---- */

struct ports_table;

/* A table named `name` (at most 64 of [A-Za-z0-9_-]); nothing is done in
 * the kernel until it is first used. */
int ports_table_new(const char *name, struct ports_table **out, pier_err_t *err);
/* Frees the memory and closes the held sockets; the table in the kernel is
 * left as it is (running containers keep their ports while pierd is away:
 * the next pierd takes them up with ports_restore). */
void ports_table_free(struct ports_table *t);

/* Take a free host port for each binding that has none (0, or a range),
 * checked free by binding it, then publish them all for the container at
 * ctr_ip behind `bridge`: held sockets, nft elements in one transaction,
 * route_localnet=1 on the bridge.  All or nothing: on error nothing is
 * left held or published and b is unchanged.  A port another container
 * holds fails with docker's "Bind for 0.0.0.0:8080 failed: port is already
 * allocated", one a program holds with "failed to bind host port
 * 0.0.0.0:8080/tcp: address already in use".  The bindings as published
 * (host ports filled in) are written back to b. */
int ports_publish(struct ports_table *t, const char *container_id, const char *bridge,
                  struct in_addr ctr_ip, struct port_binding *b, size_t n, pier_err_t *err);

/* Remove the container's elements and free its host ports; the table goes
 * when the last published port does.  A container with none is no error. */
int ports_unpublish(struct ports_table *t, const char *container_id, pier_err_t *err);

/* A running container's published ports, taken up again by a new pierd
 * (host ports as recorded, none 0): held in memory only, until
 * ports_sync makes the kernel's table match in one transaction, so that no
 * packet of a running container meets a missing rule. */
int ports_restore(struct ports_table *t, const char *container_id, const char *bridge,
                  struct in_addr ctr_ip, const struct port_binding *b, size_t n, pier_err_t *err);

/* Make the kernel's table exactly what this table holds: a stale table of
 * the same name (a previous pierd's) is replaced, atomically; with nothing
 * held, it is removed.  Done by the first publish too. */
int ports_sync(struct ports_table *t, pier_err_t *err);

/* Remove the table from the kernel and forget what it held. */
int ports_flush(struct ports_table *t, pier_err_t *err);

/* The nft text that ports_sync would run (for tests and debugging). */
void ports_script_sync(const struct ports_table *t, struct buf *out);

#endif
