/* A pull, as docker's daemon does it: resolve the reference's manifest
 * (through an index to the platform's), skip everything if its config is
 * an image the store has, else fetch and check the config, download and
 * unpack the missing layers (pull_layers.c), create the image; then tag
 * it (unless pulled by digest) and record the manifest's digest, so that
 * RepoDigests shows name@sha256:...  The progress messages are docker's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "distribution.h"
#include "pull_int.h"

struct pull {
    struct img_store *s;
    const struct img_pull_opts *o;
    struct img_ref ref;
    char name[IMG_REF_MAX]; /* familiar, without tag: "busybox" */
    struct reg_platform want;
    bool explicit_platform;
    struct reg_creds creds;
    struct reg_client *c;
    char manifest_digest[IMG_DIGEST_SIZE];
};

/* The image id a familiar reference names now, or "". */
static void current_id(struct img_store *s, const char *ref, char out[IMG_DIGEST_SIZE])
{
    out[0] = '\0';
    pthread_mutex_lock(&s->lock);
    json_t *v = json_object_get(s->repos, ref);
    if (json_is_string(v))
        snprintf(out, IMG_DIGEST_SIZE, "%s", json_string_value(v));
    pthread_mutex_unlock(&s->lock);
}

static bool image_exists(struct img_store *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    bool yes = img_find(s, id) != NULL;
    pthread_mutex_unlock(&s->lock);
    return yes;
}

/* The manifest for the platform: the one the reference names, or the
 * index's entry for it (by digest, verified, and of a manifest's type). */
static int resolve(struct pull *p, json_t **doc, pier_err_t *err)
{
    const char *what = p->ref.digest[0] ? p->ref.digest : p->ref.tag;
    cleanup_free char *body = NULL;
    size_t len = 0;
    char ctype[128];
    if (reg_get_manifest(p->c, what, &body, &len, ctype, p->manifest_digest, err) < 0)
        return -1;
    cleanup_json json_t *top = NULL;
    enum reg_media kind;
    if (reg_doc_parse(body, len, &top, err) < 0 || reg_media_kind(ctype, top, &kind, err) < 0)
        return pier_error_wrap(err, "%s", what);
    char status[IMG_REF_MAX + 32];
    snprintf(status, sizeof status, "Pulling from %s", p->ref.path);
    pull_msg(p->o, what, status);
    if (!reg_media_is_index(kind)) {
        *doc = steal_pointer(&top);
        return 0;
    }
    struct reg_desc d;
    if (reg_index_select(top, &p->want, &d, err) < 0)
        return -1;
    cleanup_free char *body2 = NULL;
    char digest[IMG_DIGEST_SIZE];
    if (reg_get_manifest(p->c, d.digest, &body2, &len, ctype, digest, err) < 0)
        return -1;
    if ((int64_t)len != d.size)
        return pier_error(err, 0, "manifest %s: %zu bytes, the index says %lld", d.digest, len,
                          (long long)d.size);
    cleanup_json json_t *m = NULL;
    if (reg_doc_parse(body2, len, &m, err) < 0 || reg_media_kind(ctype, m, &kind, err) < 0)
        return pier_error_wrap(err, "manifest %s", d.digest);
    if (reg_media_is_index(kind))
        return pier_error(err, 0, "manifest %s: an index inside an index", d.digest);
    *doc = steal_pointer(&m);
    return 0;
}

/* The config's platform must be what was asked for, when it was asked. */
static int check_platform(struct pull *p, json_t *config, pier_err_t *err)
{
    if (!p->explicit_platform)
        return 0;
    char ref[IMG_REF_MAX];
    img_ref_familiar(&p->ref, true, ref, sizeof ref);
    return reg_platform_check(config, &p->want, ref, err);
}

/* The config, verified, and the layers it and the manifest describe. */
static int fetch_image(struct pull *p, const struct reg_manifest *m, char image_id[IMG_DIGEST_SIZE],
                       pier_err_t *err)
{
    cleanup_free char *config = NULL;
    size_t len = 0;
    if (reg_get_blob(p->c, &m->config, IMG_CONFIG_MAX, &config, &len, err) < 0) {
        if (*err && (*err)->errnum == EBADMSG)
            return pier_fail(err, EBADMSG, "image config verification failed for digest %s: %s",
                             m->config.digest, pier_error_msg(*err));
        return pier_error_wrap(err, "image config %s", m->config.digest);
    }
    cleanup_json json_t *j = NULL;
    json_t *ids = NULL;
    if (pier_json_parse(config, len, "image config", &j, err) < 0)
        return -1;
    if (!json_is_object(j))
        return pier_error(err, 0, "image config: not a JSON object");
    if (check_platform(p, j, err) < 0)
        return -1;
    if (pj_array(json_object_get(j, "rootfs"), "rootfs", "diff_ids", &ids, err) < 0)
        return pier_error_wrap(err, "image config");
    if (json_array_size(ids) != m->nlayers)
        return pier_error(err, 0, "image config: %zu diff_ids for the manifest's %zu layers",
                          json_array_size(ids), m->nlayers);
    struct pull_layer *l = calloc(m->nlayers + 1, sizeof *l);
    if (l == NULL)
        return pier_error(err, ENOMEM, "pull");
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < m->nlayers; i++) {
        const char *d = json_string_value(json_array_get(ids, i));
        if (d == NULL || strncmp(d, "sha256:", 7) != 0 || !img_is_hex64(d + 7)) {
            ret = pier_error(err, 0,
                             "image config: rootfs.diff_ids[%zu]: expected sha256:<64 hex "
                             "digits>",
                             i);
            break;
        }
        l[i].desc = m->layers[i];
        snprintf(l[i].id, sizeof l[i].id, "%.12s", m->layers[i].digest + 7);
        snprintf(l[i].diff, sizeof l[i].diff, "%s", d);
        ret = img_chain_id(i ? l[i - 1].chain : NULL, d, l[i].chain, err);
        l[i].exists = ret == 0 && img_layer_exists(p->s, l[i].chain);
        if (l[i].exists)
            pull_layer_msg(p->o, l[i].id, "Already exists");
    }
    if (ret == 0)
        ret = pull_layers(p->s, p->c, p->o, l, m->nlayers, err);
    /* what a later push to this registry can skip or mount */
    for (size_t i = 0; ret == 0 && i < m->nlayers; i++) {
        struct img_dist d = {.blob = l[i].desc};
        img_dist_repo(&p->ref, d.repo, sizeof d.repo);
        img_dist_add(p->s, l[i].diff, &d);
    }
    cleanup_free char *id = NULL;
    if (ret == 0)
        ret = img_create(p->s, config, len, NULL, &id, err);
    if (ret == 0)
        snprintf(image_id, IMG_DIGEST_SIZE, "%s", id);
    free(l);
    return ret;
}

static int name_it(struct pull *p, const char *id, struct img_pull_result *res, pier_err_t *err)
{
    char canonical[IMG_REF_MAX + IMG_DIGEST_SIZE], before[IMG_DIGEST_SIZE];
    snprintf(canonical, sizeof canonical, "%s@%s", p->name, p->manifest_digest);
    if (p->ref.digest[0]) {
        snprintf(res->familiar, sizeof res->familiar, "%s", canonical);
        current_id(p->s, canonical, before);
    } else {
        snprintf(res->familiar, sizeof res->familiar, "%s:%s", p->name, p->ref.tag);
        current_id(p->s, res->familiar, before);
        if (strcmp(before, id) != 0 && img_tag(p->s, id, res->familiar, err) < 0)
            return -1;
    }
    if (img_set_repo_digest(p->s, id, canonical, err) < 0)
        return -1;
    res->updated = strcmp(before, id) != 0;
    snprintf(res->image_id, sizeof res->image_id, "%s", id);
    snprintf(res->digest, sizeof res->digest, "%s", p->manifest_digest);
    return 0;
}

/* The tag or digest p->ref names: its manifest, its image, its name. */
static int pull_one(struct pull *p, struct img_pull_result *res, pier_err_t *err)
{
    cleanup_json json_t *doc = NULL;
    if (resolve(p, &doc, err) < 0)
        return -1;
    struct reg_manifest m;
    if (reg_manifest_parse(doc, &m, err) < 0)
        return -1;
    char id[IMG_DIGEST_SIZE];
    snprintf(id, sizeof id, "%s", m.config.digest);
    /* the config's digest is the image's id: an image the store has is
     * not downloaded again */
    int ret = 0;
    if (!image_exists(p->s, id))
        ret = fetch_image(p, &m, id, err);
    else
        ret = check_platform(p, img_config(p->s, id), err);
    reg_manifest_free(&m);
    if (ret < 0 || name_it(p, id, res, err) < 0)
        return -1;
    char status[IMG_REF_MAX + 64];
    snprintf(status, sizeof status, "Digest: %s", p->manifest_digest);
    pull_msg(p->o, NULL, status);
    return 0;
}

/* Every tag of the repository, one after the other, as docker's daemon
 * pulls them for a reference without tag or digest; the first failure
 * ends it. */
static int pull_all(struct pull *p, struct img_pull_result *res, pier_err_t *err)
{
    cleanup_json json_t *tags = NULL;
    if (reg_list_tags(p->c, &tags, err) < 0)
        return -1;
    if (json_array_size(tags) == 0)
        return pier_fail(err, ENOENT, "no tags available for %s", p->name);
    bool updated = false;
    size_t i;
    json_t *v;
    json_array_foreach (tags, i, v) {
        snprintf(p->ref.tag, sizeof p->ref.tag, "%s", json_string_value(v));
        if (pull_one(p, res, err) < 0)
            return -1;
        updated = updated || res->updated;
    }
    res->updated = updated;
    snprintf(res->familiar, sizeof res->familiar, "%s", p->name);
    return 0;
}

static int run(struct pull *p, struct img_pull_result *res, pier_err_t *err)
{
    if (reg_client_open(&p->ref, &p->creds, false, p->o->cancel, &p->c, err) < 0)
        return -1;
    bool all = p->ref.tag[0] == '\0' && p->ref.digest[0] == '\0';
    if ((all ? pull_all(p, res, err) : pull_one(p, res, err)) < 0)
        return -1;
    char status[IMG_REF_MAX + 64];
    snprintf(status, sizeof status, "Status: %s for %s",
             res->updated ? "Downloaded newer image" : "Image is up to date", res->familiar);
    pull_msg(p->o, NULL, status);
    return 0;
}

int img_pull(struct img_store *s, const struct img_pull_opts *o, struct img_pull_result *res,
             pier_err_t *err)
{
    memset(res, 0, sizeof *res);
    struct pull p = {.s = s, .o = o};
    if (img_ref_parse(o->ref, &p.ref, err) < 0)
        return -1;
    if (p.ref.tag[0] == '\0' && p.ref.digest[0] == '\0' && !o->all_tags)
        snprintf(p.ref.tag, sizeof p.ref.tag, "latest");
    /* a digest pins the manifest: the tag beside it says nothing more */
    if (p.ref.digest[0])
        p.ref.tag[0] = '\0';
    if (strncmp(p.ref.digest, "sha256:", 7) != 0 && p.ref.digest[0])
        return pier_fail(err, EINVAL, "unsupported digest algorithm in `%s`", p.ref.digest);
    struct img_ref bare = p.ref;
    bare.tag[0] = bare.digest[0] = '\0';
    img_ref_familiar(&bare, false, p.name, sizeof p.name);
    if (o->platform && *o->platform) {
        if (reg_platform_parse(o->platform, &p.want, err) < 0)
            return -1;
        p.explicit_platform = true;
    } else {
        reg_platform_host(&p.want);
    }
    if (reg_creds_decode(o->registry_auth, &p.creds, err) < 0)
        return -1;
    img_adding_begin(s);
    int ret = run(&p, res, err);
    img_adding_end(s);
    reg_client_free(p.c);
    reg_creds_free(&p.creds);
    return ret;
}
