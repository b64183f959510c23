/* Images in docker's archive format, what `docker save` writes and
 * `docker load` reads:
 *
 *   blobs/sha256/<hex>   config blobs, OCI manifests, layer tars (uncompressed)
 *   index.json           the OCI index of those manifests, one entry per tag
 *   oci-layout           {"imageLayoutVersion":"1.0.0"}
 *   manifest.json        [{"Config":"blobs/sha256/<id hex>","RepoTags":["busybox:latest"],
 *                          "Layers":["blobs/sha256/<diff hex>",...]}]
 *   repositories         {"busybox":{"latest":"<top layer's diff hex>"}}
 *
 * which is docker 25+'s layout: an OCI image layout that docker's older
 * manifest.json also describes, so docker, skopeo's docker-archive: and
 * oci: transports, and umoci all read it.  Loading reads manifest.json,
 * whatever wrote it (docker of any age, skopeo, podman): layers plain,
 * gzip or zstd, entries in any order, symlinks and hard links between
 * them.  The archive is untrusted; whatever is wrong with it is an error
 * naming the entry or the field, before the image is made. */
#ifndef PIER_IMAGE_ARCHIVE_H
#define PIER_IMAGE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

/* ---- save ---- */

struct img_save;

/* The images names select, as docker save picks them: name:tag is that
 * tag's image, saved with that tag; a bare name every tag of that
 * repository (or, with none, the image whose id it prefixes); an id or id
 * prefix the image, untagged.  Everything the archive needs is taken now
 * (config blobs read, layer blobs opened), so that an rmi meanwhile cannot
 * tear it.  want (may be NULL): every image must be of that platform
 * (docker 28's save --platform, of single-platform images).  Errors:
 * ENOENT "No such image: NAME" or a platform that does not match, EINVAL
 * for a malformed reference. */
struct reg_platform;
int img_save_open(struct img_store *s, const char *const *names, const struct reg_platform *want,
                  struct img_save **out, pier_err_t *err);
/* The ids of the images it holds ("sha256:<hex>"), for their events. */
size_t img_save_count(const struct img_save *sv);
const char *img_save_id(const struct img_save *sv, size_t i);
/* Write the archive to fd, blocking; a socket is written with
 * MSG_NOSIGNAL, so that a reader that went away is EPIPE. */
int img_save_write(struct img_save *sv, int fd, pier_err_t *err);
void img_save_free(struct img_save *sv);

/* ---- load ---- */

struct img_load_report {
    /* One line of docker's output, "\n" included: "Loaded image:
     * busybox:latest\n", "Loaded image ID: sha256:...\n", or that a tag
     * moved off an older image. */
    void (*line)(void *data, const char *text);
    /* An image was loaded, for its event. */
    void (*loaded)(void *data, const char *image_id);
    void *data;
    /* only the images of this platform (load --platform); NULL: all */
    const struct reg_platform *platform;
};

/* Load every image of the archive read from fd (a tar, plain or
 * compressed; a regular file or not), in manifest.json's order: its layers
 * (each one's diff id checked against the config's rootfs.diff_ids), then
 * the image from its config's exact bytes, then its tags.  An image that
 * fails leaves nothing of itself; those before it stay loaded, as docker
 * leaves them. */
int img_load(struct img_store *s, int fd, const struct img_load_report *rep, pier_err_t *err);

/* ---- what load is made of (for the unit tests and the fuzzer) ---- */

#define IMG_ARCHIVE_PATH_MAX 4096
#define IMG_ARCHIVE_MANIFEST_MAX (8u << 20) /* manifest.json */
#define IMG_ARCHIVE_MAX_IMAGES 4096         /* items of manifest.json */
#define IMG_ARCHIVE_MAX_TAGS 4096           /* RepoTags of one item */
#define IMG_ARCHIVE_MAX_ENTRIES 1000000     /* entries of the tar */

/* A path inside the archive (a tar entry's name, a manifest.json path)
 * made canonical: "./a//b/" is "a/b".  Refused, with a message naming it:
 * empty, absolute, with a ".." component, too long. */
int img_archive_path(const char *in, char *out, size_t cap, pier_err_t *err);

/* One item of manifest.json, checked: paths canonical, tags normalised
 * ("busybox:latest"; each must have a tag, as docker wants). */
struct img_archive_item {
    char *config;
    char **tags; /* NULL-terminated */
    size_t ntags;
    char **layers; /* NULL-terminated */
    size_t nlayers;
};
struct img_archive_manifest {
    struct img_archive_item *items;
    size_t n;
};
/* Errors say "invalid manifest.json: [1].Layers[0]: ...". */
int img_archive_manifest_parse(const char *text, size_t len, struct img_archive_manifest **out,
                               pier_err_t *err);
void img_archive_manifest_free(struct img_archive_manifest *m);

/* The regular files of a plain tar read through fd (which must be
 * seekable), by canonical name: where each one's bytes are in the file.
 * Symlinks and hard links are followed when looked up. */
struct img_archive_entry {
    char *name;
    char *link;   /* a symlink's or hard link's canonical target, or NULL */
    bool symlink; /* link is a symlink's (relative to the entry's folder) */
    int64_t offset, size;
    size_t seq; /* its place in the tar */
};
struct img_archive_index {
    struct img_archive_entry *e;
    size_t n;
};
int img_archive_index_read(int fd, struct img_archive_index *idx, pier_err_t *err);
void img_archive_index_free(struct img_archive_index *idx);
/* The regular file at path, links followed; NULL (and an error naming
 * path) when there is none. */
const struct img_archive_entry *img_archive_lookup(const struct img_archive_index *idx,
                                                   const char *path, pier_err_t *err);
/* Read a whole entry of at most max bytes (NUL-terminated). */
int img_archive_read(int fd, const struct img_archive_entry *e, size_t max, char **out, size_t *len,
                     pier_err_t *err);

#endif
