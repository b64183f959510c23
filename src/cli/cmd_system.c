/* version and info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"
#include "format.h"
#include "json_go.h"
#include "tabwriter.h"
#include "units.h"

/* Go's time.ANSIC of an RFC 3339 build time; the input if it is not one. */
static void reformat_date(const char *s, char *out, size_t cap)
{
    int64_t sec;
    long ns;
    if (s == NULL || parse_rfc3339(s, &sec, &ns) < 0) {
        snprintf(out, cap, "%s", s ? s : "");
        return;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* "Mon Jan _2 15:04:05 2006", in the time's own zone (UTC here) */
    strftime(out, cap, "%a %b %e %H:%M:%S %Y", &tm);
}

static const char *build_time(void)
{
    /* __DATE__ is "Nov 22 2026": shown as ANSIC needs a weekday */
    static char out[64];
    struct tm tm = {0};
    char mon[4];
    int d, y, h, mi, s;
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (sscanf(__DATE__, "%3s %d %d", mon, &d, &y) == 3 &&
        sscanf(__TIME__, "%d:%d:%d", &h, &mi, &s) == 3) {
        const char *m = strstr(months, mon);
        tm.tm_mon = m ? (int)(m - months) / 3 : 0;
        tm.tm_mday = d;
        tm.tm_year = y - 1900;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        time_t t = timegm(&tm);
        gmtime_r(&t, &tm);
        strftime(out, sizeof out, "%a %b %e %H:%M:%S %Y", &tm);
        return out;
    }
    return __DATE__;
}

/* The client half of version's data, in the order docker marshals it. */
static json_t *client_version(struct cli *cli, bool with_api)
{
    json_t *c = json_object();
    json_object_set_new(c, "Version", json_string(PIER_CLI_VERSION));
    if (with_api)
        json_object_set_new(c, "ApiVersion", json_string(cli->version));
    json_object_set_new(c, "DefaultAPIVersion", json_string(PIER_API_VERSION));
    json_object_set_new(c, "GitCommit", json_string("pier"));
    json_object_set_new(c, "GoVersion", json_string("none (C, gcc " __VERSION__ ")"));
    json_object_set_new(c, "Os", json_string("linux"));
    json_object_set_new(c, "Arch", json_string("amd64"));
    json_object_set_new(c, "BuildTime", json_string(build_time()));
    json_object_set_new(c, "Context", json_string("default"));
    return c;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The server's version as docker's types.Version marshals it (its fields
 * in order, the omitempty ones left out when empty), or, for a template
 * that prints no JSON, as its fields read (zero values where empty). */
static json_t *server_version(json_t *raw, bool for_json)
{
    static const struct {
        const char *key;
        bool omitempty;
    } fields[] = {
        {"Platform", false},     {"Components", true},    {"Version", false},
        {"ApiVersion", false},   {"MinAPIVersion", true}, {"GitCommit", false},
        {"GoVersion", false},    {"Os", false},           {"Arch", false},
        {"KernelVersion", true}, {"Experimental", true},  {"BuildTime", true},
    };
    json_t *s = json_object();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(raw, fields[i].key);
        bool empty = v == NULL || json_is_null(v) || json_is_false(v) ||
                     (json_is_string(v) && *json_string_value(v) == '\0') ||
                     (json_is_array(v) && json_array_size(v) == 0);
        if (empty && fields[i].omitempty && for_json)
            continue;
        if (strcmp(fields[i].key, "Experimental") == 0) {
            json_object_set_new(s, "Experimental", json_boolean(json_is_true(v)));
            continue;
        }
        if (strcmp(fields[i].key, "Components") == 0 && !json_is_array(v)) {
            json_object_set_new(s, "Components", json_array());
            continue;
        }
        if (v == NULL || json_is_null(v)) {
            if (strcmp(fields[i].key, "Platform") == 0) {
                json_t *p = json_object();
                json_object_set_new(p, "Name", json_string(""));
                json_object_set_new(s, "Platform", p);
            } else {
                json_object_set_new(s, fields[i].key, json_string(""));
            }
            continue;
        }
        json_object_set(s, fields[i].key, v);
    }
    return s;
}

static void print_version(json_t *data, struct buf *t)
{
    json_t *c = json_object_get(data, "Client");
    const char *api = jstr(c, "ApiVersion");
    buf_printf(t, "Client:\n Version:\t%s\n API version:\t%s", jstr(c, "Version"), api);
    if (strcmp(api, jstr(c, "DefaultAPIVersion")) != 0)
        buf_printf(t, " (downgraded from %s)", jstr(c, "DefaultAPIVersion"));
    buf_printf(t,
               "\n Go version:\t%s\n Git commit:\t%s\n Built:\t%s\n OS/Arch:\t%s/%s\n "
               "Context:\t%s",
               jstr(c, "GoVersion"), jstr(c, "GitCommit"), jstr(c, "BuildTime"), jstr(c, "Os"),
               jstr(c, "Arch"), jstr(c, "Context"));
    json_t *s = json_object_get(data, "Server");
    if (s == NULL || json_is_null(s))
        return;
    const char *pn = jstr(json_object_get(s, "Platform"), "Name");
    buf_printf(t, "\n\nServer:%s%s", *pn ? " " : "", pn);
    json_t *comp;
    size_t i;
    json_array_foreach (json_object_get(s, "Components"), i, comp) {
        json_t *d = json_object_get(comp, "Details");
        buf_printf(t, "\n %s:", jstr(comp, "Name"));
        if (strcmp(jstr(comp, "Name"), "Engine") == 0) {
            buf_printf(t,
                       "\n  Version:\t%s\n  API version:\t%s (minimum version %s)\n  Go "
                       "version:\t%s\n  Git commit:\t%s\n  Built:\t%s\n  OS/Arch:\t%s/%s\n  "
                       "Experimental:\t%s",
                       jstr(comp, "Version"), jstr(d, "ApiVersion"), jstr(d, "MinAPIVersion"),
                       jstr(d, "GoVersion"), jstr(d, "GitCommit"), jstr(d, "BuildTime"),
                       jstr(d, "Os"), jstr(d, "Arch"), jstr(d, "Experimental"));
            continue;
        }
        buf_printf(t, "\n  Version:\t%s", jstr(comp, "Version"));
        const char *keys[64];
        size_t n = 0;
        const char *k;
        json_t *v;
        json_object_foreach (d, k, v) {
            if (n < 64)
                keys[n++] = k;
        }
        qsort(keys, n, sizeof *keys, cmp_cstr);
        for (size_t j = 0; j < n; j++)
            buf_printf(t, "\n  %s:\t%s", keys[j], jstr(d, keys[j]));
    }
}

/* What a template may name on docker's system.versionInfo. */
static const struct tmpl_field platform_fields[] = {{"Name", &tmpl_string}, {NULL}};
static const struct tmpl_type platform_type = {"system.platformInfo", platform_fields, false};
static const struct tmpl_type server_platform_type = {"struct { Name string }", platform_fields,
                                                      false};
static const struct tmpl_field client_fields[] = {
    {"Platform", &platform_type},
    {"Version", &tmpl_string},
    {"APIVersion", &tmpl_string},
    {"DefaultAPIVersion", &tmpl_string},
    {"GitCommit", &tmpl_string},
    {"GoVersion", &tmpl_string},
    {"Os", &tmpl_string},
    {"Arch", &tmpl_string},
    {"BuildTime", &tmpl_string},
    {"Context", &tmpl_string},
    {NULL},
};
static const struct tmpl_type client_type = {"system.clientVersion", client_fields, false};
static const struct tmpl_field server_fields[] = {
    {"Platform", &server_platform_type},
    {"Components", NULL},
    {"Version", &tmpl_string},
    {"APIVersion", &tmpl_string},
    {"MinAPIVersion", &tmpl_string},
    {"GitCommit", &tmpl_string},
    {"GoVersion", &tmpl_string},
    {"Os", &tmpl_string},
    {"Arch", &tmpl_string},
    {"KernelVersion", &tmpl_string},
    {"Experimental", NULL},
    {"BuildTime", &tmpl_string},
    {NULL},
};
static const struct tmpl_type server_type = {"*types.Version", server_fields, false};
static const struct tmpl_field version_fields[] = {
    {"Client", &client_type},
    {"Server", &server_type},
    {NULL},
};
static const struct tmpl_type version_type = {"system.versionInfo", version_fields, false};

static int run_version(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    const char *format = flag_str(fs, "format");
    pier_err_t err = NULL;
    struct gotmpl *tmpl = NULL;
    if (*format) {
        const char *f = strcmp(format, "json") == 0 ? "{{json .}}" : format;
        if (gotmpl_parse(f, &tmpl, &err) < 0) {
            tmpl_error_name(&err, "version");
            fprintf(stderr, "template parsing error: %s\n", pier_error_msg(err));
            pier_error_free(&err);
            return 64;
        }
    }
    struct api_resp r;
    int rc = 0;
    cleanup_json json_t *data = json_object();
    json_t *server = NULL;
    if (api_call(cli, "GET", "/version", NULL, &r, &err) == 0) {
        json_t *j;
        if (api_json(&r, &j, &err) == 0) {
            server = json_incref(j);
            /* the Engine's build time in ANSIC, as docker shows it */
            json_t *comp;
            size_t i;
            bool engine = false;
            json_array_foreach (json_object_get(server, "Components"), i, comp) {
                if (strcmp(jstr(comp, "Name"), "Engine") != 0)
                    continue;
                engine = true;
                json_t *d = json_object_get(comp, "Details");
                const char *bt = jstr(d, "BuildTime");
                if (*bt) {
                    char b[64];
                    reformat_date(bt, b, sizeof b);
                    json_object_set_new(d, "BuildTime", json_string(b));
                }
            }
            if (!engine) {
                json_t *comps = json_object_get(server, "Components");
                if (!json_is_array(comps)) {
                    comps = json_array();
                    json_object_set_new(server, "Components", comps);
                }
                json_t *d = json_object();
                json_object_set_new(d, "ApiVersion", json_string(jstr(server, "ApiVersion")));
                json_object_set_new(d, "MinAPIVersion", json_string(jstr(server, "MinAPIVersion")));
                json_object_set_new(d, "GitCommit", json_string(jstr(server, "GitCommit")));
                json_object_set_new(d, "GoVersion", json_string(jstr(server, "GoVersion")));
                json_object_set_new(d, "Os", json_string(jstr(server, "Os")));
                json_object_set_new(d, "Arch", json_string(jstr(server, "Arch")));
                char b[64];
                reformat_date(jstr(server, "BuildTime"), b, sizeof b);
                json_object_set_new(d, "BuildTime", json_string(b));
                json_object_set_new(
                    d, "Experimental",
                    json_string(json_is_true(json_object_get(server, "Experimental")) ? "true"
                                                                                      : "false"));
                json_t *e = json_object();
                json_object_set_new(e, "Name", json_string("Engine"));
                json_object_set_new(e, "Version", json_string(jstr(server, "Version")));
                json_object_set_new(e, "Details", d);
                json_array_append_new(comps, e);
            }
        }
        api_resp_free(&r);
    }
    /* the negotiated version, or ours when the daemon is not there */
    if (cli->version[0] == '\0')
        snprintf(cli->version, sizeof cli->version, "%s", PIER_API_VERSION);
    json_object_set_new(data, "Client", client_version(cli, true));
    bool for_json = tmpl == NULL || strstr(format, "json") != NULL;
    if (server) {
        json_t *s = server_version(server, for_json);
        json_decref(server);
        server = s;
    }
    json_object_set_new(data, "Server", server ? server : json_null());

    /* templates name Go's fields: ApiVersion is APIVersion there (only
     * added when no JSON is printed, which must keep the JSON names) */
    if (!for_json) {
        json_t *cl = json_object_get(data, "Client");
        json_object_set(cl, "APIVersion", json_object_get(cl, "ApiVersion"));
        if (server)
            json_object_set(server, "APIVersion", json_object_get(server, "ApiVersion"));
    }
    cleanup_buf struct buf out = BUF_INIT;
    if (tmpl) {
        pier_err_t terr = NULL;
        char *o = NULL;
        size_t ol = 0;
        if (tmpl_check(format, "version", &version_type, &terr) < 0 ||
            gotmpl_exec(tmpl, data, &o, &ol, &terr) < 0) {
            tmpl_error_name(&terr, "version");
            fflush(stdout);
            fprintf(stderr, "%s\n", pier_error_msg(terr));
            pier_error_free(&terr);
            rc = 1;
        } else {
            /* version's template output goes through a tabwriter too */
            buf_put(&out, o, ol);
        }
        free(o);
        gotmpl_free(tmpl);
    } else {
        print_version(data, &out);
    }
    buf_putc(&out, '\n');
    cleanup_buf struct buf tw = BUF_INIT;
    struct tw_opts o = {.minwidth = 20, .tabwidth = 1, .padding = 1, .padchar = ' '};
    tabwriter_format(&o, out.data, out.len, &tw);
    fwrite(tw.data, 1, tw.len, stdout);
    if (err) {
        fflush(stdout);
        cli_fail(&err);
        rc = 1;
    }
    return rc;
}

static struct flag version_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {NULL},
};

struct cmd cmd_version = {
    .use = "version [OPTIONS]",
    .short_desc = "Show the Docker version information",
    .args = ARGS_NONE,
    .flags = version_flags,
    .run = run_version,
};

/* --- info ---------------------------------------------------------------- */

static void println_nonempty(struct buf *b, const char *label, const char *v)
{
    if (v && *v)
        buf_printf(b, "%s %s\n", label, v);
}

static long long jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_number_value(v);
}

static const char *jbool(json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k)) ? "true" : "false";
}

/* A heading, then each string of arr on its own indented line; nothing
 * when arr is empty. */
static void print_list(struct buf *b, const char *heading, json_t *arr)
{
    if (json_array_size(arr) == 0)
        return;
    buf_puts(b, heading);
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        buf_printf(b, "  %s\n", json_string_value(v) ?: "");
    }
}

static void join_strings(struct buf *b, json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (i)
            buf_putc(b, ' ');
        buf_puts(b, json_string_value(v) ? json_string_value(v) : "");
    }
}

/* Base64 netmask -> prefix length. */
static int mask_bits(const char *b64)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int bits = 0;
    unsigned acc = 0;
    int nacc = 0;
    for (const char *p = b64; *p && *p != '='; p++) {
        const char *q = strchr(tbl, *p);
        if (q == NULL)
            break;
        acc = (acc << 6) | (unsigned)(q - tbl);
        nacc += 6;
        if (nacc >= 8) {
            nacc -= 8;
            bits += __builtin_popcount((acc >> nacc) & 0xff);
        }
    }
    return bits;
}

static void print_server_info(json_t *i, struct buf *b, bool client_debug)
{
    buf_printf(b, " Containers: %lld\n", jint(i, "Containers"));
    buf_printf(b, "  Running: %lld\n", jint(i, "ContainersRunning"));
    buf_printf(b, "  Paused: %lld\n", jint(i, "ContainersPaused"));
    buf_printf(b, "  Stopped: %lld\n", jint(i, "ContainersStopped"));
    buf_printf(b, " Images: %lld\n", jint(i, "Images"));
    println_nonempty(b, " Server Version:", jstr(i, "ServerVersion"));
    println_nonempty(b, " Storage Driver:", jstr(i, "Driver"));
    size_t k;
    json_t *pair;
    json_array_foreach (json_object_get(i, "DriverStatus"), k, pair) {
        buf_printf(b, "  %s: %s\n", json_string_value(json_array_get(pair, 0)) ?: "",
                   json_string_value(json_array_get(pair, 1)) ?: "");
    }
    json_array_foreach (json_object_get(i, "SystemStatus"), k, pair) {
        buf_printf(b, " %s: %s\n", json_string_value(json_array_get(pair, 0)) ?: "",
                   json_string_value(json_array_get(pair, 1)) ?: "");
    }
    println_nonempty(b, " Logging Driver:", jstr(i, "LoggingDriver"));
    println_nonempty(b, " Cgroup Driver:", jstr(i, "CgroupDriver"));
    println_nonempty(b, " Cgroup Version:", jstr(i, "CgroupVersion"));
    json_t *pl = json_object_get(i, "Plugins");
    buf_puts(b, " Plugins:\n  Volume: ");
    join_strings(b, json_object_get(pl, "Volume"));
    buf_puts(b, "\n  Network: ");
    join_strings(b, json_object_get(pl, "Network"));
    buf_putc(b, '\n');
    if (json_array_size(json_object_get(pl, "Authorization")) > 0) {
        buf_puts(b, "  Authorization: ");
        join_strings(b, json_object_get(pl, "Authorization"));
        buf_putc(b, '\n');
    }
    buf_puts(b, "  Log: ");
    join_strings(b, json_object_get(pl, "Log"));
    buf_putc(b, '\n');
    print_list(b, " CDI spec directories:\n", json_object_get(i, "CDISpecDirs"));
    json_t *sw = json_object_get(i, "Swarm");
    const char *state = jstr(sw, "LocalNodeState");
    buf_printf(b, " Swarm: %s\n", state);
    if (*state && strcmp(state, "inactive") != 0 && strcmp(state, "locked") != 0) {
        buf_printf(b, "  NodeID: %s\n", jstr(sw, "NodeID"));
        if (*jstr(sw, "Error"))
            buf_printf(b, "  Error: %s\n", jstr(sw, "Error"));
        buf_printf(b, "  Is Manager: %s\n", jbool(sw, "ControlAvailable"));
        buf_printf(b, "  Node Address: %s\n", jstr(sw, "NodeAddr"));
    }
    json_t *rt = json_object_get(i, "Runtimes");
    if (json_object_size(rt) > 0) {
        const char *names[64];
        size_t n = 0;
        const char *key;
        json_t *v;
        json_object_foreach (rt, key, v) {
            if (n < 64)
                names[n++] = key;
        }
        /* docker walks a Go map here (no order); the daemon's order it is */
        buf_puts(b, " Runtimes:");
        for (size_t j = 0; j < n; j++)
            buf_printf(b, " %s", names[j]);
        buf_printf(b, "\n Default Runtime: %s\n", jstr(i, "DefaultRuntime"));
    }
    if (strcmp(jstr(i, "OSType"), "linux") == 0) {
        buf_printf(b, " Init Binary: %s\n", jstr(i, "InitBinary"));
        buf_printf(b, " containerd version: %s\n",
                   jstr(json_object_get(i, "ContainerdCommit"), "ID"));
        buf_printf(b, " runc version: %s\n", jstr(json_object_get(i, "RuncCommit"), "ID"));
        buf_printf(b, " init version: %s\n", jstr(json_object_get(i, "InitCommit"), "ID"));
        json_t *so = json_object_get(i, "SecurityOptions");
        if (json_array_size(so) > 0) {
            buf_puts(b, " Security Options:\n");
            json_t *o;
            json_array_foreach (so, k, o) {
                const char *s = json_string_value(o) ?: "";
                if (strncmp(s, "name=", 5) != 0) {
                    buf_printf(b, "  %s\n", s); /* the old form: just a name */
                    continue;
                }
                /* name=X,key=value,... */
                const char *p = s;
                while (*p) {
                    size_t l = strcspn(p, ",");
                    const char *eq = memchr(p, '=', l);
                    if (eq) {
                        size_t kl = (size_t)(eq - p);
                        if (kl == 4 && strncmp(p, "name", 4) == 0)
                            buf_printf(b, "  %.*s\n", (int)(l - kl - 1), eq + 1);
                        else if (kl == 7 && strncmp(p, "profile", 7) == 0)
                            buf_printf(b, "   Profile: %.*s\n", (int)(l - kl - 1), eq + 1);
                    }
                    p += l;
                    if (*p == ',')
                        p++;
                }
            }
        }
    }
    if (strcmp(jstr(i, "OSType"), "windows") == 0)
        buf_printf(b, " Default Isolation: %s\n", jstr(i, "Isolation"));
    println_nonempty(b, " Kernel Version:", jstr(i, "KernelVersion"));
    println_nonempty(b, " Operating System:", jstr(i, "OperatingSystem"));
    println_nonempty(b, " OSType:", jstr(i, "OSType"));
    println_nonempty(b, " Architecture:", jstr(i, "Architecture"));
    buf_printf(b, " CPUs: %lld\n", jint(i, "NCPU"));
    char mem[32];
    bytes_size((double)jint(i, "MemTotal"), mem, sizeof mem);
    buf_printf(b, " Total Memory: %s\n", mem);
    println_nonempty(b, " Name:", jstr(i, "Name"));
    println_nonempty(b, " ID:", jstr(i, "ID"));
    buf_printf(b, " Docker Root Dir: %s\n", jstr(i, "DockerRootDir"));
    buf_printf(b, " Debug Mode: %s\n", jbool(i, "Debug"));
    if (json_is_true(json_object_get(i, "Debug")) || client_debug) {
        buf_printf(b, "  File Descriptors: %lld\n", jint(i, "NFd"));
        buf_printf(b, "  Goroutines: %lld\n", jint(i, "NGoroutines"));
        buf_printf(b, "  System Time: %s\n", jstr(i, "SystemTime"));
        buf_printf(b, "  EventsListeners: %lld\n", jint(i, "NEventsListener"));
    }
    println_nonempty(b, " HTTP Proxy:", jstr(i, "HttpProxy"));
    println_nonempty(b, " HTTPS Proxy:", jstr(i, "HttpsProxy"));
    println_nonempty(b, " No Proxy:", jstr(i, "NoProxy"));
    print_list(b, " Labels:\n", json_object_get(i, "Labels"));
    buf_printf(b, " Experimental: %s\n", jbool(i, "ExperimentalBuild"));
    json_t *reg = json_object_get(i, "RegistryConfig");
    json_t *cidrs = json_object_get(reg, "InsecureRegistryCIDRs");
    json_t *idx = json_object_get(reg, "IndexConfigs");
    if (json_array_size(cidrs) > 0 || json_object_size(idx) > 0) {
        buf_puts(b, " Insecure Registries:\n");
        const char *key;
        json_t *v;
        json_object_foreach (idx, key, v) {
            if (!json_is_true(json_object_get(v, "Secure")))
                buf_printf(b, "  %s\n", jstr(v, "Name"));
        }
        json_array_foreach (cidrs, k, v) {
            /* the API writes "127.0.0.0/8"; old daemons an {IP, Mask} */
            if (json_is_string(v))
                buf_printf(b, "  %s\n", json_string_value(v));
            else
                buf_printf(b, "  %s/%d\n", jstr(v, "IP"), mask_bits(jstr(v, "Mask")));
        }
    }
    print_list(b, " Registry Mirrors:\n", json_object_get(reg, "Mirrors"));
    buf_printf(b, " Live Restore Enabled: %s\n", jbool(i, "LiveRestoreEnabled"));
    if (*jstr(i, "ProductLicense"))
        buf_printf(b, " Product License: %s\n", jstr(i, "ProductLicense"));
    json_t *pools = json_object_get(i, "DefaultAddressPools");
    if (json_array_size(pools) > 0) {
        buf_puts(b, " Default Address Pools:\n");
        json_t *p;
        json_array_foreach (pools, k, p) {
            buf_printf(b, "   Base: %s, Size: %lld\n", jstr(p, "Base"), jint(p, "Size"));
        }
    }
    buf_putc(b, '\n');
}

static int run_info(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    const char *format = flag_str(fs, "format");
    pier_err_t err = NULL;
    struct api_resp r = {0};
    json_t *info = NULL;
    int got = api_call(cli, "GET", "/info", NULL, &r, &err);
    if (got == 0 && api_json(&r, &info, &err) < 0)
        got = -1;
    if (*format) {
        /* the server's fields at the top level, then the client's */
        cleanup_json json_t *data = json_object();
        if (info)
            json_object_update(data, info);
        if (got < 0) {
            fprintf(stderr, "%s\n", pier_error_msg(err));
            json_t *se = json_array();
            json_array_append_new(se, json_string(pier_error_msg(err)));
            json_object_set_new(data, "ServerErrors", se);
        }
        json_t *ci = json_object();
        json_object_set_new(ci, "Debug", json_boolean(cli->debug));
        json_t *cv = client_version(cli, got == 0);
        json_object_update(ci, cv);
        json_decref(cv);
        json_object_set_new(ci, "Plugins", json_array());
        json_object_set_new(ci, "Warnings", json_null());
        json_object_set_new(data, "ClientInfo", ci);
        pier_error_free(&err);
        api_resp_free(&r);
        const char *f = strcmp(format, "json") == 0 ? "{{json .}}" : format;
        cleanup_buf struct buf out = BUF_INIT;
        if (cli_template(f, data, &out, &err) < 0) {
            fprintf(stderr, "%s\n", pier_error_msg(err));
            pier_error_free(&err);
            return 64;
        }
        fwrite(out.data, 1, out.len, stdout);
        putchar('\n');
        return got < 0 ? 1 : 0;
    }
    cleanup_buf struct buf b = BUF_INIT;
    buf_printf(&b, "Client:\n Version:    %s\n Context:    default\n Debug Mode: %s\n\nServer:\n",
               PIER_CLI_VERSION, cli->debug ? "true" : "false");
    if (got < 0) {
        fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
        api_resp_free(&r);
        return cli_fail(&err);
    }
    print_server_info(info, &b, cli->debug);
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    size_t k;
    json_t *w;
    json_array_foreach (json_object_get(info, "Warnings"), k, w) {
        fprintf(stderr, "%s\n", json_string_value(w) ?: "");
    }
    api_resp_free(&r);
    return 0;
}

static struct flag info_flags[] = {
    {"format", 'f', FK_STRING, NULL, INSPECT_FORMAT_HELP},
    {NULL},
};

struct cmd cmd_info = {
    .use = "info [OPTIONS]",
    .aliases = "system info, info",
    .short_desc = "Display system-wide information",
    .args = ARGS_NONE,
    .flags = info_flags,
    .run = run_info,
};
