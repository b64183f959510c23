/* libFuzzer target: what `docker load` reads of an untrusted archive
 * before any layer is unpacked.  Each input is tried both as manifest.json
 * on its own and as the whole archive: the tar indexed, manifest.json
 * looked up, read and checked, and every config and layer it names looked
 * up (links followed) and its first bytes read.  Nothing may crash, leak,
 * hang, or read outside the entry it names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/image/archive.h"
#include "../src/lib/file.h"

static void lookup_and_read(int fd, const struct img_archive_index *idx, const char *path)
{
    pier_err_t err = NULL;
    const struct img_archive_entry *e = img_archive_lookup(idx, path, &err);
    char *data = NULL;
    size_t len;
    if (e != NULL && img_archive_read(fd, e, 4096, &data, &len, &err) == 0) {
        if (len != (size_t)e->size)
            abort();
        free(data);
    }
    pier_error_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pier_err_t err = NULL;
    struct img_archive_manifest *m = NULL;
    if (img_archive_manifest_parse((const char *)data, size, &m, &err) == 0)
        img_archive_manifest_free(m);
    pier_error_free(&err);

    int fd = memfd_create("archive", MFD_CLOEXEC);
    if (fd < 0 || pier_write_all(fd, data, size) < 0)
        abort();
    struct img_archive_index idx;
    if (img_archive_index_read(fd, &idx, &err) == 0) {
        const struct img_archive_entry *me = img_archive_lookup(&idx, "manifest.json", &err);
        char *text = NULL;
        size_t len;
        m = NULL;
        if (me != NULL &&
            img_archive_read(fd, me, IMG_ARCHIVE_MANIFEST_MAX, &text, &len, &err) == 0 &&
            img_archive_manifest_parse(text, len, &m, &err) == 0) {
            for (size_t i = 0; i < m->n; i++) {
                lookup_and_read(fd, &idx, m->items[i].config);
                for (size_t k = 0; k < m->items[i].nlayers; k++)
                    lookup_and_read(fd, &idx, m->items[i].layers[k]);
            }
            img_archive_manifest_free(m);
        }
        free(text);
        img_archive_index_free(&idx);
    }
    pier_error_free(&err);
    close(fd);
    return 0;
}
