/* `docker save`: images as a docker archive (see archive.h), written as
 * a stream, never whole in memory or on disk.  The small files come first
 * (configs, OCI manifests, index.json, manifest.json, oci-layout,
 * repositories), the layer tars last, each once however many images share
 * it: a reader that streams can know what it gets before the bulk. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "archive.h"
#include "internal.h"
#include "registry.h"

#define COPY_BLOCK (256u << 10)

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"

struct save_image {
    char id[IMG_DIGEST_SIZE];
    json_t *tags; /* familiar "name:tag", in the order named */
    json_t *platform;
    int64_t created;
    size_t nlayers;
    char (*diff)[IMG_DIGEST_SIZE];
    char *config;
    size_t config_len;
};

struct save_layer {
    char diff[IMG_DIGEST_SIZE];
    struct img_tar_reader *tar;
    int64_t size, mtime;
};

struct img_save {
    struct save_image *img;
    size_t n;
    struct save_layer *layers;
    size_t nlayers;
};

void img_save_free(struct img_save *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++) {
        json_decref(sv->img[i].tags);
        json_decref(sv->img[i].platform);
        free(sv->img[i].diff);
        free(sv->img[i].config);
    }
    for (size_t i = 0; i < sv->nlayers; i++)
        img_tar_close(sv->layers[i].tar);
    free(sv->img);
    free(sv->layers);
    free(sv);
}

size_t img_save_count(const struct img_save *sv)
{
    return sv->n;
}

const char *img_save_id(const struct img_save *sv, size_t i)
{
    return sv->img[i].id;
}

/* ---- which images, under the store's lock ---- */

static struct save_image *add_image(struct img_save *sv, struct img_image *img, pier_err_t *err)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->img[i].id, img->id) == 0)
            return &sv->img[i];
    struct save_image *v = realloc(sv->img, (sv->n + 1) * sizeof *v);
    if (v == NULL) {
        pier_error(err, ENOMEM, "save");
        return NULL;
    }
    sv->img = v;
    struct save_image *si = &v[sv->n];
    *si = (struct save_image){.nlayers = img->nlayers};
    snprintf(si->id, sizeof si->id, "%s", img->id);
    si->tags = json_array();
    si->diff = calloc(img->nlayers ? img->nlayers : 1, sizeof *si->diff);
    const char *os = json_string_value(json_object_get(img->config, "os"));
    const char *arch = json_string_value(json_object_get(img->config, "architecture"));
    const char *variant = json_string_value(json_object_get(img->config, "variant"));
    si->platform =
        json_pack("{s:s, s:s}", "architecture", arch ? arch : "", "os", os && *os ? os : "linux");
    if (si->platform && variant && *variant)
        json_object_set_new(si->platform, "variant", json_string(variant));
    si->created = img_created_unix(img);
    sv->n++;
    if (si->tags == NULL || si->diff == NULL || si->platform == NULL) {
        pier_error(err, ENOMEM, "save");
        return NULL;
    }
    memcpy(si->diff, img->diff, img->nlayers * sizeof *si->diff);
    return si;
}

static int add_tag(struct save_image *si, const char *tag, pier_err_t *err)
{
    size_t i;
    json_t *t;
    json_array_foreach (si->tags, i, t)
        if (strcmp(json_string_value(t), tag) == 0)
            return 0;
    if (json_array_append_new(si->tags, json_string(tag)) < 0)
        return pier_error(err, ENOMEM, "save");
    return 0;
}

/* Every tag of the repository name (familiar), sorted as docker's
 * reference store lists them; 0 when it has none. */
static int add_repository(struct img_store *s, struct img_save *sv, const char *name, size_t *n,
                          pier_err_t *err)
{
    const char *key;
    json_t *id;
    cleanup_json json_t *keys = json_array();
    if (keys == NULL)
        return pier_error(err, ENOMEM, "save");
    size_t len = strlen(name);
    json_object_foreach (s->repos, key, id) {
        if (strncmp(key, name, len) == 0 && key[len] == ':' && strchr(key + len, '/') == NULL &&
            strchr(key, '@') == NULL)
            json_array_append_new(keys, json_string(key));
    }
    *n = json_array_size(keys);
    for (size_t i = 0; i < *n; i++) {
        for (size_t k = i + 1; k < *n; k++) {
            json_t *a = json_array_get(keys, i), *b = json_array_get(keys, k);
            if (strcmp(json_string_value(a), json_string_value(b)) > 0) {
                json_incref(a);
                json_array_set(keys, i, b);
                json_array_set_new(keys, k, a);
            }
        }
        const char *tag = json_string_value(json_array_get(keys, i));
        struct img_image *img = img_find(s, json_string_value(json_object_get(s->repos, tag)));
        struct save_image *si = img ? add_image(sv, img, err) : NULL;
        if (img != NULL && (si == NULL || add_tag(si, tag, err) < 0))
            return -1;
    }
    return 0;
}

/* One name, as docker's parseNames reads it. */
static int select_name(struct img_store *s, struct img_save *sv, const char *name, pier_err_t *err)
{
    const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    struct img_ref r;
    if (!img_is_hex64(hex)) {
        if (img_ref_parse(name, &r, err) < 0)
            return -1;
        char familiar[IMG_REF_MAX];
        img_ref_familiar(&r, false, familiar, sizeof familiar);
        if (r.tag[0] == '\0' && r.digest[0] == '\0' && strcmp(familiar, "sha256") != 0) {
            size_t n = 0;
            if (add_repository(s, sv, familiar, &n, err) < 0)
                return -1;
            if (n > 0)
                return 0;
        }
    }
    struct img_image *img = img_lookup(s, name, err);
    if (img == NULL)
        return -1;
    struct save_image *si = add_image(sv, img, err);
    if (si == NULL)
        return -1;
    /* a tag is saved with the image; an id or a digest is not */
    if (img_is_hex64(hex) || r.tag[0] == '\0' || r.digest[0] != '\0')
        return 0;
    char tag[IMG_REF_MAX];
    img_ref_familiar(&r, true, tag, sizeof tag);
    return add_tag(si, tag, err);
}

/* ---- what it reads, outside the lock ---- */

static int open_layer(struct img_store *s, struct img_save *sv, const char *diff, int64_t mtime,
                      pier_err_t *err)
{
    for (size_t i = 0; i < sv->nlayers; i++)
        if (strcmp(sv->layers[i].diff, diff) == 0)
            return 0;
    struct save_layer *v = realloc(sv->layers, (sv->nlayers + 1) * sizeof *v);
    if (v == NULL)
        return pier_error(err, ENOMEM, "save");
    sv->layers = v;
    struct save_layer *l = &v[sv->nlayers];
    *l = (struct save_layer){.mtime = mtime};
    snprintf(l->diff, sizeof l->diff, "%s", diff);
    sv->nlayers++;
    return img_tar_open(s, diff, &l->tar, &l->size, err);
}

int img_save_open(struct img_store *s, const char *const *names, const struct reg_platform *want,
                  struct img_save **out, pier_err_t *err)
{
    struct img_save *sv = calloc(1, sizeof *sv);
    if (sv == NULL)
        return pier_error(err, ENOMEM, "save");
    int ret = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; ret == 0 && names[i] != NULL; i++)
        ret = select_name(s, sv, names[i], err);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; ret == 0 && want != NULL && i < sv->n; i++) {
        const char *ref = json_string_value(json_array_get(sv->img[i].tags, 0));
        ret = reg_platform_check(sv->img[i].platform, want, ref ? ref : sv->img[i].id + 7, err);
    }
    for (size_t i = 0; ret == 0 && i < sv->n; i++) {
        struct save_image *si = &sv->img[i];
        if (pier_read_file_at(s->blobfd, si->id + 7, IMG_CONFIG_MAX, &si->config, &si->config_len,
                              err) < 0)
            ret = pier_error_wrap(err, "image %s", si->id);
        for (size_t k = 0; ret == 0 && k < si->nlayers; k++)
            ret = open_layer(s, sv, si->diff[k], si->created, err);
    }
    if (ret < 0) {
        img_save_free(sv);
        return -1;
    }
    *out = sv;
    return 0;
}

/* ---- the tar ---- */

struct sink {
    int fd;
    int errnum;
};

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t n)
{
    struct sink *k = data;
    if (pier_send_all(k->fd, buf, n) < 0) {
        k->errnum = errno;
        archive_set_error(a, errno, "write the archive");
        return -1;
    }
    return (la_ssize_t)n;
}

static int fail(struct archive *a, struct sink *k, const char *what, pier_err_t *err)
{
    if (k->errnum != 0)
        return pier_error(err, k->errnum, "write %s", what);
    return pier_error(err, 0, "write %s: %s", what, archive_error_string(a));
}

static int put_header(struct archive *a, struct sink *k, const char *name, bool dir, int64_t size,
                      int64_t mtime, pier_err_t *err)
{
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return pier_error(err, ENOMEM, "save");
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : size);
    archive_entry_set_mtime(e, mtime, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : fail(a, k, name, err);
}

static int put_bytes(struct archive *a, struct sink *k, const char *name, const char *data,
                     size_t len, int64_t mtime, pier_err_t *err)
{
    if (put_header(a, k, name, false, (int64_t)len, mtime, err) < 0)
        return -1;
    if (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
        return fail(a, k, name, err);
    return 0;
}

/* A JSON file, compact, with the newline Go's encoder ends it with. */
static int put_json(struct archive *a, struct sink *k, const char *name, json_t *j, bool newline,
                    pier_err_t *err)
{
    cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (text == NULL)
        return pier_error(err, ENOMEM, "write %s", name);
    size_t n = strlen(text);
    if (newline) {
        char *t = realloc(text, n + 2);
        if (t == NULL)
            return pier_error(err, ENOMEM, "write %s", name);
        text = t;
        text[n++] = '\n';
    }
    return put_bytes(a, k, name, text, n, 0, err);
}

static int put_layer(struct archive *a, struct sink *k, struct save_layer *l, pier_err_t *err)
{
    char name[IMG_HEX_LEN + 16];
    snprintf(name, sizeof name, "blobs/sha256/%s", l->diff + 7);
    if (put_header(a, k, name, false, l->size, l->mtime, err) < 0)
        return -1;
    cleanup_free char *buf = malloc(COPY_BLOCK);
    if (buf == NULL)
        return pier_error(err, ENOMEM, "save");
    int64_t left = l->size;
    while (left > 0) {
        ssize_t n = img_tar_read(l->tar, buf, left < COPY_BLOCK ? (size_t)left : COPY_BLOCK, err);
        if (n <= 0)
            return pier_error_wrap(err, "layer %s%s", l->diff, n == 0 ? ": its tar shrank" : "");
        if (archive_write_data(a, buf, (size_t)n) != n)
            return fail(a, k, name, err);
        left -= n;
    }
    return 0;
}

/* "docker.io/library/busybox:latest" and "latest" of a familiar tag. */
static int full_name(const char *tag, char *name, size_t cap, const char **t, pier_err_t *err)
{
    struct img_ref r;
    if (img_ref_parse(tag, &r, err) < 0)
        return -1;
    snprintf(name, cap, "%s/%s:%s", r.domain, r.path, r.tag);
    *t = strrchr(tag, ':') + 1;
    return 0;
}

/* The image's config and OCI manifest blobs; its entries of index.json,
 * manifest.json and repositories. */
static int put_image(struct archive *a, struct sink *k, struct img_save *sv, struct save_image *si,
                     json_t *index, json_t *manifest, json_t *repos, pier_err_t *err)
{
    char name[IMG_HEX_LEN + 16];
    snprintf(name, sizeof name, "blobs/sha256/%s", si->id + 7);
    if (put_bytes(a, k, name, si->config, si->config_len, si->created, err) < 0)
        return -1;
    json_t *layers = json_array(), *paths = json_array();
    cleanup_json json_t *m =
        json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                  MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", si->id, "size",
                  (json_int_t)si->config_len, "layers", layers);
    json_t *item = json_pack("{s:s+, s:O, s:o}", "Config", "blobs/sha256/", si->id + 7, "RepoTags",
                             json_array_size(si->tags) ? si->tags : json_null(), "Layers", paths);
    if (m == NULL || item == NULL || json_array_append_new(manifest, item) < 0)
        return pier_error(err, ENOMEM, "save");
    for (size_t i = 0; i < si->nlayers; i++) {
        int64_t size = 0;
        for (size_t l = 0; l < sv->nlayers; l++)
            if (strcmp(sv->layers[l].diff, si->diff[i]) == 0)
                size = sv->layers[l].size;
        json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", MT_LAYER, "digest",
                                                si->diff[i], "size", (json_int_t)size));
        json_array_append_new(paths, json_pack("s+", "blobs/sha256/", si->diff[i] + 7));
    }
    cleanup_free char *mtext = json_dumps(m, JSON_COMPACT);
    char mdigest[IMG_DIGEST_SIZE];
    if (mtext == NULL || img_sha256(mtext, strlen(mtext), mdigest, err) < 0)
        return pier_error(err, ENOMEM, "save");
    snprintf(name, sizeof name, "blobs/sha256/%s", mdigest + 7);
    if (put_bytes(a, k, name, mtext, strlen(mtext), 0, err) < 0)
        return -1;
    json_t *desc = json_pack("{s:s, s:s, s:I, s:O}", "mediaType", MT_MANIFEST, "digest", mdigest,
                             "size", (json_int_t)strlen(mtext), "platform", si->platform);
    if (desc == NULL)
        return pier_error(err, ENOMEM, "save");
    size_t i;
    json_t *t;
    json_array_foreach (si->tags, i, t) {
        char full[IMG_REF_MAX + 32];
        const char *tagname;
        if (full_name(json_string_value(t), full, sizeof full, &tagname, err) < 0) {
            json_decref(desc);
            return -1;
        }
        json_t *d = json_deep_copy(desc);
        json_object_set_new(d, "annotations",
                            json_pack("{s:s, s:s}", "io.containerd.image.name", full,
                                      "org.opencontainers.image.ref.name", tagname));
        json_array_append_new(index, d);
        /* repositories: the name, the tag, the top layer (docker's choice) */
        char repo[IMG_REF_MAX];
        snprintf(repo, sizeof repo, "%.*s", (int)(tagname - 1 - json_string_value(t)),
                 json_string_value(t));
        json_t *r = json_object_get(repos, repo);
        if (r == NULL)
            json_object_set_new(repos, repo, r = json_object());
        if (si->nlayers > 0)
            json_object_set_new(r, tagname, json_string(si->diff[si->nlayers - 1] + 7));
    }
    if (json_array_size(si->tags) == 0)
        json_array_append(index, desc);
    json_decref(desc);
    return 0;
}

static int write_all(struct archive *a, struct sink *k, struct img_save *sv, pier_err_t *err)
{
    cleanup_json json_t *manifests = json_array();
    cleanup_json json_t *manifest = json_array();
    cleanup_json json_t *repos = json_object();
    if (manifests == NULL || manifest == NULL || repos == NULL)
        return pier_error(err, ENOMEM, "save");
    if (put_header(a, k, "blobs/", true, 0, 0, err) < 0 ||
        put_header(a, k, "blobs/sha256/", true, 0, 0, err) < 0)
        return -1;
    for (size_t i = 0; i < sv->n; i++)
        if (put_image(a, k, sv, &sv->img[i], manifests, manifest, repos, err) < 0)
            return -1;
    cleanup_json json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
                                           MT_INDEX, "manifests", manifests);
    cleanup_json json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
    if (put_json(a, k, "index.json", index, false, err) < 0 ||
        put_json(a, k, "manifest.json", manifest, true, err) < 0 ||
        put_json(a, k, "oci-layout", layout, false, err) < 0 ||
        (json_object_size(repos) > 0 && put_json(a, k, "repositories", repos, true, err) < 0))
        return -1;
    for (size_t i = 0; i < sv->nlayers; i++)
        if (put_layer(a, k, &sv->layers[i], err) < 0)
            return -1;
    return 0;
}

int img_save_write(struct img_save *sv, int fd, pier_err_t *err)
{
    struct sink k = {.fd = fd};
    struct archive *a = archive_write_new();
    if (a == NULL)
        return pier_error(err, ENOMEM, "save");
    int ret = 0;
    /* ustar unless a name needs pax; no padding past the end-of-archive
     * blocks, as Go's archive/tar writes it */
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(a, 64 << 10) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open(a, &k, NULL, sink_write, NULL) != ARCHIVE_OK)
        ret = fail(a, &k, "the archive", err);
    if (ret == 0)
        ret = write_all(a, &k, sv, err);
    if (ret == 0 && archive_write_close(a) != ARCHIVE_OK)
        ret = fail(a, &k, "the archive", err);
    /* A failed archive gets no end-of-archive blocks: a reader must see it
     * cut short, not a tar that merely lacks its last files. */
    if (ret < 0)
        archive_write_fail(a);
    archive_write_free(a);
    return ret < 0 ? pier_error_wrap(err, "save") : 0;
}
