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
    /* A layer stored (not found in the store already), in the order of
     * the images' layers: its diff id and its bytes in the archive, for
     * docker's "Loading layer" progress.  May be NULL. */
    void (*layer)(void *data, const char *diff_id, int64_t size);
    /* At the end of fd: 0 when the input came whole, else an error saying
     * why not (a client that went away).  May be NULL. */
    int (*input_end)(void *data, pier_err_t *err);
};

/* Load every image of the archive read from fd (a tar, plain or
 * compressed; a pipe or a file), in one pass: its layers are unpacked as
 * they come, and at the end, from manifest.json, every image is checked
 * (each layer's diff id against the config's rootfs.diff_ids) before any
 * is stored; then in manifest.json's order its layers are put on their
 * parents, the image made from its config's exact bytes, and tagged.  An
 * archive that is refused leaves nothing; an image that fails to be
 * stored leaves nothing of itself, those before it stay, as docker leaves
 * them. */
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

/* The files of a tar (plain or compressed) read in one pass from fd, by
 * canonical name.  Symlinks and hard links are followed when looked up. */
struct img_archive_entry {
    char *name;
    char *link;   /* a symlink's or hard link's canonical target, or NULL */
    bool symlink; /* link is a symlink's (relative to the entry's folder) */
    int64_t size;
    size_t seq; /* its place in the tar */
    char *data; /* its bytes (NUL-ended) when kept in memory */
    void *user; /* what the scan's stream made of it */
};
struct img_archive_index {
    struct img_archive_entry *e;
    size_t n;
};
/* Kept in memory: every file of at most KEEP_SMALL bytes, and one of JSON
 * (its first byte '{' or '[') of at most KEEP_JSON; all of them at most
 * KEEP_TOTAL, or the archive is refused. */
#define IMG_ARCHIVE_KEEP_SMALL (1u << 20)
#define IMG_ARCHIVE_KEEP_JSON (8u << 20)
#define IMG_ARCHIVE_KEEP_TOTAL (256u << 20)
/* An entry's bytes as they come: 1 with a block, 0 at its end, -1 when
 * the archive cannot be read. */
struct img_archive_in;
int img_archive_in_read(struct img_archive_in *in, const void **buf, size_t *len, pier_err_t *err);
struct img_archive_scan {
    /* A file not kept: read it (or not: the rest is skipped), and note in
     * e->user what became of it.  An error stops the scan.  NULL: files
     * not kept are skipped. */
    int (*stream)(void *data, struct img_archive_entry *e, struct img_archive_in *in,
                  pier_err_t *err);
    /* Frees an e->user (an error or img_archive_scan_free). */
    void (*drop)(void *data, void *user);
    /* At fd's end: 0 when the input came whole, else why not (may be NULL;
     * when set, fd is read to its end). */
    int (*input_end)(void *data, pier_err_t *err);
    void *data;
};
int img_archive_scan(int fd, const struct img_archive_scan *sc, struct img_archive_index *idx,
                     pier_err_t *err);
/* Frees the index, and with sc's drop what the stream made. */
void img_archive_scan_free(struct img_archive_index *idx, const struct img_archive_scan *sc);
void img_archive_index_free(struct img_archive_index *idx);
/* The regular file at path, links followed; NULL (and an error naming
 * path) when there is none. */
const struct img_archive_entry *img_archive_lookup(const struct img_archive_index *idx,
                                                   const char *path, pier_err_t *err);
/* A kept entry's bytes, when it has at most max. */
int img_archive_data(const struct img_archive_entry *e, size_t max, const char **out, size_t *len,
                     pier_err_t *err);

#endif
