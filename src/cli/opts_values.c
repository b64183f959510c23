/* Each run/create option's value as the API wants it: env and label
 * files, ports, ulimits, devices, mounts, volumes, the restart policy,
 * capabilities, security options. */
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

bool valid_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* --- helpers ---------------------------------------------------------------- */

json_t *strv_json(const struct flag *f)
{
    if (f == NULL || f->nvals == 0)
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; i < f->nvals; i++)
        json_array_append_new(a, json_string(f->vals[i]));
    return a;
}

/* GetAllOrEmpty: [] rather than null. */
json_t *strv_json_empty(const struct flag *f)
{
    json_t *a = strv_json(f);
    if (json_is_null(a)) {
        json_decref(a);
        return json_array();
    }
    return a;
}

/* Sort obj's keys in place (replacing the object). */
json_t *sort_steal(json_t *obj)
{
    json_t *s = sorted_object(obj);
    json_decref(obj);
    return s;
}

int64_t bytes_value(struct flagset *fs, const char *name)
{
    const char *v = flag_str(fs, name);
    int64_t n = 0;
    char msg[128];
    if (*v == '\0')
        return 0;
    if (strcmp(v, "-1") == 0)
        return -1;
    ram_in_bytes(v, &n, msg, sizeof msg);
    return n;
}

/* --- env and labels ---------------------------------------------------------- */

/* One file's lines: "#" comments and blank lines skipped, "K" alone taken
 * from the environment (skipped when unset), "K=V" kept. */
static int read_kv_file(const char *path, bool env, json_t *out, pier_err_t *err)
{
    cleanup_free char *data = NULL;
    size_t len;
    if (pier_read_file_at(AT_FDCWD, path, ENV_FILE_MAX, &data, &len, err) < 0) {
        int e = (*err)->errnum;
        pier_error_free(err);
        return pier_error(err, 0, "open %s: %s", path, go_strerror(e ? e : ENOENT));
    }
    char *p = data;
    int lineno = 0;
    /* a UTF-8 byte order mark is skipped */
    if (len >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
        (unsigned char)p[2] == 0xbf)
        p += 3;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *line = p;
        p = nl ? nl + 1 : NULL;
        /* trim leading whitespace */
        while (*line == ' ' || *line == '\t')
            line++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq == line) {
            return pier_error(err, 0, "no variable name on line '%s'", line);
        }
        char key[4096];
        size_t kl = eq ? (size_t)(eq - line) : strlen(line);
        if (kl >= sizeof key)
            return pier_error(err, 0, "variable name too long on line %d of %s", lineno, path);
        memcpy(key, line, kl);
        key[kl] = '\0';
        /* trailing space in the name is trimmed; inner space is an error */
        while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
            key[--kl] = '\0';
        if (strpbrk(key, " \t"))
            return pier_error(err, 0, "variable '%s' contains whitespaces", key);
        if (eq) {
            char *kv = NULL;
            if (asprintf(&kv, "%s=%s", key, eq + 1) < 0)
                return pier_error(err, ENOMEM, "read %s", path);
            json_array_append_new(out, json_string(kv));
            free(kv);
        } else if (env) {
            const char *v = getenv(key);
            if (v) {
                char *kv = NULL;
                if (asprintf(&kv, "%s=%s", key, v) < 0)
                    return pier_error(err, ENOMEM, "read %s", path);
                json_array_append_new(out, json_string(kv));
                free(kv);
            }
        } else {
            json_array_append_new(out, json_string(key));
        }
    }
    return 0;
}

int read_env(struct flag *files, struct flag *envs, json_t **out, pier_err_t *err)
{
    json_t *a = json_array();
    for (size_t i = 0; files && i < files->nvals; i++)
        if (read_kv_file(files->vals[i], true, a, err) < 0) {
            json_decref(a);
            return -1;
        }
    for (size_t i = 0; envs && i < envs->nvals; i++) {
        const char *v = envs->vals[i];
        const char *eq = strchr(v, '=');
        if (eq == NULL && getenv(v) != NULL) {
            char *kv = NULL;
            if (asprintf(&kv, "%s=%s", v, getenv(v)) >= 0) {
                json_array_append_new(a, json_string(kv));
                free(kv);
            }
        } else {
            json_array_append_new(a, json_string(v));
        }
    }
    if (json_array_size(a) == 0) {
        json_decref(a);
        *out = json_null();
    } else {
        *out = a;
    }
    return 0;
}

int read_labels(struct flagset *fs, json_t **out, pier_err_t *err)
{
    json_t *list = json_array();
    struct flag *files = flag_get(fs, "label-file");
    for (size_t i = 0; files && i < files->nvals; i++)
        if (read_kv_file(files->vals[i], false, list, err) < 0) {
            json_decref(list);
            return -1;
        }
    struct flag *l = flag_get(fs, "label");
    for (size_t i = 0; l && i < l->nvals; i++)
        json_array_append_new(list, json_string(l->vals[i]));
    json_t *m = json_object();
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        const char *s = json_string_value(v);
        const char *eq = strchr(s, '=');
        char key[4096];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
        json_object_set_new(m, key, json_string(eq ? eq + 1 : ""));
    }
    json_decref(list);
    *out = sort_steal(m);
    return 0;
}

/* --- ports --------------------------------------------------------------- */

/* strconv.ParseUint(s, 10, 16), digits only; Go's message in msg. */
static int port_uint(const char *s, uint64_t *v, char *msg, size_t cap)
{
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) {
            snprintf(msg, cap, "strconv.ParseUint: parsing \"%s\": invalid syntax", s);
            return -1;
        }
    return go_parse_uint(s, 16, v, msg, cap);
}

int port_range(const char *s, unsigned long *start, unsigned long *end, char *msg, size_t cap)
{
    if (*s == '\0') {
        snprintf(msg, cap, "empty string specified for ports");
        return -1;
    }
    uint64_t a, b;
    const char *dash = strchr(s, '-');
    if (dash == NULL) {
        if (port_uint(s, &a, msg, cap) < 0)
            return -1;
        *start = *end = (unsigned long)a;
        return 0;
    }
    /* strings.Split(ports, "-"), then parts[0] and parts[1]: a third
     * part is ignored, as docker's ParsePortRange does */
    char first[32], second[32];
    size_t l2 = strcspn(dash + 1, "-");
    snprintf(first, sizeof first, "%.*s", (int)(dash - s), s);
    snprintf(second, sizeof second, "%.*s", (int)l2, dash + 1);
    if ((size_t)(dash - s) >= sizeof first || l2 >= sizeof second) {
        snprintf(msg, cap, "strconv.ParseUint: parsing \"%s\": value out of range",
                 (size_t)(dash - s) >= sizeof first ? first : second);
        return -1;
    }
    if (port_uint(first, &a, msg, cap) < 0 || port_uint(second, &b, msg, cap) < 0)
        return -1;
    if (b < a) {
        snprintf(msg, cap, "invalid range specified for port: %s", s);
        return -1;
    }
    *start = (unsigned long)a;
    *end = (unsigned long)b;
    return 0;
}

int parse_publish(const char *spec, json_t *exposed, json_t *bindings, pier_err_t *err)
{
    char raw[512];
    snprintf(raw, sizeof raw, "%s", spec);
    /* long syntax (convertToStandardNotation): target=80,published=8080,
     * protocol=tcp, any other key ignored, made "published:target/protocol"
     * and parsed as that, errors included */
    if (strchr(raw, '=')) {
        char target[64] = "", published[64] = "", proto[16] = "tcp";
        char *save = NULL;
        for (char *kv = strtok_r(raw, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv)
                return pier_error(
                    err, 0, "invalid publish opts format (should be name=value but got '%s')", kv);
            *eq = '\0';
            if (strcmp(kv, "target") == 0)
                snprintf(target, sizeof target, "%s", eq + 1);
            else if (strcmp(kv, "published") == 0)
                snprintf(published, sizeof published, "%s", eq + 1);
            else if (strcmp(kv, "protocol") == 0)
                snprintf(proto, sizeof proto, "%s", eq + 1);
        }
        snprintf(raw, sizeof raw, "%s:%s/%s", published, target, proto);
    }
    char rawspec[512];
    snprintf(rawspec, sizeof rawspec, "%s", raw);
    /* ip:host:container/proto, the ip possibly with colons */
    char ip[128] = "", host[64] = "", cport[128];
    char *last = strrchr(raw, ':');
    if (last == NULL) {
        snprintf(cport, sizeof cport, "%s", raw);
    } else {
        snprintf(cport, sizeof cport, "%s", last + 1);
        *last = '\0';
        char *prev = strrchr(raw, ':');
        if (prev == NULL) {
            snprintf(host, sizeof host, "%s", raw);
        } else {
            snprintf(host, sizeof host, "%s", prev + 1);
            *prev = '\0';
            snprintf(ip, sizeof ip, "%s", raw);
        }
    }
    /* container port and protocol (SplitProtoPort: "80/udp/x" is udp) */
    char proto[32] = "tcp";
    char *slash = strchr(cport, '/');
    if (slash) {
        if (slash == cport) {
            cport[0] = '\0';
        } else {
            *slash = '\0';
            if (slash[1])
                snprintf(proto, sizeof proto, "%.*s", (int)strcspn(slash + 1, "/"), slash + 1);
        }
    }
    if (ip[0] == '[') {
        size_t l = strlen(ip);
        if (ip[l - 1] != ']')
            return pier_error(err, 0, "invalid IP address %s", ip);
        memmove(ip, ip + 1, l - 2);
        ip[l - 2] = '\0';
    }
    if (*ip && !valid_ip(ip))
        return pier_error(err, 0, "invalid IP address: %s", ip);
    if (*cport == '\0')
        return pier_error(err, 0, "no port specified: %s<empty>", rawspec);
    unsigned long cs, ce, hs = 0, he = 0;
    char m[128];
    if (port_range(cport, &cs, &ce, m, sizeof m) < 0)
        return pier_error(err, 0, "invalid containerPort: %s", cport);
    if (*host && port_range(host, &hs, &he, m, sizeof m) < 0)
        return pier_error(err, 0, "invalid hostPort: %s", host);
    if (*host && (ce - cs) != (he - hs) && ce != cs)
        return pier_error(err, 0,
                          "invalid ranges specified for container and host Ports: %s and %s", cport,
                          host);
    if (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") && strcasecmp(proto, "sctp"))
        return pier_error(err, 0, "invalid proto: %s", proto);
    for (char *p = proto; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (unsigned long i = 0; i <= ce - cs; i++) {
        char key[64], hp[64] = "";
        snprintf(key, sizeof key, "%lu/%s", cs + i, proto);
        json_object_set_new(exposed, key, json_object());
        if (*host) {
            if (cs == ce && hs != he)
                snprintf(hp, sizeof hp, "%lu-%lu", hs, he);
            else
                snprintf(hp, sizeof hp, "%lu", hs + i);
        }
        json_t *list = json_object_get(bindings, key);
        if (list == NULL) {
            list = json_array();
            json_object_set_new(bindings, key, list);
        }
        json_t *b = json_object();
        json_object_set_new(b, "HostIp", json_string(ip));
        json_object_set_new(b, "HostPort", json_string(hp));
        json_array_append_new(list, b);
    }
    return 0;
}

/* --- ulimits, devices, mounts, volumes ----------------------------------- */

static const char *const ulimit_names[] = {"core",    "cpu",      "data",   "fsize",      "locks",
                                           "memlock", "msgqueue", "nice",   "nofile",     "nproc",
                                           "rss",     "rtprio",   "rttime", "sigpending", "stack"};

int parse_ulimit(const char *s, json_t **out, char *msg, size_t cap)
{
    const char *eq = strchr(s, '=');
    if (eq == NULL || strchr(eq + 1, '=')) {
        snprintf(msg, cap, "invalid ulimit argument: %s", s);
        return -1;
    }
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(eq - s), s);
    bool known = false;
    for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++)
        known |= strcmp(name, ulimit_names[i]) == 0;
    if (!known) {
        snprintf(msg, cap, "invalid ulimit type: %s", name);
        return -1;
    }
    const char *v = eq + 1;
    const char *colon = strchr(v, ':');
    char soft[64], hard[64];
    snprintf(soft, sizeof soft, "%.*s", colon ? (int)(colon - v) : (int)strlen(v), v);
    snprintf(hard, sizeof hard, "%s", colon ? colon + 1 : soft);
    if (colon && strchr(colon + 1, ':')) {
        snprintf(msg, cap,
                 "too many limit value arguments - %s, can only have up to two, `soft[:hard]`", v);
        return -1;
    }
    int64_t sv, hv;
    char m[128];
    if (go_parse_int(soft, 64, &sv, m, sizeof m) < 0) {
        snprintf(msg, cap, "%s", m);
        return -1;
    }
    if (go_parse_int(hard, 64, &hv, m, sizeof m) < 0) {
        snprintf(msg, cap, "%s", m);
        return -1;
    }
    if (sv > hv) {
        snprintf(msg, cap,
                 "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                 (long long)sv, (long long)hv);
        return -1;
    }
    json_t *u = json_object();
    json_object_set_new(u, "Name", json_string(name));
    json_object_set_new(u, "Hard", json_integer(hv));
    json_object_set_new(u, "Soft", json_integer(sv));
    *out = u;
    return 0;
}

int parse_device(const char *s, json_t **out, pier_err_t *err)
{
    char src[4096] = "", dst[4096] = "", perms[8] = "rwm";
    char t[8192];
    snprintf(t, sizeof t, "%s", s);
    char *parts[4] = {0};
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(t, ":", &save); p && n < 4; p = strtok_r(NULL, ":", &save))
        parts[n++] = p;
    switch (n) {
    case 3:
        snprintf(perms, sizeof perms, "%s", parts[2]);
        /* fallthrough */
    case 2:
        snprintf(src, sizeof src, "%s", parts[0]);
        if (strspn(parts[1], "rwm") == strlen(parts[1]) && n == 2) {
            snprintf(perms, sizeof perms, "%s", parts[1]);
            snprintf(dst, sizeof dst, "%s", parts[0]);
        } else {
            snprintf(dst, sizeof dst, "%s", parts[1]);
        }
        break;
    case 1:
        snprintf(src, sizeof src, "%s", parts[0]);
        snprintf(dst, sizeof dst, "%s", parts[0]);
        break;
    default:
        return pier_error(err, 0, "invalid device specification: %s", s);
    }
    if (src[0] != '/' || dst[0] != '/')
        return pier_error(err, 0, "invalid device specification: %s", s);
    if (strspn(perms, "rwm") != strlen(perms) || !*perms)
        return pier_error(err, 0, "invalid device mode: %s", perms);
    json_t *d = json_object();
    json_object_set_new(d, "PathOnHost", json_string(src));
    json_object_set_new(d, "PathInContainer", json_string(dst));
    json_object_set_new(d, "CgroupPermissions", json_string(perms));
    *out = d;
    return 0;
}

/* --mount type=bind,source=/a,target=/b,readonly, as a Mount object. */
int parse_mount(const char *s, json_t **out, char *msg, size_t cap)
{
    char t[8192];
    snprintf(t, sizeof t, "%s", s);
    json_t *m = json_object();
    const char *type = "volume";
    char src[4096] = "", dst[4096] = "";
    bool ro = false, ro_set = false;
    json_t *bind = NULL, *vol = NULL, *tmpfs = NULL;
    char *save = NULL;
    for (char *kv = strtok_r(t, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const char *key = kv, *val = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        for (char *p = kv; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (val == NULL) {
            if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
                ro = ro_set = true;
                continue;
            }
            if (strcmp(key, "volume-nocopy") == 0) {
                if (!vol)
                    vol = json_object();
                json_object_set_new(vol, "NoCopy", json_true());
                continue;
            }
            snprintf(msg, cap, "invalid field '%s' must be a key=value pair", key);
            json_decref(m);
            return -1;
        }
        if (strcmp(key, "type") == 0) {
            if (strcmp(val, "bind") && strcmp(val, "volume") && strcmp(val, "tmpfs") &&
                strcmp(val, "npipe") && strcmp(val, "cluster") && strcmp(val, "image")) {
                snprintf(msg, cap, "invalid value for %s: %s", key, val);
                json_decref(m);
                return -1;
            }
            type = strcmp(val, "bind") == 0     ? "bind"
                   : strcmp(val, "tmpfs") == 0  ? "tmpfs"
                   : strcmp(val, "volume") == 0 ? "volume"
                   : strcmp(val, "image") == 0  ? "image"
                   : strcmp(val, "npipe") == 0  ? "npipe"
                                                : "cluster";
        } else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
            snprintf(src, sizeof src, "%s", val);
        } else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
                   strcmp(key, "destination") == 0) {
            snprintf(dst, sizeof dst, "%s", val);
        } else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
            bool b;
            if (go_parse_bool(val, &b) < 0) {
                snprintf(msg, cap, "invalid value for %s: %s", key, val);
                json_decref(m);
                return -1;
            }
            ro = b;
            ro_set = true;
        } else if (strcmp(key, "bind-propagation") == 0) {
            if (!bind)
                bind = json_object();
            json_object_set_new(bind, "Propagation", json_string(val));
        } else if (strcmp(key, "volume-nocopy") == 0) {
            bool b = true;
            go_parse_bool(val, &b);
            if (!vol)
                vol = json_object();
            json_object_set_new(vol, "NoCopy", json_boolean(b));
        } else if (strcmp(key, "tmpfs-size") == 0) {
            int64_t n;
            if (ram_in_bytes(val, &n, msg, cap) < 0) {
                snprintf(msg, cap, "invalid value for %s: %s", key, val);
                json_decref(m);
                return -1;
            }
            if (!tmpfs)
                tmpfs = json_object();
            json_object_set_new(tmpfs, "SizeBytes", json_integer(n));
        } else if (strcmp(key, "tmpfs-mode") == 0) {
            unsigned long mode = strtoul(val, NULL, 8);
            if (!tmpfs)
                tmpfs = json_object();
            json_object_set_new(tmpfs, "Mode", json_integer((json_int_t)mode));
        } else if (strcmp(key, "consistency") == 0 || strcmp(key, "volume-driver") == 0 ||
                   strcmp(key, "volume-label") == 0 || strcmp(key, "volume-opt") == 0 ||
                   strcmp(key, "bind-recursive") == 0 || strcmp(key, "bind-nonrecursive") == 0 ||
                   strcmp(key, "volume-subpath") == 0 || strcmp(key, "image-subpath") == 0 ||
                   strcmp(key, "bind-create-src") == 0) {
            /* accepted, passed on where it maps */
            if (strcmp(key, "consistency") == 0)
                json_object_set_new(m, "Consistency", json_string(val));
        } else {
            snprintf(msg, cap, "unexpected key '%s' in '%s'", key, kv);
            json_decref(m);
            return -1;
        }
    }
    json_t *r = json_object();
    json_object_set_new(r, "Type", json_string(type));
    if (*src)
        json_object_set_new(r, "Source", json_string(src));
    json_object_set_new(r, "Target", json_string(dst));
    if (ro_set && ro)
        json_object_set_new(r, "ReadOnly", json_true());
    json_t *cons = json_object_get(m, "Consistency");
    if (cons)
        json_object_set(r, "Consistency", cons);
    if (bind)
        json_object_set_new(r, "BindOptions", bind);
    if (vol)
        json_object_set_new(r, "VolumeOptions", vol);
    if (tmpfs)
        json_object_set_new(r, "TmpfsOptions", tmpfs);
    json_decref(m);
    if (*dst == '\0') {
        snprintf(msg, cap, "target is required");
        json_decref(r);
        return -1;
    }
    if (strcmp(type, "tmpfs") == 0 && *src) {
        snprintf(msg, cap, "source is not supported for tmpfs mounts");
        json_decref(r);
        return -1;
    }
    if (strcmp(type, "bind") == 0 && *src == '\0') {
        snprintf(msg, cap, "source is required when specifying bind mounts");
        json_decref(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* -v: "/host:/ctr[:opts]" and "name:/ctr" bind (Binds), "/ctr" an
 * anonymous volume (Volumes). */
int parse_volume(const char *spec, json_t *binds, json_t *volumes, pier_err_t *err)
{
    if (*spec == '\0')
        return pier_error(err, 0, "invalid empty volume spec");
    const char *colon = strchr(spec, ':');
    if (colon == NULL) {
        if (spec[0] != '/')
            return pier_error(err, 0, "invalid volume specification: '%s'", spec);
        json_object_set_new(volumes, spec, json_object());
        return 0;
    }
    char host[4096];
    snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
    const char *rest = colon + 1;
    const char *c2 = strchr(rest, ':');
    char target[4096];
    snprintf(target, sizeof target, "%.*s", c2 ? (int)(c2 - rest) : (int)strlen(rest), rest);
    if (*host == '\0' || target[0] != '/' || (c2 && strchr(c2 + 1, ':')))
        return pier_error(err, 0, "invalid volume specification: '%s'", spec);
    if (c2) {
        /* modes: ro, rw, z, Z, and propagation, comma separated */
        char modes[256];
        snprintf(modes, sizeof modes, "%s", c2 + 1);
        char *save = NULL;
        for (char *m = strtok_r(modes, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
            static const char *const ok[] = {
                "ro",     "rw",      "z",        "Z",      "shared",     "rshared", "slave",
                "rslave", "private", "rprivate", "nocopy", "consistent", "cached",  "delegated"};
            bool good = false;
            for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
                good |= strcmp(m, ok[i]) == 0;
            if (!good)
                return pier_error(err, 0, "invalid mode: %s", m);
        }
    }
    /* a relative host path starting with "." is made absolute */
    char out[8192];
    if (host[0] == '.') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd) == NULL)
            return pier_error(err, errno, "getcwd");
        const char *h = host;
        if (strcmp(h, ".") == 0)
            snprintf(out, sizeof out, "%s%s", cwd, colon);
        else if (strncmp(h, "./", 2) == 0)
            snprintf(out, sizeof out, "%s/%s%s", cwd, h + 2, colon);
        else
            snprintf(out, sizeof out, "%s/%s%s", cwd, h, colon);
    } else {
        snprintf(out, sizeof out, "%s", spec);
    }
    json_array_append_new(binds, json_string(out));
    return 0;
}

/* opts.ParseRestartPolicy */
int parse_restart(const char *s, json_t **out, pier_err_t *err)
{
    json_t *r = json_object();
    const char *colon = strchr(s, ':');
    char name[64];
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
    int64_t count = 0;
    if (colon) {
        if (strcmp(name, "on-failure") != 0) {
            json_decref(r);
            return pier_error(err, 0,
                              "invalid restart policy format: maximum retry count can only be used "
                              "with 'on-failure'");
        }
        char m[128];
        if (go_parse_int(colon + 1, 64, &count, m, sizeof m) < 0) {
            json_decref(r);
            return pier_error(
                err, 0, "invalid restart policy format: maximum retry count must be an integer");
        }
    }
    json_object_set_new(r, "Name", json_string(name));
    json_object_set_new(r, "MaximumRetryCount", json_integer(count));
    *out = r;
    return 0;
}

/* opts.NormalizeCapabilities: upper case, CAP_ prefixed, ALL kept. */
json_t *capabilities(const struct flag *f)
{
    if (f == NULL || f->nvals == 0)
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; i < f->nvals; i++) {
        char c[128];
        snprintf(c, sizeof c, "%s", f->vals[i]);
        for (char *p = c; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        char full[160];
        if (strcmp(c, "ALL") == 0 || strncmp(c, "CAP_", 4) == 0)
            snprintf(full, sizeof full, "%s", c);
        else
            snprintf(full, sizeof full, "CAP_%s", c);
        bool dup = false;
        size_t k;
        json_t *v;
        json_array_foreach (a, k, v) {
            dup |= strcmp(json_string_value(v), full) == 0;
        }
        if (!dup)
            json_array_append_new(a, json_string(full));
    }
    return a;
}

/* --security-opt: seccomp=FILE becomes seccomp=<compact JSON>. */
int security_opts(const struct flag *f, json_t **out, bool *unconfined_paths, pier_err_t *err)
{
    *unconfined_paths = false;
    if (f == NULL || f->nvals == 0) {
        *out = json_null();
        return 0;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < f->nvals; i++) {
        const char *o = f->vals[i];
        if (strcmp(o, "systempaths=unconfined") == 0) {
            *unconfined_paths = true;
            continue;
        }
        if (strcmp(o, "no-new-privileges") == 0) {
            json_array_append_new(a, json_string(o));
            continue;
        }
        char buf[256];
        snprintf(buf, sizeof buf, "%s", o);
        const char *sep = strchr(o, '=');
        if (sep == NULL)
            sep = strchr(o, ':');
        if (sep == NULL) {
            json_decref(a);
            return pier_error(err, 0, "Invalid --security-opt: %s", o);
        }
        size_t kl = (size_t)(sep - o);
        if (kl == 7 && strncmp(o, "seccomp", 7) == 0 && strcmp(sep + 1, "unconfined") != 0 &&
            strcmp(sep + 1, "builtin") != 0) {
            cleanup_free char *data = NULL;
            size_t len;
            if (pier_read_file_at(AT_FDCWD, sep + 1, SECCOMP_FILE_MAX, &data, &len, err) < 0) {
                int e = (*err)->errnum;
                pier_error_free(err);
                json_decref(a);
                return pier_error(err, 0, "opening seccomp profile (%s) failed: open %s: %s",
                                  sep + 1, sep + 1, go_strerror(e ? e : ENOENT));
            }
            json_error_t je;
            json_t *j = json_loadb(data, len, 0, &je);
            if (j == NULL) {
                json_decref(a);
                return pier_error(err, 0, "compacting json for seccomp profile (%s) failed: %s",
                                  sep + 1, je.text);
            }
            struct buf b = BUF_INIT;
            /* json.Compact keeps the file's own order and numbers */
            buf_puts(&b, "seccomp=");
            json_raw_reformat(data, len, NULL, &b);
            json_decref(j);
            json_array_append_new(a, json_string(b.data));
            buf_free(&b);
            continue;
        }
        /* "label:x" is the old spelling of "label=x" */
        char norm[4096];
        snprintf(norm, sizeof norm, "%.*s=%s", (int)kl, o, sep + 1);
        json_array_append_new(a, json_string(norm));
    }
    if (json_array_size(a) == 0) {
        json_decref(a);
        a = json_null();
    }
    *out = a;
    return 0;
}

json_t *kv_map(const struct flag *f, bool sorted)
{
    json_t *m = json_object();
    for (size_t i = 0; f && i < f->nvals; i++) {
        const char *v = f->vals[i];
        const char *eq = strchr(v, '=');
        char key[4096];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
        json_object_set_new(m, key, json_string(eq ? eq + 1 : ""));
    }
    return sorted ? sort_steal(m) : m;
}

json_t *throttle_list(const struct flag *f, bool bps, bool weight)
{
    json_t *a = json_array();
    for (size_t i = 0; f && i < f->nvals; i++) {
        const char *v = f->vals[i];
        const char *colon = strrchr(v, ':');
        char path[4096];
        snprintf(path, sizeof path, "%.*s", (int)(colon - v), v);
        json_t *o = json_object();
        json_object_set_new(o, "Path", json_string(path));
        char m[128];
        if (weight) {
            uint64_t w = 0;
            go_parse_uint(colon + 1, 16, &w, m, sizeof m);
            json_object_set_new(o, "Weight", json_integer((json_int_t)w));
        } else if (bps) {
            int64_t n = 0;
            ram_in_bytes(colon + 1, &n, m, sizeof m);
            json_object_set_new(o, "Rate", json_integer(n));
        } else {
            uint64_t n = 0;
            go_parse_uint(colon + 1, 64, &n, m, sizeof m);
            json_object_set_new(o, "Rate", json_integer((json_int_t)n));
        }
        json_array_append_new(a, o);
    }
    return a;
}

bool valid_ns_mode(const char *m, bool container_ok, bool private_ok)
{
    if (*m == '\0' || strcmp(m, "host") == 0)
        return true;
    if (private_ok && strcmp(m, "private") == 0)
        return true;
    if (container_ok && strncmp(m, "container:", 10) == 0 && m[10] != '\0')
        return true;
    return false;
}

bool valid_mac(const char *s)
{
    unsigned int b[6];
    char c;
    return sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &c) ==
               6 ||
           sscanf(s, "%2x-%2x-%2x-%2x-%2x-%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &c) ==
               6;
}

json_t *default_endpoint(void)
{
    json_t *e = json_object();
    json_object_set_new(e, "IPAMConfig", json_null());
    json_object_set_new(e, "Links", json_null());
    json_object_set_new(e, "Aliases", json_null());
    json_object_set_new(e, "MacAddress", json_string(""));
    json_object_set_new(e, "DriverOpts", json_null());
    json_object_set_new(e, "GwPriority", json_integer(0));
    json_object_set_new(e, "NetworkID", json_string(""));
    json_object_set_new(e, "EndpointID", json_string(""));
    json_object_set_new(e, "Gateway", json_string(""));
    json_object_set_new(e, "IPAddress", json_string(""));
    json_object_set_new(e, "IPPrefixLen", json_integer(0));
    json_object_set_new(e, "IPv6Gateway", json_string(""));
    json_object_set_new(e, "GlobalIPv6Address", json_string(""));
    json_object_set_new(e, "GlobalIPv6PrefixLen", json_integer(0));
    json_object_set_new(e, "DNSNames", json_null());
    return e;
}
