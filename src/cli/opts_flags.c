/* run and create's flags, checked as pflag checks each value while
 * parsing (the error names the flag), in one table for both commands. */
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

/* --- value checks (at parse time, as pflag's Value.Set) ------------------ */

const char *check_bytes(const char *v, char *msg, size_t cap)
{
    int64_t n;
    return ram_in_bytes(v, &n, msg, cap) < 0 ? msg : NULL;
}

static const char *check_swap(const char *v, char *msg, size_t cap)
{
    return strcmp(v, "-1") == 0 ? NULL : check_bytes(v, msg, cap);
}

static const char *check_cpus(const char *v, char *msg, size_t cap)
{
    int64_t n;
    return parse_cpus(v, &n, msg, cap) < 0 ? msg : NULL;
}

const char *check_env(const char *v, char *msg, size_t cap)
{
    if (*v == '=' || *v == '\0') {
        snprintf(msg, cap, "invalid environment variable: %s", v);
        return msg;
    }
    return NULL;
}

static const char *check_label(const char *v, char *msg, size_t cap)
{
    const char *k = v;
    while (*k == ' ' || *k == '\t' || *k == '\n')
        k++;
    if (*k == '=' || *k == '\0') {
        snprintf(msg, cap, "invalid label '%s': empty name", v);
        return msg;
    }
    return NULL;
}

static const char *check_attach(const char *v, char *msg, size_t cap)
{
    if (strcasecmp(v, "stdin") == 0 || strcasecmp(v, "stdout") == 0 || strcasecmp(v, "stderr") == 0)
        return NULL;
    snprintf(msg, cap, "valid streams are STDIN, STDOUT and STDERR");
    return msg;
}

static const char *check_ip(const char *v, char *msg, size_t cap)
{
    char t[128];
    snprintf(t, sizeof t, "%s", v);
    char *p = t;
    while (*p == ' ')
        p++;
    size_t l = strlen(p);
    while (l && p[l - 1] == ' ')
        p[--l] = '\0';
    if (valid_ip(p))
        return NULL;
    snprintf(msg, cap, "IP address is not correctly formatted: %s", v);
    return msg;
}

static const char *check_extra_host(const char *v, char *msg, size_t cap)
{
    /* host:ip or host=ip; the ip may be host-gateway */
    const char *sep = strchr(v, '=');
    if (sep == NULL)
        sep = strchr(v, ':');
    if (sep == NULL || sep == v || sep[1] == '\0') {
        snprintf(msg, cap, "bad format for add-host: \"%s\"", v);
        return msg;
    }
    const char *ip = sep + 1;
    char t[128];
    snprintf(t, sizeof t, "%s", ip);
    if (t[0] == '[' && t[strlen(t) - 1] == ']') {
        memmove(t, t + 1, strlen(t));
        t[strlen(t) - 1] = '\0';
    }
    if (strcmp(t, "host-gateway") != 0 && !valid_ip(t)) {
        snprintf(msg, cap, "invalid IP address in add-host: \"%s\"", ip);
        return msg;
    }
    return NULL;
}

static const char *check_sysctl(const char *v, char *msg, size_t cap)
{
    static const char *const names[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                        "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                        "kernel.shmmni", "kernel.shm_rmid_forced"};
    const char *eq = strchr(v, '=');
    if (eq == NULL) {
        snprintf(msg, cap, "sysctl '%s' is not allowed", v);
        return msg;
    }
    size_t kl = (size_t)(eq - v);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strlen(names[i]) == kl && strncmp(v, names[i], kl) == 0)
            return NULL;
    if (strncmp(v, "fs.mqueue.", 10) == 0 || strncmp(v, "net.", 4) == 0)
        return NULL;
    snprintf(msg, cap, "sysctl '%s' is not allowed", v);
    return msg;
}

static const char *check_ulimit(const char *v, char *msg, size_t cap)
{
    json_t *u = NULL;
    if (parse_ulimit(v, &u, msg, cap) < 0)
        return msg;
    json_decref(u);
    return NULL;
}

/* The value after "/dev/...:"; NULL, with the reason in msg, when v is
 * not of that form. */
static const char *device_value(const char *v, char *msg, size_t cap)
{
    const char *colon = strrchr(v, ':');
    if (colon == NULL || strncmp(v, "/dev/", 5) != 0) {
        snprintf(msg, cap, "bad format: %s", v);
        return NULL;
    }
    return colon + 1;
}

static const char *check_throttle(const char *v, char *msg, size_t cap, bool bps)
{
    const char *val = device_value(v, msg, cap);
    if (val == NULL)
        return msg;
    int64_t n;
    char m[128];
    if (bps) {
        if (ram_in_bytes(val, &n, m, sizeof m) < 0 || n < 0) {
            snprintf(msg, cap,
                     "invalid rate for device: %s. The correct format is "
                     "<device-path>:<number>[<unit>]. Number must be a positive integer. Unit is "
                     "optional and can be kb, mb, or gb",
                     v);
            return msg;
        }
    } else {
        uint64_t u;
        if (go_parse_uint(val, 64, &u, m, sizeof m) < 0) {
            snprintf(msg, cap,
                     "invalid rate for device: %s. The correct format is <device-path>:<number>. "
                     "Number must be a positive integer",
                     v);
            return msg;
        }
    }
    return NULL;
}

static const char *check_bps(const char *v, char *msg, size_t cap)
{
    return check_throttle(v, msg, cap, true);
}

static const char *check_iops(const char *v, char *msg, size_t cap)
{
    return check_throttle(v, msg, cap, false);
}

static const char *check_weight_device(const char *v, char *msg, size_t cap)
{
    const char *val = device_value(v, msg, cap);
    if (val == NULL)
        return msg;
    uint64_t w;
    char m[128];
    if (go_parse_uint(val, 16, &w, m, sizeof m) < 0 || (w != 0 && (w < 10 || w > 1000))) {
        snprintf(msg, cap, "invalid weight for device: %s", v);
        return msg;
    }
    return NULL;
}

static const char *check_mount(const char *v, char *msg, size_t cap)
{
    json_t *m = NULL;
    if (parse_mount(v, &m, msg, cap) < 0)
        return msg;
    json_decref(m);
    return NULL;
}

/* run and create share one table; FLAG_RUN and FLAG_CREATE mark the
 * flags only one of them has. */
struct flag container_flags[] = {
    {"detach", 'd', FK_BOOL, NULL, "Run container in background and print container ID",
     .attrs = FLAG_RUN},
    {"detach-keys", 0, FK_STRING, NULL, "Override the key sequence for detaching a container",
     .attrs = FLAG_RUN},
    {"sig-proxy", 0, FK_BOOL, NULL, "Proxy received signals to the process", "true",
     .attrs = FLAG_RUN},
    {"pull", 0, FK_STRING, NULL, "Pull image before running (\"always\", \"missing\", \"never\")",
     "missing", .attrs = FLAG_RUN},
    {"pull", 0, FK_STRING, NULL, "Pull image before creating (\"always\", \"|missing\", \"never\")",
     "missing", .attrs = FLAG_CREATE},
    {"add-host", 0, FK_LIST, NULL, "Add a custom host-to-IP mapping (host:ip)",
     .check = check_extra_host},
    {"annotation", 0, FK_LIST, "map",
     "Add an annotation to the container (passed through to the OCI runtime)", "map[]",
     .min_api = "1.43"},
    {"attach", 'a', FK_LIST, NULL, "Attach to STDIN, STDOUT or STDERR", .check = check_attach},
    {"blkio-weight", 0, FK_UINT16, NULL,
     "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)"},
    {"blkio-weight-device", 0, FK_LIST, NULL, "Block IO weight (relative device weight)", "[]",
     .check = check_weight_device},
    {"cap-add", 0, FK_LIST, NULL, "Add Linux capabilities"},
    {"cap-drop", 0, FK_LIST, NULL, "Drop Linux capabilities"},
    {"cgroup-parent", 0, FK_STRING, NULL, "Optional parent cgroup for the container"},
    {"cgroupns", 0, FK_STRING, NULL,
     "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's "
     "cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':      "
     "  Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on "
     "the daemon (default)",
     .min_api = "1.41"},
    {"cidfile", 0, FK_STRING, NULL, "Write the container ID to the file"},
    {"cpu-count", 0, FK_INT, NULL, "CPU count (Windows only)", .attrs = FLAG_WINDOWS},
    {"cpu-percent", 0, FK_INT, NULL, "CPU percent (Windows only)", .attrs = FLAG_WINDOWS},
    {"cpu-period", 0, FK_INT, NULL, "Limit CPU CFS (Completely Fair Scheduler) period"},
    {"cpu-quota", 0, FK_INT, NULL, "Limit CPU CFS (Completely Fair Scheduler) quota"},
    {"cpu-rt-period", 0, FK_INT, NULL, "Limit CPU real-time period in microseconds",
     .min_api = "1.25"},
    {"cpu-rt-runtime", 0, FK_INT, NULL, "Limit CPU real-time runtime in microseconds",
     .min_api = "1.25"},
    {"cpu-shares", 'c', FK_INT, NULL, "CPU shares (relative weight)"},
    {"cpus", 0, FK_STRING, "decimal", "Number of CPUs", .min_api = "1.25", .check = check_cpus},
    {"cpuset-cpus", 0, FK_STRING, NULL, "CPUs in which to allow execution (0-3, 0,1)"},
    {"cpuset-mems", 0, FK_STRING, NULL, "MEMs in which to allow execution (0-3, 0,1)"},
    {"device", 0, FK_LIST, NULL, "Add a host device to the container"},
    {"device-cgroup-rule", 0, FK_LIST, NULL, "Add a rule to the cgroup allowed devices list"},
    {"device-read-bps", 0, FK_LIST, NULL, "Limit read rate (bytes per second) from a device", "[]",
     .check = check_bps},
    {"device-read-iops", 0, FK_LIST, NULL, "Limit read rate (IO per second) from a device", "[]",
     .check = check_iops},
    {"device-write-bps", 0, FK_LIST, NULL, "Limit write rate (bytes per second) to a device", "[]",
     .check = check_bps},
    {"device-write-iops", 0, FK_LIST, NULL, "Limit write rate (IO per second) to a device", "[]",
     .check = check_iops},
    {"disable-content-trust", 0, FK_BOOL, NULL, "Skip image verification", "true"},
    {"dns", 0, FK_LIST, NULL, "Set custom DNS servers", .check = check_ip},
    {"dns-opt", 0, FK_LIST, NULL, "Set DNS options", .attrs = FLAG_HIDDEN},
    {"dns-option", 0, FK_LIST, NULL, "Set DNS options"},
    {"dns-search", 0, FK_LIST, NULL, "Set custom DNS search domains"},
    {"domainname", 0, FK_STRING, NULL, "Container NIS domain name"},
    {"entrypoint", 0, FK_STRING, NULL, "Overwrite the default ENTRYPOINT of the image"},
    {"env", 'e', FK_LIST, NULL, "Set environment variables", .check = check_env},
    {"env-file", 0, FK_LIST, NULL, "Read in a file of environment variables"},
    {"expose", 0, FK_LIST, NULL, "Expose a port or a range of ports"},
    {"gpus", 0, FK_STRING, "gpu-request",
     "GPU devices to add to the container ('all' to pass all GPUs)", .min_api = "1.40"},
    {"group-add", 0, FK_LIST, NULL, "Add additional groups to join"},
    {"health-cmd", 0, FK_STRING, NULL, "Command to run to check health"},
    {"health-interval", 0, FK_DURATION, NULL,
     "Time between running the check (ms|s|m|h) (default 0s)", "0s"},
    {"health-retries", 0, FK_INT, NULL, "Consecutive failures needed to report unhealthy"},
    {"health-start-interval", 0, FK_DURATION, NULL,
     "Time between running the check during the start period (ms|s|m|h) (default 0s)", "0s",
     .min_api = "1.44"},
    {"health-start-period", 0, FK_DURATION, NULL,
     "Start period for the container to initialize before starting health-retries countdown "
     "(ms|s|m|h) (default 0s)",
     "0s", .min_api = "1.29"},
    {"health-timeout", 0, FK_DURATION, NULL,
     "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", "0s"},
    {"help", 0, FK_BOOL, NULL, "Print usage"},
    {"hostname", 'h', FK_STRING, NULL, "Container host name"},
    {"init", 0, FK_BOOL, NULL,
     "Run an init inside the container that forwards signals and reaps processes",
     .min_api = "1.25"},
    {"interactive", 'i', FK_BOOL, NULL, "Keep STDIN open even if not attached"},
    {"io-maxbandwidth", 0, FK_STRING, "bytes",
     "Maximum IO bandwidth limit for the system drive (Windows only)", .attrs = FLAG_WINDOWS,
     .check = check_bytes},
    {"io-maxiops", 0, FK_UINT64, NULL, "Maximum IOps limit for the system drive (Windows only)",
     .attrs = FLAG_WINDOWS},
    {"ip", 0, FK_STRING, NULL, "IPv4 address (e.g., 172.30.100.104)"},
    {"ip6", 0, FK_STRING, NULL, "IPv6 address (e.g., 2001:db8::33)"},
    {"ipc", 0, FK_STRING, NULL, "IPC mode to use"},
    {"isolation", 0, FK_STRING, NULL, "Container isolation technology"},
    {"kernel-memory", 0, FK_STRING, "bytes", "Kernel memory limit", .check = check_bytes},
    {"label", 'l', FK_LIST, NULL, "Set meta data on a container", .check = check_label},
    {"label-file", 0, FK_LIST, NULL, "Read in a line delimited file of labels"},
    {"link", 0, FK_LIST, NULL, "Add link to another container"},
    {"link-local-ip", 0, FK_LIST, NULL, "Container IPv4/IPv6 link-local addresses"},
    {"log-driver", 0, FK_STRING, NULL, "Logging driver for the container"},
    {"log-opt", 0, FK_LIST, NULL, "Log driver options"},
    {"mac-address", 0, FK_STRING, NULL, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"},
    {"memory", 'm', FK_STRING, "bytes", "Memory limit", .check = check_bytes},
    {"memory-reservation", 0, FK_STRING, "bytes", "Memory soft limit", .check = check_bytes},
    {"memory-swap", 0, FK_STRING, "bytes",
     "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", .check = check_swap},
    {"memory-swappiness", 0, FK_INT, NULL, "Tune container memory swappiness (0 to 100)", "-1"},
    {"mount", 0, FK_LIST, "mount", "Attach a filesystem mount to the container",
     .check = check_mount},
    {"name", 0, FK_STRING, NULL, "Assign a name to the container"},
    {"net", 0, FK_LIST, "network", "Connect a container to a network", .attrs = FLAG_HIDDEN},
    {"net-alias", 0, FK_LIST, NULL, "Add network-scoped alias for the container",
     .attrs = FLAG_HIDDEN},
    {"network", 0, FK_LIST, "network", "Connect a container to a network"},
    {"network-alias", 0, FK_LIST, NULL, "Add network-scoped alias for the container"},
    {"no-healthcheck", 0, FK_BOOL, NULL, "Disable any container-specified HEALTHCHECK"},
    {"oom-kill-disable", 0, FK_BOOL, NULL, "Disable OOM Killer"},
    {"oom-score-adj", 0, FK_INT, NULL, "Tune host's OOM preferences (-1000 to 1000)"},
    {"pid", 0, FK_STRING, NULL, "PID namespace to use"},
    {"pids-limit", 0, FK_INT, NULL, "Tune container pids limit (set -1 for unlimited)"},
    {"platform", 0, FK_STRING, NULL, "Set platform if server is multi-platform capable",
     .min_api = "1.32"},
    {"privileged", 0, FK_BOOL, NULL, "Give extended privileges to this container"},
    {"publish", 'p', FK_LIST, NULL, "Publish a container's port(s) to the host"},
    {"publish-all", 'P', FK_BOOL, NULL, "Publish all exposed ports to random ports"},
    {"quiet", 'q', FK_BOOL, NULL, "Suppress the pull output"},
    {"read-only", 0, FK_BOOL, NULL, "Mount the container's root filesystem as read only"},
    {"restart", 0, FK_STRING, NULL, "Restart policy to apply when a container exits", "no"},
    {"rm", 0, FK_BOOL, NULL,
     "Automatically remove the container and its associated anonymous volumes when it exits"},
    {"runtime", 0, FK_STRING, NULL, "Runtime to use for this container"},
    {"security-opt", 0, FK_LIST, NULL, "Security Options"},
    {"shm-size", 0, FK_STRING, "bytes", "Size of /dev/shm", .check = check_bytes},
    {"stop-signal", 0, FK_STRING, NULL, "Signal to stop the container"},
    {"stop-timeout", 0, FK_INT, NULL, "Timeout (in seconds) to stop a container",
     .min_api = "1.25"},
    {"storage-opt", 0, FK_LIST, NULL, "Storage driver options for the container"},
    {"sysctl", 0, FK_LIST, "map", "Sysctl options", "map[]", .check = check_sysctl},
    {"tmpfs", 0, FK_LIST, NULL, "Mount a tmpfs directory"},
    {"tty", 't', FK_BOOL, NULL, "Allocate a pseudo-TTY"},
    {"ulimit", 0, FK_LIST, "ulimit", "Ulimit options", "[]", .check = check_ulimit},
    {"use-api-socket", 0, FK_BOOL, NULL, "Bind mount Docker API socket and required auth"},
    {"user", 'u', FK_STRING, NULL, "Username or UID (format: <name|uid>[:<group|gid>])"},
    {"userns", 0, FK_STRING, NULL, "User namespace to use"},
    {"uts", 0, FK_STRING, NULL, "UTS namespace to use"},
    {"volume", 'v', FK_LIST, NULL, "Bind mount a volume"},
    {"volume-driver", 0, FK_STRING, NULL, "Optional volume driver for the container"},
    {"volumes-from", 0, FK_LIST, NULL, "Mount volumes from the specified container(s)"},
    {"workdir", 'w', FK_STRING, NULL, "Working directory inside the container"},
    {NULL},
};
