/* What the files of the image store share, and nothing outside src/image
 * uses (the unit tests and the fuzzer aside). */
#ifndef PIER_IMAGE_INTERNAL_H
#define PIER_IMAGE_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "image.h"
#include "unpack.h"

/* "sha256:" and 64 hex digits, with its NUL. */
#define IMG_DIGEST_SIZE 72
#define IMG_HEX_LEN 64
/* /proc/sys/kernel/random/boot_id: a UUID, with its NUL. */
#define IMG_BOOT_ID_SIZE 40

/* Caps on what the store reads back from its own directory: it was written
 * by us, but a disk can hold anything. */
#define IMG_CONFIG_MAX (8u << 20) /* an image config blob */
#define IMG_REPOS_MAX (64u << 20) /* repositories.json */
#define IMG_META_MAX (1u << 20)   /* images/<hex>.json, layers/<chain>/layer.json */
#define IMG_MAX_IMAGES 100000
/* Docker's own limit on the layers of one image. */
#define IMG_MAX_LAYERS 125

/* The host's architecture, in Go's words, which image configs use. */
#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#error "unknown architecture: add its Go name"
#endif

/* A parsed reference (distribution/reference's normalised form). */
#define IMG_NAME_MAX 255
#define IMG_TAG_MAX 128
#define IMG_REF_MAX 600 /* name, ':' tag, '@' digest, NUL */
struct img_ref {
    char domain[IMG_NAME_MAX + 1]; /* "docker.io", "localhost:5000" */
    char path[IMG_NAME_MAX + 1];   /* "library/busybox" */
    char tag[IMG_TAG_MAX + 1];     /* "" when none */
    char digest[140];              /* "sha256:<hex>", "" when none */
};

/* ParseNormalizedNamed: errors (with errnum EINVAL) in Docker's words. */
int img_ref_parse(const char *s, struct img_ref *r, pier_err_t *err);
/* Its familiar form: "busybox", "quay.io/a/b"; with_tag adds ":tag" and
 * "@digest" when set. */
void img_ref_familiar(const struct img_ref *r, bool with_tag, char *out, size_t cap);
/* s is 64 lowercase hex digits. */
bool img_is_hex64(const char *s);

/* One image of the store. */
struct img_image {
    char id[IMG_DIGEST_SIZE]; /* sha256:<hex> */
    json_t *config;           /* the parsed config blob */
    char *parent;             /* the parent image's id (commit, build), or NULL */
    char *last_tag_time;      /* RFC 3339, or NULL when never tagged */
    size_t nlayers;
    char (*diff)[IMG_DIGEST_SIZE];  /* rootfs.diff_ids, bottom first */
    char (*chain)[IMG_DIGEST_SIZE]; /* their chain ids */
    int64_t size;                   /* bytes of the unpacked layers */
    /* when it was recorded: the machine's boot ("" in records written by a
     * pier that synced first) and CLOCK_BOOTTIME (store_sync.c) */
    char boot_id[IMG_BOOT_ID_SIZE];
    int64_t recorded;
};

struct img_store {
    char *dir; /* absolute */
    int dirfd, blobfd, layerfd, imagefd;
    /* Guards everything below; held for bookkeeping only, never while a
     * layer unpacks. */
    pthread_mutex_t lock;
    json_t *repos; /* familiar "name:tag" or "name@digest" -> image id */
    struct img_image **images;
    size_t nimages;
    /* pulls and loads under way, whose layers no image holds yet: layer
     * GC waits for none */
    int adding;
    char boot_id[IMG_BOOT_ID_SIZE]; /* the machine's boot, as unsynced writes record it */
    /* The background sync (store_sync.c): everything written in boot
     * synced_boot before CLOCK_BOOTTIME synced_through is on disk; the
     * newest image recorded wants a sync after sync_need. */
    char synced_boot[IMG_BOOT_ID_SIZE];
    int64_t synced_through, sync_need;
    bool sync_running, sync_thread_made;
    pthread_t sync_thread;
    pthread_cond_t sync_done;
};

/* CLOCK_BOOTTIME in nanoseconds: ordered across pierd's restarts within a
 * boot. */
int64_t img_boottime(void);
/* Read synced.json at open. */
void img_synced_load(struct img_store *s);
/* Whether a sync that completed covers a record of that boot and time. */
bool img_record_synced(struct img_store *s, const char *boot, int64_t recorded);
/* Whether a record of that boot and time is safe from a crash: written
 * in this boot, before a sync that completed, or by an older pier. */
bool img_record_durable(struct img_store *s, const char *boot, int64_t recorded);
/* An image was recorded at `recorded`: sync in the background, now or when
 * the pull, load or commit under way ends.  Without the store's lock. */
void img_sync_want(struct img_store *s, int64_t recorded);
/* Under the lock: start the sync thread if a sync is wanted and none runs.
 * True when no thread could be made: the caller then runs img_sync_run,
 * after it has let go of the lock, and waits for the disk as it did before
 * the background sync. */
bool img_sync_kick_locked(struct img_store *s);
void img_sync_run(struct img_store *s);
/* Wait for a background sync under way (at close). */
void img_sync_wait(struct img_store *s);

/* sha256 of a buffer as "sha256:<hex>". */
int img_sha256(const void *data, size_t len, char out[IMG_DIGEST_SIZE], pier_err_t *err);
/* Finish a running sha256 (EVP_sha256) the same way. */
int img_sha256_final(EVP_MD_CTX *evp_ctx, char out[IMG_DIGEST_SIZE], pier_err_t *err);
/* A chain id: the diff id for a base layer, else sha256("<parent> <diff>"). */
int img_chain_id(const char *parent_chain, const char *diff_id, char out[IMG_DIGEST_SIZE],
                 pier_err_t *err);
/* A fresh name for a temporary file or directory: ".tmp-<16 hex>". */
int img_tmp_name(char out[32], pier_err_t *err);
/* An unlinked temporary file of the store (blobs/, so on the store's file
 * system), read-write; `what` names its use in an error. */
int img_tmp_file(struct img_store *s, const char *what, pier_err_t *err);

/* Time: now as RFC 3339 with nanoseconds, Go's way (trailing zeros of the
 * fraction dropped, "Z" for UTC); parse one into seconds and back. */
void img_time_now(char *out, size_t cap);
int img_time_parse(const char *s, int64_t *sec, long *nsec, int *offset_min);
void img_time_format(int64_t sec, long nsec, int offset_min, char *out, size_t cap);

/* The store's bookkeeping; callers hold s->lock. */
struct img_image *img_find(struct img_store *s, const char *id);
/* Resolve a reference as Docker's GetImage does. */
struct img_image *img_lookup(struct img_store *s, const char *ref, pier_err_t *err);
/* An image from its parsed config (taken, freed on error) and its record
 * (may be NULL), checked: its layers must be in the store.  Then added to
 * s->images; img_image_add does both. */
int img_image_new(struct img_store *s, const char *id, json_t *config, json_t *meta,
                  struct img_image **out, pier_err_t *err);
int img_image_insert(struct img_store *s, struct img_image *img, pier_err_t *err);
int img_image_add(struct img_store *s, const char *id, json_t *config, json_t *meta,
                  struct img_image **out, pier_err_t *err);
/* Load the image whose config blob is blobs/sha256/<hex> and whose record
 * is meta; adds it to s->images. */
int img_load_image(struct img_store *s, const char *hex, json_t *meta, struct img_image **out,
                   pier_err_t *err);
void img_image_free(struct img_image *img);
/* Write the image's record (images/<hex>.json). */
int img_save_record(struct img_store *s, struct img_image *img, pier_err_t *err);
/* Point ref (familiar) at id, or drop it (id NULL), and save
 * repositories.json. */
int img_repos_set(struct img_store *s, const char *ref, const char *id, pier_err_t *err);
/* The image's references, sorted: tags (name:tag) and digests (name@...).
 * Either may be NULL. */
int img_refs_of(struct img_store *s, const char *id, json_t **tags, json_t **digests,
                pier_err_t *err);

/* Config "created" in unix seconds (0 when missing); whether an image is
 * the parent of another. */
int64_t img_created_unix(struct img_image *img);
/* The same to the nanosecond; false (and 0) when it has none. */
bool img_created_time(struct img_image *img, int64_t *sec, long *nsec);
bool img_has_children(struct img_store *s, const char *id);

/* img_create for an image made from another (commit, build): parent is
 * its id, which the record keeps. */
int img_create_child(struct img_store *s, const char *config, size_t len, const char *repo_tag,
                     const char *parent, char **image_id, pier_err_t *err);

/* A directory in overlayfs form (a container's upper layer) as an
 * uncompressed layer tar in OCI form, written to out_fd; *entries says
 * how many entries it has (none: an empty layer).  skip (NULL-ended, may
 * be NULL) names mountpoints ("etc/hosts", "proc") left out while they
 * are empty, with the directories that only hold them. */
int img_layer_tar(int dirfd, int out_fd, const char *const *skip, uint64_t *entries,
                  pier_err_t *err);

/* Tags (create.c): normalise one to create (digests refused); point it at
 * img and note the time. */
int img_tag_ref(const char *repo_tag, char out[IMG_REF_MAX], pier_err_t *err);
int img_set_tag(struct img_store *s, struct img_image *img, const char *tag, pier_err_t *err);

/* Layers (layer.c). */
bool img_layer_exists(struct img_store *s, const char *chain_id);
int img_layer_size(struct img_store *s, const char *chain_id, int64_t *size, pier_err_t *err);
/* Whether an image holds the layer (by chain id), or a layer of that diff
 * id; under the store's lock. */
bool img_chain_used(struct img_store *s, const char *chain);
bool img_diff_used(struct img_store *s, const char *diff);
/* Around a pull, load or import: layers added before their image exists. */
void img_adding_begin(struct img_store *s);
void img_adding_end(struct img_store *s);
/* Remove the layers no image holds (none while layers are being added);
 * each one's {"Deleted": chain id} appended to deleted (may be NULL),
 * their unpacked size added up in reclaimed. */
int img_layers_prune(struct img_store *s, json_t *deleted, int64_t *reclaimed, pier_err_t *err);
/* At open: remove the layers no image holds that were added, unsynced, in
 * an earlier boot of the machine (layer_gc.c). */
int img_layers_drop_stale(struct img_store *s, pier_err_t *err);
/* The chain id of a stored layer of this diff id, held by an image or not. */
bool img_layer_find_diff(struct img_store *s, const char *diff_id, char chain[IMG_DIGEST_SIZE]);
/* Remove a layer directory and its blob; a missing one is no error. */
int img_layer_delete(struct img_store *s, const char *chain_id, const char *diff_id, bool drop_blob,
                     pier_err_t *err);
/* A stored layer's uncompressed tar by its diff id (layer_read.c), and its
 * size: read whole, in order; reads are short only at its end (0). */
struct img_tar_reader;
int img_tar_open(struct img_store *s, const char *diff_id, struct img_tar_reader **r, int64_t *size,
                 pier_err_t *err);
/* The same from a tar-split and the layer's diff directory (both fds
 * taken), as the store keeps them. */
int img_tar_open_split(int split_fd, int root_fd, const char *diff_id, struct img_tar_reader **r,
                       int64_t *size, pier_err_t *err);
ssize_t img_tar_read(struct img_tar_reader *r, void *buf, size_t len, pier_err_t *err);
void img_tar_close(struct img_tar_reader *r);
/* The path of a layer's diff directory. */
int img_layer_diff_path(struct img_store *s, const char *chain_id, char **out, pier_err_t *err);

#endif
