/* A container's root: its own writable layer (upper, work) over the image's
 * read-only layers, mounted with overlayfs at <container dir>/rootfs; and
 * the /etc files docker writes for each container. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/buf.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../network/network.h"
#include "internal.h"

static bool mounted(const char *path)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s/..", path);
    struct stat a, b;
    return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* An unmount on its way in a thread of its own: the last reference to a
 * writable overlay makes the kernel sync the whole filesystem under its
 * upper layer (every dirty page of the host's, the container's log
 * included), which can take seconds and must not stall the event loop. */
struct unmount {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int refs; /* the thread's and the container's */
    char path[PATH_MAX];
};

static void unmount_put(struct unmount *u)
{
    pthread_mutex_lock(&u->lock);
    bool last = --u->refs == 0;
    pthread_mutex_unlock(&u->lock);
    if (last) {
        pthread_mutex_destroy(&u->lock);
        pthread_cond_destroy(&u->cond);
        free(u);
    }
}

static void *unmount_main(void *arg)
{
    struct unmount *u = arg;
    umount2(u->path, MNT_DETACH);
    pthread_mutex_lock(&u->lock);
    u->done = true;
    pthread_cond_broadcast(&u->cond);
    pthread_mutex_unlock(&u->lock);
    unmount_put(u);
    return NULL;
}

void rootfs_settle(struct container *c, bool wait)
{
    struct unmount *u = c->unmount;
    if (u == NULL)
        return;
    c->unmount = NULL;
    if (wait) {
        pthread_mutex_lock(&u->lock);
        while (!u->done)
            pthread_cond_wait(&u->cond, &u->lock);
        pthread_mutex_unlock(&u->lock);
    }
    unmount_put(u);
}

int rootfs_mount(struct engine *e, struct container *c, pier_err_t *err)
{
    char dir[PATH_MAX], merged[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
    rootfs_settle(c, true);
    ct_dir(c, dir, sizeof dir);
    snprintf(merged, sizeof merged, "%s/rootfs", dir);
    snprintf(upper, sizeof upper, "%s/upper", dir);
    snprintf(work, sizeof work, "%s/work", dir);
    if (mounted(merged))
        return 0;
    if (pier_mkdir_p(merged, 0755, err) < 0 || pier_mkdir_p(upper, 0755, err) < 0 ||
        pier_mkdir_p(work, 0700, err) < 0)
        return -1;
    cleanup_strv char **lowers = NULL;
    if (c->image_id == NULL || img_lower_dirs(e->images, c->image_id, &lowers, err) < 0)
        return c->image_id == NULL ? pier_error(err, 0, "container %s has no image", c->id) : -1;
    size_t len = 0;
    for (char **l = lowers; *l; l++)
        len += strlen(*l) + 1;
    cleanup_free char *opts = malloc(len + strlen(upper) + strlen(work) + 64);
    if (opts == NULL)
        return pier_error(err, ENOMEM, "overlay options");
    char *p = opts + sprintf(opts, "lowerdir=");
    for (char **l = lowers; *l; l++)
        p += sprintf(p, "%s%s", l == lowers ? "" : ":", *l);
    if (lowers[0] == NULL) {
        /* an image without layers: overlayfs needs one, empty */
        char empty[PATH_MAX];
        snprintf(empty, sizeof empty, "%s/empty", dir);
        if (pier_mkdir_p(empty, 0755, err) < 0)
            return -1;
        p += sprintf(p, "%s", empty);
    }
    p += sprintf(p, ",upperdir=%s,workdir=%s", upper, work);
    /* As podman: a --rm container's layer never outlives it, so neither
     * its fsyncs nor the sync at unmount need to reach the disk (kernels
     * before 5.10 do not know the option). */
    if (json_is_true(json_object_get(c->host, "AutoRemove"))) {
        strcpy(p, ",volatile");
        if (mount("overlay", merged, "overlay", 0, opts) == 0)
            return 0;
        *p = '\0';
    }
    if (mount("overlay", merged, "overlay", 0, opts) < 0)
        return pier_error(err, errno, "mount the root of container %s (overlay)", c->id);
    return 0;
}

void rootfs_unmount(struct engine *e, struct container *c)
{
    (void)e;
    rootfs_settle(c, true);
    struct unmount *u = calloc(1, sizeof *u);
    if (u == NULL)
        return;
    ct_dir(c, u->path, sizeof u->path);
    strcat(u->path, "/rootfs");
    if (!mounted(u->path)) {
        free(u);
        return;
    }
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->cond, NULL);
    u->refs = 2;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t t;
    int rc = pthread_create(&t, &attr, unmount_main, u);
    pthread_attr_destroy(&attr);
    c->unmount = u;
    if (rc != 0) {
        u->refs = 1;
        unmount_main(u); /* no thread: here, then */
        c->unmount = NULL;
    }
}

int rootfs_remove(struct engine *e, struct container *c, pier_err_t *err)
{
    rootfs_unmount(e, c);
    rootfs_settle(c, true);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/containers", e->data_root);
    cleanup_close int dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", path);
    if (pier_rm_rf_at(dfd, c->id, err) < 0)
        return -1;
    ct_run_dir(c, path, sizeof path);
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s/containers", e->exec_root);
    cleanup_close int rfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rfd >= 0)
        pier_rm_rf_at(rfd, c->id, NULL);
    return 0;
}

static int write_file(const char *dir, const char *name, const char *text, pier_err_t *err)
{
    cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open `%s`", dir);
    return pier_write_file_atomic_at(dfd, name, text, strlen(text), 0644, 0, err);
}

/* Whether the container's resolver is pierd's DNS server: docker's
 * 127.0.0.11, on user-defined networks. */
static bool resolv_embedded(const struct container *c)
{
    return ep_user_network(c);
}

static bool line_is(const char *line, const char *key)
{
    size_t n = strlen(key);
    return strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

static void put_list(struct buf *b, const char *key, json_t *list)
{
    size_t i;
    json_t *v;
    if (strcmp(key, "nameserver") == 0) {
        json_array_foreach (list, i, v)
            buf_printf(b, "nameserver %s\n", json_string_value(v) ? json_string_value(v) : "");
        return;
    }
    buf_printf(b, "%s", key);
    json_array_foreach (list, i, v)
        buf_printf(b, " %s", json_string_value(v) ? json_string_value(v) : "");
    buf_putc(b, '\n');
}

/* resolv.conf as docker writes it: the host's, without loopback resolvers
 * (which a container with its own network cannot reach; docker then uses
 * Google's), each of nameservers, search and options replaced by the
 * container's --dns, --dns-search and --dns-option when given. */
static char *resolv_conf(const struct container *c, bool host_net)
{
    cleanup_free char *host = NULL;
    pier_err_t e = NULL;
    if (pier_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &host, NULL, &e) < 0) {
        pier_error_free(&e);
        host = strdup("");
    }
    if (host == NULL)
        return NULL;
    json_t *dns = json_object_get(c->host, "Dns");
    json_t *search = json_object_get(c->host, "DnsSearch");
    json_t *opts = json_object_get(c->host, "DnsOptions");
    bool own_ns = json_array_size(dns) > 0, own_search = json_array_size(search) > 0,
         own_opts = json_array_size(opts) > 0;
    bool embedded = !host_net && resolv_embedded(c);
    struct buf out = BUF_INIT;
    bool any = false;
    for (char *line = host; *line;) {
        char *eol = strchrnul(line, '\n');
        size_t n = (size_t)(eol - line);
        bool ns = line_is(line, "nameserver");
        bool loopback =
            !host_net && ns && (strstr(line, " 127.") != NULL || strstr(line, " ::1") != NULL);
        bool replaced = (ns && (own_ns || embedded)) || (line_is(line, "search") && own_search) ||
                        (line_is(line, "options") && (own_opts || embedded));
        if (!loopback && !replaced) {
            buf_put(&out, line, n);
            buf_putc(&out, '\n');
            any = any || ns;
        }
        line = *eol ? eol + 1 : eol;
    }
    if (embedded) {
        /* the host's resolvers are the DNS server's to forward to */
        buf_puts(&out, "nameserver 127.0.0.11\n");
        any = true;
    } else if (own_ns) {
        put_list(&out, "nameserver", dns);
        any = true;
    }
    if (own_search)
        put_list(&out, "search", search);
    if (own_opts)
        put_list(&out, "options", opts);
    else if (embedded)
        buf_puts(&out, "options ndots:0\n");
    if (!any && !host_net)
        buf_puts(&out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    if (out.failed) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out);
}

int etc_files(struct engine *e, struct container *c, pier_err_t *err)
{
    char dir[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    const char *net = json_string_value(json_object_get(c->host, "NetworkMode"));
    bool host_net = net && strcmp(net, "host") == 0;
    const char *h = json_string_value(json_object_get(c->config, "Hostname"));
    char hostname[256];
    if (host_net)
        gethostname(hostname, sizeof hostname);
    else
        snprintf(hostname, sizeof hostname, "%.*s", h && *h ? 255 : 12, h && *h ? h : c->id);
    char text[1024];
    snprintf(text, sizeof text, "%s\n", hostname);
    if (write_file(dir, "hostname", text, err) < 0)
        return -1;
    json_t *extra = json_object_get(c->host, "ExtraHosts");
    struct buf hosts = BUF_INIT;
    buf_puts(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                     "ff02::2\tip6-allrouters\n");
    size_t i;
    json_t *v;
    /* docker's host-gateway: the default bridge's gateway, the host's
     * address that containers reach */
    struct network *dflt = net_default(e->net);
    json_array_foreach (extra, i, v) {
        const char *s = json_string_value(v);
        const char *colon = s ? strchr(s, ':') : NULL;
        if (colon == NULL)
            continue;
        const char *ip = colon + 1;
        if (strcmp(ip, "host-gateway") == 0 && dflt)
            ip = dflt->gateway;
        buf_printf(&hosts, "%s\t%.*s\n", ip, (int)(colon - s), s);
    }
    /* the container's own address and name, last, as docker writes it */
    const char *ip = ep_first_ip(c);
    if (ip) {
        const char *dom = json_string_value(json_object_get(c->config, "Domainname"));
        if (dom && *dom)
            buf_printf(&hosts, "%s\t%s.%s %s\n", ip, hostname, dom, hostname);
        else
            buf_printf(&hosts, "%s\t%s\n", ip, hostname);
    }
    if (hosts.failed) {
        buf_free(&hosts);
        return pier_error(err, ENOMEM, "hosts");
    }
    int r = write_file(dir, "hosts", hosts.data, err);
    buf_free(&hosts);
    if (r < 0)
        return -1;
    cleanup_free char *resolv = resolv_conf(c, host_net);
    if (resolv == NULL)
        return pier_error(err, ENOMEM, "resolv.conf");
    return write_file(dir, "resolv.conf", resolv, err);
}
