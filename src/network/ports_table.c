/* The nft table of published ports, the host ports it holds, and the
 * sockets that keep them (see ports.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "nft.h"
#include "ports.h"

struct ports_entry {
    struct ports_entry *next;
    char id[65];
    char bridge[IFNAMSIZ];
    struct in_addr ctr_ip;
    struct port_binding b; /* host_port set, host_port_end 0 */
    int fd;                /* the socket holding the host port, or -1 */
};

struct ports_table {
    char name[65];
    bool synced; /* the kernel's table is what entries say */
    bool exists; /* it is in the kernel */
    struct ports_entry *entries;
    uint16_t eph_lo, eph_hi, eph_next; /* where free host ports come from */
};

static void entries_free(struct ports_entry *e)
{
    while (e) {
        struct ports_entry *next = e->next;
        if (e->fd >= 0)
            close(e->fd);
        free(e);
        e = next;
    }
}

/* net.ipv4.ip_local_port_range, as docker's port allocator reads it. */
static void ephemeral_range(uint16_t *lo, uint16_t *hi)
{
    *lo = 32768;
    *hi = 60999;
    cleanup_fclose FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
    unsigned a, b;
    if (f && fscanf(f, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535) {
        *lo = (uint16_t)a;
        *hi = (uint16_t)b;
    }
}

int ports_table_new(const char *name, struct ports_table **out, pier_err_t *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_-") != len)
        return pier_fail(err, EINVAL, "invalid nft table name `%s`", name);
    struct ports_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return pier_error(err, ENOMEM, "ports table");
    memcpy(t->name, name, len + 1);
    ephemeral_range(&t->eph_lo, &t->eph_hi);
    t->eph_next = t->eph_lo;
    *out = t;
    return 0;
}

void ports_table_free(struct ports_table *t)
{
    if (t == NULL)
        return;
    entries_free(t->entries);
    free(t);
}

/* ---- the nft text ---- */

static void skeleton(const struct ports_table *t, struct buf *o)
{
    buf_printf(
        o,
        "table ip %s {\n"
        "  map dnat_ip { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
        "  map dnat_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
        "  set hairpin { type inet_proto . ipv4_addr . ipv4_addr . inet_service; }\n"
        "  set bridges { type ifname; }\n"
        "  chain prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        "    dnat ip to meta l4proto . ip daddr . th dport map @dnat_ip\n"
        "    fib daddr type local dnat ip to meta l4proto . th dport map @dnat_any\n"
        "  }\n"
        "  chain output {\n"
        "    type nat hook output priority -100; policy accept;\n"
        "    dnat ip to meta l4proto . ip daddr . th dport map @dnat_ip\n"
        "    fib daddr type local dnat ip to meta l4proto . th dport map @dnat_any\n"
        "  }\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "    oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
        "    meta l4proto . ip saddr . ip daddr . th dport @hairpin masquerade\n"
        "  }\n"
        "  chain localnet {\n"
        "    type filter hook prerouting priority raw; policy accept;\n"
        "    iifname @bridges ip daddr 127.0.0.0/8 drop\n"
        "  }\n"
        "}\n",
        t->name);
}

enum elem_kind { EL_DNAT, EL_HAIRPIN, EL_BRIDGE };

/* One element of the map or set that `e` needs of the given kind, as
 * "SET { ELEMENT }". */
static void element(const struct ports_entry *e, enum elem_kind kind, struct buf *o)
{
    char hip[INET_ADDRSTRLEN], cip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &e->b.host_ip, hip, sizeof hip);
    inet_ntop(AF_INET, &e->ctr_ip, cip, sizeof cip);
    const char *proto = ports_proto_name(e->b.proto);
    switch (kind) {
    case EL_DNAT:
        if (e->b.host_ip.s_addr == htonl(INADDR_ANY))
            buf_printf(o, "dnat_any { %s . %u : %s . %u }", proto, e->b.host_port, cip,
                       e->b.ctr_port);
        else
            buf_printf(o, "dnat_ip { %s . %s . %u : %s . %u }", proto, hip, e->b.host_port, cip,
                       e->b.ctr_port);
        break;
    case EL_HAIRPIN:
        buf_printf(o, "hairpin { %s . %s . %s . %u }", proto, cip, cip, e->b.ctr_port);
        break;
    case EL_BRIDGE:
        buf_printf(o, "bridges { \"%s\" }", e->bridge);
        break;
    }
}

/* Whether `e` is the first of the entries (from `from` on, up to `upto`)
 * that needs this element: sets hold each element once. */
static bool first_with(const struct ports_entry *from, const struct ports_entry *upto,
                       const struct ports_entry *e, enum elem_kind kind)
{
    for (const struct ports_entry *x = from; x && x != upto; x = x->next) {
        if (kind == EL_HAIRPIN && x->ctr_ip.s_addr == e->ctr_ip.s_addr &&
            x->b.proto == e->b.proto && x->b.ctr_port == e->b.ctr_port)
            return false;
        if (kind == EL_BRIDGE && strcmp(x->bridge, e->bridge) == 0)
            return false;
    }
    return true;
}

/* "add element" (or "delete element") lines for the entries from..upto,
 * each element once; `others` are entries that stay, whose shared
 * elements are neither added again nor deleted. */
static void elements(const struct ports_table *t, const char *verb, const struct ports_entry *from,
                     const struct ports_entry *upto, const struct ports_entry *others,
                     struct buf *o)
{
    for (const struct ports_entry *e = from; e != upto; e = e->next) {
        for (int k = EL_DNAT; k <= EL_BRIDGE; k++) {
            if (k != EL_DNAT && (!first_with(from, e, e, (enum elem_kind)k) ||
                                 !first_with(others, NULL, e, (enum elem_kind)k)))
                continue;
            buf_printf(o, "%s element ip %s ", verb, t->name);
            element(e, (enum elem_kind)k, o);
            buf_putc(o, '\n');
        }
    }
}

void ports_script_sync(const struct ports_table *t, struct buf *out)
{
    /* "table" first makes the delete good whether the table is there or
     * not; the whole text is one transaction */
    buf_printf(out, "table ip %s {}\ndelete table ip %s\n", t->name, t->name);
    if (t->entries == NULL)
        return;
    skeleton(t, out);
    elements(t, "add", t->entries, NULL, NULL, out);
}

/* ---- running nft ---- */

int ports_sync(struct ports_table *t, pier_err_t *err)
{
    /* nothing to write and no table to take away (pierd's start, as a
     * rule): no nft run */
    pier_err_t probe = NULL;
    if (t->entries == NULL && nft_table_exists(t->name, &probe) == 0) {
        t->synced = true;
        t->exists = false;
        return 0;
    }
    pier_error_free(&probe);
    cleanup_buf struct buf s = BUF_INIT;
    ports_script_sync(t, &s);
    if (s.failed)
        return pier_error(err, ENOMEM, "nft script");
    t->synced = false;
    if (nft_run(t->name, s.data, err) < 0)
        return -1;
    t->synced = true;
    t->exists = t->entries != NULL;
    return 0;
}

int ports_flush(struct ports_table *t, pier_err_t *err)
{
    entries_free(t->entries);
    t->entries = NULL;
    return ports_sync(t, err);
}

/* ---- host ports ---- */

static const char *ip_text(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static bool ips_overlap(struct in_addr a, struct in_addr b)
{
    return a.s_addr == htonl(INADDR_ANY) || b.s_addr == htonl(INADDR_ANY) || a.s_addr == b.s_addr;
}

/* Another binding (published, or earlier in this same request) has it. */
static bool taken(const struct ports_entry *list, const struct port_binding *b, uint16_t port)
{
    for (const struct ports_entry *e = list; e; e = e->next)
        if (e->b.proto == b->proto && e->b.host_port == port &&
            ips_overlap(e->b.host_ip, b->host_ip))
            return true;
    return false;
}

/* A socket bound to the host port, which keeps programs off it; -1 with
 * errno when it cannot be bound.  SCTP is not held (its module may not
 * even be loaded): -2. */
static int hold(const struct port_binding *b, uint16_t port)
{
    if (b->proto == IPPROTO_SCTP)
        return -2;
    int type = b->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* a connection of the last container on it may linger in TIME_WAIT;
     * a listener still fails the bind */
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = b->host_ip};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int bind_error(const struct port_binding *b, uint16_t port, int errnum, pier_err_t *err)
{
    char ip[INET_ADDRSTRLEN];
    ip_text(b->host_ip, ip);
    if (errnum == EADDRINUSE)
        return pier_fail(err, EADDRINUSE,
                         "failed to bind host port %s:%u/%s: address already in use", ip, port,
                         ports_proto_name(b->proto));
    return pier_error(err, errnum, "failed to bind host port %s:%u/%s", ip, port,
                      ports_proto_name(b->proto));
}

/* Take b's host port (or a free one) for a new entry: *fd holds it. */
static int take_port(struct ports_table *t, const struct ports_entry *pending,
                     const struct port_binding *b, uint16_t *port, int *fd, pier_err_t *err)
{
    char ip[INET_ADDRSTRLEN];
    if (b->host_port != 0 && b->host_port_end == 0) {
        if (taken(t->entries, b, b->host_port) || taken(pending, b, b->host_port))
            return pier_fail(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
                             ip_text(b->host_ip, ip), b->host_port);
        *fd = hold(b, b->host_port);
        if (*fd == -1)
            return bind_error(b, b->host_port, errno, err);
        *port = b->host_port;
        return 0;
    }
    /* a range given, or the ephemeral one from where the last pick ended */
    bool ranged = b->host_port != 0;
    uint32_t lo = ranged ? b->host_port : t->eph_lo, hi = ranged ? b->host_port_end : t->eph_hi;
    uint32_t start = ranged ? lo : t->eph_next, count = hi - lo + 1;
    if (start < lo || start > hi)
        start = lo;
    for (uint32_t i = 0; i < count; i++) {
        uint16_t p = (uint16_t)(lo + (start - lo + i) % count);
        if (taken(t->entries, b, p) || taken(pending, b, p))
            continue;
        int f = hold(b, p);
        if (f == -1)
            continue;
        *fd = f;
        *port = p;
        if (!ranged)
            t->eph_next = p == hi ? (uint16_t)lo : (uint16_t)(p + 1);
        return 0;
    }
    if (ranged)
        return pier_fail(err, EADDRINUSE, "Bind for %s:%u-%u failed: port is already allocated",
                         ip_text(b->host_ip, ip), b->host_port, b->host_port_end);
    return pier_fail(err, EADDRINUSE, "all ports are allocated");
}

static int check_args(const char *container_id, const char *bridge, pier_err_t *err)
{
    /* it goes into a path and, quoted, into nft's text */
    size_t bl = strlen(bridge);
    bool plain = bl > 0 && bl < IFNAMSIZ && strcmp(bridge, ".") != 0 && strcmp(bridge, "..") != 0;
    for (const char *p = bridge; plain && *p; p++)
        plain = *p > ' ' && *p < 0x7f && !strchr("/\"\\:", *p);
    if (!plain)
        return pier_fail(err, EINVAL, "invalid bridge name `%s`", bridge);
    if (strlen(container_id) == 0 || strlen(container_id) > 64)
        return pier_fail(err, EINVAL, "invalid container id `%s`", container_id);
    return 0;
}

static struct ports_entry *entry_new(const char *id, const char *bridge, struct in_addr ctr_ip,
                                     const struct port_binding *b)
{
    struct ports_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->bridge, sizeof e->bridge, "%s", bridge);
    e->ctr_ip = ctr_ip;
    e->b = *b;
    e->b.host_port_end = 0;
    e->fd = -1;
    return e;
}

/* Packets from 127.0.0.1 may only leave through the bridge with
 * route_localnet set; docker sets it too, on its bridge. */
static int route_localnet(const char *bridge, pier_err_t *err)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1)
        return pier_error(err, errno, "set `%s`", path);
    return 0;
}

/* Entries for the bindings, their host ports taken (fixed: as given, or a
 * free one), in a list of their own; NULL with *err on failure. */
static int new_entries(struct ports_table *t, const char *id, const char *bridge,
                       struct in_addr ctr_ip, const struct port_binding *b, size_t n,
                       struct ports_entry **out, pier_err_t *err)
{
    struct ports_entry *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        struct ports_entry *e = entry_new(id, bridge, ctr_ip, &b[i]);
        if (e == NULL) {
            entries_free(head);
            return pier_error(err, ENOMEM, "port binding");
        }
        if (take_port(t, head, &b[i], &e->b.host_port, &e->fd, err) < 0) {
            free(e);
            entries_free(head);
            return -1;
        }
        *tail = e;
        tail = &e->next;
    }
    *out = head;
    return 0;
}

static bool has_entries(const struct ports_table *t, const char *id)
{
    for (const struct ports_entry *e = t->entries; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return true;
    return false;
}

static int add_entries(struct ports_table *t, const char *id, const char *bridge,
                       struct in_addr ctr_ip, const struct port_binding *b, size_t n,
                       bool to_kernel, struct ports_entry **added, pier_err_t *err)
{
    if (check_args(id, bridge, err) < 0)
        return -1;
    if (has_entries(t, id))
        return pier_fail(err, EEXIST, "container %s has published ports already", id);
    for (size_t i = 0; i < n; i++)
        if (b[i].ctr_port == 0 ||
            (b[i].proto != IPPROTO_TCP && b[i].proto != IPPROTO_UDP &&
             b[i].proto != IPPROTO_SCTP) ||
            (b[i].host_port_end != 0 && b[i].host_port_end < b[i].host_port))
            return pier_fail(err, EINVAL, "invalid port binding %u/%u", b[i].ctr_port, b[i].proto);
    struct ports_entry *head = NULL;
    if (new_entries(t, id, bridge, ctr_ip, b, n, &head, err) < 0)
        return -1;
    if (head == NULL) {
        *added = NULL;
        return 0;
    }
    if (to_kernel && route_localnet(bridge, err) < 0) {
        entries_free(head);
        return -1;
    }
    struct ports_entry *last = head;
    while (last->next)
        last = last->next;
    struct ports_entry *old = t->entries;
    if (to_kernel && t->synced && t->exists) {
        cleanup_buf struct buf s = BUF_INIT;
        elements(t, "add", head, NULL, NULL, &s);
        if (s.failed || nft_run(t->name, s.data, err) < 0) {
            entries_free(head);
            return s.failed ? pier_error(err, ENOMEM, "nft script") : -1;
        }
        last->next = old;
        t->entries = head;
    } else {
        last->next = old;
        t->entries = head;
        if (to_kernel && ports_sync(t, err) < 0) {
            last->next = NULL;
            t->entries = old;
            entries_free(head);
            return -1;
        }
    }
    *added = head;
    return 0;
}

int ports_publish(struct ports_table *t, const char *container_id, const char *bridge,
                  struct in_addr ctr_ip, struct port_binding *b, size_t n, pier_err_t *err)
{
    struct ports_entry *e;
    if (add_entries(t, container_id, bridge, ctr_ip, b, n, true, &e, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++, e = e->next) {
        b[i].host_port = e->b.host_port;
        b[i].host_port_end = 0;
    }
    return 0;
}

int ports_restore(struct ports_table *t, const char *container_id, const char *bridge,
                  struct in_addr ctr_ip, const struct port_binding *b, size_t n, pier_err_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (b[i].host_port == 0 || b[i].host_port_end != 0)
            return pier_fail(err, EINVAL, "restored binding of %s without its host port",
                             container_id);
    struct ports_entry *e;
    return add_entries(t, container_id, bridge, ctr_ip, b, n, false, &e, err);
}

int ports_unpublish(struct ports_table *t, const char *container_id, pier_err_t *err)
{
    /* the container's entries to a list of their own, in their order */
    struct ports_entry *gone = NULL, **gtail = &gone;
    for (struct ports_entry **p = &t->entries; *p;) {
        struct ports_entry *e = *p;
        if (strcmp(e->id, container_id) == 0) {
            *p = e->next;
            e->next = NULL;
            *gtail = e;
            gtail = &e->next;
        } else {
            p = &e->next;
        }
    }
    if (gone == NULL)
        return 0;
    int rc = 0;
    if (t->entries == NULL || !t->synced || !t->exists) {
        rc = ports_sync(t, err);
    } else {
        cleanup_buf struct buf s = BUF_INIT;
        elements(t, "delete", gone, NULL, t->entries, &s);
        pier_err_t e2 = NULL;
        /* an element missing (someone flushed the table) fails the
         * transaction: the table is written whole then */
        if (s.failed || nft_run(t->name, s.data, &e2) < 0)
            rc = ports_sync(t, err);
        pier_error_free(&e2);
    }
    entries_free(gone);
    return rc;
}
