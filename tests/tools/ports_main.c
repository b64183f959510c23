/* test-ports: the published-ports module alone, driven line by line from
 * stdin the way pierd drives it, so that a test can prove the DNAT path
 * without containers or bridges made by pierd.  One process holds the
 * table (and the host ports' sockets) for the whole session:
 *
 *   test-ports TABLE
 *   publish ID BRIDGE CTRIP [HOSTIP:]HOSTPORT:CTRPORT[/PROTO] ...
 *       -> ok 80/tcp=0.0.0.0:8080 ...      (HOSTPORT empty: a free one)
 *   restore ID BRIDGE CTRIP [HOSTIP:]HOSTPORT:CTRPORT[/PROTO] ...
 *       -> as publish, held in memory only until `sync` (a new pierd)
 *   unpublish ID | sync | flush | script | quit
 *       -> ok, or "error: MESSAGE" for any command
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/cleanup.h"
#include "../../src/lib/json.h"
#include "../../src/network/ports.h"

/* "IP:HP:CP/proto" into PortBindings' shape, parsed by the module. */
static int add_spec(json_t *map, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *cp = strrchr(buf, ':');
    if (cp == NULL)
        return -1;
    *cp++ = '\0';
    char *hp = strrchr(buf, ':');
    const char *ip = "";
    if (hp) {
        *hp++ = '\0';
        ip = buf;
    } else {
        hp = buf;
    }
    char key[64];
    snprintf(key, sizeof key, "%s%s", cp, strchr(cp, '/') ? "" : "/tcp");
    json_t *list = json_object_get(map, key);
    if (list == NULL) {
        list = json_array();
        json_object_set_new(map, key, list);
    }
    json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", hp));
    return 0;
}

/* publish, or restore (host ports as given, held in memory until sync) */
static int publish(struct ports_table *t, bool restore, char **argv, int argc, pier_err_t *err)
{
    if (argc < 4)
        return pier_fail(err, 0, "publish|restore ID BRIDGE CTRIP SPEC...");
    struct in_addr ip;
    if (inet_pton(AF_INET, argv[2], &ip) != 1)
        return pier_fail(err, 0, "bad container address %s", argv[2]);
    cleanup_json json_t *map = json_object();
    for (int i = 3; i < argc; i++)
        if (add_spec(map, argv[i]) < 0)
            return pier_fail(err, 0, "bad spec %s", argv[i]);
    cleanup_free struct port_binding *b = NULL;
    size_t n;
    if (ports_from_map(map, &b, &n, err) < 0)
        return -1;
    int rc = restore ? ports_restore(t, argv[0], argv[1], ip, b, n, err)
                     : ports_publish(t, argv[0], argv[1], ip, b, n, err);
    if (rc < 0)
        return -1;
    printf("ok");
    for (size_t i = 0; i < n; i++) {
        char hip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &b[i].host_ip, hip, sizeof hip);
        printf(" %u/%s=%s:%u", b[i].ctr_port, ports_proto_name(b[i].proto), hip, b[i].host_port);
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test-ports TABLE < commands\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    pier_err_t err = NULL;
    struct ports_table *t;
    if (ports_table_new(argv[1], &t, &err) < 0) {
        fprintf(stderr, "test-ports: %s\n", pier_error_msg(err));
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        char *words[64];
        int nw = 0;
        char *save = NULL;
        for (char *w = strtok_r(line, " \t\n", &save); w && nw < 64;
             w = strtok_r(NULL, " \t\n", &save))
            words[nw++] = w;
        if (nw == 0)
            continue;
        int rc = 0;
        bool done = false;
        if (strcmp(words[0], "publish") == 0 || strcmp(words[0], "restore") == 0) {
            rc = publish(t, words[0][0] == 'r', words + 1, nw - 1, &err);
            done = rc == 0;
        } else if (strcmp(words[0], "unpublish") == 0 && nw == 2) {
            rc = ports_unpublish(t, words[1], &err);
        } else if (strcmp(words[0], "sync") == 0) {
            rc = ports_sync(t, &err);
        } else if (strcmp(words[0], "flush") == 0) {
            rc = ports_flush(t, &err);
        } else if (strcmp(words[0], "script") == 0) {
            struct buf s = BUF_INIT;
            ports_script_sync(t, &s);
            fputs(s.data ? s.data : "", stdout);
            buf_free(&s);
        } else if (strcmp(words[0], "quit") == 0) {
            break;
        } else {
            rc = pier_fail(&err, 0, "unknown command %s", words[0]);
        }
        if (rc < 0) {
            printf("error: %s\n", pier_error_msg(err));
            pier_error_free(&err);
        } else if (!done) {
            printf("ok\n");
        }
    }
    ports_table_free(t);
    return 0;
}
