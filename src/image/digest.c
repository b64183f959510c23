/* Digests (sha256 through OpenSSL's EVP interface), chain ids, temporary
 * names: the small pieces every file of the store uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"

bool img_is_hex64(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == IMG_HEX_LEN;
}

static void to_hex(const unsigned char *md, unsigned len, char out[IMG_DIGEST_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < len && i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[7 + 64] = '\0';
}

int img_sha256(const void *data, size_t len, char out[IMG_DIGEST_SIZE], pier_err_t *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return pier_error(err, 0, "sha256: OpenSSL failed");
    to_hex(md, mdlen, out);
    return 0;
}

int img_sha256_final(EVP_MD_CTX *evp_ctx, char out[IMG_DIGEST_SIZE], pier_err_t *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_DigestFinal_ex(evp_ctx, md, &mdlen) != 1 || mdlen != 32)
        return pier_error(err, 0, "sha256: OpenSSL failed");
    to_hex(md, mdlen, out);
    return 0;
}

int img_chain_id(const char *parent_chain, const char *diff_id, char out[IMG_DIGEST_SIZE],
                 pier_err_t *err)
{
    if (parent_chain == NULL || parent_chain[0] == '\0') {
        snprintf(out, IMG_DIGEST_SIZE, "%s", diff_id);
        return 0;
    }
    char buf[2 * IMG_DIGEST_SIZE];
    int n = snprintf(buf, sizeof buf, "%s %s", parent_chain, diff_id);
    return img_sha256(buf, (size_t)n, out, err);
}

int img_tmp_name(char out[32], pier_err_t *err)
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return pier_error(err, errno, "getrandom");
    snprintf(out, 32, ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
             r[6], r[7]);
    return 0;
}

int img_tmp_file(struct img_store *s, const char *what, pier_err_t *err)
{
    int fd = openat(s->blobfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd >= 0 ? fd : pier_error(err, errno, "create a temporary file for the %s", what);
    /* a file system without O_TMPFILE: a name, gone at once */
    char name[32];
    if (img_tmp_name(name, err) < 0)
        return -1;
    fd = openat(s->blobfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return pier_error(err, errno, "create a temporary file for the %s", what);
    unlinkat(s->blobfd, name, 0);
    return fd;
}
