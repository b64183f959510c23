#include "fmt_container.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "flags.h"
#include "tabwriter.h"
#include "units.h"

void truncate_id(const char *id, char *out, size_t cap)
{
    const char *c = strchr(id, ':');
    if (c)
        id = c + 1;
    snprintf(out, cap, "%.12s", id);
}

/* Length in bytes of the UTF-8 sequence starting with c. */
static size_t u8len(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xe0) == 0xc0 ? 2
           : (c & 0xf0) == 0xe0 ? 3
           : (c & 0xf8) == 0xf0 ? 4
                                : 1;
}

void ellipsis(const char *s, int max, struct buf *out)
{
    if (max <= 0)
        return;
    size_t len = strlen(s);
    if (max == 1) {
        if (len)
            buf_put(out, s, u8len((unsigned char)s[0]) <= len ? u8len((unsigned char)s[0]) : len);
        return;
    }
    /* display width of each rune, counted up to the cut */
    size_t total = tw_text_width(s, len);
    if (total <= (size_t)max) {
        buf_puts(out, s);
        return;
    }
    size_t w = 0, i = 0;
    while (i < len) {
        size_t l = u8len((unsigned char)s[i]);
        if (i + l > len)
            l = len - i;
        size_t cw = tw_text_width(s + i, l);
        if (w + cw > (size_t)max - 1)
            break;
        w += cw;
        i += l;
    }
    buf_put(out, s, i);
    buf_puts(out, "\xe2\x80\xa6");
}

struct port {
    const char *ip, *type;
    long priv, pub;
};

static int cmp_ports(const void *a, const void *b)
{
    const struct port *x = a, *y = b;
    if (x->priv != y->priv)
        return x->priv < y->priv ? -1 : 1;
    int c = strcmp(x->ip, y->ip);
    if (c)
        return c;
    if (x->pub != y->pub)
        return x->pub < y->pub ? -1 : 1;
    return strcmp(x->type, y->type);
}

/* net.JoinHostPort: brackets around an IPv6 host. */
static void join_host_port(struct buf *b, const char *host, const char *port)
{
    if (strchr(host, ':'))
        buf_printf(b, "[%s]:%s", host, port);
    else
        buf_printf(b, "%s:%s", host, port);
}

static void form_group(struct buf *b, const char *key, long first, long last)
{
    /* key is "type" or "ip/type" */
    const char *slash = strchr(key, '/');
    char ip[64] = "";
    const char *type = key;
    if (slash) {
        snprintf(ip, sizeof ip, "%.*s", (int)(slash - key), key);
        type = slash + 1;
    }
    char group[32];
    if (first != last)
        snprintf(group, sizeof group, "%ld-%ld", first, last);
    else
        snprintf(group, sizeof group, "%ld", first);
    if (*ip) {
        join_host_port(b, ip, group);
        buf_printf(b, "->%s", group);
    } else {
        buf_puts(b, group);
    }
    buf_printf(b, "/%s", type);
}

#define MAX_PORTS 4096

void displayable_ports(json_t *ports, struct buf *out)
{
    size_t n = json_array_size(ports);
    if (n == 0)
        return;
    if (n > MAX_PORTS)
        n = MAX_PORTS;
    cleanup_free struct port *p = calloc(n, sizeof *p);
    /* groups of consecutive ports, by "type" or "ip/type", in order of
     * first appearance */
    cleanup_free char(*keys)[96] = calloc(n, sizeof *keys);
    cleanup_free long *gfirst = calloc(n, sizeof *gfirst);
    cleanup_free long *glast = calloc(n, sizeof *glast);
    if (!p || !keys || !gfirst || !glast)
        return;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(ports, i);
        p[i].ip = json_string_value(json_object_get(o, "IP")) ?: "";
        p[i].type = json_string_value(json_object_get(o, "Type")) ?: "";
        p[i].priv = (long)json_integer_value(json_object_get(o, "PrivatePort"));
        p[i].pub = (long)json_integer_value(json_object_get(o, "PublicPort"));
    }
    qsort(p, n, sizeof *p, cmp_ports);
    struct buf result = BUF_INIT, mappings = BUF_INIT;
    size_t nkeys = 0;
    bool first_result = true;
    for (size_t i = 0; i < n; i++) {
        char key[96];
        if (*p[i].ip) {
            if (p[i].pub != p[i].priv) {
                char port[16];
                snprintf(port, sizeof port, "%ld", p[i].pub);
                if (mappings.len)
                    buf_puts(&mappings, ", ");
                join_host_port(&mappings, p[i].ip, port);
                buf_printf(&mappings, "->%ld/%s", p[i].priv, p[i].type);
                continue;
            }
            snprintf(key, sizeof key, "%s/%s", p[i].ip, p[i].type);
        } else {
            snprintf(key, sizeof key, "%s", p[i].type);
        }
        size_t g = 0;
        while (g < nkeys && strcmp(keys[g], key) != 0)
            g++;
        if (g == nkeys) {
            snprintf(keys[nkeys], sizeof keys[0], "%s", key);
            gfirst[nkeys] = glast[nkeys] = p[i].priv;
            nkeys++;
            continue;
        }
        if (p[i].priv == glast[g] + 1) {
            glast[g] = p[i].priv;
            continue;
        }
        if (!first_result)
            buf_puts(&result, ", ");
        form_group(&result, keys[g], gfirst[g], glast[g]);
        first_result = false;
        gfirst[g] = glast[g] = p[i].priv;
    }
    for (size_t g = 0; g < nkeys; g++) {
        if (!first_result)
            buf_puts(&result, ", ");
        form_group(&result, keys[g], gfirst[g], glast[g]);
        first_result = false;
    }
    if (result.len)
        buf_put(out, result.data, result.len);
    if (mappings.len) {
        if (result.len)
            buf_puts(out, ", ");
        buf_put(out, mappings.data, mappings.len);
    }
    buf_free(&result);
    buf_free(&mappings);
}

/* reference.FamiliarString: docker.io/library/x -> x, docker.io/x/y -> x/y. */
static const char *familiar(const char *ref)
{
    if (strncmp(ref, "docker.io/library/", 18) == 0)
        return ref + 18;
    if (strncmp(ref, "docker.io/", 10) == 0)
        return ref + 10;
    if (strncmp(ref, "index.docker.io/library/", 24) == 0)
        return ref + 24;
    return ref;
}

void container_image(json_t *c, bool trunc, struct buf *out)
{
    const char *image = json_string_value(json_object_get(c, "Image")) ?: "";
    const char *image_id = json_string_value(json_object_get(c, "ImageID")) ?: "";
    if (*image == '\0') {
        buf_puts(out, "<no image>");
        return;
    }
    if (!trunc) {
        buf_puts(out, image);
        return;
    }
    char a[16], b[16];
    truncate_id(image_id, a, sizeof a);
    truncate_id(image, b, sizeof b);
    if (strcmp(a, b) == 0) {
        buf_puts(out, a);
        return;
    }
    /* a reference with a digest loses the digest and keeps its tag */
    const char *f = familiar(image);
    const char *at = strchr(f, '@');
    if (at)
        buf_put(out, f, (size_t)(at - f));
    else
        buf_puts(out, f);
}

static json_t *str_new(struct buf *b)
{
    json_t *s = json_stringn(b->data ? b->data : "", b->len);
    buf_free(b);
    return s;
}

json_t *container_row(json_t *c, bool trunc, time_t now)
{
    json_t *row = json_object();
    struct buf b = BUF_INIT;
    const char *id = json_string_value(json_object_get(c, "Id")) ?: "";

    /* Command */
    const char *command = json_string_value(json_object_get(c, "Command")) ?: "";
    struct buf cmd = BUF_INIT;
    if (trunc)
        ellipsis(command, 20, &cmd);
    else
        buf_puts(&cmd, command);
    char *q = malloc(cmd.len * 6 + 3);
    if (q) {
        go_quote(cmd.data ? cmd.data : "", q, cmd.len * 6 + 3);
        json_object_set_new(row, "Command", json_string(q));
        free(q);
    }
    buf_free(&cmd);

    /* CreatedAt */
    int64_t created = json_integer_value(json_object_get(c, "Created"));
    char t[96];
    go_time_string(created, t, sizeof t);
    json_object_set_new(row, "CreatedAt", json_string(t));

    /* ID */
    char sid[16];
    truncate_id(id, sid, sizeof sid);
    json_object_set_new(row, "ID", json_string(trunc ? sid : id));

    container_image(c, trunc, &b);
    json_object_set_new(row, "Image", str_new(&b));

    /* Labels: sorted k=v */
    json_t *labels = json_object_get(c, "Labels");
    size_t nl = json_object_size(labels);
    if (nl > 0) {
        char **kv = calloc(nl, sizeof *kv);
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach (labels, key, v) {
            if (kv && asprintf(&kv[k], "%s=%s", key, json_string_value(v) ?: "") >= 0)
                k++;
        }
        if (kv)
            qsort(kv, k, sizeof *kv, cmp_cstr);
        for (size_t i = 0; i < k; i++) {
            if (i)
                buf_putc(&b, ',');
            buf_puts(&b, kv[i]);
            free(kv[i]);
        }
        free(kv);
    }
    json_object_set_new(row, "Labels", str_new(&b));

    /* LocalVolumes, Mounts */
    json_t *mounts = json_object_get(c, "Mounts");
    size_t i;
    json_t *m;
    int local = 0;
    json_array_foreach (mounts, i, m) {
        const char *drv = json_string_value(json_object_get(m, "Driver")) ?: "";
        if (strcmp(drv, "local") == 0)
            local++;
        const char *name = json_string_value(json_object_get(m, "Name")) ?: "";
        if (*name == '\0')
            name = json_string_value(json_object_get(m, "Source")) ?: "";
        if (i)
            buf_putc(&b, ',');
        if (trunc)
            ellipsis(name, 15, &b);
        else
            buf_puts(&b, name);
    }
    char lv[16];
    snprintf(lv, sizeof lv, "%d", local);
    json_object_set_new(row, "LocalVolumes", json_string(lv));
    json_object_set_new(row, "Mounts", str_new(&b));

    /* Names: the first without a slash when truncating, else all */
    json_t *names = json_object_get(c, "Names");
    json_t *n;
    bool first = true;
    json_array_foreach (names, i, n) {
        const char *name = json_string_value(n) ?: "";
        if (*name == '/')
            name++;
        if (trunc) {
            if (strchr(name, '/') == NULL) {
                buf_puts(&b, name);
                break;
            }
            continue;
        }
        if (!first)
            buf_putc(&b, ',');
        buf_puts(&b, name);
        first = false;
    }
    json_object_set_new(row, "Names", str_new(&b));

    /* Networks */
    json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
    const char *key;
    json_t *v;
    first = true;
    json_object_foreach (nets, key, v) {
        if (!first)
            buf_putc(&b, ',');
        buf_puts(&b, key);
        first = false;
    }
    json_object_set_new(row, "Networks", str_new(&b));

    json_object_set_new(row, "Platform", json_null());

    displayable_ports(json_object_get(c, "Ports"), &b);
    json_object_set_new(row, "Ports", str_new(&b));

    /* RunningFor */
    char d[64];
    human_duration(((int64_t)now - created) * 1000000000LL, d, sizeof d);
    buf_printf(&b, "%s ago", d);
    json_object_set_new(row, "RunningFor", str_new(&b));

    /* Size */
    char srw[32], sv[32];
    int64_t size_rw = json_integer_value(json_object_get(c, "SizeRw"));
    int64_t size_root = json_integer_value(json_object_get(c, "SizeRootFs"));
    human_size_prec((double)size_rw, 3, srw, sizeof srw);
    human_size_prec((double)size_root, 3, sv, sizeof sv);
    if (size_root > 0)
        buf_printf(&b, "%s (virtual %s)", srw, sv);
    else
        buf_puts(&b, srw);
    json_object_set_new(row, "Size", str_new(&b));

    json_object_set_new(row, "State",
                        json_string(json_string_value(json_object_get(c, "State")) ?: ""));
    json_object_set_new(row, "Status",
                        json_string(json_string_value(json_object_get(c, "Status")) ?: ""));
    /* for {{.Label "k"}} */
    if (json_is_object(labels))
        json_object_set(row, "Label", labels);
    else
        json_object_set_new(row, "Label", json_object());
    return row;
}

json_t *container_header(void)
{
    json_t *h = json_object();
    static const char *const kv[][2] = {
        {"ID", "CONTAINER ID"},
        {"Names", "NAMES"},
        {"Image", "IMAGE"},
        {"Command", "COMMAND"},
        {"CreatedAt", "CREATED AT"},
        {"RunningFor", "CREATED"},
        {"Ports", "PORTS"},
        {"State", "STATE"},
        {"Status", "STATUS"},
        {"Size", "SIZE"},
        {"Labels", "LABELS"},
        {"Mounts", "MOUNTS"},
        {"LocalVolumes", "LOCAL VOLUMES"},
        {"Networks", "NETWORKS"},
        {"Platform", "PLATFORM"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        json_object_set_new(h, kv[i][0], json_string(kv[i][1]));
    return h;
}

static const struct tmpl_field container_fields[] = {
    {"Command", &tmpl_string},  {"CreatedAt", &tmpl_string},
    {"ID", &tmpl_string},       {"Image", &tmpl_string},
    {"Labels", &tmpl_string},   {"LocalVolumes", &tmpl_string},
    {"Mounts", &tmpl_string},   {"Names", &tmpl_string},
    {"Networks", &tmpl_string}, {"Platform", NULL},
    {"Ports", &tmpl_string},    {"RunningFor", &tmpl_string},
    {"Size", &tmpl_string},     {"State", &tmpl_string},
    {"Status", &tmpl_string},   {"Label", &tmpl_string},
    {"FullHeader", NULL},       {"Header", NULL},
    {"MarshalJSON", NULL},      {NULL},
};

const struct tmpl_type container_context_type = {"*formatter.ContainerContext", container_fields,
                                                 false};
