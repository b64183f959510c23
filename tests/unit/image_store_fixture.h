/* An image store in a scratch directory for the store's tests, closed and
 * removed however a test ends. */
#ifndef PIER_TEST_IMAGE_STORE_FIXTURE_H
#define PIER_TEST_IMAGE_STORE_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../../src/lib/error.h"
#include "image_tar.h"

struct img_store;

struct store_fixture {
    char *dir;
    char store[600]; /* dir/image */
    struct img_store *s;
    pier_err_t err;
};

bool store_fixture_open(struct store_fixture *f);
/* Close the store and open it again, as pierd does when it starts. */
bool store_fixture_reopen(struct store_fixture *f);
void store_fixture_free(struct store_fixture *f);
/* `docker import` of a tar of the entries, compressed so; the image id
 * (heap), or NULL with the error printed. */
char *fixture_import(struct store_fixture *f, const struct tar_entry *e, size_t n,
                     const char *compression, const char *tag, json_t *config);

#define STORE_FIXTURE()                                                                            \
    __attribute__((cleanup(store_fixture_free))) struct store_fixture f = {0};                     \
    CHECK(store_fixture_open(&f))

#endif
