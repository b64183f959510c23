/* The image store of pierd: content-addressed blobs, layers unpacked once
 * by chain ID and shared by every image that has them, image configs and
 * the tags that name them.  Everything lives under one directory
 * (<data-root>/image):
 *
 *   blobs/sha256/<hex>        blobs by digest: image configs, manifests, the
 *                             few layer tars a tar-split cannot give back
 *   layers/<chain-hex>/diff/  a layer unpacked in overlayfs form (whiteouts as
 *                             0:0 character devices and trusted.overlay.opaque)
 *   layers/<chain-hex>/layer.json   {"chain_id","diff_id","parent","size","boot_id"}
 *   layers/<chain-hex>/tar-split    the rest of the layer's tar (tarsplit.c)
 *   images/<hex>.json         one record per image (its id is the config
 *                             blob's digest): {"id","parent","last_tag_time",
 *                             "boot_id","recorded"}
 *   synced.json               {"boot_id","through"}: what the last completed
 *                             background sync covers (store_sync.c)
 *   repositories.json         {"name:tag": "sha256:<image id>", ...}, keys in
 *                             familiar form ("busybox:latest"); pulled images
 *                             also get "name@sha256:<manifest digest>"
 *
 * A layer's uncompressed tar (whose digest is its diff id) is made again
 * from layers/<chain>/tar-split and the unpacked files, or kept whole as
 * blobs/sha256/<diff id> when the tar-split cannot give it back (layer.c).
 * layers/, blobs/ and images/ are made 0700: layers may hold device nodes
 * and set-id files, for containers only.
 *
 * An image's id is the sha256 of its config blob, as Docker's.  Every write
 * is atomic (temporary file or directory, then rename), so that a crash
 * leaves the old state or the new one; an interrupted import leaves no half
 * image.  References are normalised as Docker does: `busybox` is
 * docker.io/library/busybox:latest, shown as `busybox:latest`. */
#ifndef PIER_IMAGE_H
#define PIER_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

struct img_store;

int img_store_open(const char *dir, struct img_store **out, pier_err_t *err);
void img_store_close(struct img_store *s);

/* What `docker import` makes of its tarball: repo_tag may be NULL (an
 * untagged image), config the --change lines already parsed into a Config
 * object (may be NULL), message NULL for docker's "Imported from -". */
struct img_import_opts {
    const char *repo_tag;
    json_t *config;
    const char *message;
    /* When not NULL: run once the input has been read to its end, before
     * anything is stored; a failure (a client that went away before the
     * end of its body) stores nothing. */
    int (*input_end)(void *data, pier_err_t *err);
    void *data;
};

/* A rootfs tarball (plain, gzip, bzip2, xz or zstd: detected) read from fd
 * as it comes (a pipe will do) becomes a one-layer image, as `docker
 * import` makes: the config with o's changes, os linux, the host's
 * architecture.  Returns the image id ("sha256:<hex>"). */
int img_import(struct img_store *s, int fd, const struct img_import_opts *o, char **image_id,
               pier_err_t *err);

/* `docker import --change` lines (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
 * ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR) as a Config object for
 * img_import; *config stays NULL when there are none.  An unknown
 * instruction is docker's "X is not a valid change command" (EINVAL). */
int img_changes(const char *const *changes, json_t **config, pier_err_t *err);

/* The same lines applied on top of an existing Config object. */
int img_changes_apply(const char *const *changes, json_t *config, pier_err_t *err);

/* Resolve a reference: name[:tag], name@sha256:..., a full id (with or
 * without "sha256:") or a unique id prefix.  *image_id is "sha256:<hex>". */
int img_resolve(struct img_store *s, const char *ref, char **image_id, pier_err_t *err);

/* The image's config document (the blob), borrowed from the store until
 * the image is removed.  Its "config" member holds Env, Cmd, Entrypoint,
 * WorkingDir, User, ExposedPorts, Volumes, Labels, StopSignal... */
json_t *img_config(struct img_store *s, const char *image_id);

/* The image's layers as directories for overlayfs lowerdir, the top one
 * first; a NULL-terminated heap vector of heap strings. */
int img_lower_dirs(struct img_store *s, const char *image_id, char ***dirs, pier_err_t *err);

/* Docker's GET /images/json array, as API v1.51 has it (Containers,
 * Created, Id, Labels, ParentId, RepoDigests, RepoTags, SharedSize, Size),
 * newest first; an untagged image has RepoTags [] and RepoDigests [].
 * SharedSize and Containers are -1 (not computed). */
int img_list(struct img_store *s, bool all, json_t **out, pier_err_t *err);

/* What older API versions had, for a client that asked for 1.<minor>:
 * VirtualSize (below 1.44) and "<none>:<none>" / "<none>@<none>" for an
 * untagged image (below 1.43) in a list; VirtualSize and the old
 * container-config shape of Config (below 1.50) in an inspect object. */
void img_list_compat(json_t *list, int minor);
void img_inspect_compat(json_t *inspect, int minor);

/* Docker's GET /images/{name}/json object (Id, RepoTags, RepoDigests,
 * Parent, Comment, Created, DockerVersion, Author, Config, Architecture,
 * Os, Size, GraphDriver, RootFS {Type, Layers}, Metadata), as API v1.51
 * has it: Config holds only the image-config fields that are set. */
int img_inspect(struct img_store *s, const char *ref, json_t **out, pier_err_t *err);

/* When the image was created (its config's "created"), to the
 * nanosecond; 0 when it has none.  ENOENT: no such image. */
int img_created(struct img_store *s, const char *ref, int64_t *sec, long *nsec, pier_err_t *err);

/* An `until` filter's value as Docker's GetTimestamp reads it: a Go
 * duration before now ("24h"), RFC 3339, unix seconds[.fraction], or a
 * date and time without a zone (local). */
int img_until_parse(const char *v, int64_t *sec, long *nsec);

/* Tag an image: repo_tag normalised (a missing tag is latest). */
int img_tag(struct img_store *s, const char *ref, const char *repo_tag, pier_err_t *err);

/* Docker's DELETE /images/{name}: untag when ref is a tag and other tags
 * remain, else delete the image and the layers no other image uses.
 * in_use says whether a container uses the image (refused unless force).
 * *out is Docker's response array of {"Untagged": ...} / {"Deleted": ...}. */
int img_remove(struct img_store *s, const char *ref, bool force,
               bool (*in_use)(const char *image_id, void *data), void *data, json_t **out,
               pier_err_t *err);

/* The same with Docker's exact conflicts: the callback names a container
 * using image_id (a running one if any) and returns true, or returns
 * false.  A running container is a conflict that cannot be forced; a
 * stopped one must be forced (the image then goes, its layers stay for the
 * container).  img_remove's in_use counts as a running container.
 * Errors: errnum ENOENT ("No such image: busybox:latest"), EBUSY
 * ("conflict: unable to delete ..."), EINVAL (a malformed reference). */
struct img_user {
    char container_id[65];
    bool running;
};
typedef bool (*img_user_fn)(const char *image_id, struct img_user *user, void *data);
int img_remove_ex(struct img_store *s, const char *ref, bool force, img_user_fn users, void *data,
                  json_t **out, pier_err_t *err);

/* Normalise a reference as Docker does; *out like "busybox:latest" or
 * "registry.example:5000/a/b:tag". */
int img_normalize(const char *ref, char **out, pier_err_t *err);

/* For pulls, loads, commits and builds, which make images of several
 * layers.  A layer tar (plain, gzip, bzip2, xz or zstd: detected) read from
 * fd, unpacked on top of parent_chain (a chain id; NULL for a base layer)
 * and stored by its chain id, once.  expect_digest (may be NULL) is checked
 * against the digest of the bytes read (a registry's blob digest) before
 * the layer is kept. */
struct img_layer_info {
    char diff_id[72];  /* sha256:<hex> of the uncompressed tar */
    char chain_id[72]; /* what the next layer's parent_chain is */
    char digest[72];   /* sha256:<hex> of the bytes as read from fd */
    int64_t size;      /* bytes of file content */
};
int img_layer_add(struct img_store *s, const char *parent_chain, int fd, const char *expect_digest,
                  struct img_layer_info *info, pier_err_t *err);

/* The same in two steps, for a reader that learns a layer's parent only
 * after its bytes (a docker archive names its layers' order in a
 * manifest.json that comes last): unpack into a temporary of the store,
 * whose info has every field but chain_id; then commit it on its parent,
 * or drop it.  Commit and drop always free t. */
struct img_layer_tmp;
int img_layer_unpack(struct img_store *s, int fd, const char *expect_digest,
                     struct img_layer_tmp **t, pier_err_t *err);
const struct img_layer_info *img_layer_tmp_info(const struct img_layer_tmp *t);
int img_layer_commit(struct img_store *s, struct img_layer_tmp *t, const char *parent_chain,
                     struct img_layer_info *info, pier_err_t *err);
void img_layer_drop(struct img_store *s, struct img_layer_tmp *t);

/* An image from its config blob, these exact bytes (their sha256 is the
 * id); every layer of its rootfs.diff_ids must be stored already.  repo_tag
 * may be NULL.  Creating an image that exists only tags it. */
int img_create(struct img_store *s, const char *config, size_t len, const char *repo_tag,
               char **image_id, pier_err_t *err);

/* Record that the manifest `name@sha256:...` (what a pull fetched) is the
 * image image_id: it shows in RepoDigests and resolves. */
int img_set_repo_digest(struct img_store *s, const char *image_id, const char *canonical,
                        pier_err_t *err);

/* `docker commit`: the new image's Config, as Docker's daemon makes it:
 * body (the request's Config, may be NULL: the container's then) with the
 * --change lines applied, merged with the container's Config where unset.
 * Errors (bad change lines) are EINVAL. */
int img_commit_config(json_t *body, const char *const *changes, json_t *container_config,
                      json_t **out, pier_err_t *err);

/* A container's writable layer (upper, in overlayfs form) as a new image
 * on top of parent (the image the container runs; may be NULL), with
 * config (img_commit_config's) and a history entry of created_by (the
 * container's Cmd joined), author and comment (both may be NULL).  An
 * empty upper layer adds no layer (empty_layer in the history), as
 * Docker's; so does one that holds only the engine's empty mountpoints
 * (docker keeps those in an init layer).  repo_tag may be NULL.
 * *image_id is "sha256:<hex>". */
struct img_commit_opts {
    const char *upper;
    const char *const *mountpoints; /* the engine's, left out of the layer */
    const char *parent;
    json_t *config;
    json_t *container_config;
    const char *container_id;
    const char *author, *comment;
    const char *repo_tag;
};
int img_commit(struct img_store *s, const struct img_commit_opts *o, char **image_id,
               pier_err_t *err);

/* Docker's GET /images/{name}/history: the config's history, newest
 * first, each {Id, Created, CreatedBy, Tags, Size, Comment}; the ids (and
 * tags) of the image and its parents fill the rows from the top, the
 * others are "<missing>".  platform (NULL: any) is docker's JSON or
 * "os[/arch[/variant]]": an image of another is ENOENT. */
int img_history(struct img_store *s, const char *ref, const char *platform, json_t **out,
                pier_err_t *err);

/* Docker's POST /images/prune: filters (docker's map: dangling, label,
 * label!, until; checked) pick images, each removed as by DELETE without
 * force (those a container uses stay); *out is {"ImagesDeleted": [...] or
 * null, "SpaceReclaimed": bytes of the layers removed}. */
int img_prune(struct img_store *s, json_t *filters, img_user_fn users, void *data, json_t **out,
              pier_err_t *err);

#endif
