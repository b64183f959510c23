#include "image_store_fixture.h"

#include <stdio.h>

#include "../../src/image/image.h"
#include "../../src/lib/cleanup.h"
#include "unit.h"

bool store_fixture_open(struct store_fixture *f)
{
    f->dir = scratch_dir();
    if (f->dir == NULL)
        return false;
    snprintf(f->store, sizeof f->store, "%s/image", f->dir);
    return img_store_open(f->store, &f->s, &f->err) == 0;
}

bool store_fixture_reopen(struct store_fixture *f)
{
    img_store_close(f->s);
    f->s = NULL;
    return img_store_open(f->store, &f->s, &f->err) == 0;
}

void store_fixture_free(struct store_fixture *f)
{
    img_store_close(f->s);
    f->s = NULL;
    pier_error_free(&f->err);
    unit_remove_dir(&f->dir);
}

char *fixture_import(struct store_fixture *f, const struct tar_entry *e, size_t n,
                     const char *compression, const char *tag, json_t *config)
{
    cleanup_close int fd = tar_fd(e, n, compression);
    char *id = NULL;
    pier_error_free(&f->err);
    if (fd < 0 || img_import(f->s, fd, &(struct img_import_opts){.repo_tag = tag, .config = config},
                             &id, &f->err) < 0) {
        printf("    import: %s\n", pier_error_msg(f->err));
        return NULL;
    }
    return id;
}
