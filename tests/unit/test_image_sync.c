/* Durability without waiting for the disk: layers and images are written
 * unsynced and synced in the background (store_sync.c).  After a crash,
 * what an earlier boot wrote that no completed sync covers goes when the
 * store opens: a layer no image holds, an image recorded after the last
 * sync.  What this boot wrote stays (only pierd went away). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/image/image.h"
#include "../../src/image/internal.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/lib/json.h"
#include "image_store_fixture.h"
#include "image_tar.h"
#include "unit.h"

#define OTHER_BOOT "00000000-1111-2222-3333-444444444444"

/* Set (value) or remove (NULL) key of the JSON object in the store's file. */
static bool edit(struct store_fixture *f, const char *file, const char *key, json_t *value)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", f->store, file);
    cleanup_json json_t *v = value, *j = NULL;
    return pier_json_load_file_at(AT_FDCWD, path, 1 << 20, &j, &f->err) == 0 &&
           (v ? json_object_set(j, key, v) : json_object_del(j, key)) == 0 &&
           pier_json_write_atomic_at(AT_FDCWD, path, j, 0, &f->err) == 0;
}

static bool exists(struct store_fixture *f, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", f->store, file);
    return access(path, F_OK) == 0;
}

/* images/<hex>.json and layers/<chain hex>/layer.json of an image */
static void files_of(struct store_fixture *f, const char *id, char record[128], char layer[160])
{
    struct img_image *img = img_find(f->s, id);
    snprintf(record, 128, "images/%s.json", id + 7);
    snprintf(layer, 160, "layers/%s/layer.json", img->chain[0] + 7);
}

/* A one-file layer, named `name`, as an image tagged `tag`, once its
 * background sync is done; the names of its files (files_of). */
static char *import(struct store_fixture *f, const char *name, const char *tag, char record[128],
                    char layer[160])
{
    const struct tar_entry e[] = {{.name = name, .type = 'f', .data = "x\n"}};
    char *id = fixture_import(f, e, 1, "none", tag, NULL);
    if (id != NULL) {
        img_sync_wait(f->s);
        files_of(f, id, record, layer);
    }
    return id;
}

/* Each image and its layer as written in OTHER_BOOT at time `at`; at < 0:
 * by a pier that recorded no boot in the image (its layer's stays). */
static bool from_other_boot(struct store_fixture *f, const char *id, json_int_t at)
{
    char record[128], layer[160];
    files_of(f, id, record, layer);
    if (at < 0)
        return edit(f, record, "boot_id", NULL) && edit(f, record, "recorded", NULL) &&
               edit(f, layer, "boot_id", json_string(OTHER_BOOT));
    return edit(f, record, "boot_id", json_string(OTHER_BOOT)) &&
           edit(f, record, "recorded", json_integer(at)) &&
           edit(f, layer, "boot_id", json_string(OTHER_BOOT));
}

TEST(images_of_an_earlier_boot_after_its_last_sync_are_dropped_at_open)
{
    STORE_FIXTURE();
    char rec_before[128], layer_before[160], rec_after[128], layer_after[160];
    char rec_old[128], layer_old[160];
    cleanup_free char *before = import(&f, "before", "synced:1", rec_before, layer_before);
    cleanup_free char *after = import(&f, "after", "unsynced:1", rec_after, layer_after);
    cleanup_free char *old = import(&f, "old", "legacy:1", rec_old, layer_old);
    CHECK(before != NULL && after != NULL && old != NULL);
    CHECK(from_other_boot(&f, before, 1000) && from_other_boot(&f, after, 3000) &&
          from_other_boot(&f, old, -1));
    CHECK(edit(&f, "synced.json", "boot_id", json_string(OTHER_BOOT)) &&
          edit(&f, "synced.json", "through", json_integer(2000)));

    CHECK(store_fixture_reopen(&f));
    CHECK(img_find(f.s, before) != NULL && exists(&f, rec_before) && exists(&f, layer_before));
    CHECK(img_find(f.s, old) != NULL && exists(&f, rec_old) && exists(&f, layer_old));
    /* the image, its config, its tag and its layer */
    CHECK(img_find(f.s, after) == NULL && !exists(&f, rec_after) && !exists(&f, layer_after));
    char blob[128];
    snprintf(blob, sizeof blob, "blobs/sha256/%s", after + 7);
    CHECK(!exists(&f, blob));
    cleanup_json json_t *tags = NULL;
    CHECK(img_refs_of(f.s, before, &tags, NULL, &f.err) == 0 && json_array_size(tags) == 1);
    CHECK(store_fixture_reopen(&f));
    char *id = NULL;
    CHECK(img_resolve(f.s, "unsynced:1", &id, &f.err) < 0);
    free(id);
}

TEST(images_of_this_boot_stay_unsynced_and_a_sync_covers_them)
{
    STORE_FIXTURE();
    char record[128], layer[160];
    cleanup_free char *id = import(&f, "a", "a:1", record, layer);
    CHECK(id != NULL);
    /* as if pierd went away before its sync */
    CHECK(edit(&f, "synced.json", "through", json_integer(1)));
    CHECK(store_fixture_reopen(&f));
    CHECK(img_find(f.s, id) != NULL && exists(&f, record));
    img_sync_wait(f.s);
    cleanup_json json_t *mark = NULL, *rec = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/synced.json", f.store);
    CHECK(pier_json_load_file_at(AT_FDCWD, path, 4096, &mark, &f.err) == 0);
    snprintf(path, sizeof path, "%s/%s", f.store, record);
    CHECK(pier_json_load_file_at(AT_FDCWD, path, 4096, &rec, &f.err) == 0);
    CHECK(json_integer_value(json_object_get(rec, "recorded")) > 0);
    CHECK(json_integer_value(json_object_get(mark, "through")) >
          json_integer_value(json_object_get(rec, "recorded")));
    CHECK(strcmp(json_string_value(json_object_get(mark, "boot_id")),
                 json_string_value(json_object_get(rec, "boot_id"))) == 0);
}

/* A layer no image holds from an earlier boot may be torn and goes when
 * the store opens; from this boot it stays. */
TEST(layers_of_an_earlier_boot_no_image_holds_are_dropped_at_open)
{
    STORE_FIXTURE();
    const struct tar_entry a[] = {{.name = "a", .type = 'f', .data = "a\n"}};
    const struct tar_entry b[] = {{.name = "b", .type = 'f', .data = "b\n"}};
    struct img_layer_info la, lb;
    cleanup_close int fa = tar_fd(a, 1, "none");
    cleanup_close int fb = tar_fd(b, 1, "none");
    CHECK(img_layer_add(f.s, NULL, fa, NULL, &la, &f.err) == 0);
    CHECK(img_layer_add(f.s, NULL, fb, NULL, &lb, &f.err) == 0);
    /* c is held by an image, synced */
    char record[128], layer_c[160], layer_a[160], layer_b[160];
    cleanup_free char *id = import(&f, "c", "held:1", record, layer_c);
    CHECK(id != NULL);
    snprintf(layer_a, sizeof layer_a, "layers/%s/layer.json", la.chain_id + 7);
    snprintf(layer_b, sizeof layer_b, "layers/%s/layer.json", lb.chain_id + 7);
    CHECK(edit(&f, layer_a, "boot_id", json_string(OTHER_BOOT)) &&
          edit(&f, layer_c, "boot_id", json_string(OTHER_BOOT)));

    CHECK(store_fixture_reopen(&f));
    CHECK(!exists(&f, layer_a));
    CHECK(exists(&f, layer_b));
    CHECK(exists(&f, layer_c) && img_find(f.s, id) != NULL);
}

/* A torn or foreign synced.json covers nothing, and stops nothing. */
TEST(a_sync_mark_that_cannot_be_read_covers_nothing)
{
    STORE_FIXTURE();
    char record[128], layer[160];
    cleanup_free char *id = import(&f, "a", "a:1", record, layer);
    CHECK(id != NULL);
    CHECK(from_other_boot(&f, id, 1000));
    char path[1024];
    snprintf(path, sizeof path, "%s/synced.json", f.store);
    CHECK(pier_write_file_atomic_at(AT_FDCWD, path, "{\"boot_id\":", 11, 0600, 0, &f.err) == 0);
    CHECK(store_fixture_reopen(&f));
    CHECK(img_find(f.s, id) == NULL && !exists(&f, record));
}
