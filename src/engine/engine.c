/* The engine's set-up: its directories, the sealed view of pier-shim, the
 * image store, the containers found on disk and their shims found again;
 * and docker's GET /info. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/file.h"
#include "../lib/log.h"
#include "../network/ports.h"
#include "../network/dns.h"
#include "../network/network.h"
#include "../network/nft.h"
#include "../runtime/cgroup.h"
#include "../runtime/seal.h"
#include "internal.h"

static int dirs(struct engine *e, pier_err_t *err)
{
    static const char *const data_sub[] = {"containers", "image"};
    static const char *const exec_sub[] = {"containers"};
    if (pier_mkdir_p(e->data_root, 0711, err) < 0 || pier_mkdir_p(e->exec_root, 0711, err) < 0 ||
        pier_mkdir_p(e->rt_root, 0711, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof data_sub / sizeof data_sub[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", e->data_root, data_sub[i]);
        if (pier_mkdir_p(p, 0711, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof exec_sub / sizeof exec_sub[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", e->exec_root, exec_sub[i]);
        if (pier_mkdir_p(p, 0711, err) < 0)
            return -1;
    }
    return 0;
}

int engine_open(struct pier_loop *loop, const struct engine_opts *o, struct engine **out,
                pier_err_t *err)
{
    struct engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return pier_error(err, ENOMEM, "engine");
    e->loop = loop;
    e->shim_exe = -1;
    snprintf(e->data_root, sizeof e->data_root, "%s", o->data_root);
    snprintf(e->exec_root, sizeof e->exec_root, "%s", o->exec_root);
    snprintf(e->cgroup_parent, sizeof e->cgroup_parent, "%s",
             o->cgroup_parent && *o->cgroup_parent ? o->cgroup_parent : "/pier");
    if (o->runtime_root)
        snprintf(e->rt_root, sizeof e->rt_root, "%s", o->runtime_root);
    else
        snprintf(e->rt_root, sizeof e->rt_root, "%s/runtime", o->exec_root);
    /* pier-shim, pier-init and pier-runtime: beside pierd, or beside the
     * shim named */
    char dir[PATH_MAX];
    if (o->shim_path) {
        if (realpath(o->shim_path, e->shim_path) == NULL) {
            int en = errno;
            free(e);
            return pier_error(err, en, "pier-shim `%s`", o->shim_path);
        }
        snprintf(dir, sizeof dir, "%s", e->shim_path);
    } else {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        dir[n > 0 ? n : 0] = '\0';
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (!o->shim_path)
        snprintf(e->shim_path, sizeof e->shim_path, "%s/pier-shim", dir);
    snprintf(e->init_path, sizeof e->init_path, "%s/pier-init", dir);
    snprintf(e->runtime_path, sizeof e->runtime_path, "%s/pier-runtime", dir);
    e->events = json_array();
    char host[256] = "";
    gethostname(host, sizeof host);
    e->hostname = strdup(host);
    char imgdir[PATH_MAX];
    snprintf(imgdir, sizeof imgdir, "%s/image", e->data_root);
    /* Shims run from a read-only view of their binary: the container's
     * process, a fork of its shim, cannot reach the file (CVE-2019-5736). */
    struct net_opts no = {
        .data_root = e->data_root, .exec_root = e->exec_root, .bridge = o->bridge, .bip = o->bip};
    if (dirs(e, err) < 0 || (e->shim_exe = rt_sealed_view(e->shim_path, err)) < 0 ||
        img_store_open(imgdir, &e->images, err) < 0 || net_open(&no, &e->net, err) < 0 ||
        ct_load_all(e, err) < 0) {
        engine_close(e);
        return -1;
    }
    /* the addresses of running containers are held before any exit found
     * here releases its own, and before anything new is handed out */
    for (struct container *c = e->containers; c; c = c->next)
        if (container_running(c))
            ep_restore(e, c);
    for (struct container *c = e->containers; c; c = c->next)
        lc_restore(e, c);
    ep_reconcile(e);
    /* the ports and DNS of those still running; a stale table goes */
    for (struct container *c = e->containers; c; c = c->next)
        if (container_running(c))
            ep_restore_services(e, c);
    pier_err_t perr = NULL;
    if (ct_ports_restore_done(e, &perr) < 0)
        pier_warn("%s", pier_error_msg(perr));
    pier_error_free(&perr);
    *out = e;
    return 0;
}

void engine_idle(struct engine *e)
{
    (void)e;
    nft_release();
}

void engine_close(struct engine *e)
{
    if (e == NULL)
        return;
    while (e->containers) {
        struct container *c = e->containers;
        e->containers = c->next;
        if (c->shim)
            shim_close(c->shim);
        ct_free(c);
    }
    if (e->images)
        img_store_close(e->images);
    dns_server_free(e->dns);
    net_close(e->net);
    if (e->shim_exe >= 0)
        close(e->shim_exe);
    if (e->events)
        json_decref(e->events);
    /* its table stays: running containers keep their ports */
    ports_table_free(e->ports);
    free(e->hostname);
    free(e);
}

struct img_store *engine_images(struct engine *e)
{
    return e->images;
}

struct pier_loop *engine_loop(struct engine *e)
{
    return e->loop;
}

static long long mem_total(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? (long long)si.totalram * si.mem_unit : 0;
}

static char *os_name(void)
{
    cleanup_free char *text = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, "/etc/os-release", 1 << 16, &text, NULL, &err) == 0) {
        char *p = strstr(text, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            char *end = strpbrk(p, "\"\n");
            return strndup(p, end ? (size_t)(end - p) : strlen(p));
        }
    }
    pier_error_free(&err);
    return strdup("Linux");
}

/* The filesystem under the data root, named as docker's `Backing
 * Filesystem` names it (its fsmagic table). */
static const char *backing_fs(const char *dir)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } names[] = {
        {0xef53, "extfs"},     {0x58465342, "xfs"},       {0x9123683e, "btrfs"},
        {0x01021994, "tmpfs"}, {0x794c7630, "overlayfs"}, {0x2fc12fc1, "zfs"},
        {0x65735546, "fuse"},  {0x6969, "nfs"},           {0x858458f6, "ramfs"},
        {0xf2f52010, "f2fs"},  {0x9fa0, "proc"},          {0x73717368, "squashfs"},
    };
    struct statfs st;
    if (statfs(dir, &st) < 0)
        return "<unknown>";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((unsigned long)st.f_type == names[i].magic)
            return names[i].name;
    return "<unknown>";
}

json_t *engine_info(struct engine *e)
{
    int running = 0, paused = 0, stopped = 0;
    for (struct container *c = e->containers; c; c = c->next) {
        if (c->state == C_RUNNING)
            running++;
        else if (c->state == C_PAUSED)
            paused++;
        else
            stopped++;
    }
    cleanup_json json_t *images = NULL;
    pier_err_t err = NULL;
    if (img_list(e->images, false, &images, &err) < 0)
        pier_error_free(&err);
    struct utsname u;
    uname(&u);
    const struct rt_cg_layout *l;
    bool v2 = rt_cgroup_layout(&l, &err) == 0 && l->mode == RT_CG_V2;
    pier_error_free(&err);
    cleanup_free char *os = os_name();
    char now[64];
    cleanup_free char *t = now_rfc3339();
    snprintf(now, sizeof now, "%s", t ? t : "");
    json_t *j = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[[s,s]], s:{s:[], s:[s,s,s], s:[], s:[]},"
        " s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
        " s:i, s:b, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}",
        "ID", "pier", "Containers", (int)e->ncontainers, "ContainersRunning", running,
        "ContainersPaused", paused, "ContainersStopped", stopped, "Images",
        (int)json_array_size(images), "Driver", "overlay2", "DriverStatus", "Backing Filesystem",
        backing_fs(e->data_root), "Plugins", "Volume", "Network", "bridge", "host", "null",
        "Authorization", "Log", "MemoryLimit", true, "SwapLimit", true, "KernelMemory", false,
        "KernelMemoryTCP", true, "CpuCfsPeriod", true, "CpuCfsQuota", true, "CPUShares", true,
        "CPUSet", true, "PidsLimit", true, "IPv4Forwarding", true, "Debug", false, "NFd", 0,
        "OomKillDisable", !v2, "NGoroutines", 0, "SystemTime", now, "LoggingDriver", "json-file",
        "CgroupDriver", "cgroupfs", "CgroupVersion", v2 ? "2" : "1", "NEventsListener", 0,
        "KernelVersion", u.release, "OperatingSystem", os ? os : "Linux", "OSVersion", "", "OSType",
        "linux", "Architecture", u.machine);
    json_object_set_new(j, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
    json_object_set_new(j, "RegistryConfig",
                        json_pack("{s:[s], s:{s:{s:s, s:[], s:b, s:b}}, s:[]}",
                                  "InsecureRegistryCIDRs", "127.0.0.0/8", "IndexConfigs",
                                  "docker.io", "Name", "docker.io", "Mirrors", "Secure", true,
                                  "Official", true, "Mirrors"));
    json_object_set_new(j, "NCPU", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(j, "MemTotal", json_integer(mem_total()));
    json_object_set_new(j, "GenericResources", json_null());
    json_object_set_new(j, "DockerRootDir", json_string(e->data_root));
    json_object_set_new(j, "HttpProxy", json_string(""));
    json_object_set_new(j, "HttpsProxy", json_string(""));
    json_object_set_new(j, "NoProxy", json_string(""));
    json_object_set_new(j, "Name", json_string(e->hostname));
    json_object_set_new(j, "Labels", json_array());
    json_object_set_new(j, "ExperimentalBuild", json_false());
    json_object_set_new(j, "ServerVersion", json_string("0.1.0"));
    json_object_set_new(j, "Runtimes", json_pack("{s:{s:s}}", "pier", "path", e->runtime_path));
    json_object_set_new(j, "DefaultRuntime", json_string("pier"));
    json_object_set_new(j, "Swarm",
                        json_pack("{s:s, s:s, s:s, s:s, s:b, s:n}", "NodeID", "", "NodeAddr", "",
                                  "LocalNodeState", "inactive", "Error", "", "ControlAvailable",
                                  false, "RemoteManagers"));
    json_object_set_new(j, "LiveRestoreEnabled", json_true());
    json_object_set_new(j, "Isolation", json_string(""));
    json_object_set_new(j, "InitBinary", json_string("pier-init"));
    json_object_set_new(j, "ContainerdCommit", json_pack("{s:s}", "ID", "pier-shim"));
    json_object_set_new(j, "RuncCommit", json_pack("{s:s}", "ID", "pier-runtime"));
    json_object_set_new(j, "InitCommit", json_pack("{s:s}", "ID", "pier-init"));
    json_object_set_new(j, "SecurityOptions", json_pack("[s]", "name=seccomp,profile=builtin"));
    json_object_set_new(j, "Warnings", json_array());
    return j;
}
