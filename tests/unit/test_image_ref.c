/* References normalised as Docker normalises them, and refused in its
 * words. */
#include <errno.h>
#include <stdlib.h>

#include "../../src/image/image.h"
#include "../../src/lib/cleanup.h"
#include "unit.h"

#define SHA "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *in, *out;
} good[] = {
    {"busybox", "busybox:latest"},
    {"busybox:1.36", "busybox:1.36"},
    {"library/busybox", "busybox:latest"},
    {"docker.io/library/busybox:musl", "busybox:musl"},
    {"docker.io/busybox", "busybox:latest"},
    {"index.docker.io/busybox", "busybox:latest"},
    {"foo/bar", "foo/bar:latest"},
    {"docker.io/foo/bar:v1", "foo/bar:v1"},
    {"library/a/b", "library/a/b:latest"},
    {"localhost/app", "localhost/app:latest"},
    {"localhost:5000/a/b:tag", "localhost:5000/a/b:tag"},
    {"registry.example.com/team/app", "registry.example.com/team/app:latest"},
    {"Registry.Example.com/app", "Registry.Example.com/app:latest"},
    {"[::1]:5000/app:1", "[::1]:5000/app:1"},
    {"a.b-c_d__e---f:Tag_1.-x", "a.b-c_d__e---f:Tag_1.-x"},
    {"busybox@" SHA, "busybox@" SHA},
    {"quay.io/a/b:1@" SHA, "quay.io/a/b:1@" SHA},
    {"localhost:5000", "localhost:5000"},
};

static const struct {
    const char *in, *msg;
} bad[] = {
    {"", "invalid reference format"},
    {"Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"},
    {"foo/Bar:1", "invalid reference format: repository name (foo/Bar) must be lowercase"},
    {"busybox:", "invalid reference format"},
    {"busybox:a:b", "invalid reference format"},
    {"busybox:-tag", "invalid reference format"},
    {"-busybox", "invalid reference format"},
    {"foo___bar", "invalid reference format"},
    {"foo//bar", "invalid reference format"},
    {"foo/", "invalid reference format"},
    {"host:port/x", "invalid reference format"},
    {"busybox@sha256:abc", "invalid reference format"},
    {"busybox@sha256:0123456789abcdef0123456789abcdef01234567", "invalid checksum digest length"},
    {"busybox@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm"},
    {"busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
     "invalid checksum digest format"},
    {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     "invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), "
     "cannot specify 64-byte hexadecimal strings"},
};

TEST(image_reference_normalised_as_docker)
{
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        cleanup_free char *out = NULL;
        pier_err_t err = NULL;
        int rc = img_normalize(good[i].in, &out, &err);
        if (rc != 0)
            printf("    %s: %s\n", good[i].in, pier_error_msg(err));
        pier_error_free(&err);
        CHECK(rc == 0);
        CHECK_STR(out, good[i].out);
    }
}

TEST(image_reference_refused_in_dockers_words)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        cleanup_free char *out = NULL;
        pier_err_t err = NULL;
        int rc = img_normalize(bad[i].in, &out, &err);
        if (rc == 0)
            printf("    `%s` was accepted as `%s`\n", bad[i].in, out);
        CHECK(rc == -1);
        CHECK_STR(pier_error_msg(err), bad[i].msg);
        CHECK(err->errnum == EINVAL);
        pier_error_free(&err);
    }
}

TEST(image_reference_length_limits)
{
    char name[300], tag[200];
    memset(name, 'a', 256);
    name[256] = '\0';
    pier_err_t err = NULL;
    cleanup_free char *out = NULL;
    CHECK(img_normalize(name, &out, &err) == -1);
    CHECK_STR(pier_error_msg(err), "repository name must not be more than 255 characters");
    pier_error_free(&err);
    snprintf(tag, sizeof tag, "x:%0129d", 0);
    CHECK(img_normalize(tag, &out, &err) == -1);
    CHECK_STR(pier_error_msg(err), "invalid reference format");
    pier_error_free(&err);
    snprintf(tag, sizeof tag, "x:%0128d", 0);
    CHECK(img_normalize(tag, &out, &err) == 0);
}
