/* The image store of pierd: content-addressed blobs, layers unpacked once
 * by chain ID and shared by every image that has them, image configs and
 * the tags that name them.  Everything lives under one directory
 * (<data-root>/image):
 *
 *   blobs/sha256/<hex>        blobs by digest: layer tars, image configs, manifests
 *   layers/<chain-hex>/diff/  a layer unpacked in overlayfs form (whiteouts as
 *                             0:0 character devices and trusted.overlay.opaque)
 *   layers/<chain-hex>/layer.json   {"chain_id","diff_id","parent","size"}
 *   repositories.json         {"name:tag": "sha256:<image id>", ...}
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
#include <stdint.h>

#include "../lib/error.h"

struct img_store;

int img_store_open(const char *dir, struct img_store **out, pier_err_t *err);
void img_store_close(struct img_store *s);

/* A rootfs tarball (plain, gzip, bzip2, xz or zstd: detected) read from fd
 * becomes a one-layer image, as `docker import` makes: config with the
 * given changes (Docker's --change lines already parsed into a Config
 * object, may be NULL), os linux, the host's architecture.  repo_tag may be
 * NULL (an untagged image).  Returns the image id ("sha256:<hex>"). */
int img_import(struct img_store *s, int fd, const char *repo_tag, json_t *config,
               const char *message, char **image_id, pier_err_t *err);

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

/* Docker's GET /images/json array (Id, ParentId, RepoTags, RepoDigests,
 * Created, Size, SharedSize, VirtualSize, Labels, Containers). */
int img_list(struct img_store *s, bool all, json_t **out, pier_err_t *err);

/* Docker's GET /images/{name}/json object (Id, RepoTags, RepoDigests,
 * Parent, Comment, Created, DockerVersion, Author, Config, Architecture,
 * Os, Size, RootFS {Type, Layers}, Metadata). */
int img_inspect(struct img_store *s, const char *ref, json_t **out, pier_err_t *err);

/* Tag an image: repo_tag normalised (a missing tag is latest). */
int img_tag(struct img_store *s, const char *ref, const char *repo_tag, pier_err_t *err);

/* Docker's DELETE /images/{name}: untag when ref is a tag and other tags
 * remain, else delete the image and the layers no other image uses.
 * in_use says whether a container uses the image (refused unless force).
 * *out is Docker's response array of {"Untagged": ...} / {"Deleted": ...}. */
int img_remove(struct img_store *s, const char *ref, bool force,
               bool (*in_use)(const char *image_id, void *data), void *data, json_t **out,
               pier_err_t *err);

/* Normalise a reference as Docker does; *out like "busybox:latest" or
 * "registry.example:5000/a/b:tag". */
int img_normalize(const char *ref, char **out, pier_err_t *err);

#endif
