/* run and create's options turned into the body of POST /containers/create,
 * in the order and shape docker's client sends it. */
#include "opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/buf.h"
#include "cli.h"
#include "json_go.h"
#include "opts_int.h"
#include "units.h"

/* --- parse ------------------------------------------------------------------ */

#define SET(o, k, v) json_object_set_new((o), (k), (v))

int container_parse(struct flagset *fs, char **args, int nargs, const char *api,
                    struct container_config *cc, pier_err_t *err)
{
    memset(cc, 0, sizeof *cc);
    struct flag *attach = flag_get(fs, "attach");
    cc->nattach = (int)attach->nvals;
    bool a_in = false, a_out = false, a_err = false;
    for (size_t i = 0; i < attach->nvals; i++) {
        if (strcasecmp(attach->vals[i], "stdin") == 0)
            a_in = true;
        else if (strcasecmp(attach->vals[i], "stdout") == 0)
            a_out = true;
        else
            a_err = true;
    }
    const char *mac = flag_str(fs, "mac-address");
    if (*mac && !valid_mac(mac))
        return pier_error(err, 0, "%s is not a valid mac address", mac);
    bool stdin_open = flag_bool(fs, "interactive");
    if (stdin_open)
        a_in = true;
    if (attach->nvals == 0)
        a_out = a_err = true;
    int64_t swappiness = flag_int(fs, "memory-swappiness");
    if (swappiness != -1 && (swappiness < 0 || swappiness > 100))
        return pier_error(err, 0, "invalid value: %lld. Valid memory swappiness range is 0-100",
                          (long long)swappiness);

    cleanup_json json_t *binds = json_array();
    cleanup_json json_t *volumes = json_object();
    struct flag *vf = flag_get(fs, "volume");
    for (size_t i = 0; i < vf->nvals; i++)
        if (parse_volume(vf->vals[i], binds, volumes, err) < 0)
            return -1;

    cleanup_json json_t *tmpfs = json_object();
    struct flag *tf = flag_get(fs, "tmpfs");
    for (size_t i = 0; i < tf->nvals; i++) {
        const char *v = tf->vals[i];
        const char *c = strchr(v, ':');
        char k[4096];
        snprintf(k, sizeof k, "%.*s", c ? (int)(c - v) : (int)strlen(v), v);
        SET(tmpfs, k, json_string(c ? c + 1 : ""));
    }

    cleanup_json json_t *exposed = json_object();
    cleanup_json json_t *bindings = json_object();
    struct flag *pf = flag_get(fs, "publish");
    for (size_t i = 0; i < pf->nvals; i++)
        if (parse_publish(pf->vals[i], exposed, bindings, err) < 0)
            return -1;
    struct flag *ef = flag_get(fs, "expose");
    for (size_t i = 0; i < ef->nvals; i++) {
        const char *e = ef->vals[i];
        if (strchr(e, ':'))
            return pier_error(err, 0, "invalid port format for --expose: %s", e);
        /* SplitProtoPort: "80/udp/x" is 80/udp */
        char port[64], proto[16] = "tcp";
        const char *slash = strchr(e, '/');
        snprintf(port, sizeof port, "%.*s", slash ? (int)(slash - e) : (int)strlen(e), e);
        if (slash && slash[1])
            snprintf(proto, sizeof proto, "%.*s", (int)strcspn(slash + 1, "/"), slash + 1);
        unsigned long s, en;
        char m[128];
        if (port_range(port, &s, &en, m, sizeof m) < 0)
            return pier_error(err, 0, "invalid range format for --expose: %s, error: %s", e, m);
        for (unsigned long p = s; p <= en; p++) {
            char key[64];
            snprintf(key, sizeof key, "%lu/%s", p, proto);
            SET(exposed, key, json_object());
        }
    }

    cleanup_json json_t *devices = json_array();
    struct flag *df = flag_get(fs, "device");
    for (size_t i = 0; i < df->nvals; i++) {
        json_t *d = NULL;
        if (parse_device(df->vals[i], &d, err) < 0)
            return -1;
        json_array_append_new(devices, d);
    }

    json_t *env = NULL;
    if (read_env(flag_get(fs, "env-file"), flag_get(fs, "env"), &env, err) < 0)
        return -1;
    cleanup_json json_t *env_owned = env;
    json_t *labels = NULL;
    if (read_labels(fs, &labels, err) < 0)
        return -1;
    cleanup_json json_t *labels_owned = labels;

    if (!valid_ns_mode(flag_str(fs, "pid"), true, false))
        return pier_error(err, 0, "--pid: invalid PID mode");
    if (!valid_ns_mode(flag_str(fs, "uts"), false, false))
        return pier_error(err, 0, "--uts: invalid UTS mode");
    if (!valid_ns_mode(flag_str(fs, "userns"), false, false))
        return pier_error(err, 0, "--userns: invalid USER mode");
    if (!valid_ns_mode(flag_str(fs, "cgroupns"), false, true))
        return pier_error(err, 0, "--cgroupns: invalid CGROUP mode");

    json_t *restart = NULL;
    if (parse_restart(flag_str(fs, "restart"), &restart, err) < 0)
        return -1;
    cleanup_json json_t *restart_owned = restart;

    const char *log_driver = flag_str(fs, "log-driver");
    struct flag *lo = flag_get(fs, "log-opt");
    if (strcmp(log_driver, "none") == 0 && lo->nvals > 0)
        return pier_error(err, 0, "invalid logging opts for driver %s", log_driver);
    for (size_t i = 0; i < lo->nvals; i++)
        if (strchr(lo->vals[i], '=') == NULL)
            return pier_error(err, 0, "invalid key-value pair format in logging opts: %s",
                              lo->vals[i]);

    json_t *secopts = NULL;
    bool unconfined_paths;
    if (security_opts(flag_get(fs, "security-opt"), &secopts, &unconfined_paths, err) < 0)
        return -1;
    cleanup_json json_t *secopts_owned = secopts;

    struct flag *so = flag_get(fs, "storage-opt");
    for (size_t i = 0; i < so->nvals; i++)
        if (strchr(so->vals[i], '=') == NULL)
            return pier_error(err, 0, "invalid storage option");

    /* healthcheck */
    const char *hcmd = flag_str(fs, "health-cmd");
    int64_t hint = flag_duration(fs, "health-interval"), hto = flag_duration(fs, "health-timeout");
    int64_t hsp = flag_duration(fs, "health-start-period");
    int64_t hsi = flag_duration(fs, "health-start-interval");
    int64_t hret = flag_int(fs, "health-retries");
    bool have_health = *hcmd || hint || hto || hsp || hret || hsi;
    json_t *health = NULL;
    if (flag_bool(fs, "no-healthcheck")) {
        if (have_health)
            return pier_error(err, 0, "--no-healthcheck conflicts with --health-* options");
        health = json_object();
        json_t *t = json_array();
        json_array_append_new(t, json_string("NONE"));
        SET(health, "Test", t);
    } else if (have_health) {
        if (hint < 0)
            return pier_error(err, 0, "--health-interval cannot be negative");
        if (hto < 0)
            return pier_error(err, 0, "--health-timeout cannot be negative");
        if (hret < 0)
            return pier_error(err, 0, "--health-retries cannot be negative");
        if (hsp < 0)
            return pier_error(err, 0, "--health-start-period cannot be negative");
        if (hsi < 0)
            return pier_error(err, 0, "--health-start-interval cannot be negative");
        health = json_object();
        if (*hcmd) {
            json_t *t = json_array();
            json_array_append_new(t, json_string("CMD-SHELL"));
            json_array_append_new(t, json_string(hcmd));
            SET(health, "Test", t);
        }
        if (hint)
            SET(health, "Interval", json_integer(hint));
        if (hto)
            SET(health, "Timeout", json_integer(hto));
        if (hsp)
            SET(health, "StartPeriod", json_integer(hsp));
        if (hsi)
            SET(health, "StartInterval", json_integer(hsi));
        if (hret)
            SET(health, "Retries", json_integer(hret));
    }
    cleanup_json json_t *health_owned = health;

    bool auto_remove = flag_bool(fs, "rm");
    if (auto_remove && strcmp(json_string_value(json_object_get(restart, "Name")), "no") != 0 &&
        json_string_value(json_object_get(restart, "Name"))[0] != '\0')
        return pier_error(err, 0, "conflicting options: cannot specify both --restart and --rm");

    /* the network */
    struct flag *nf = flag_get(fs, "network");
    struct flag *nf2 = flag_get(fs, "net");
    const char *netmode = "default";
    if (nf->nvals)
        netmode = nf->vals[0];
    else if (nf2->nvals)
        netmode = nf2->vals[0];
    if (strncmp(netmode, "name=", 5) == 0)
        netmode += 5;

    /* --- Config ----------------------------------------------------------- */
    bool tty = flag_bool(fs, "tty");
    json_t *b = json_object();
    SET(b, "Hostname", json_string(flag_str(fs, "hostname")));
    SET(b, "Domainname", json_string(flag_str(fs, "domainname")));
    SET(b, "User", json_string(flag_str(fs, "user")));
    SET(b, "AttachStdin", json_boolean(a_in));
    SET(b, "AttachStdout", json_boolean(a_out));
    SET(b, "AttachStderr", json_boolean(a_err));
    if (json_object_size(exposed) > 0)
        SET(b, "ExposedPorts", sorted_object(exposed));
    SET(b, "Tty", json_boolean(tty));
    SET(b, "OpenStdin", json_boolean(stdin_open));
    SET(b, "StdinOnce", json_boolean(stdin_open && a_in));
    SET(b, "Env", json_incref(env));
    if (nargs > 1) {
        json_t *cmd = json_array();
        for (int i = 1; i < nargs; i++)
            json_array_append_new(cmd, json_string(args[i]));
        SET(b, "Cmd", cmd);
    } else {
        SET(b, "Cmd", json_null());
    }
    if (health)
        SET(b, "Healthcheck", json_incref(health));
    SET(b, "Image", json_string(args[0]));
    SET(b, "Volumes", sorted_object(volumes));
    SET(b, "WorkingDir", json_string(flag_str(fs, "workdir")));
    const char *ep = flag_str(fs, "entrypoint");
    if (*ep || flag_changed(fs, "entrypoint")) {
        json_t *e = json_array();
        json_array_append_new(e, json_string(ep));
        SET(b, "Entrypoint", e);
    } else {
        SET(b, "Entrypoint", json_null());
    }
    /* from API 1.44 the MAC address is the endpoint's, not the config's */
    bool mac_in_endpoint = api_version_cmp(api, "1.44") >= 0;
    if (*mac && !mac_in_endpoint)
        SET(b, "MacAddress", json_string(mac));
    SET(b, "OnBuild", json_null());
    SET(b, "Labels", json_incref(labels));
    if (*flag_str(fs, "stop-signal"))
        SET(b, "StopSignal", json_string(flag_str(fs, "stop-signal")));
    if (flag_changed(fs, "stop-timeout"))
        SET(b, "StopTimeout", json_integer(flag_int(fs, "stop-timeout")));

    /* --- HostConfig -------------------------------------------------------- */
    json_t *h = json_object();
    SET(h, "Binds", json_array_size(binds) ? json_incref(binds) : json_null());
    SET(h, "ContainerIDFile", json_string(flag_str(fs, "cidfile")));
    json_t *lc = json_object();
    SET(lc, "Type", json_string(log_driver));
    SET(lc, "Config", kv_map(lo, true));
    SET(h, "LogConfig", lc);
    SET(h, "NetworkMode", json_string(netmode));
    SET(h, "PortBindings", sorted_object(bindings));
    SET(h, "RestartPolicy", json_incref(restart));
    SET(h, "AutoRemove", json_boolean(auto_remove));
    SET(h, "VolumeDriver", json_string(flag_str(fs, "volume-driver")));
    SET(h, "VolumesFrom", strv_json(flag_get(fs, "volumes-from")));
    json_t *cs = json_array();
    json_array_append_new(cs, json_integer(0));
    json_array_append_new(cs, json_integer(0));
    SET(h, "ConsoleSize", cs);
    struct flag *an = flag_get(fs, "annotation");
    if (an->nvals)
        SET(h, "Annotations", kv_map(an, true));
    SET(h, "CapAdd", capabilities(flag_get(fs, "cap-add")));
    SET(h, "CapDrop", capabilities(flag_get(fs, "cap-drop")));
    SET(h, "CgroupnsMode", json_string(flag_str(fs, "cgroupns")));
    SET(h, "Dns", strv_json_empty(flag_get(fs, "dns")));
    struct flag *dnsopt = flag_get(fs, "dns-option");
    if (dnsopt->nvals == 0)
        dnsopt = flag_get(fs, "dns-opt");
    SET(h, "DnsOptions", strv_json_empty(dnsopt));
    SET(h, "DnsSearch", strv_json_empty(flag_get(fs, "dns-search")));
    struct flag *xh = flag_get(fs, "add-host");
    json_t *hosts = json_null();
    if (xh->nvals) {
        hosts = json_array();
        for (size_t i = 0; i < xh->nvals; i++) {
            /* host=ip is written host:ip */
            char hv[512];
            snprintf(hv, sizeof hv, "%s", xh->vals[i]);
            char *eq = strchr(hv, '=');
            if (eq)
                *eq = ':';
            json_array_append_new(hosts, json_string(hv));
        }
    }
    SET(h, "ExtraHosts", hosts);
    SET(h, "GroupAdd", strv_json(flag_get(fs, "group-add")));
    SET(h, "IpcMode", json_string(flag_str(fs, "ipc")));
    SET(h, "Cgroup", json_string(""));
    SET(h, "Links", strv_json(flag_get(fs, "link")));
    SET(h, "OomScoreAdj", json_integer(flag_int(fs, "oom-score-adj")));
    SET(h, "PidMode", json_string(flag_str(fs, "pid")));
    SET(h, "Privileged", json_boolean(flag_bool(fs, "privileged")));
    SET(h, "PublishAllPorts", json_boolean(flag_bool(fs, "publish-all")));
    SET(h, "ReadonlyRootfs", json_boolean(flag_bool(fs, "read-only")));
    SET(h, "SecurityOpt", json_incref(secopts));
    if (so->nvals)
        SET(h, "StorageOpt", kv_map(so, true));
    if (json_object_size(tmpfs))
        SET(h, "Tmpfs", sorted_object(tmpfs));
    SET(h, "UTSMode", json_string(flag_str(fs, "uts")));
    SET(h, "UsernsMode", json_string(flag_str(fs, "userns")));
    SET(h, "ShmSize", json_integer(bytes_value(fs, "shm-size")));
    struct flag *sc = flag_get(fs, "sysctl");
    if (sc->nvals)
        SET(h, "Sysctls", kv_map(sc, true));
    if (*flag_str(fs, "runtime"))
        SET(h, "Runtime", json_string(flag_str(fs, "runtime")));
    SET(h, "Isolation", json_string(flag_str(fs, "isolation")));
    SET(h, "CpuShares", json_integer(flag_int(fs, "cpu-shares")));
    SET(h, "Memory", json_integer(bytes_value(fs, "memory")));
    int64_t nano = 0;
    char m[128];
    if (*flag_str(fs, "cpus"))
        parse_cpus(flag_str(fs, "cpus"), &nano, m, sizeof m);
    SET(h, "NanoCpus", json_integer(nano));
    SET(h, "CgroupParent", json_string(flag_str(fs, "cgroup-parent")));
    SET(h, "BlkioWeight", json_integer(flag_int(fs, "blkio-weight")));
    SET(h, "BlkioWeightDevice", throttle_list(flag_get(fs, "blkio-weight-device"), false, true));
    SET(h, "BlkioDeviceReadBps", throttle_list(flag_get(fs, "device-read-bps"), true, false));
    SET(h, "BlkioDeviceWriteBps", throttle_list(flag_get(fs, "device-write-bps"), true, false));
    SET(h, "BlkioDeviceReadIOps", throttle_list(flag_get(fs, "device-read-iops"), false, false));
    SET(h, "BlkioDeviceWriteIOps", throttle_list(flag_get(fs, "device-write-iops"), false, false));
    SET(h, "CpuPeriod", json_integer(flag_int(fs, "cpu-period")));
    SET(h, "CpuQuota", json_integer(flag_int(fs, "cpu-quota")));
    SET(h, "CpuRealtimePeriod", json_integer(flag_int(fs, "cpu-rt-period")));
    SET(h, "CpuRealtimeRuntime", json_integer(flag_int(fs, "cpu-rt-runtime")));
    SET(h, "CpusetCpus", json_string(flag_str(fs, "cpuset-cpus")));
    SET(h, "CpusetMems", json_string(flag_str(fs, "cpuset-mems")));
    SET(h, "Devices", json_incref(devices));
    SET(h, "DeviceCgroupRules", strv_json(flag_get(fs, "device-cgroup-rule")));
    json_t *dreq = json_null();
    const char *gpus = flag_str(fs, "gpus");
    if (*gpus) {
        dreq = json_array();
        json_t *r = json_object();
        SET(r, "Driver", json_string(""));
        SET(r, "Count", json_integer(strcmp(gpus, "all") == 0 ? -1 : atoi(gpus)));
        SET(r, "DeviceIDs", json_null());
        json_t *caps = json_array(), *c1 = json_array();
        json_array_append_new(c1, json_string("gpu"));
        json_array_append_new(caps, c1);
        SET(r, "Capabilities", caps);
        SET(r, "Options", json_object());
        json_array_append_new(dreq, r);
    }
    SET(h, "DeviceRequests", dreq);
    SET(h, "MemoryReservation", json_integer(bytes_value(fs, "memory-reservation")));
    SET(h, "MemorySwap", json_integer(bytes_value(fs, "memory-swap")));
    SET(h, "MemorySwappiness", json_integer(swappiness));
    SET(h, "OomKillDisable", json_boolean(flag_bool(fs, "oom-kill-disable")));
    SET(h, "PidsLimit", json_integer(flag_int(fs, "pids-limit")));
    json_t *ul = json_array();
    struct flag *uf = flag_get(fs, "ulimit");
    for (size_t i = 0; i < uf->nvals; i++) {
        json_t *u = NULL;
        if (parse_ulimit(uf->vals[i], &u, m, sizeof m) == 0)
            json_array_append_new(ul, u);
    }
    SET(h, "Ulimits", ul);
    SET(h, "CpuCount", json_integer(flag_int(fs, "cpu-count")));
    SET(h, "CpuPercent", json_integer(flag_int(fs, "cpu-percent")));
    SET(h, "IOMaximumIOps", json_integer(flag_int(fs, "io-maxiops")));
    SET(h, "IOMaximumBandwidth", json_integer(bytes_value(fs, "io-maxbandwidth")));
    struct flag *mf = flag_get(fs, "mount");
    if (mf->nvals) {
        json_t *mounts = json_array();
        for (size_t i = 0; i < mf->nvals; i++) {
            json_t *mo = NULL;
            if (parse_mount(mf->vals[i], &mo, m, sizeof m) == 0)
                json_array_append_new(mounts, mo);
        }
        SET(h, "Mounts", mounts);
    }
    SET(h, "MaskedPaths", unconfined_paths ? json_array() : json_null());
    SET(h, "ReadonlyPaths", unconfined_paths ? json_array() : json_null());
    if (flag_changed(fs, "init"))
        SET(h, "Init", json_boolean(flag_bool(fs, "init")));
    SET(b, "HostConfig", h);

    /* --- NetworkingConfig -------------------------------------------------- */
    json_t *nc = json_object(), *eps = json_object();
    struct flag *aliases = flag_get(fs, "network-alias");
    struct flag *aliases2 = flag_get(fs, "net-alias");
    const char *ip4 = flag_str(fs, "ip"), *ip6 = flag_str(fs, "ip6");
    struct flag *llip = flag_get(fs, "link-local-ip");
    bool ep_opts = aliases->nvals || aliases2->nvals || *ip4 || *ip6 || llip->nvals ||
                   flag_get(fs, "link")->nvals;
    if (mac_in_endpoint && *mac)
        ep_opts = true;
    if (strcmp(netmode, "default") == 0 || ep_opts) {
        json_t *e = default_endpoint();
        if (mac_in_endpoint && *mac)
            SET(e, "MacAddress", json_string(mac));
        if (aliases->nvals || aliases2->nvals) {
            json_t *al = json_array();
            for (size_t i = 0; i < aliases->nvals; i++)
                json_array_append_new(al, json_string(aliases->vals[i]));
            for (size_t i = 0; i < aliases2->nvals; i++)
                json_array_append_new(al, json_string(aliases2->vals[i]));
            SET(e, "Aliases", al);
        }
        if (*ip4 || *ip6 || llip->nvals) {
            json_t *ipam = json_object();
            if (*ip4)
                SET(ipam, "IPv4Address", json_string(ip4));
            if (*ip6)
                SET(ipam, "IPv6Address", json_string(ip6));
            if (llip->nvals)
                SET(ipam, "LinkLocalIPs", strv_json(llip));
            SET(e, "IPAMConfig", ipam);
        }
        if (flag_get(fs, "link")->nvals)
            SET(e, "Links", strv_json(flag_get(fs, "link")));
        SET(eps, netmode, e);
    }
    SET(nc, "EndpointsConfig", eps);
    SET(b, "NetworkingConfig", nc);

    cc->body = b;
    cc->attach_stdin = a_in;
    cc->attach_stdout = a_out;
    cc->attach_stderr = a_err;
    cc->tty = tty;
    cc->open_stdin = stdin_open;
    cc->auto_remove = auto_remove;
    return 0;
}
