/* DELETE /images/{name}, with Docker's rules (daemon/images/image_delete.go):
 *
 * - by reference (a tag or a digest): that reference goes ("Untagged");
 *   the image goes too when it was the last one.  Refused, unless forced,
 *   when it is the image's only repository and a container uses it.
 * - by id: refused, unless forced, when the image has references in more
 *   than one place ("referenced in multiple repositories"); else its
 *   references go, then the image.
 * - a running container using the image is a conflict force cannot
 *   override; a stopped one must be forced; an image that others are built
 *   on cannot be deleted.
 * - the image's layers go with it, top down, until one that another image
 *   also has. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

enum {
    C_CHILD = 1,   /* hard: other images are built on it */
    C_RUNNING = 2, /* hard */
    C_REFS = 4,    /* soft: it still has references */
    C_STOPPED = 8, /* soft */
};
#define C_HARD (C_CHILD | C_RUNNING)
#define C_SOFT (C_REFS | C_STOPPED)

struct rm {
    struct img_store *s;
    struct img_image *img;
    json_t *records;
    bool has_user;
    struct img_user user;
};

struct conflict {
    bool hard, used;
    char msg[160];
};

/* Docker's stringid.TruncateID: without "sha256:", 12 digits. */
static const char *short_id(const char *id, char out[13])
{
    const char *colon = strchr(id, ':');
    snprintf(out, 13, "%.12s", colon ? colon + 1 : id);
    return out;
}

static int conflict_error(struct rm *r, const struct conflict *c, pier_err_t *err)
{
    char sid[13];
    return pier_fail(err, EBUSY, "conflict: unable to delete %s (%s) - %s",
                     short_id(r->img->id, sid), c->hard ? "cannot be forced" : "must be forced",
                     c->msg);
}

static bool has_refs(struct rm *r)
{
    const char *k;
    json_t *v;
    json_object_foreach (r->s->repos, k, v) {
        if (strcmp(json_string_value(v), r->img->id) == 0)
            return true;
    }
    return false;
}

static bool find_conflict(struct rm *r, int mask, struct conflict *c)
{
    memset(c, 0, sizeof *c);
    char cid[13];
    short_id(r->user.container_id, cid);
    if ((mask & C_CHILD) && img_has_children(r->s, r->img->id)) {
        c->hard = true;
        snprintf(c->msg, sizeof c->msg, "image has dependent child images");
    } else if ((mask & C_RUNNING) && r->has_user && r->user.running) {
        c->hard = c->used = true;
        snprintf(c->msg, sizeof c->msg, "image is being used by running container%s%s",
                 cid[0] ? " " : "", cid);
    } else if ((mask & C_REFS) && has_refs(r)) {
        snprintf(c->msg, sizeof c->msg, "image is referenced in multiple repositories");
    } else if ((mask & C_STOPPED) && r->has_user && !r->user.running) {
        c->used = true;
        snprintf(c->msg, sizeof c->msg, "image is being used by stopped container%s%s",
                 cid[0] ? " " : "", cid);
    } else {
        return false;
    }
    return true;
}

/* The repository of a familiar reference: "busybox" of "busybox:latest". */
static void ref_name(const char *ref, char out[IMG_REF_MAX])
{
    struct img_ref p;
    pier_err_t e = NULL;
    if (img_ref_parse(ref, &p, &e) == 0)
        img_ref_familiar(&p, false, out, IMG_REF_MAX);
    else
        snprintf(out, IMG_REF_MAX, "%s", ref);
    pier_error_free(&e);
}

static bool is_canonical(const char *ref)
{
    return strchr(ref, '@') != NULL;
}

/* Docker's isSingleReference: one tag at most, and every reference in
 * that one repository. */
static bool single_reference(json_t *refs)
{
    size_t n = json_array_size(refs);
    if (n <= 1)
        return n == 1;
    const char *single = NULL;
    char first[IMG_REF_MAX] = "", name[IMG_REF_MAX];
    size_t i;
    json_t *v;
    json_array_foreach (refs, i, v) {
        const char *ref = json_string_value(v);
        if (!is_canonical(ref)) {
            if (single != NULL)
                return false;
            single = ref;
        }
    }
    ref_name(single ? single : json_string_value(json_array_get(refs, 0)), first);
    json_array_foreach (refs, i, v) {
        ref_name(json_string_value(v), name);
        if (strcmp(name, first) != 0)
            return false;
    }
    return true;
}

/* Every reference of the image, tags then digests. */
static json_t *all_refs(struct rm *r, pier_err_t *err)
{
    cleanup_json json_t *tags = NULL, *digests = NULL;
    if (img_refs_of(r->s, r->img->id, &tags, &digests, err) < 0)
        return NULL;
    if (json_array_extend(tags, digests) < 0) {
        pier_error(err, ENOMEM, "references of %s", r->img->id);
        return NULL;
    }
    return steal_pointer(&tags);
}

static int untag(struct rm *r, const char *ref, pier_err_t *err)
{
    /* ref may point into the repositories object it leaves. */
    cleanup_free char *copy = strdup(ref);
    if (copy == NULL || json_array_append_new(r->records, json_pack("{s:s}", "Untagged", copy)) < 0)
        return pier_error(err, ENOMEM, "untag");
    return img_repos_set(r->s, copy, NULL, err);
}

static int untag_all(struct rm *r, pier_err_t *err)
{
    cleanup_json json_t *refs = all_refs(r, err);
    if (refs == NULL)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach (refs, i, v) {
        if (untag(r, json_string_value(v), err) < 0)
            return -1;
    }
    return 0;
}

static bool layer_used_by_others(struct img_store *s, struct img_image *img, const char *chain)
{
    for (size_t i = 0; i < s->nimages; i++) {
        if (s->images[i] == img)
            continue;
        for (size_t j = 0; j < s->images[i]->nlayers; j++)
            if (strcmp(s->images[i]->chain[j], chain) == 0)
                return true;
    }
    return false;
}

static bool diff_used_by_others(struct img_store *s, struct img_image *img, const char *diff)
{
    for (size_t i = 0; i < s->nimages; i++) {
        if (s->images[i] == img)
            continue;
        for (size_t j = 0; j < s->images[i]->nlayers; j++)
            if (strcmp(s->images[i]->diff[j], diff) == 0)
                return true;
    }
    return false;
}

/* The record first: once it is gone, so is the image, whatever happens to
 * its blob and layers after. */
static int delete_image(struct rm *r, bool keep_layers, pier_err_t *err)
{
    struct img_store *s = r->s;
    struct img_image *img = r->img;
    char name[IMG_HEX_LEN + 8];
    snprintf(name, sizeof name, "%s.json", img->id + 7);
    if (unlinkat(s->imagefd, name, 0) < 0 && errno != ENOENT)
        return pier_error(err, errno, "remove image %s", img->id);
    if (fsync(s->imagefd) < 0)
        return pier_error(err, errno, "remove image %s", img->id);
    for (size_t i = 0; i < s->nimages; i++) {
        if (s->images[i] == img) {
            s->images[i] = s->images[--s->nimages];
            break;
        }
    }
    r->img = NULL;
    int ret = 0;
    if (unlinkat(s->blobfd, img->id + 7, 0) < 0 && errno != ENOENT)
        ret = pier_error(err, errno, "remove blob %s", img->id);
    if (json_array_append_new(r->records, json_pack("{s:s}", "Deleted", img->id)) < 0)
        ret = pier_error(err, ENOMEM, "remove image");
    for (size_t i = img->nlayers; ret == 0 && !keep_layers && i-- > 0;) {
        if (layer_used_by_others(s, img, img->chain[i]))
            break;
        bool drop_blob = !diff_used_by_others(s, img, img->diff[i]);
        ret = img_layer_delete(s, img->chain[i], img->diff[i], drop_blob, err);
        if (ret == 0 &&
            json_array_append_new(r->records, json_pack("{s:s}", "Deleted", img->chain[i])) < 0)
            ret = pier_error(err, ENOMEM, "remove image");
    }
    img_image_free(img);
    return ret;
}

/* imageDeleteHelper: quiet when a reference was removed already, so that
 * an image still in use simply stays, untagged. */
static int delete_helper(struct rm *r, bool force, bool quiet, pier_err_t *err)
{
    struct conflict c;
    if (find_conflict(r, C_HARD | (force ? 0 : C_SOFT), &c)) {
        /* imageIsDangling: no references and no children */
        bool dangling = !has_refs(r) && !img_has_children(r->s, r->img->id);
        if (quiet && (!dangling || c.used))
            return 0;
        return conflict_error(r, &c, err);
    }
    if (untag_all(r, err) < 0)
        return -1;
    /* A stopped container forced past keeps the layers its root sits on. */
    return delete_image(r, r->has_user, err);
}

static bool is_id_prefix(const char *id, const char *ref)
{
    size_t n = strlen(ref);
    return strncmp(id, ref, n) == 0 || strncmp(id + 7, ref, n) == 0;
}

/* The reference as stored: name:tag (latest by default) or name@digest. */
static int stored_key(const char *ref, char key[IMG_REF_MAX], bool *canonical, pier_err_t *err)
{
    struct img_ref p;
    if (img_ref_parse(ref, &p, err) < 0)
        return -1;
    if (p.tag[0] == '\0' && p.digest[0] == '\0')
        snprintf(p.tag, sizeof p.tag, "latest");
    if (p.digest[0] != '\0')
        p.tag[0] = '\0';
    *canonical = p.digest[0] != '\0';
    img_ref_familiar(&p, true, key, IMG_REF_MAX);
    return 0;
}

/* By reference: untag, and say whether the image goes too. */
static int remove_ref(struct rm *r, const char *ref, bool force, bool *more, pier_err_t *err)
{
    cleanup_json json_t *refs = all_refs(r, err);
    if (refs == NULL)
        return -1;
    char sid[13], cid[13];
    if (!force && single_reference(refs) && r->has_user) {
        short_id(r->user.container_id, cid);
        return pier_fail(err, EBUSY,
                         "conflict: unable to remove repository reference \"%s\" (must "
                         "force) - %s%s is using its referenced image %s",
                         ref, cid[0] ? "container " : "a container", cid,
                         short_id(r->img->id, sid));
    }
    char key[IMG_REF_MAX], name[IMG_REF_MAX], other[IMG_REF_MAX];
    bool canonical;
    if (stored_key(ref, key, &canonical, err) < 0)
        return -1;
    if (json_object_get(r->s->repos, key) == NULL)
        return pier_fail(err, ENOENT, "No such image: %s", key);
    if (untag(r, key, err) < 0)
        return -1;
    json_decref(refs);
    refs = all_refs(r, err);
    if (refs == NULL)
        return -1;
    /* A tag gone and only digests of its repository left: they go too. */
    ref_name(key, name);
    bool tag_left = false;
    size_t i;
    json_t *v;
    json_array_foreach (refs, i, v) {
        ref_name(json_string_value(v), other);
        if (!is_canonical(json_string_value(v)) && strcmp(other, name) == 0)
            tag_left = true;
    }
    if (!canonical && !tag_left) {
        json_array_foreach (refs, i, v) {
            ref_name(json_string_value(v), other);
            if (is_canonical(json_string_value(v)) && strcmp(other, name) == 0 &&
                untag(r, json_string_value(v), err) < 0)
                return -1;
        }
    }
    *more = has_refs(r);
    return 0;
}

static int remove_locked(struct rm *r, const char *ref, bool force, img_user_fn users, void *data,
                         pier_err_t *err)
{
    r->img = img_lookup(r->s, ref, err);
    if (r->img == NULL)
        return -1;
    if (users != NULL)
        r->has_user = users(r->img->id, &r->user, data);
    r->user.container_id[sizeof r->user.container_id - 1] = '\0';
    if (!is_id_prefix(r->img->id, ref)) {
        bool more = false;
        if (remove_ref(r, ref, force, &more, err) < 0)
            return -1;
        return more ? 0 : delete_helper(r, force, true, err);
    }
    cleanup_json json_t *refs = all_refs(r, err);
    if (refs == NULL)
        return -1;
    if (single_reference(refs)) {
        struct conflict c;
        if (find_conflict(r, C_HARD | (force ? 0 : C_STOPPED), &c))
            return conflict_error(r, &c, err);
        if (untag_all(r, err) < 0)
            return -1;
    }
    return delete_helper(r, force, false, err);
}

int img_remove_ex(struct img_store *s, const char *ref, bool force, img_user_fn users, void *data,
                  json_t **out, pier_err_t *err)
{
    struct rm r = {.s = s, .records = json_array()};
    if (r.records == NULL)
        return pier_error(err, ENOMEM, "remove `%s`", ref);
    pthread_mutex_lock(&s->lock);
    int ret = remove_locked(&r, ref, force, users, data, err);
    pthread_mutex_unlock(&s->lock);
    if (ret < 0) {
        json_decref(r.records);
        return -1;
    }
    *out = r.records;
    return 0;
}

/* img_remove's yes/no callback: any user counts as running. */
struct in_use_adapter {
    bool (*in_use)(const char *image_id, void *data);
    void *data;
};

static bool adapt(const char *image_id, struct img_user *user, void *data)
{
    struct in_use_adapter *a = data;
    if (!a->in_use(image_id, a->data))
        return false;
    user->container_id[0] = '\0';
    user->running = true;
    return true;
}

int img_remove(struct img_store *s, const char *ref, bool force,
               bool (*in_use)(const char *image_id, void *data), void *data, json_t **out,
               pier_err_t *err)
{
    struct in_use_adapter a = {in_use, data};
    return img_remove_ex(s, ref, force, in_use ? adapt : NULL, &a, out, err);
}
