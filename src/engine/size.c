/* A container's sizes, as `ps -s` and `inspect --size` show them: what it
 * wrote (its overlay's upper layer) and that plus its image. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../image/image.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "internal.h"

/* nftw has no user data: one walk at a time, on pierd's only thread. */
static struct {
    long long total;
    ino_t *seen; /* inodes with several links, counted once */
    size_t n, cap;
} walk;

static bool seen_before(ino_t ino)
{
    for (size_t i = 0; i < walk.n; i++)
        if (walk.seen[i] == ino)
            return true;
    if (walk.n == walk.cap) {
        size_t cap = walk.cap ? walk.cap * 2 : 64;
        ino_t *v = realloc(walk.seen, cap * sizeof *v);
        if (v == NULL)
            return false;
        walk.seen = v;
        walk.cap = cap;
    }
    walk.seen[walk.n++] = ino;
    return false;
}

static int add_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)path;
    (void)f;
    /* docker counts the files' sizes, not the directories' */
    if (type == FTW_F || type == FTW_SL) {
        if (st->st_nlink > 1 && seen_before(st->st_ino))
            return 0;
        walk.total += st->st_size;
    }
    return 0;
}

static long long size_rw(const struct container *c)
{
    char dir[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    strcat(dir, "/upper");
    walk.total = 0;
    walk.n = 0;
    nftw(dir, add_entry, 32, FTW_PHYS | FTW_MOUNT);
    free(walk.seen);
    walk.seen = NULL;
    walk.cap = 0;
    return walk.total;
}

/* An image's size never changes (its id is the digest of what it holds):
 * the last one asked for is kept, since `ps -s` asks for the same image
 * on row after row. */
static long long image_size(struct engine *e, const char *image_id)
{
    static char last_id[80];
    static long long last_size;
    if (strcmp(image_id, last_id) == 0)
        return last_size;
    cleanup_json json_t *img = NULL;
    pier_err_t err = NULL;
    if (img_inspect(e->images, image_id, &img, &err) < 0) {
        pier_error_free(&err);
        return 0;
    }
    last_size = json_integer_value(json_object_get(img, "Size"));
    snprintf(last_id, sizeof last_id, "%s", image_id);
    return last_size;
}

void ct_sizes(struct engine *e, const struct container *c, long long *rw, long long *rootfs)
{
    *rw = size_rw(c);
    *rootfs = *rw + (c->image_id ? image_size(e, c->image_id) : 0);
}

void ct_add_sizes(struct engine *e, const struct container *c, json_t *o)
{
    long long rw, rootfs;
    ct_sizes(e, c, &rw, &rootfs);
    json_object_set_new(o, "SizeRw", json_integer(rw));
    json_object_set_new(o, "SizeRootFs", json_integer(rootfs));
}
