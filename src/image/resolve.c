/* Finding an image as Docker's GetImage does: a full id (with or without
 * "sha256:"), then a reference (name, name:tag, name@digest), then a
 * unique prefix of an id; and what the engine asks of one (its config,
 * its layers for overlayfs), and tags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "internal.h"

static bool is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* The one image whose id starts with prefix, or NULL (none, or several:
 * Docker says "No such image" either way). */
static struct img_image *by_prefix(struct img_store *s, const char *prefix)
{
    if (strncmp(prefix, "sha256:", 7) == 0)
        prefix += 7;
    size_t n = strlen(prefix);
    if (n == 0 || n > IMG_HEX_LEN || !is_hex(prefix))
        return NULL;
    struct img_image *found = NULL;
    for (size_t i = 0; i < s->nimages; i++) {
        if (strncmp(s->images[i]->id + 7, prefix, n) != 0)
            continue;
        if (found != NULL)
            return NULL;
        found = s->images[i];
    }
    return found;
}

struct img_image *img_lookup(struct img_store *s, const char *ref, pier_err_t *err)
{
    const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
    if (img_is_hex64(hex)) {
        char id[IMG_DIGEST_SIZE];
        snprintf(id, sizeof id, "sha256:%s", hex);
        struct img_image *img = img_find(s, id);
        if (img == NULL)
            pier_fail(err, ENOENT, "No such image: %s", id);
        return img;
    }
    struct img_ref r;
    if (img_ref_parse(ref, &r, err) < 0)
        return NULL;
    if (r.tag[0] == '\0' && r.digest[0] == '\0')
        snprintf(r.tag, sizeof r.tag, "latest");
    char key[IMG_REF_MAX], shown[IMG_REF_MAX];
    img_ref_familiar(&r, true, shown, sizeof shown);
    /* name:tag@digest is looked up by its digest alone. */
    if (r.digest[0] != '\0')
        r.tag[0] = '\0';
    img_ref_familiar(&r, true, key, sizeof key);
    const char *id = json_string_value(json_object_get(s->repos, key));
    struct img_image *img = id ? img_find(s, id) : by_prefix(s, ref);
    if (img == NULL)
        pier_fail(err, ENOENT, "No such image: %s", shown);
    return img;
}

int img_resolve(struct img_store *s, const char *ref, char **image_id, pier_err_t *err)
{
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    char *id = img ? strdup(img->id) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (img == NULL)
        return -1;
    if (id == NULL)
        return pier_error(err, ENOMEM, "resolve `%s`", ref);
    *image_id = id;
    return 0;
}

json_t *img_config(struct img_store *s, const char *image_id)
{
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_find(s, image_id);
    json_t *config = img ? img->config : NULL;
    pthread_mutex_unlock(&s->lock);
    return config;
}

int img_lower_dirs(struct img_store *s, const char *image_id, char ***dirs, pier_err_t *err)
{
    pthread_mutex_lock(&s->lock);
    int ret = 0;
    struct img_image *img = img_find(s, image_id);
    cleanup_strv char **v = img ? calloc(img->nlayers + 1, sizeof *v) : NULL;
    if (img == NULL)
        ret = pier_fail(err, ENOENT, "No such image: %s", image_id);
    else if (v == NULL)
        ret = pier_error(err, ENOMEM, "layers of %s", image_id);
    for (size_t i = 0; ret == 0 && i < img->nlayers; i++)
        ret = img_layer_diff_path(s, img->chain[img->nlayers - 1 - i], &v[i], err);
    pthread_mutex_unlock(&s->lock);
    if (ret == 0)
        *dirs = steal_pointer(&v);
    return ret;
}

int img_tag(struct img_store *s, const char *ref, const char *repo_tag, pier_err_t *err)
{
    char tag[IMG_REF_MAX];
    if (img_tag_ref(repo_tag, tag, err) < 0)
        return -1;
    pthread_mutex_lock(&s->lock);
    struct img_image *img = img_lookup(s, ref, err);
    int ret = img ? img_set_tag(s, img, tag, err) : -1;
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int img_set_repo_digest(struct img_store *s, const char *image_id, const char *canonical,
                        pier_err_t *err)
{
    struct img_ref r;
    if (img_ref_parse(canonical, &r, err) < 0)
        return -1;
    if (r.digest[0] == '\0')
        return pier_fail(err, EINVAL, "`%s` is not a reference by digest", canonical);
    r.tag[0] = '\0';
    char key[IMG_REF_MAX];
    img_ref_familiar(&r, true, key, sizeof key);
    pthread_mutex_lock(&s->lock);
    int ret = img_find(s, image_id) == NULL ? pier_fail(err, ENOENT, "No such image: %s", image_id)
                                            : img_repos_set(s, key, image_id, err);
    pthread_mutex_unlock(&s->lock);
    return ret;
}
