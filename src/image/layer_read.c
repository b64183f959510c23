/* A stored layer's uncompressed tar, read back by its diff id for save and
 * push: from start to end, in whatever pieces the caller asks for. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct img_tar_reader {
    int fd;
    int64_t size, off;
};

int img_tar_open(struct img_store *s, const char *diff_id, struct img_tar_reader **out,
                 int64_t *size, pier_err_t *err)
{
    *out = NULL;
    if (strncmp(diff_id, "sha256:", 7) != 0 || !img_is_hex64(diff_id + 7))
        return pier_error(err, EINVAL, "layer %s: not a sha256 digest", diff_id);
    struct img_tar_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return pier_error(err, ENOMEM, "layer %s: its tar", diff_id);
    struct stat st;
    r->fd = openat(s->blobfd, diff_id + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (r->fd < 0 || fstat(r->fd, &st) < 0) {
        int e = errno;
        img_tar_close(r);
        return pier_error(err, e, "the layer %s has no tar in the store", diff_id);
    }
    r->size = st.st_size;
    *size = r->size;
    *out = r;
    return 0;
}

ssize_t img_tar_read(struct img_tar_reader *r, void *buf, size_t len, pier_err_t *err)
{
    size_t got = 0;
    while (got < len && r->off < r->size) {
        size_t want = len - got;
        if ((int64_t)want > r->size - r->off)
            want = (size_t)(r->size - r->off);
        ssize_t n = pread(r->fd, (char *)buf + got, want, r->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return pier_error(err, n < 0 ? errno : 0, "read the layer's tar%s",
                              n == 0 ? ": it shrank" : "");
        got += (size_t)n;
        r->off += n;
    }
    return (ssize_t)got;
}

void img_tar_close(struct img_tar_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}
