/* GET /images/{name}/json: the ImageInspect object of API v1.51, and what
 * older API versions had in it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

/* The image-config fields API v1.50+ shows, in Docker's order
 * (DockerOCIImageConfig), each only when set. */
static const char *const config_keys[] = {
    "User",   "ExposedPorts", "Env",         "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
    "Labels", "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell",
};

static bool is_unset(json_t *v)
{
    return v == NULL || json_is_null(v) || json_is_false(v) ||
           (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

static json_t *inspect_config(struct img_image *img)
{
    json_t *c = json_object_get(img->config, "config");
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i < ARRAY_SIZE(config_keys); i++) {
        json_t *v = json_object_get(c, config_keys[i]);
        if (!is_unset(v))
            json_object_set(out, config_keys[i], v);
    }
    return out;
}

static const char *config_string(struct img_image *img, const char *key)
{
    const char *v = json_string_value(json_object_get(img->config, key));
    return v ? v : "";
}

/* overlay2's view: the top layer as UpperDir, the others as LowerDir. */
static json_t *graph_driver(struct img_store *s, struct img_image *img, pier_err_t *err)
{
    cleanup_json json_t *data = json_object();
    if (data == NULL)
        return NULL;
    size_t cap = img->nlayers * (strlen(s->dir) + 96) + 1, len = 0;
    cleanup_free char *lower = calloc(1, cap);
    if (lower == NULL)
        return NULL;
    for (size_t i = img->nlayers; i-- > 0;) {
        cleanup_free char *path = NULL;
        if (img_layer_diff_path(s, img->chain[i], &path, err) < 0)
            return NULL;
        if (i == img->nlayers - 1) {
            json_object_set_new(data, "UpperDir", json_string(path));
            continue;
        }
        len += (size_t)snprintf(lower + len, cap - len, "%s%s", len ? ":" : "", path);
    }
    if (len > 0)
        json_object_set_new(data, "LowerDir", json_string(lower));
    return json_pack("{s:O, s:s}", "Data", data, "Name", "overlay2");
}

static json_t *rootfs(struct img_image *img)
{
    json_t *layers = json_array();
    for (size_t i = 0; layers != NULL && i < img->nlayers; i++)
        json_array_append_new(layers, json_string(img->diff[i]));
    const char *type =
        json_string_value(json_object_get(json_object_get(img->config, "rootfs"), "type"));
    json_t *out = json_pack("{s:s}", "Type", type ? type : "layers");
    if (out != NULL && json_array_size(layers) > 0)
        json_object_set(out, "Layers", layers);
    json_decref(layers);
    return out;
}

/* json_object_set_new that remembers a failure (v NULL included). */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, key, v) < 0)
        *ok = false;
}

static json_t *inspect_locked(struct img_store *s, struct img_image *img, pier_err_t *err)
{
    cleanup_json json_t *tags = NULL, *digests = NULL;
    if (img_refs_of(s, img->id, &tags, &digests, err) < 0)
        return NULL;
    cleanup_json json_t *o = json_object();
    if (o == NULL) {
        pier_error(err, ENOMEM, "inspect %s", img->id);
        return NULL;
    }
    bool ok = true;
    put(o, "Id", json_string(img->id), &ok);
    put(o, "RepoTags", json_incref(tags), &ok);
    put(o, "RepoDigests", json_incref(digests), &ok);
    put(o, "Parent", json_string(img->parent ? img->parent : ""), &ok);
    /* as Docker: the last history entry's comment when the config has none
     * (a commit's) */
    const char *comment = config_string(img, "comment");
    json_t *history = json_object_get(img->config, "history");
    const char *last = json_string_value(
        json_object_get(json_array_get(history, json_array_size(history) - 1), "comment"));
    put(o, "Comment", json_string(*comment == '\0' && last ? last : comment), &ok);
    /* Created is omitted when the image has none. */
    const char *created = json_string_value(json_object_get(img->config, "created"));
    int64_t sec;
    long nsec;
    int off;
    if (created != NULL && img_time_parse(created, &sec, &nsec, &off) == 0) {
        char buf[64];
        img_time_format(sec, nsec, off, buf, sizeof buf);
        put(o, "Created", json_string(buf), &ok);
    }
    put(o, "DockerVersion", json_string(config_string(img, "docker_version")), &ok);
    put(o, "Author", json_string(config_string(img, "author")), &ok);
    put(o, "Config", inspect_config(img), &ok);
    put(o, "Architecture", json_string(config_string(img, "architecture")), &ok);
    if (config_string(img, "variant")[0] != '\0')
        put(o, "Variant", json_string(config_string(img, "variant")), &ok);
    put(o, "Os", json_string(config_string(img, "os")), &ok);
    if (config_string(img, "os.version")[0] != '\0')
        put(o, "OsVersion", json_string(config_string(img, "os.version")), &ok);
    put(o, "Size", json_integer(img->size), &ok);
    json_t *gd = graph_driver(s, img, err);
    if (gd == NULL && err != NULL && *err != NULL)
        return NULL;
    put(o, "GraphDriver", gd, &ok);
    put(o, "RootFS", rootfs(img), &ok);
    json_t *meta = json_object();
    if (meta != NULL && img->last_tag_time != NULL)
        put(meta, "LastTagTime", json_string(img->last_tag_time), &ok);
    put(o, "Metadata", meta, &ok);
    if (!ok) {
        pier_error(err, ENOMEM, "inspect %s", img->id);
        return NULL;
    }
    return steal_pointer(&o);
}

int img_inspect(struct img_store *s, const char *ref, json_t **out, pier_err_t *err)
{
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    json_t *o = img ? inspect_locked(s, img, err) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (o == NULL)
        return -1;
    *out = o;
    return 0;
}

/* The container-config shape Config had before API 1.50: every field, set
 * or not, as Go's container.Config marshals. */
static json_t *legacy_config(json_t *c)
{
    static const struct {
        const char *key;
        char kind; /* s string, b false, n null, o omitted when unset */
    } fields[] = {
        {"Hostname", 's'},     {"Domainname", 's'},   {"User", 's'},         {"AttachStdin", 'b'},
        {"AttachStdout", 'b'}, {"AttachStderr", 'b'}, {"ExposedPorts", 'o'}, {"Tty", 'b'},
        {"OpenStdin", 'b'},    {"StdinOnce", 'b'},    {"Env", 'n'},          {"Cmd", 'n'},
        {"Healthcheck", 'o'},  {"ArgsEscaped", 'o'},  {"Image", 's'},        {"Volumes", 'n'},
        {"WorkingDir", 's'},   {"Entrypoint", 'n'},   {"OnBuild", 'n'},      {"Labels", 'n'},
        {"StopSignal", 'o'},   {"Shell", 'o'},
    };
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i < ARRAY_SIZE(fields); i++) {
        json_t *v = json_object_get(c, fields[i].key);
        if (v != NULL)
            json_object_set(out, fields[i].key, v);
        else if (fields[i].kind == 's')
            json_object_set_new(out, fields[i].key, json_string(""));
        else if (fields[i].kind == 'b')
            json_object_set_new(out, fields[i].key, json_false());
        else if (fields[i].kind == 'n')
            json_object_set_new(out, fields[i].key, json_null());
    }
    return out;
}

void img_inspect_compat(json_t *o, int minor)
{
    if (minor < 44)
        json_object_set(o, "VirtualSize", json_object_get(o, "Size"));
    if (minor < 45) {
        json_object_set_new(o, "Container", json_string(""));
        json_object_set_new(o, "ContainerConfig", legacy_config(NULL));
    }
    if (minor < 50)
        json_object_set_new(o, "Config", legacy_config(json_object_get(o, "Config")));
}
