/* manifest.json of a docker archive, and the paths in it: the untrusted
 * part of `docker load` that decides which files are read.  Every path is
 * made canonical and refused if it could name anything outside the
 * archive; every tag is checked as docker checks it, before any layer is
 * unpacked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "archive.h"
#include "internal.h"

int img_archive_path(const char *in, char *out, size_t cap, pier_err_t *err)
{
    size_t n = strlen(in);
    if (n == 0)
        return pier_error(err, 0, "an empty path");
    if (n >= IMG_ARCHIVE_PATH_MAX || n >= cap)
        return pier_error(err, 0, "a path longer than %d bytes", IMG_ARCHIVE_PATH_MAX - 1);
    if (in[0] == '/')
        return pier_error(err, 0, "\"%s\" is an absolute path", in);
    size_t o = 0;
    for (const char *p = in; *p;) {
        const char *e = strchrnul(p, '/');
        size_t len = (size_t)(e - p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return pier_error(err, 0, "\"%s\" climbs out of the archive (..)", in);
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (o > 0)
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = *e ? e + 1 : e;
    }
    if (o == 0)
        return pier_error(err, 0, "\"%s\" names the archive's root, not a file", in);
    out[o] = '\0';
    return 0;
}

static void item_free(struct img_archive_item *it)
{
    free(it->config);
    pier_strv_freep(&it->tags);
    pier_strv_freep(&it->layers);
}

void img_archive_manifest_free(struct img_archive_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        item_free(&m->items[i]);
    free(m->items);
    free(m);
}

/* A path member: a string, canonical. */
static int path_of(json_t *v, const char *where, char **out, pier_err_t *err)
{
    if (!json_is_string(v))
        return pier_error(err, 0, "%s: expected a string", where);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return pier_error(err, 0, "%s: a path with a NUL byte", where);
    char buf[IMG_ARCHIVE_PATH_MAX];
    if (img_archive_path(json_string_value(v), buf, sizeof buf, err) < 0)
        return pier_error_wrap(err, "%s", where);
    *out = strdup(buf);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "%s", where);
    return 0;
}

/* An array member (null or missing: empty) of at most max strings, each
 * made what conv makes of it. */
static int strings_of(json_t *item, const char *where, const char *key, size_t max,
                      int (*conv)(json_t *v, const char *where, char **out, pier_err_t *err),
                      char ***out, size_t *n, pier_err_t *err)
{
    json_t *arr = json_object_get(item, key);
    size_t len = json_array_size(arr);
    if (arr != NULL && !json_is_null(arr) && !json_is_array(arr))
        return pier_error(err, 0, "%s.%s: expected an array", where, key);
    if (len > max)
        return pier_error(err, 0, "%s.%s: more than %zu entries", where, key, max);
    *out = calloc(len + 1, sizeof **out);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "%s.%s", where, key);
    for (*n = 0; *n < len; (*n)++) {
        char at[64];
        snprintf(at, sizeof at, "%s.%s[%zu]", where, key, *n);
        if (conv(json_array_get(arr, *n), at, &(*out)[*n], err) < 0)
            return -1;
    }
    return 0;
}

/* A RepoTags entry: docker's ParseNormalizedNamed, and it must have a tag. */
static int tag_of(json_t *v, const char *where, char **out, pier_err_t *err)
{
    if (!json_is_string(v))
        return pier_error(err, 0, "%s: expected a string", where);
    const char *s = json_string_value(v);
    struct img_ref r;
    if (img_ref_parse(s, &r, err) < 0)
        return pier_error_wrap(err, "%s", where);
    if (r.tag[0] == '\0' || r.digest[0] != '\0')
        return pier_error(err, 0, "%s: invalid tag \"%s\"", where, s);
    char tag[IMG_REF_MAX];
    if (img_tag_ref(s, tag, err) < 0)
        return pier_error_wrap(err, "%s", where);
    *out = strdup(tag);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "%s", where);
    return 0;
}

static int item_parse(json_t *j, size_t i, struct img_archive_item *it, pier_err_t *err)
{
    char where[32];
    snprintf(where, sizeof where, "[%zu]", i);
    if (!json_is_object(j))
        return pier_error(err, 0, "%s: expected an object", where);
    json_t *config = json_object_get(j, "Config");
    if (config == NULL || json_is_null(config) ||
        (json_is_string(config) && json_string_length(config) == 0))
        return pier_error(err, 0, "%s.Config: missing: the image has no config", where);
    char at[48];
    snprintf(at, sizeof at, "%s.Config", where);
    if (path_of(config, at, &it->config, err) < 0)
        return -1;
    if (strings_of(j, where, "RepoTags", IMG_ARCHIVE_MAX_TAGS, tag_of, &it->tags, &it->ntags, err) <
            0 ||
        strings_of(j, where, "Layers", IMG_MAX_LAYERS, path_of, &it->layers, &it->nlayers, err) < 0)
        return -1;
    return 0;
}

int img_archive_manifest_parse(const char *text, size_t len, struct img_archive_manifest **out,
                               pier_err_t *err)
{
    *out = NULL;
    if (len > IMG_ARCHIVE_MANIFEST_MAX)
        return pier_error(err, 0, "invalid manifest.json: larger than %u bytes",
                          IMG_ARCHIVE_MANIFEST_MAX);
    json_error_t je;
    cleanup_json json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return pier_error(err, 0, "invalid manifest.json: invalid JSON at line %d column %d: %s",
                          je.line, je.column, je.text);
    /* docker's words: a null manifest is a writer's bug, [] is fine */
    if (json_is_null(j))
        return pier_error(err, 0, "invalid manifest, manifest cannot be null (but can be [])");
    if (!json_is_array(j))
        return pier_error(err, 0, "invalid manifest.json: expected an array of images");
    size_t n = json_array_size(j);
    if (n > IMG_ARCHIVE_MAX_IMAGES)
        return pier_error(err, 0, "invalid manifest.json: more than %d images",
                          IMG_ARCHIVE_MAX_IMAGES);
    struct img_archive_manifest *m = calloc(1, sizeof *m);
    if (m == NULL || (n > 0 && (m->items = calloc(n, sizeof *m->items)) == NULL)) {
        free(m);
        return pier_error(err, ENOMEM, "manifest.json");
    }
    for (; m->n < n; m->n++) {
        if (item_parse(json_array_get(j, m->n), m->n, &m->items[m->n], err) < 0) {
            m->n++; /* the failed item holds what it parsed: freed too */
            img_archive_manifest_free(m);
            return pier_error_wrap(err, "invalid manifest.json");
        }
    }
    *out = m;
    return 0;
}
