/* libFuzzer target: a layer tar, the image store's untrusted input, plain
 * or compressed.  Any input must unpack or fail, never crash, leak or hang,
 * and never write outside its target: the target sits alone in a scratch
 * directory, which must hold nothing else afterwards.  Caps are small so
 * that a decompression bomb costs milliseconds.  The tar-split built on
 * the way, when it says it is usable, must give back exactly the tar that
 * was unpacked (the reader checks the diff id). */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/image/internal.h"
#include "../src/image/tarsplit.h"
#include "../src/image/unpack.h"
#include "../src/lib/file.h"

static char scratch[] = "/tmp/pier-fuzz-layer.XXXXXX";
static int scratch_fd = -1;

static void scratch_check(void)
{
    DIR *d = opendir(scratch);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "t")) {
            fprintf(stderr, "fuzz_layer: `%s` appeared beside the target\n", de->d_name);
            abort();
        }
    }
    if (d != NULL)
        closedir(d);
}

static void scratch_remove(void)
{
    pier_err_t err = NULL;
    pier_rm_rf_at(AT_FDCWD, scratch, &err);
    pier_error_free(&err);
}

static void round_trip(int split_fd, int root, const struct img_unpack_result *res)
{
    struct img_tar_reader *r;
    int64_t size;
    pier_err_t err = NULL;
    int rootdup = fcntl(root, F_DUPFD_CLOEXEC, 3);
    if (img_tar_open_split(split_fd, rootdup, res->diff_id, &r, &size, &err) < 0 ||
        (uint64_t)size != res->tar_size) {
        fprintf(stderr, "fuzz_layer: tar-split: %s\n", err ? pier_error_msg(err) : "bad size");
        abort();
    }
    char buf[8192];
    ssize_t n;
    uint64_t total = 0;
    while ((n = img_tar_read(r, buf, sizeof buf, &err)) > 0)
        total += (uint64_t)n;
    if (n < 0 || total != res->tar_size) {
        fprintf(stderr, "fuzz_layer: tar-split gives back another tar: %s\n",
                err ? pier_error_msg(err) : "short");
        abort();
    }
    img_tar_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (scratch_fd < 0) {
        if (mkdtemp(scratch) == NULL)
            abort();
        scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        atexit(scratch_remove);
    }
    int in = memfd_create("layer", MFD_CLOEXEC);
    if (in < 0 || pier_write_all(in, data, size) < 0 || lseek(in, 0, SEEK_SET) != 0)
        abort();
    if (mkdirat(scratch_fd, "t", 0755) < 0)
        abort();
    int root = openat(scratch_fd, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        abort();
    int split_fd = memfd_create("tar-split", MFD_CLOEXEC);
    struct img_tarsplit *split = NULL;
    pier_err_t err = NULL;
    if (split_fd < 0 || img_tarsplit_new(split_fd, &split, &err) < 0)
        abort();
    struct img_unpack_opts opts = {
        .max_bytes = 4u << 20, .max_entries = 1024, .blob_fd = -1, .split = split};
    struct img_unpack_result res;
    int usable = 0;
    if (img_unpack_stream(in, root, &opts, &res, &err) == 0 &&
        (usable = img_tarsplit_finish(split, res.tar_size, &err)) < 0)
        abort();
    img_tarsplit_free(split);
    if (usable > 0)
        round_trip(split_fd, root, &res);
    else
        close(split_fd);
    pier_error_free(&err);
    close(root);
    close(in);
    scratch_check();
    if (pier_rm_rf_at(scratch_fd, "t", &err) < 0) {
        fprintf(stderr, "fuzz_layer: %s\n", pier_error_msg(err));
        abort();
    }
    return 0;
}
