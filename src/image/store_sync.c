/* Making new images durable without making their pulls wait for the disk.
 *
 * Layers and image records are written without syncing them.  Once an
 * image is recorded and the pull, load or commit that made it has named
 * it, a thread of the store syncs the file system (syncfs) and then
 * writes synced.json: {"boot_id", "through"}, the boot
 * and the CLOCK_BOOTTIME, taken before the syncfs began, up to which
 * everything written is on disk.  Each image record carries the boot and
 * time it was recorded in, taken after its layers were written.
 *
 * When the store opens, an image recorded in an earlier boot that the
 * last completed sync does not cover may have lost files to a crash: its
 * record goes, and its layers with it, as layers of an earlier boot that
 * no image holds do (layer_gc.c).  An image of this boot stays whatever
 * the mark says (the page cache had it all; only pierd went away), and a
 * sync is started for it.  Records without a boot were written by a pier
 * that synced before recording them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "internal.h"

#define SYNCED_FILE "synced.json"

int64_t img_boottime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void img_synced_load(struct img_store *s)
{
    cleanup_json json_t *j = NULL;
    pier_err_t e = NULL;
    if (faccessat(s->dirfd, SYNCED_FILE, F_OK, 0) < 0 && errno == ENOENT)
        return;
    /* A mark that cannot be read covers nothing: only images of an
     * earlier boot can lose by it, and they are pulled again; the daemon
     * starts. */
    if (pier_json_load_file_at(s->dirfd, SYNCED_FILE, IMG_META_MAX, &j, &e) < 0) {
        pier_warn("image store: ignoring %s: %s", SYNCED_FILE, pier_error_msg(e));
        pier_error_free(&e);
        return;
    }
    const char *boot = json_string_value(json_object_get(j, "boot_id"));
    json_t *through = json_object_get(j, "through");
    if (boot == NULL || !json_is_integer(through)) {
        pier_warn("image store: ignoring %s: expected {\"boot_id\", \"through\"}", SYNCED_FILE);
        return;
    }
    snprintf(s->synced_boot, sizeof s->synced_boot, "%s", boot);
    s->synced_through = json_integer_value(through);
}

bool img_record_synced(struct img_store *s, const char *boot, int64_t recorded)
{
    return strcmp(boot, s->synced_boot) == 0 && recorded < s->synced_through;
}

bool img_record_durable(struct img_store *s, const char *boot, int64_t recorded)
{
    return boot == NULL || strcmp(boot, s->boot_id) == 0 || img_record_synced(s, boot, recorded);
}

/* One syncfs and the mark after it; false when either failed. */
static bool sync_once(struct img_store *s)
{
    int64_t start = img_boottime();
    pier_err_t e = NULL;
    cleanup_json json_t *mark =
        json_pack("{s:s, s:I}", "boot_id", s->boot_id, "through", (json_int_t)start);
    if (syncfs(s->dirfd) < 0)
        pier_error(&e, errno, "sync the file system");
    else if (mark == NULL)
        pier_error(&e, ENOMEM, "write %s", SYNCED_FILE);
    else
        pier_json_write_atomic_at(s->dirfd, SYNCED_FILE, mark, PIER_DURABLE, &e);
    if (e != NULL) {
        /* the images stay; a crash before a later sync drops them */
        pier_warn("image store: %s", pier_error_msg(e));
        pier_error_free(&e);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    s->synced_through = start;
    snprintf(s->synced_boot, sizeof s->synced_boot, "%s", s->boot_id);
    pthread_mutex_unlock(&s->lock);
    return true;
}

/* Whether an image recorded wants a sync that has not begun; under the
 * lock. */
static bool wanted(struct img_store *s)
{
    return s->sync_need > 0 &&
           (s->sync_need >= s->synced_through || strcmp(s->synced_boot, s->boot_id) != 0);
}

static void *sync_main(void *arg)
{
    struct img_store *s = arg;
    pthread_mutex_lock(&s->lock);
    while (wanted(s)) {
        pthread_mutex_unlock(&s->lock);
        bool ok = sync_once(s);
        pthread_mutex_lock(&s->lock);
        if (!ok)
            break;
    }
    s->sync_running = false;
    pthread_cond_broadcast(&s->sync_done);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

bool img_sync_kick_locked(struct img_store *s)
{
    if (s->sync_running || !wanted(s))
        return false;
    if (s->sync_thread_made) /* it has left its loop and holds nothing */
        pthread_join(s->sync_thread, NULL);
    s->sync_running = true;
    s->sync_thread_made = pthread_create(&s->sync_thread, NULL, sync_main, s) == 0;
    return !s->sync_thread_made;
}

void img_sync_run(struct img_store *s)
{
    sync_main(s);
}

void img_sync_want(struct img_store *s, int64_t recorded)
{
    pthread_mutex_lock(&s->lock);
    if (recorded > s->sync_need)
        s->sync_need = recorded;
    /* A pull, load or commit names its image after recording it: the sync
     * begins when it ends (img_adding_end), lest each fsync of a tag wait
     * for the data the sync is writing. */
    bool here = s->adding == 0 && img_sync_kick_locked(s);
    pthread_mutex_unlock(&s->lock);
    if (here)
        img_sync_run(s);
}

void img_sync_wait(struct img_store *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->sync_running)
        pthread_cond_wait(&s->sync_done, &s->lock);
    bool join = s->sync_thread_made;
    s->sync_thread_made = false;
    pthread_mutex_unlock(&s->lock);
    if (join)
        pthread_join(s->sync_thread, NULL);
}
