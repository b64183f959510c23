/* network create, ls, rm, connect, disconnect (inspect is in
 * cmd_inspect.c, prune in cmd_prune.c), as the docker CLI has them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"
#include "commands.h"
#include "filters.h"
#include "format.h"

/* --- create ------------------------------------------------------------------ */

/* "k=v" values of a list flag into an object (a value without '=' maps
 * to "") */
static json_t *kv_object(struct flag *f)
{
    json_t *o = json_object();
    for (size_t i = 0; i < f->nvals; i++) {
        const char *eq = strchr(f->vals[i], '=');
        char k[256];
        snprintf(k, sizeof k, "%.*s", eq ? (int)(eq - f->vals[i]) : (int)strlen(f->vals[i]),
                 f->vals[i]);
        json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
    }
    return o;
}

/* docker's consolidateIpam: each gateway and ip-range goes with the
 * subnet that holds it (pier's daemon takes one subnet; the pairing of
 * more is the daemon's to refuse) */
static int ipam_config(struct flagset *fs, json_t **out, pier_err_t *err)
{
    struct flag *subnets = flag_get(fs, "subnet"), *gws = flag_get(fs, "gateway"),
                *ranges = flag_get(fs, "ip-range");
    if (subnets->nvals < gws->nvals)
        return pier_fail(err, EINVAL, "every ip-range or gateway must have a corresponding subnet");
    if (subnets->nvals < ranges->nvals)
        return pier_fail(err, EINVAL, "every ip-range or gateway must have a corresponding subnet");
    json_t *a = json_array();
    for (size_t i = 0; i < subnets->nvals; i++) {
        json_t *c = json_pack("{s:s}", "Subnet", subnets->vals[i]);
        if (i < ranges->nvals)
            json_object_set_new(c, "IPRange", json_string(ranges->vals[i]));
        if (i < gws->nvals)
            json_object_set_new(c, "Gateway", json_string(gws->vals[i]));
        json_array_append_new(a, c);
    }
    *out = a;
    return 0;
}

static int run_create(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    json_t *config = NULL;
    if (ipam_config(fs, &config, &err) < 0)
        return cli_fail(&err);
    const char *driver = flag_str(fs, "driver");
    const char *ipam_driver = flag_str(fs, "ipam-driver");
    cleanup_json json_t *body = json_pack(
        "{s:s, s:s, s:s, s:b, s:{s:s, s:o, s:o}, s:b, s:b, s:b, s:b, s:o, s:o}", "Name",
        fs->args[0], "Driver", *driver ? driver : "bridge", "Scope", flag_str(fs, "scope"),
        "EnableIPv4", true, "IPAM", "Driver", *ipam_driver ? ipam_driver : "default", "Config",
        config, "Options", kv_object(flag_get(fs, "ipam-opt")), "Internal",
        flag_bool(fs, "internal"), "Attachable", flag_bool(fs, "attachable"), "Ingress",
        flag_bool(fs, "ingress"), "ConfigOnly", flag_bool(fs, "config-only"), "Options",
        kv_object(flag_get(fs, "opt")), "Labels", kv_object(flag_get(fs, "label")));
    if (flag_bool(fs, "ipv6"))
        json_object_set_new(body, "EnableIPv6", json_true());
    struct api_resp r;
    json_t *j;
    if (api_call(cli, "POST", "/networks/create", body, &r, &err) < 0 ||
        api_json(&r, &j, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    printf("%s\n", json_string_value(json_object_get(j, "Id")) ?: "");
    api_resp_free(&r);
    return 0;
}

static struct flag create_flags[] = {
    {"attachable", 0, FK_BOOL, NULL, "Enable manual container attachment"},
    {"aux-address", 0, FK_LIST, "map",
     "Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])"},
    {"config-from", 0, FK_STRING, NULL, "The network from which to copy the configuration"},
    {"config-only", 0, FK_BOOL, NULL, "Create a configuration only network"},
    {"driver", 'd', FK_STRING, NULL, "Driver to manage the Network", "bridge"},
    {"gateway", 0, FK_LIST, "strings", "IPv4 or IPv6 Gateway for the master subnet"},
    {"ingress", 0, FK_BOOL, NULL, "Create swarm routing-mesh network"},
    {"internal", 0, FK_BOOL, NULL, "Restrict external access to the network"},
    {"ip-range", 0, FK_LIST, "strings", "Allocate container ip from a sub-range"},
    {"ipam-driver", 0, FK_STRING, NULL, "IP Address Management Driver", "default"},
    {"ipam-opt", 0, FK_LIST, "map", "Set IPAM driver specific options (default map[])"},
    {"ipv4", 0, FK_BOOL, NULL, "Enable or disable IPv4 address assignment", "true"},
    {"ipv6", 0, FK_BOOL, NULL, "Enable or disable IPv6 address assignment"},
    {"label", 0, FK_LIST, "list", "Set metadata on a network"},
    {"opt", 'o', FK_LIST, "map", "Set driver specific options (default map[])"},
    {"scope", 0, FK_STRING, NULL, "Control the network's scope"},
    {"subnet", 0, FK_LIST, "strings", "Subnet in CIDR format that represents a network segment"},
    {NULL},
};

struct cmd cmd_network_create = {
    .use = "create [OPTIONS] NETWORK",
    .short_desc = "Create a network",
    .args = ARGS_EXACT,
    .amin = 1,
    .amax = 1,
    .flags = create_flags,
    .run = run_create,
};

/* --- ls ---------------------------------------------------------------------- */

static json_t *network_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
                     "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv4", "IPV4", "IPv6", "IPV6",
                     "Internal", "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED AT");
}

static const struct tmpl_field network_fields[] = {
    {"CreatedAt", &tmpl_string}, {"Driver", &tmpl_string},
    {"ID", &tmpl_string},        {"IPv4", &tmpl_string},
    {"IPv6", &tmpl_string},      {"Internal", &tmpl_string},
    {"Label", &tmpl_string},     {"Labels", &tmpl_string},
    {"Name", &tmpl_string},      {"Scope", &tmpl_string},
    {"FullHeader", NULL},        {"Header", NULL},
    {"MarshalJSON", NULL},       {NULL},
};
static const struct tmpl_type network_context_type = {"*formatter.networkContext", network_fields,
                                                      false};

/* Go's time.Time.String() of an RFC 3339 time in UTC */
static void go_time(const char *rfc, char *out, size_t cap)
{
    const char *t = strchr(rfc, 'T');
    const char *z = t ? strpbrk(t, "Z+") : NULL;
    if (t == NULL || z == NULL) {
        snprintf(out, cap, "%s", rfc);
        return;
    }
    snprintf(out, cap, "%.*s %.*s +0000 UTC", (int)(t - rfc), rfc, (int)(z - t - 1), t + 1);
}

static json_t *network_row(json_t *n, bool trunc)
{
    const char *id = json_string_value(json_object_get(n, "Id")) ?: "";
    json_t *labels = json_object_get(n, "Labels");
    const char **keys = calloc(json_object_size(labels) + 1, sizeof *keys);
    size_t nk = 0;
    const char *k;
    json_t *v;
    json_object_foreach (labels, k, v)
        if (keys)
            keys[nk++] = k;
    if (keys)
        qsort(keys, nk, sizeof *keys, cmp_cstr);
    cleanup_buf struct buf lb = BUF_INIT;
    for (size_t i = 0; i < nk; i++)
        buf_printf(&lb, "%s%s=%s", i ? "," : "", keys[i],
                   json_string_value(json_object_get(labels, keys[i])) ?: "");
    free(keys);
    char created[96];
    go_time(json_string_value(json_object_get(n, "Created")) ?: "", created, sizeof created);
    json_t *row = json_pack(
        "{s:s#, s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:s}", "ID", id,
        (int)(trunc && strlen(id) > 12 ? 12 : strlen(id)), "Name", json_object_get(n, "Name"),
        "Driver", json_object_get(n, "Driver"), "Scope", json_object_get(n, "Scope"), "IPv4",
        json_is_false(json_object_get(n, "EnableIPv4")) ? "false" : "true", "IPv6",
        json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false", "Internal",
        json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels",
        lb.data ? lb.data : "", "CreatedAt", created);
    json_object_set(row, "Label", json_is_object(labels) ? labels : json_object());
    return row;
}

static int by_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "Name")) ?: "",
                  json_string_value(json_object_get(y, "Name")) ?: "");
}

static int run_ls(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/networks");
    filters_param(flag_get(fs, "filter"), &q);
    struct api_resp r;
    json_t *list;
    if (api_call(cli, "GET", q.data, NULL, &r, &err) < 0 || api_json(&r, &list, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    bool quiet = flag_bool(fs, "quiet");
    const char *format = flag_str(fs, "format");
    if (*format == '\0')
        format = *cli_config(cli, "networksFormat") && !quiet ? cli_config(cli, "networksFormat")
                                                              : "table";
    const char *tmpl = format;
    if (quiet && (strcmp(format, "table") == 0 || strcmp(format, "raw") == 0))
        tmpl = strcmp(format, "raw") == 0 ? "network_id: {{.ID}}" : "{{.ID}}";
    else if (strcmp(format, "table") == 0)
        tmpl = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
    else if (strcmp(format, "raw") == 0)
        tmpl = "network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n";
    size_t n = json_array_size(list);
    json_t **v = calloc(n + 1, sizeof *v);
    if (v == NULL) {
        api_resp_free(&r);
        pier_error(&err, ENOMEM, "network ls");
        return cli_fail(&err);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    qsort(v, n, sizeof *v, by_name);
    struct fmt_ctx f;
    int rc = 0;
    if (fmt_begin(&f, tmpl, network_header(), &err) < 0) {
        rc = cli_fail(&err);
    } else {
        f.type = &network_context_type;
        bool trunc = !flag_bool(fs, "no-trunc");
        for (size_t i = 0; i < n && rc == 0; i++) {
            cleanup_json json_t *row = network_row(v[i], trunc);
            if (fmt_row(&f, row, &err) < 0)
                rc = cli_fail(&err);
        }
        if (rc == 0 && fmt_end(&f, stdout, &err) < 0)
            rc = cli_fail(&err);
    }
    fmt_free(&f);
    free(v);
    api_resp_free(&r);
    return rc;
}

static struct flag ls_flags[] = {
    {"filter", 'f', FK_LIST, "filter", "Provide filter values (e.g. \"driver=bridge\")",
     .check = filter_check},
    {"format", 0, FK_STRING, NULL, TABLE_FORMAT_HELP},
    {"no-trunc", 0, FK_BOOL, NULL, "Do not truncate the output"},
    {"quiet", 'q', FK_BOOL, NULL, "Only display network IDs"},
    {NULL},
};

struct cmd cmd_network_ls = {
    .use = "ls [OPTIONS]",
    .aliases = "network ls, network list",
    .short_desc = "List networks",
    .args = ARGS_NONE,
    .flags = ls_flags,
    .run = run_ls,
};

/* --- rm ---------------------------------------------------------------------- */

static int run_rm(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    int rc = 0;
    for (int i = 0; i < fs->nargs; i++) {
        cleanup_buf struct buf p = BUF_INIT;
        buf_puts(&p, "/networks/");
        url_escape(fs->args[i], &p);
        struct api_resp r;
        pier_err_t err = NULL;
        if (api_do(cli, "DELETE", p.data, NULL, &r, &err) < 0 ||
            (r.status >= 400 && api_error(&r, &err) < 0)) {
            bool missing = r.status == 404;
            api_resp_free(&r);
            /* -f: a network that is not there is no failure */
            if (missing && flag_bool(fs, "force")) {
                pier_error_free(&err);
                continue;
            }
            fflush(stdout);
            fprintf(stderr, "%s\n", pier_error_msg(err));
            pier_error_free(&err);
            rc = 1;
            continue;
        }
        api_resp_free(&r);
        printf("%s\n", fs->args[i]);
    }
    /* docker's cli.StatusError without a message, as its main prints it */
    if (rc)
        fprintf(stderr, "exit status %d\n", rc);
    return rc;
}

static struct flag rm_flags[] = {
    {"force", 'f', FK_BOOL, NULL, "Do not error if the network does not exist"},
    {NULL},
};

struct cmd cmd_network_rm = {
    .use = "rm NETWORK [NETWORK...]",
    .aliases = "network rm, network remove",
    .short_desc = "Remove one or more networks",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = rm_flags,
    .run = run_rm,
};

/* --- connect, disconnect ----------------------------------------------------- */

static int post_container(struct cli *cli, const char *net, const char *what, json_t *body)
{
    pier_err_t err = NULL;
    cleanup_buf struct buf p = BUF_INIT;
    buf_puts(&p, "/networks/");
    url_escape(net, &p);
    buf_puts(&p, what);
    struct api_resp r;
    if (api_call(cli, "POST", p.data, body, &r, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    api_resp_free(&r);
    return 0;
}

static int run_connect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    json_t *ep = json_object();
    const char *ip = flag_str(fs, "ip"), *ip6 = flag_str(fs, "ip6");
    if (*ip || *ip6) {
        json_t *ipam = json_object();
        if (*ip)
            json_object_set_new(ipam, "IPv4Address", json_string(ip));
        if (*ip6)
            json_object_set_new(ipam, "IPv6Address", json_string(ip6));
        json_object_set_new(ep, "IPAMConfig", ipam);
    }
    struct flag *al = flag_get(fs, "alias");
    if (al->nvals) {
        json_t *a = json_array();
        for (size_t i = 0; i < al->nvals; i++)
            json_array_append_new(a, json_string(al->vals[i]));
        json_object_set_new(ep, "Aliases", a);
    }
    cleanup_json json_t *body =
        json_pack("{s:s, s:o}", "Container", fs->args[1], "EndpointConfig", ep);
    return post_container(cli, fs->args[0], "/connect", body);
}

static struct flag connect_flags[] = {
    {"alias", 0, FK_LIST, "strings", "Add network-scoped alias for the container"},
    {"driver-opt", 0, FK_LIST, "strings", "driver options for the network"},
    {"gw-priority", 0, FK_INT, "int",
     "Highest gw-priority provides the default gateway. Accepts positive and negative values."},
    {"ip", 0, FK_STRING, NULL, "IPv4 address (e.g., \"172.30.100.104\")"},
    {"ip6", 0, FK_STRING, NULL, "IPv6 address (e.g., \"2001:db8::33\")"},
    {"link", 0, FK_LIST, "list", "Add link to another container"},
    {"link-local-ip", 0, FK_LIST, "strings", "Add a link-local address for the container"},
    {NULL},
};

struct cmd cmd_network_connect = {
    .use = "connect [OPTIONS] NETWORK CONTAINER",
    .short_desc = "Connect a container to a network",
    .args = ARGS_EXACT,
    .amin = 2,
    .amax = 2,
    .flags = connect_flags,
    .run = run_connect,
};

static int run_disconnect(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    cleanup_json json_t *body =
        json_pack("{s:s, s:b}", "Container", fs->args[1], "Force", flag_bool(fs, "force"));
    return post_container(cli, fs->args[0], "/disconnect", body);
}

static struct flag disconnect_flags[] = {
    {"force", 'f', FK_BOOL, NULL, "Force the container to disconnect from a network"},
    {NULL},
};

struct cmd cmd_network_disconnect = {
    .use = "disconnect [OPTIONS] NETWORK CONTAINER",
    .short_desc = "Disconnect a container from a network",
    .args = ARGS_EXACT,
    .amin = 2,
    .amax = 2,
    .flags = disconnect_flags,
    .run = run_disconnect,
};
