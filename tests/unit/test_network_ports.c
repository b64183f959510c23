/* Published ports: bindings from the create body (docker's forms and its
 * errors), the JSON inspect and ps show, the host ports a table holds, and
 * the nft text it runs.  Nothing here touches the kernel's nft tables. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/engine/internal.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/json.h"
#include "../../src/network/ports.h"
#include "unit.h"

static json_t *js(const char *text)
{
    return json_loads(text, 0, NULL);
}

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* "IP:HOST->CTR/proto" of each binding, joined by spaces. */
static char *show(const struct port_binding *b, size_t n)
{
    struct buf o = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &b[i].host_ip, ip, sizeof ip);
        buf_printf(&o, "%s%s:%u", i ? " " : "", ip, b[i].host_port);
        if (b[i].host_port_end)
            buf_printf(&o, "-%u", b[i].host_port_end);
        buf_printf(&o, "->%u/%s", b[i].ctr_port, ports_proto_name(b[i].proto));
    }
    return buf_steal(&o);
}

static char *parsed(const char *host, const char *config)
{
    cleanup_json json_t *h = js(host);
    cleanup_json json_t *c = js(config);
    struct port_binding *b;
    size_t n;
    pier_err_t err = NULL;
    if (ports_parse(h, c, &b, &n, &err) < 0) {
        char *msg = strdup(pier_error_msg(err));
        pier_error_free(&err);
        return msg;
    }
    char *s = show(b, n);
    free(b);
    return s;
}

TEST(ports_parse_docker_forms)
{
    /* what the CLI sends for -p 8080:80, -p 127.0.0.1:8080:80/udp, -p 80,
     * -p 8000-8002:80-82, -p 127.0.0.1::80, -p 9000-9005:90 */
    cleanup_free char *s =
        parsed("{\"PortBindings\": {"
               "\"80/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080\"},"
               "             {\"HostIp\": \"\", \"HostPort\": \"\"},"
               "             {\"HostIp\": \"127.0.0.1\", \"HostPort\": \"\"}],"
               "\"80/udp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"8080\"}],"
               "\"81/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8001\"}],"
               "\"82/TCP\": [{\"HostPort\": \"8002\"}],"
               "\"90\": [{\"HostIp\": \"\", \"HostPort\": \"9000-9005\"}],"
               "\"91/tcp\": null, \"92/tcp\": []}}",
               "{}");
    CHECK_STR(s, "0.0.0.0:0->80/tcp 0.0.0.0:8080->80/tcp 127.0.0.1:0->80/tcp "
                 "0.0.0.0:8001->81/tcp 0.0.0.0:8002->82/tcp 0.0.0.0:9000-9005->90/tcp "
                 "127.0.0.1:8080->80/udp");
}

TEST(ports_parse_publish_all)
{
    /* -P: each exposed port without a binding gets a free host port; one
     * with bindings keeps them; without -P exposed ports are not published */
    const char *cfg =
        "{\"ExposedPorts\": {\"80/tcp\": {}, \"53/udp\": {}, \"443/tcp\": {}, \"x/y\": {}}}";
    cleanup_free char *all = parsed("{\"PublishAllPorts\": true, \"PortBindings\": "
                                    "{\"443/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8443\"}]}}",
                                    cfg);
    CHECK_STR(all, "0.0.0.0:0->80/tcp 0.0.0.0:8443->443/tcp 0.0.0.0:0->53/udp");
    cleanup_free char *none = parsed("{\"PublishAllPorts\": false}", cfg);
    CHECK_STR(none, "");
    cleanup_free char *null = parsed("{\"PortBindings\": null}", "{\"ExposedPorts\": null}");
    CHECK_STR(null, "");
}

TEST(ports_check_docker_errors)
{
    static const struct {
        const char *bindings, *msg;
    } cases[] = {
        {"{\"abc/tcp\": []}", "invalid port specification: \"abc\""},
        {"{\"0/tcp\": []}", "invalid port specification: \"0\""},
        {"{\"65536/tcp\": []}", "invalid port specification: \"65536\""},
        {"{\"80-82/tcp\": []}", "invalid port specification: \"80-82\""},
        {"{\"80/icmp\": []}", "invalid proto: icmp"},
        {"{\"80/tcp\": [{\"HostPort\": \"abc\"}]}", "invalid port specification: \"abc\""},
        {"{\"80/tcp\": [{\"HostPort\": \"70000\"}]}", "invalid port specification: \"70000\""},
        {"{\"80/tcp\": [{\"HostPort\": \"9-8\"}]}", "invalid port specification: \"9-8\""},
        {"{\"80/tcp\": [{\"HostPort\": \"+80\"}]}", "invalid port specification: \"+80\""},
        {"{\"80/tcp\": [{\"HostIp\": \"1.2.3\", \"HostPort\": \"80\"}]}",
         "invalid IP address: 1.2.3"},
        {"{\"80/tcp\": [{\"HostIp\": \"::1\", \"HostPort\": \"80\"}]}",
         "invalid HostIp ::1 for 80/tcp: ports are published on IPv4 host addresses only"},
        {"{\"80/tcp\": [{\"HostPort\": 80}]}",
         "invalid port binding for 80/tcp: HostIp and HostPort are strings"},
        {"{\"80/tcp\": \"8080\"}", "invalid port bindings for 80/tcp: not a list"},
        {"[1]", "invalid port bindings: not an object"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char host[512];
        snprintf(host, sizeof host, "{\"PortBindings\": %s}", cases[i].bindings);
        cleanup_json json_t *h = js(host);
        CHECK(h != NULL);
        pier_err_t err = NULL;
        CHECK(ports_check(h, &err) < 0);
        CHECK_STR(pier_error_msg(err), cases[i].msg);
        CHECK(err->errnum == EINVAL);
        pier_error_free(&err);
    }
    cleanup_json json_t *ok = js("{\"PortBindings\": {\"80/tcp\": [{\"HostIp\": \"10.0.0.1\", "
                                 "\"HostPort\": \"8000-8002\"}]}}");
    pier_err_t err = NULL;
    CHECK(ports_check(ok, &err) == 0);
}

static struct port_binding pb(const char *ip, uint16_t host, uint16_t ctr, uint8_t proto)
{
    struct port_binding b = {.host_port = host, .ctr_port = ctr, .proto = proto};
    inet_pton(AF_INET, ip, &b.host_ip);
    return b;
}

TEST(ports_inspect_and_list_json)
{
    cleanup_json json_t *cfg = js("{\"ExposedPorts\": {\"80/tcp\": {}, \"81/tcp\": {}, "
                                  "\"53/udp\": {}, \"bad\": {}}}");
    struct port_binding b[] = {pb("0.0.0.0", 8080, 80, IPPROTO_TCP),
                               pb("127.0.0.1", 8081, 80, IPPROTO_TCP),
                               pb("0.0.0.0", 5353, 53, IPPROTO_UDP)};
    cleanup_free char *insp = dump(ports_inspect_json(cfg, b, 3));
    CHECK_STR(insp, "{\"53/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"5353\"}],"
                    "\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
                    "{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"}],\"81/tcp\":null}");
    cleanup_free char *list = dump(ports_list_json(cfg, b, 3));
    CHECK_STR(list,
              "[{\"PrivatePort\":81,\"Type\":\"tcp\"},"
              "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
              "{\"IP\":\"127.0.0.1\",\"PrivatePort\":80,\"PublicPort\":8081,\"Type\":\"tcp\"},"
              "{\"IP\":\"0.0.0.0\",\"PrivatePort\":53,\"PublicPort\":5353,\"Type\":\"udp\"}]");
    /* what is recorded reads back as it was */
    cleanup_json json_t *again = ports_inspect_json(cfg, b, 3);
    struct port_binding *r;
    size_t n;
    pier_err_t err = NULL;
    CHECK(ports_from_map(again, &r, &n, &err) == 0);
    cleanup_free char *s = show(r, n);
    free(r);
    CHECK_STR(s, "0.0.0.0:8080->80/tcp 127.0.0.1:8081->80/tcp 0.0.0.0:5353->53/udp");
    cleanup_free char *empty = dump(ports_inspect_json(NULL, NULL, 0));
    CHECK_STR(empty, "{}");
}

/* A port of 127.0.0.1 nobody holds now. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        abort();
    close(fd);
    return ntohs(sa.sin_port);
}

static void table_freep(struct ports_table **t)
{
    ports_table_free(*t);
}

TEST(ports_table_holds_ports)
{
    pier_err_t err = NULL;
    __attribute__((cleanup(table_freep))) struct ports_table *t = NULL;
    CHECK(ports_table_new("pier-ports-unit", &t, &err) == 0);
    uint16_t p = free_port();
    struct in_addr ctr;
    inet_pton(AF_INET, "10.99.0.2", &ctr);
    struct port_binding a[] = {pb("127.0.0.1", p, 80, IPPROTO_TCP)};
    CHECK(ports_restore(t, "c1", "br-unit", ctr, a, 1, &err) == 0);
    /* held: a program cannot bind it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == EADDRINUSE);
    close(fd);
    /* another container: 0.0.0.0 covers 127.0.0.1 */
    struct port_binding c[] = {pb("0.0.0.0", p, 81, IPPROTO_TCP)};
    CHECK(ports_restore(t, "c2", "br-unit", ctr, c, 1, &err) < 0);
    char want[128];
    snprintf(want, sizeof want, "Bind for 0.0.0.0:%u failed: port is already allocated", p);
    CHECK_STR(pier_error_msg(err), want);
    pier_error_free(&err);
    /* the same port on UDP is another port */
    struct port_binding u[] = {pb("127.0.0.1", p, 53, IPPROTO_UDP)};
    CHECK(ports_restore(t, "c3", "br-unit", ctr, u, 1, &err) == 0);
    /* one container's ports are published once */
    CHECK(ports_restore(t, "c1", "br-unit", ctr, u, 1, &err) < 0);
    pier_error_free(&err);
    /* a restored binding names its host port */
    struct port_binding z[] = {pb("0.0.0.0", 0, 80, IPPROTO_TCP)};
    CHECK(ports_restore(t, "c4", "br-unit", ctr, z, 1, &err) < 0);
    pier_error_free(&err);
    /* a reversed host range or no container port is refused before any
     * port is taken or any rule written */
    struct port_binding r[] = {pb("0.0.0.0", 9, 80, IPPROTO_TCP), pb("0.0.0.0", 7, 0, IPPROTO_TCP)};
    r[0].host_port_end = 8;
    CHECK(ports_publish(t, "c6", "br-unit", ctr, r, 1, &err) < 0 && err->errnum == EINVAL);
    pier_error_free(&err);
    CHECK(ports_publish(t, "c6", "br-unit", ctr, r + 1, 1, &err) < 0 && err->errnum == EINVAL);
    pier_error_free(&err);
    /* bad names change nothing */
    CHECK(ports_restore(t, "c5", "a-bridge-name-too-long", ctr, z, 0, &err) < 0);
    CHECK_STR(pier_error_msg(err), "invalid bridge name `a-bridge-name-too-long`");
    pier_error_free(&err);
    CHECK(ports_restore(t, "c5", "br\" } x", ctr, z, 0, &err) < 0);
    pier_error_free(&err);
    CHECK(ports_restore(t, "c5", "../x", ctr, z, 0, &err) < 0);
    pier_error_free(&err);
    struct ports_table *bad;
    CHECK(ports_table_new("x; flush ruleset", &bad, &err) < 0);
    pier_error_free(&err);
}

TEST(ports_sync_script)
{
    pier_err_t err = NULL;
    __attribute__((cleanup(table_freep))) struct ports_table *t = NULL;
    CHECK(ports_table_new("pier-ports-unit", &t, &err) == 0);
    cleanup_buf struct buf empty = BUF_INIT;
    ports_script_sync(t, &empty);
    CHECK_STR(empty.data, "table ip pier-ports-unit {}\ndelete table ip pier-ports-unit\n");

    uint16_t p1 = free_port(), p2 = free_port(), p3 = free_port();
    struct in_addr ctr;
    inet_pton(AF_INET, "10.99.0.2", &ctr);
    /* two host ports to one container port: one hairpin element */
    struct port_binding a[] = {pb("127.0.0.1", p1, 80, IPPROTO_TCP),
                               pb("127.0.0.1", p2, 80, IPPROTO_TCP),
                               pb("127.0.0.1", p3, 53, IPPROTO_UDP)};
    CHECK(ports_restore(t, "c1", "br-unit", ctr, a, 3, &err) == 0);
    cleanup_buf struct buf s = BUF_INIT;
    ports_script_sync(t, &s);
    CHECK_CONTAINS(s.data, "table ip pier-ports-unit {}\ndelete table ip pier-ports-unit\n"
                           "table ip pier-ports-unit {\n");
    CHECK_CONTAINS(s.data, "dnat ip to meta l4proto . ip daddr . th dport map @dnat_ip\n");
    CHECK_CONTAINS(s.data, "fib daddr type local dnat ip to meta l4proto . th dport map @dnat_any");
    CHECK_CONTAINS(s.data, "oifname @bridges ip saddr 127.0.0.0/8 masquerade");
    CHECK_CONTAINS(s.data, "iifname @bridges ip daddr 127.0.0.0/8 drop");
    char line[160];
    snprintf(line, sizeof line,
             "add element ip pier-ports-unit dnat_ip { tcp . 127.0.0.1 . %u : 10.99.0.2 . 80 }\n",
             p2);
    CHECK_CONTAINS(s.data, line);
    snprintf(line, sizeof line,
             "add element ip pier-ports-unit dnat_ip { udp . 127.0.0.1 . %u : 10.99.0.2 . 53 }\n",
             p3);
    CHECK_CONTAINS(s.data, line);
    const char *hp = "add element ip pier-ports-unit hairpin { tcp . 10.99.0.2 . 10.99.0.2 . 80 }";
    const char *first = strstr(s.data, hp);
    CHECK(first != NULL && strstr(first + 1, hp) == NULL);
    CHECK_CONTAINS(s.data,
                   "add element ip pier-ports-unit hairpin { udp . 10.99.0.2 . 10.99.0.2 . 53 }");
    const char *br = "add element ip pier-ports-unit bridges { \"br-unit\" }";
    first = strstr(s.data, br);
    CHECK(first != NULL && strstr(first + 1, br) == NULL);
}

TEST(ports_engine_record)
{
    /* what a running container shows: inspect's map as recorded, ps's
     * list made from it; a container never published shows none */
    struct container c = {.config = js("{\"ExposedPorts\": {\"80/tcp\": {}, \"81/tcp\": {}}}")};
    cleanup_free char *none = dump(ct_ports_list(&c));
    CHECK_STR(none, "[]");
    cleanup_free char *none2 = dump(ct_ports_inspect(&c));
    CHECK_STR(none2, "{}");
    struct port_binding b[] = {pb("0.0.0.0", 8080, 80, IPPROTO_TCP)};
    c.ports = ports_inspect_json(c.config, b, 1);
    cleanup_free char *insp = dump(ct_ports_inspect(&c));
    CHECK_STR(insp,
              "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],\"81/tcp\":null}");
    cleanup_free char *list = dump(ct_ports_list(&c));
    CHECK_STR(list,
              "[{\"PrivatePort\":81,\"Type\":\"tcp\"},"
              "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"}]");
    json_decref(c.ports);
    json_decref(c.config);
    /* create refuses what dockerd refuses */
    cleanup_json json_t *h = js("{\"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"x\"}]}}");
    pier_err_t err = NULL;
    CHECK(ct_ports_check(h, &err) < 0 && err->errnum == EINVAL);
    pier_error_free(&err);
}
