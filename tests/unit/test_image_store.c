/* The image store: import as `docker import` does, lookups, list and
 * inspect in Docker's shapes, tags, and removal with Docker's rules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/image/distribution.h"
#include "../../src/image/image.h"
#include "../../src/image/internal.h"
#include "../../src/lib/cleanup.h"
#include "../../src/lib/file.h"
#include "../../src/lib/json.h"
#include "image_store_fixture.h"
#include "image_tar.h"
#include "unit.h"

static const struct tar_entry rootfs[] = {
    {.name = "bin/", .type = 'd'},
    {.name = "bin/sh", .type = 'f', .data = "#!/bin/true\n", .mode = 0755},
    {.name = "etc/hostname", .type = 'f', .data = "pier\n"},
    {.name = "etc/hostname.bak", .type = 'h', .data = "etc/hostname"},
    {.name = "lib", .type = 'l', .data = "usr/lib"},
};
#define ROOTFS_SIZE (12 + 5)

static const struct tar_entry other[] = {{.name = "other", .type = 'f', .data = "x"}};

static size_t count_dir(const char *dir, const char *sub)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    size_t n = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    if (d != NULL)
        closedir(d);
    return n;
}

TEST(image_import_makes_dockers_config)
{
    STORE_FIXTURE();
    char *tar = NULL;
    size_t len = 0;
    CHECK(tar_bytes(rootfs, ARRAY_SIZE(rootfs), "none", &tar, &len) == 0);
    char diff[72];
    CHECK(img_sha256(tar, len, diff, &f.err) == 0);
    cleanup_free char *id =
        fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "gzip", "test/app:1", NULL);
    CHECK(id != NULL);
    CHECK(strncmp(id, "sha256:", 7) == 0 && strlen(id) == 71);

    /* The config blob as written: its digest is the id. */
    char path[1024];
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", f.store, id + 7);
    cleanup_free char *blob = NULL;
    size_t blen = 0;
    CHECK(pier_read_file_at(AT_FDCWD, path, 1 << 20, &blob, &blen, &f.err) == 0);
    char digest[72];
    CHECK(img_sha256(blob, blen, digest, &f.err) == 0);
    CHECK_STR(digest, id);
    cleanup_json json_t *c = NULL;
    CHECK(pier_json_parse(blob, blen, "config", &c, &f.err) == 0);
    CHECK_STR(json_string_value(json_object_get(c, "architecture")), "amd64");
    CHECK_STR(json_string_value(json_object_get(c, "os")), "linux");
    CHECK(json_is_object(json_object_get(c, "config")));
    const char *created = json_string_value(json_object_get(c, "created"));
    CHECK(created != NULL && strlen(created) >= 20 && created[strlen(created) - 1] == 'Z');
    json_t *rfs = json_object_get(c, "rootfs");
    CHECK_STR(json_string_value(json_object_get(rfs, "type")), "layers");
    CHECK(json_array_size(json_object_get(rfs, "diff_ids")) == 1);
    /* The diff id is the sha256 of the uncompressed tar, though it came
     * gzipped. */
    CHECK_STR(json_string_value(json_array_get(json_object_get(rfs, "diff_ids"), 0)), diff);
    json_t *h = json_array_get(json_object_get(c, "history"), 0);
    CHECK_STR(json_string_value(json_object_get(h, "comment")), "Imported from -");
    CHECK_STR(json_string_value(json_object_get(h, "created")), created);

    /* The layer's tar, made again from its tar-split and files, is that
     * uncompressed tar; no blob of it is kept. */
    struct img_tar_reader *r = NULL;
    int64_t size = 0;
    CHECK(img_tar_open(f.s, diff, &r, &size, &f.err) == 0);
    cleanup_free char *layer = malloc(len + 1);
    ssize_t llen = img_tar_read(r, layer, len + 1, &f.err);
    img_tar_close(r);
    CHECK(size == (int64_t)len && llen == (ssize_t)len && memcmp(layer, tar, len) == 0);
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", f.store, diff + 7);
    CHECK(access(path, F_OK) < 0 && errno == ENOENT);
    free(tar);

    /* Unpacked under its chain id (the diff id: a base layer). */
    cleanup_strv char **dirs = NULL;
    CHECK(img_lower_dirs(f.s, id, &dirs, &f.err) == 0);
    CHECK(dirs[0] != NULL && dirs[1] == NULL);
    snprintf(path, sizeof path, "%s/layers/%s/diff", f.store, diff + 7);
    CHECK_STR(dirs[0], path);
    snprintf(path, sizeof path, "%s/etc/hostname", dirs[0]);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_nlink == 2);
    CHECK(img_config(f.s, id) != NULL);
}

TEST(image_import_same_layer_stored_once)
{
    STORE_FIXTURE();
    static const char *const kinds[] = {"none", "gzip", "bzip2", "xz", "zstd"};
    char *ids[ARRAY_SIZE(kinds)];
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        ids[i] = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), kinds[i], NULL, NULL);
        CHECK(ids[i] != NULL);
    }
    CHECK(count_dir(f.store, "layers") == 1);
    CHECK(count_dir(f.store, "images") == ARRAY_SIZE(kinds));
    /* Blobs: five configs; the layer's tar is its tar-split and files. */
    CHECK(count_dir(f.store, "blobs/sha256") == ARRAY_SIZE(kinds));
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        free(ids[i]);
}

TEST(image_import_bad_input_leaves_nothing)
{
    STORE_FIXTURE();
    struct tar_entry evil[] = {{.name = "ok", .type = 'f', .data = "x"},
                               {.name = "../evil", .type = 'f', .data = "x"}};
    cleanup_close int fd = tar_fd(evil, 2, "gzip");
    char *id = NULL;
    CHECK(img_import(f.s, fd, &(struct img_import_opts){.repo_tag = "evil"}, &id, &f.err) == -1);
    CHECK_CONTAINS(pier_error_msg(f.err), "layer entry `../evil`");
    CHECK(count_dir(f.store, "layers") == 0 && count_dir(f.store, "images") == 0);
    CHECK(count_dir(f.store, "blobs/sha256") == 0);
    /* Hidden temporaries too. */
    char path[700];
    snprintf(path, sizeof path, "%s/layers", f.store);
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    while (d != NULL && (de = readdir(d)) != NULL)
        n++;
    closedir(d);
    CHECK(n == 2);
    /* A bad tag is refused before anything is read. */
    pier_error_free(&f.err);
    CHECK(img_import(f.s, 0, &(struct img_import_opts){.repo_tag = "Bad:tag"}, &id, &f.err) == -1);
    CHECK(f.err->errnum == EINVAL);
}

TEST(image_lookup_by_tag_id_and_prefix)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "busybox", NULL);
    cleanup_free char *id2 = fixture_import(&f, other, 1, "none", "quay.io/x/y:2", NULL);
    CHECK(id != NULL && id2 != NULL);
    char prefix[20];
    snprintf(prefix, sizeof prefix, "%.12s", id + 7);
    char sprefix[30];
    snprintf(sprefix, sizeof sprefix, "sha256:%.10s", id + 7);
    const char *const refs[] = {
        "busybox", "busybox:latest", "docker.io/library/busybox", id, id + 7, prefix, sprefix};
    for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
        cleanup_free char *got = NULL;
        pier_error_free(&f.err);
        int rc = img_resolve(f.s, refs[i], &got, &f.err);
        if (rc != 0)
            printf("    %s: %s\n", refs[i], pier_error_msg(f.err));
        CHECK(rc == 0);
        CHECK_STR(got, id);
    }
    cleanup_free char *got = NULL;
    CHECK(img_resolve(f.s, "quay.io/x/y:2", &got, &f.err) == 0);
    CHECK_STR(got, id2);
    static const struct {
        const char *ref, *msg;
    } missing[] = {
        {"busybox:1", "No such image: busybox:1"},
        {"nothing", "No such image: nothing:latest"},
        {"quay.io/x/y", "No such image: quay.io/x/y:latest"},
        {"sha256:0000000000000000000000000000000000000000000000000000000000000000",
         "No such image: sha256:0000000000000000000000000000000000000000000000000000000000000000"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
        pier_error_free(&f.err);
        CHECK(img_resolve(f.s, missing[i].ref, &got, &f.err) == -1);
        CHECK_STR(pier_error_msg(f.err), missing[i].msg);
        CHECK(f.err->errnum == ENOENT);
    }
    /* The empty prefix, or one both ids share, names no one image. */
    if (id[7] == id2[7]) {
        char one[2] = {id[7], 0};
        pier_error_free(&f.err);
        CHECK(img_resolve(f.s, one, &got, &f.err) == -1);
    }
    pier_error_free(&f.err);
    CHECK(img_resolve(f.s, "Nope", &got, &f.err) == -1);
    CHECK(f.err->errnum == EINVAL);
}

static bool has_keys(json_t *o, const char *const *keys, size_t n)
{
    if (json_object_size(o) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (json_object_get(o, keys[i]) == NULL)
            return false;
    return true;
}

TEST(image_list_in_dockers_shape)
{
    STORE_FIXTURE();
    cleanup_json json_t *labels = json_pack("{s:{s:s}}", "Labels", "org.example", "yes");
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "app:1", labels);
    CHECK(id != NULL);
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    cleanup_free char *dangling = fixture_import(&f, other, 1, "xz", NULL, NULL);
    CHECK(dangling != NULL);
    cleanup_json json_t *list = NULL;
    CHECK(img_list(f.s, false, &list, &f.err) == 0);
    CHECK(json_array_size(list) == 2);
    static const char *const keys[] = {"Containers", "Created",    "Id",
                                       "Labels",     "ParentId",   "RepoDigests",
                                       "RepoTags",   "SharedSize", "Size"};
    json_t *a = NULL, *b = NULL;
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        CHECK(has_keys(item, keys, ARRAY_SIZE(keys)));
        const char *iid = json_string_value(json_object_get(item, "Id"));
        if (strcmp(iid, id) == 0)
            a = item;
        else if (strcmp(iid, dangling) == 0)
            b = item;
    }
    CHECK(a != NULL && b != NULL);
    CHECK(json_array_get(list, 1) == a); /* newest first */
    CHECK(json_integer_value(json_object_get(a, "Size")) == ROOTFS_SIZE);
    CHECK(json_integer_value(json_object_get(a, "SharedSize")) == -1);
    CHECK(json_integer_value(json_object_get(a, "Containers")) == -1);
    json_int_t created = json_integer_value(json_object_get(a, "Created"));
    CHECK(created > time(NULL) - 60 && created <= time(NULL));
    CHECK_STR(json_string_value(json_object_get(a, "ParentId")), "");
    CHECK_STR(json_string_value(json_array_get(json_object_get(a, "RepoTags"), 0)), "app:1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(a, "Labels"), "org.example")),
              "yes");
    /* Untagged: empty arrays (API 1.43 and later), Labels {}. */
    CHECK(json_is_array(json_object_get(b, "RepoTags")));
    CHECK(json_array_size(json_object_get(b, "RepoTags")) == 0);
    CHECK(json_array_size(json_object_get(b, "RepoDigests")) == 0);
    CHECK(json_is_object(json_object_get(b, "Labels")));
    /* Older clients get what they had. */
    img_list_compat(list, 41);
    CHECK_STR(json_string_value(json_array_get(json_object_get(b, "RepoTags"), 0)),
              "<none>:<none>");
    CHECK_STR(json_string_value(json_array_get(json_object_get(b, "RepoDigests"), 0)),
              "<none>@<none>");
    CHECK(json_integer_value(json_object_get(a, "VirtualSize")) == ROOTFS_SIZE);
}

TEST(image_inspect_in_dockers_shape)
{
    STORE_FIXTURE();
    cleanup_json json_t *config =
        json_pack("{s:[s], s:[s], s:s, s:s, s:b, s:n}", "Cmd", "sh", "Env", "PATH=/bin",
                  "WorkingDir", "/srv", "Hostname", "", "Tty", 0, "Volumes");
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "app", config);
    CHECK(id != NULL);
    CHECK(img_tag(f.s, "app", "app:2", &f.err) == 0);
    cleanup_json json_t *o = NULL;
    CHECK(img_inspect(f.s, "app:latest", &o, &f.err) == 0);
    static const char *const keys[] = {
        "Id",      "RepoTags",      "RepoDigests", "Parent", "Comment",
        "Created", "DockerVersion", "Author",      "Config", "Architecture",
        "Os",      "Size",          "GraphDriver", "RootFS", "Metadata"};
    CHECK(has_keys(o, keys, ARRAY_SIZE(keys)));
    CHECK_STR(json_string_value(json_object_get(o, "Id")), id);
    json_t *tags = json_object_get(o, "RepoTags");
    CHECK(json_array_size(tags) == 2);
    CHECK_STR(json_string_value(json_array_get(tags, 0)), "app:2");
    CHECK_STR(json_string_value(json_array_get(tags, 1)), "app:latest");
    CHECK_STR(json_string_value(json_object_get(o, "Comment")), "Imported from -");
    CHECK_STR(json_string_value(json_object_get(o, "Os")), "linux");
    CHECK_STR(json_string_value(json_object_get(o, "Architecture")), "amd64");
    CHECK(json_integer_value(json_object_get(o, "Size")) == ROOTFS_SIZE);
    const char *created = json_string_value(json_object_get(o, "Created"));
    CHECK(created != NULL && created[4] == '-' && created[10] == 'T');
    /* Config: only what is set, as API 1.50 and later show it. */
    json_t *c = json_object_get(o, "Config");
    CHECK(json_object_size(c) == 3);
    CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Cmd"), 0)), "sh");
    CHECK_STR(json_string_value(json_object_get(c, "WorkingDir")), "/srv");
    json_t *rfs = json_object_get(o, "RootFS");
    CHECK_STR(json_string_value(json_object_get(rfs, "Type")), "layers");
    CHECK(json_array_size(json_object_get(rfs, "Layers")) == 1);
    json_t *gd = json_object_get(o, "GraphDriver");
    CHECK_STR(json_string_value(json_object_get(gd, "Name")), "overlay2");
    CHECK_CONTAINS(json_string_value(json_object_get(json_object_get(gd, "Data"), "UpperDir")),
                   "/layers/");
    CHECK(json_is_string(json_object_get(json_object_get(o, "Metadata"), "LastTagTime")));
    /* Before API 1.50, Config was a container config with every field. */
    img_inspect_compat(o, 41);
    c = json_object_get(o, "Config");
    CHECK_STR(json_string_value(json_object_get(c, "Hostname")), "");
    CHECK(json_is_false(json_object_get(c, "AttachStdin")));
    CHECK(json_is_null(json_object_get(c, "Entrypoint")));
    CHECK(json_integer_value(json_object_get(o, "VirtualSize")) == ROOTFS_SIZE);
}

TEST(image_tag_rules)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", NULL, NULL);
    CHECK(id != NULL);
    CHECK(img_tag(f.s, id, "localhost:5000/me/app:v1", &f.err) == 0);
    cleanup_free char *got = NULL;
    CHECK(img_resolve(f.s, "localhost:5000/me/app:v1", &got, &f.err) == 0);
    CHECK_STR(got, id);
    CHECK(img_tag(f.s, id,
                  "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
                  "abcdef",
                  &f.err) == -1);
    CHECK_STR(pier_error_msg(f.err), "refusing to create a tag with a digest reference");
    pier_error_free(&f.err);
    CHECK(img_tag(f.s, id, "sha256:abc", &f.err) == -1);
    CHECK_CONTAINS(pier_error_msg(f.err), "digest algorithm as name");
    pier_error_free(&f.err);
    CHECK(img_tag(f.s, "missing", "x", &f.err) == -1);
    CHECK(f.err->errnum == ENOENT);
}

TEST(image_store_survives_reopen)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "keep:me", NULL);
    CHECK(id != NULL);
    img_store_close(f.s);
    f.s = NULL;
    /* Leftovers of a crash are swept. */
    char path[700];
    snprintf(path, sizeof path, "%s/layers/.tmp-0123456789abcdef", f.store);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(img_store_open(f.store, &f.s, &f.err) == 0);
    struct stat st;
    CHECK(stat(path, &st) < 0);
    cleanup_free char *got = NULL;
    CHECK(img_resolve(f.s, "keep:me", &got, &f.err) == 0);
    CHECK_STR(got, id);
    cleanup_json json_t *list = NULL;
    CHECK(img_list(f.s, true, &list, &f.err) == 0);
    CHECK(json_integer_value(json_object_get(json_array_get(list, 0), "Size")) == ROOTFS_SIZE);
}

/* --- removal --- */

static json_t *rm(struct store_fixture *f, const char *ref, bool force,
                  bool (*in_use)(const char *, void *))
{
    json_t *out = NULL;
    pier_error_free(&f->err);
    if (img_remove(f->s, ref, force, in_use, NULL, &out, &f->err) < 0)
        return NULL;
    return out;
}

/* The records as "Untagged:x Deleted:y ...". */
static char *records(json_t *out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    size_t i;
    json_t *r;
    json_array_foreach (out, i, r) {
        const char *k;
        json_t *v;
        json_object_foreach (r, k, v) {
            fprintf(m, "%s%s:%s", i ? " " : "", k, json_string_value(v));
        }
    }
    fclose(m);
    return buf;
}

TEST(image_remove_untags_then_deletes)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "a:1", NULL);
    CHECK(id != NULL);
    CHECK(img_tag(f.s, "a:1", "b:1", &f.err) == 0);
    json_t *cfg = img_config(f.s, id);
    char diff[72];
    snprintf(diff, sizeof diff, "%s",
             json_string_value(
                 json_array_get(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), 0)));
    cleanup_json json_t *out = rm(&f, "a:1", false, NULL);
    CHECK(out != NULL);
    cleanup_free char *r1 = records(out);
    CHECK_STR(r1, "Untagged:a:1");
    cleanup_json json_t *out2 = rm(&f, "b:1", false, NULL);
    CHECK(out2 != NULL);
    cleanup_free char *r2 = records(out2);
    char want[400];
    cleanup_strv char **dirs = NULL;
    snprintf(want, sizeof want, "Untagged:b:1 Deleted:%s Deleted:%s", id, diff);
    CHECK_STR(r2, want);
    CHECK(count_dir(f.store, "layers") == 0 && count_dir(f.store, "images") == 0);
    CHECK(count_dir(f.store, "blobs/sha256") == 0);
    CHECK(img_lower_dirs(f.s, id, &dirs, &f.err) == -1);
}

TEST(image_remove_by_id_with_several_tags_must_be_forced)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "a:1", NULL);
    CHECK(id != NULL);
    CHECK(img_tag(f.s, id, "a:2", &f.err) == 0);
    CHECK(rm(&f, id + 7, false, NULL) == NULL);
    char want[300];
    snprintf(want, sizeof want,
             "conflict: unable to delete %.12s (must be forced) - image is referenced in "
             "multiple repositories",
             id + 7);
    CHECK_STR(pier_error_msg(f.err), want);
    CHECK(f.err->errnum == EBUSY);
    cleanup_json json_t *out = rm(&f, id, true, NULL);
    CHECK(out != NULL);
    cleanup_free char *r = records(out);
    snprintf(want, sizeof want, "Untagged:a:1 Untagged:a:2 Deleted:%s", id);
    CHECK(strncmp(r, want, strlen(want)) == 0);
    /* By id with a single tag: untagged and deleted, no force needed. */
    cleanup_free char *id2 = fixture_import(&f, other, 1, "none", "single", NULL);
    cleanup_json json_t *out2 = rm(&f, id2, false, NULL);
    CHECK(out2 != NULL);
    cleanup_free char *r2 = records(out2);
    CHECK(strncmp(r2, "Untagged:single:latest Deleted:", 31) == 0);
}

static bool always(const char *image_id, void *data)
{
    (void)image_id;
    (void)data;
    return true;
}

TEST(image_remove_in_use_is_a_conflict)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "used", NULL);
    CHECK(id != NULL);
    char want[300];
    snprintf(want, sizeof want,
             "conflict: unable to delete %.12s (cannot be forced) - image is being used by "
             "running container",
             id + 7);
    CHECK(rm(&f, id, false, always) == NULL);
    CHECK_STR(pier_error_msg(f.err), want);
    CHECK(f.err->errnum == EBUSY);
    CHECK(rm(&f, id, true, always) == NULL);
    CHECK_STR(pier_error_msg(f.err), want);
    /* By its only tag: refused unless forced... */
    CHECK(rm(&f, "used", false, always) == NULL);
    CHECK_CONTAINS(pier_error_msg(f.err),
                   "conflict: unable to remove repository reference \"used\" (must force)");
    CHECK(f.err->errnum == EBUSY);
    /* ...and forced, the tag goes, the image stays for its container. */
    cleanup_json json_t *out = rm(&f, "used", true, always);
    CHECK(out != NULL);
    cleanup_free char *r = records(out);
    CHECK_STR(r, "Untagged:used:latest");
    cleanup_strv char **dirs = NULL;
    CHECK(img_lower_dirs(f.s, id, &dirs, &f.err) == 0);
}

static bool stopped(const char *image_id, struct img_user *u, void *data)
{
    (void)image_id;
    (void)data;
    snprintf(u->container_id, sizeof u->container_id, "%s",
             "c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789");
    u->running = false;
    return true;
}

TEST(image_remove_used_by_stopped_container_must_be_forced)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", NULL, NULL);
    CHECK(id != NULL);
    json_t *out = NULL;
    CHECK(img_remove_ex(f.s, id, false, stopped, NULL, &out, &f.err) == -1);
    char want[300];
    snprintf(want, sizeof want,
             "conflict: unable to delete %.12s (must be forced) - image is being used by stopped "
             "container c0ffee012345",
             id + 7);
    CHECK_STR(pier_error_msg(f.err), want);
    pier_error_free(&f.err);
    CHECK(img_remove_ex(f.s, id, true, stopped, NULL, &out, &f.err) == 0);
    cleanup_free char *r = records(out);
    json_decref(out);
    char want2[100];
    snprintf(want2, sizeof want2, "Deleted:%s", id);
    CHECK_STR(r, want2);
    /* The container's layers stay. */
    CHECK(count_dir(f.store, "layers") == 1);
}

TEST(image_remove_keeps_shared_layers)
{
    STORE_FIXTURE();
    cleanup_free char *a = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "a", NULL);
    cleanup_free char *b = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "gzip", "b", NULL);
    CHECK(a != NULL && b != NULL && strcmp(a, b) != 0);
    cleanup_json json_t *o1 = rm(&f, "a", false, NULL);
    cleanup_free char *r1 = records(o1);
    char want[200];
    snprintf(want, sizeof want, "Untagged:a:latest Deleted:%s", a);
    CHECK_STR(r1, want);
    CHECK(count_dir(f.store, "layers") == 1);
    cleanup_json json_t *o2 = rm(&f, "b", false, NULL);
    CHECK(json_array_size(o2) == 3);
    CHECK(count_dir(f.store, "layers") == 0);
    CHECK(rm(&f, "b", false, NULL) == NULL);
    CHECK_STR(pier_error_msg(f.err), "No such image: b:latest");
    CHECK(f.err->errnum == ENOENT);
}

TEST(image_remove_digest_references_go_with_the_last_tag)
{
    STORE_FIXTURE();
    cleanup_free char *id = fixture_import(&f, rootfs, ARRAY_SIZE(rootfs), "none", "repo:1", NULL);
    CHECK(id != NULL);
    const char *canonical =
        "repo@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    CHECK(img_set_repo_digest(f.s, id, canonical, &f.err) == 0);
    cleanup_json json_t *o = NULL;
    CHECK(img_inspect(f.s, canonical, &o, &f.err) == 0);
    CHECK_STR(json_string_value(json_array_get(json_object_get(o, "RepoDigests"), 0)), canonical);
    cleanup_json json_t *out = rm(&f, "repo:1", false, NULL);
    CHECK(out != NULL);
    cleanup_free char *r = records(out);
    char want[300];
    snprintf(want, sizeof want, "Untagged:repo:1 Untagged:%s Deleted:%s", canonical, id);
    CHECK(strncmp(r, want, strlen(want)) == 0);
}

TEST(image_import_streams_from_a_nonblocking_pipe)
{
    STORE_FIXTURE();
    char *gz = NULL;
    size_t len = 0;
    CHECK(tar_bytes(rootfs, ARRAY_SIZE(rootfs), "gzip", &gz, &len) == 0);
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    pid_t child = fork();
    if (child == 0) {
        /* Dribbled, so that the reader meets an empty pipe. */
        int fl = fcntl(p[1], F_GETFL);
        fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK);
        for (size_t off = 0; off < len; off += 7) {
            size_t n = len - off < 7 ? len - off : 7;
            if (write(p[1], gz + off, n) != (ssize_t)n)
                _exit(1);
            struct timespec t = {0, 100000};
            nanosleep(&t, NULL);
        }
        _exit(0);
    }
    close(p[1]);
    free(gz);
    char *id = NULL;
    int rc = img_import(f.s, p[0],
                        &(struct img_import_opts){.repo_tag = "piped", .message = "from a pipe"},
                        &id, &f.err);
    close(p[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (rc != 0)
        printf("    %s\n", pier_error_msg(f.err));
    CHECK(rc == 0);
    cleanup_json json_t *o = NULL;
    CHECK(img_inspect(f.s, id, &o, &f.err) == 0);
    CHECK_STR(json_string_value(json_object_get(o, "Comment")), "from a pipe");
    CHECK(json_integer_value(json_object_get(o, "Size")) == ROOTFS_SIZE);
    free(id);
}

/* input_end sees the input read to its end, trailing bytes past the gzip
 * stream too; when it fails (the client went away), nothing is stored. */
struct input_end_seen {
    int fd;
    bool called, at_end;
};

static int input_end_refuses(void *data, pier_err_t *err)
{
    struct input_end_seen *seen = data;
    char c;
    seen->called = true;
    seen->at_end = read(seen->fd, &c, 1) == 0;
    return pier_error(err, ECONNRESET, "the client went away");
}

TEST(image_import_stores_nothing_when_its_input_is_cut)
{
    STORE_FIXTURE();
    char *gz = NULL;
    size_t len = 0;
    CHECK(tar_bytes(rootfs, ARRAY_SIZE(rootfs), "gzip", &gz, &len) == 0);
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    static const char junk[] = "past the gzip stream";
    CHECK(len + sizeof junk < 65536); /* the pipe holds it all */
    CHECK(pier_write_all(p[1], gz, len) == 0 && pier_write_all(p[1], junk, sizeof junk) == 0);
    close(p[1]);
    free(gz);
    struct input_end_seen seen = {.fd = p[0]};
    char *id = NULL;
    int rc = img_import(
        f.s, p[0],
        &(struct img_import_opts){.repo_tag = "cut", .input_end = input_end_refuses, .data = &seen},
        &id, &f.err);
    close(p[0]);
    CHECK(rc == -1 && id == NULL);
    CHECK(seen.called && seen.at_end);
    CHECK(strstr(pier_error_msg(f.err), "the client went away") != NULL);
    CHECK(count_dir(f.store, "layers") == 0 && count_dir(f.store, "images") == 0);
    CHECK(count_dir(f.store, "blobs/sha256") == 0);
}

TEST(image_create_checks_its_config)
{
    STORE_FIXTURE();
    static const struct {
        const char *config, *msg;
    } bad[] = {
        {"not json", "invalid JSON"},
        {"[]", "not a JSON object"},
        {"{\"rootfs\":{\"type\":\"zfs\"}}", "rootfs: expected"},
        {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:x\"]}}", "diff_ids[0]"},
        {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
         "1111111111111111111111111111111111111111111111111111111111111111\"]}}",
         "is not in the store"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *id = NULL;
        pier_error_free(&f.err);
        CHECK(img_create(f.s, bad[i].config, strlen(bad[i].config), NULL, &id, &f.err) == -1);
        CHECK_CONTAINS(pier_error_msg(f.err), bad[i].msg);
    }
    CHECK(count_dir(f.store, "images") == 0 && count_dir(f.store, "blobs/sha256") == 0);
    /* No layers at all is an image too (FROM scratch with metadata). */
    const char *empty = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    cleanup_free char *id = NULL;
    CHECK(img_create(f.s, empty, strlen(empty), "scratch:meta", &id, &f.err) == 0);
    cleanup_strv char **dirs = NULL;
    CHECK(img_lower_dirs(f.s, id, &dirs, &f.err) == 0 && dirs[0] == NULL);
}

/* The distribution records a push reuses: newest first, one entry per
 * blob and repository, at most IMG_DIST_MAX; an unreadable record is
 * none. */
TEST(image_distribution_records)
{
    STORE_FIXTURE();
    const char *diff = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    struct img_dist got[IMG_DIST_MAX + 2];
    CHECK(img_dist_get(f.s, diff, got, IMG_DIST_MAX) == 0);
    for (int i = 0; i < IMG_DIST_MAX + 2; i++) {
        struct img_dist d = {
            .blob = {.media_type = "application/vnd.docker.image.rootfs.diff.tar.gzip",
                     .size = 100 + i}};
        snprintf(d.blob.digest, sizeof d.blob.digest, "sha256:%064d", i);
        snprintf(d.repo, sizeof d.repo, "127.0.0.1:5000/r%d", i % 3);
        img_dist_add(f.s, diff, &d);
    }
    /* the first again: to the front, not twice */
    struct img_dist again = {
        .blob = {.media_type = "application/vnd.docker.image.rootfs.diff.tar.gzip", .size = 100}};
    snprintf(again.blob.digest, sizeof again.blob.digest, "sha256:%064d", 9);
    snprintf(again.repo, sizeof again.repo, "127.0.0.1:5000/r0");
    img_dist_add(f.s, diff, &again);
    size_t n = img_dist_get(f.s, diff, got, ARRAY_SIZE(got));
    CHECK(n == IMG_DIST_MAX);
    CHECK_STR(got[0].blob.digest, again.blob.digest);
    CHECK_STR(got[0].repo, "127.0.0.1:5000/r0");
    CHECK(got[1].blob.size == 108);
    for (size_t i = 1; i < n; i++)
        CHECK(strcmp(got[i].blob.digest, again.blob.digest) != 0);
    /* a torn or foreign file reads as no record */
    char path[700];
    snprintf(path, sizeof path, "%s/distribution/%s.json", f.store, diff + 7);
    CHECK(pier_write_file_atomic_at(AT_FDCWD, path, "[{\"Digest\": 5}, ", 16, 0600, 0, &f.err) ==
          0);
    CHECK(img_dist_get(f.s, diff, got, ARRAY_SIZE(got)) == 0);
    CHECK(pier_write_file_atomic_at(AT_FDCWD, path, "[{\"Digest\": \"sha256:x\"}]", 25, 0600, 0,
                                    &f.err) == 0);
    CHECK(img_dist_get(f.s, diff, got, ARRAY_SIZE(got)) == 0);
}
