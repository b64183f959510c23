/* libFuzzer target: what `docker load` reads of an untrusted archive
 * before any layer is unpacked.  Each input is tried both as manifest.json
 * on its own and as the whole archive: the tar (plain or compressed) read
 * in one pass as load reads it, its small files kept and the others given
 * to a stream that reads them whole and checks their length, then
 * manifest.json looked up and checked, and every config and layer it names
 * looked up (links followed) and, when kept, its bytes taken.  Nothing may
 * crash, leak, hang, or read outside the entry it names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../src/image/archive.h"
#include "../src/lib/file.h"

static int stream(void *data, struct img_archive_entry *e, struct img_archive_in *in,
                  pier_err_t *err)
{
    (void)data;
    const void *p;
    size_t n;
    int rc;
    int64_t got = 0;
    while ((rc = img_archive_in_read(in, &p, &n, err)) > 0)
        got += (int64_t)n;
    if (rc < 0)
        return -1;
    if (got > e->size)
        abort();
    return 0;
}

static void lookup(const struct img_archive_index *idx, const char *path)
{
    pier_err_t err = NULL;
    const struct img_archive_entry *e = img_archive_lookup(idx, path, &err);
    const char *data;
    size_t len;
    if (e != NULL && img_archive_data(e, 4096, &data, &len, &err) == 0 &&
        (len != (size_t)e->size || data[len] != '\0'))
        abort();
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
    if (fd < 0 || pier_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    /* the first byte picks whether big files are streamed or skipped */
    struct img_archive_scan sc = {.stream = size > 0 && (data[0] & 1) ? stream : NULL};
    struct img_archive_index idx;
    if (img_archive_scan(fd, &sc, &idx, &err) == 0) {
        const struct img_archive_entry *me = img_archive_lookup(&idx, "manifest.json", &err);
        const char *text;
        size_t len;
        m = NULL;
        if (me != NULL && img_archive_data(me, IMG_ARCHIVE_MANIFEST_MAX, &text, &len, &err) == 0 &&
            img_archive_manifest_parse(text, len, &m, &err) == 0) {
            for (size_t i = 0; i < m->n; i++) {
                lookup(&idx, m->items[i].config);
                for (size_t k = 0; k < m->items[i].nlayers; k++)
                    lookup(&idx, m->items[i].layers[k]);
            }
            img_archive_manifest_free(m);
        }
        img_archive_scan_free(&idx, &sc);
    }
    pier_error_free(&err);
    close(fd);
    return 0;
}
