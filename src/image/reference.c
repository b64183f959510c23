/* Image references as Docker's distribution/reference parses them:
 * `busybox` is docker.io/library/busybox, familiar again as `busybox`;
 * a first component with a dot, a colon or `localhost` is a registry
 * (`localhost:5000/a/b:tag`); a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * a digest is algorithm:hex.  Errors use Docker's words, which scripts and
 * users match on. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
/* Longer input is no reference: refuse it before looking at it. */
#define REF_INPUT_MAX 1024

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && is_alnum_lower(s[i]))
            i++;
        if (i == start)
            return false;
        if (i == n)
            return true;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
    }
}

/* [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool label_ok(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

/* host(:port)?, host a domain name or a bracketed IPv6 address. */
static bool domain_ok(const char *s, size_t n)
{
    size_t host_end;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':')
                return false;
        host_end = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        host_end = colon ? (size_t)(colon - s) : n;
        size_t i = 0;
        for (;;) {
            const char *dot = memchr(s + i, '.', host_end - i);
            size_t e = dot ? (size_t)(dot - s) : host_end;
            if (!label_ok(s + i, e - i))
                return false;
            if (dot == NULL)
                break;
            i = e + 1;
        }
    }
    if (host_end == n)
        return true;
    if (s[host_end] != ':' || host_end + 1 == n)
        return false;
    for (size_t i = host_end + 1; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IMG_TAG_MAX || !is_word(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

static int invalid(pier_err_t *err)
{
    return pier_fail(err, EINVAL, "invalid reference format");
}

/* The grammar: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,};
 * then go-digest's checks of the algorithms it knows. */
static int digest_check(const char *d, pier_err_t *err)
{
    const char *colon = strchr(d, ':');
    if (colon == NULL || colon == d)
        return invalid(err);
    bool need_alpha = true;
    for (const char *p = d; p < colon; p++) {
        if (need_alpha) {
            if (!isalpha((unsigned char)*p))
                return invalid(err);
            need_alpha = false;
        } else if (strchr("-_+.", *p) != NULL) {
            need_alpha = true;
        } else if (!isalnum((unsigned char)*p)) {
            return invalid(err);
        }
    }
    if (need_alpha)
        return invalid(err);
    const char *hex = colon + 1;
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)hex[i]))
            return invalid(err);
    if (n < 32)
        return invalid(err);
    size_t alg = (size_t)(colon - d), want;
    if (alg == 6 && memcmp(d, "sha256", 6) == 0)
        want = 64;
    else if (alg == 6 && memcmp(d, "sha384", 6) == 0)
        want = 96;
    else if (alg == 6 && memcmp(d, "sha512", 6) == 0)
        want = 128;
    else
        return pier_fail(err, EINVAL, "unsupported digest algorithm");
    if (n != want)
        return pier_fail(err, EINVAL, "invalid checksum digest length");
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)hex[i]))
            return pier_fail(err, EINVAL, "invalid checksum digest format");
    return 0;
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)s[i]))
            return true;
    return false;
}

int img_ref_parse(const char *s, struct img_ref *r, pier_err_t *err)
{
    memset(r, 0, sizeof *r);
    size_t len = strnlen(s, REF_INPUT_MAX + 1);
    if (len > REF_INPUT_MAX)
        return invalid(err);
    if (img_is_hex64(s))
        return pier_fail(err, EINVAL,
                         "invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
                         s);

    /* splitDockerDomain: the first component is a registry when it looks
     * like a host name. */
    const char *slash = strchr(s, '/');
    const char *rest = s;
    size_t dlen = 0;
    if (slash != NULL) {
        size_t n = (size_t)(slash - s);
        bool host = memchr(s, '.', n) || memchr(s, ':', n) ||
                    (n == 9 && memcmp(s, "localhost", 9) == 0) || has_upper(s, n);
        if (host) {
            dlen = n;
            rest = slash + 1;
        }
    }
    if (dlen == 0) {
        snprintf(r->domain, sizeof r->domain, "%s", DEFAULT_DOMAIN);
    } else if (dlen == strlen(LEGACY_DOMAIN) && memcmp(s, LEGACY_DOMAIN, dlen) == 0) {
        snprintf(r->domain, sizeof r->domain, "%s", DEFAULT_DOMAIN);
    } else {
        if (dlen > IMG_NAME_MAX)
            return pier_fail(err, EINVAL, "repository name must not be more than 255 characters");
        memcpy(r->domain, s, dlen);
        r->domain[dlen] = '\0';
    }

    /* The remainder: path[:tag][@digest]. */
    char remainder[REF_INPUT_MAX + 16];
    bool official = strcmp(r->domain, DEFAULT_DOMAIN) == 0 && strchr(rest, '/') == NULL;
    snprintf(remainder, sizeof remainder, "%s%s", official ? OFFICIAL_PREFIX : "", rest);
    size_t remote_len = strcspn(remainder, ":");
    if (has_upper(remainder, remote_len))
        return pier_fail(err, EINVAL,
                         "invalid reference format: repository name (%.*s) must be lowercase",
                         (int)remote_len, remainder);

    char *at = strchr(remainder, '@');
    if (at != NULL) {
        *at = '\0';
        if (strlen(at + 1) >= sizeof r->digest)
            return invalid(err);
        if (digest_check(at + 1, err) < 0)
            return -1;
        snprintf(r->digest, sizeof r->digest, "%s", at + 1);
    }
    char *colon = strchr(remainder, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (!tag_ok(colon + 1))
            return invalid(err);
        snprintf(r->tag, sizeof r->tag, "%s", colon + 1);
    }
    if (!domain_ok(r->domain, strlen(r->domain)))
        return invalid(err);
    if (remainder[0] == '\0')
        return invalid(err);
    for (const char *p = remainder;;) {
        const char *e = strchrnul(p, '/');
        if (!path_component_ok(p, (size_t)(e - p)))
            return invalid(err);
        if (*e == '\0')
            break;
        p = e + 1;
    }
    if (strlen(r->domain) + 1 + strlen(remainder) > IMG_NAME_MAX)
        return pier_fail(err, EINVAL, "repository name must not be more than 255 characters");
    snprintf(r->path, sizeof r->path, "%s", remainder);
    return 0;
}

void img_ref_familiar(const struct img_ref *r, bool with_tag, char *out, size_t cap)
{
    const char *path = r->path;
    bool docker_hub = strcmp(r->domain, DEFAULT_DOMAIN) == 0;
    if (docker_hub && strncmp(path, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) == 0 &&
        strchr(path + strlen(OFFICIAL_PREFIX), '/') == NULL)
        path += strlen(OFFICIAL_PREFIX);
    snprintf(out, cap, "%s%s%s%s%s%s%s", docker_hub ? "" : r->domain, docker_hub ? "" : "/", path,
             with_tag && r->tag[0] ? ":" : "", with_tag ? r->tag : "",
             with_tag && r->digest[0] ? "@" : "", with_tag ? r->digest : "");
}

int img_normalize(const char *ref, char **out, pier_err_t *err)
{
    struct img_ref r;
    if (img_ref_parse(ref, &r, err) < 0)
        return -1;
    if (r.tag[0] == '\0' && r.digest[0] == '\0')
        snprintf(r.tag, sizeof r.tag, "latest");
    char buf[IMG_REF_MAX];
    img_ref_familiar(&r, true, buf, sizeof buf);
    *out = strdup(buf);
    if (*out == NULL)
        return pier_error(err, ENOMEM, "normalise `%s`", ref);
    return 0;
}
