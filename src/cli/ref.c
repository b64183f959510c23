#include "ref.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool ref_is_id(const char *s)
{
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return false;
    return true;
}

/* A path component: [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static bool valid_component(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (isalnum((unsigned char)c))
            continue;
        if (c == '.' || c == '-')
            continue;
        if (c == '_')
            continue;
        return false;
    }
    /* no two separators in a row except "__" and runs of "-" */
    for (size_t i = 1; i < n; i++) {
        char a = s[i - 1], b = s[i];
        if (isalnum((unsigned char)a) || isalnum((unsigned char)b))
            continue;
        if (a == '-' && b == '-')
            continue;
        if (a == '_' && b == '_' && (i < 2 || s[i - 2] != '_'))
            continue;
        return false;
    }
    return true;
}

static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128)
        return false;
    if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

int ref_parse(const char *s, struct ref *r, char *msg, size_t cap)
{
    memset(r, 0, sizeof *r);
    char buf[1024];
    if (strlen(s) >= sizeof buf || *s == '\0') {
        snprintf(msg, cap, "invalid reference format");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", s);
    char *at = strchr(buf, '@');
    if (at) {
        *at = '\0';
        const char *d = at + 1;
        const char *colon = strchr(d, ':');
        if (colon == NULL || colon == d || strlen(colon + 1) < 32) {
            snprintf(msg, cap, "invalid reference format");
            return -1;
        }
        if (strncmp(d, "sha256:", 7) == 0 && strlen(d + 7) != 64) {
            snprintf(msg, cap, "invalid reference format");
            return -1;
        }
        snprintf(r->digest, sizeof r->digest, "%s", d);
    }
    /* the tag is after the last ':' that follows the last '/' */
    char *slash = strrchr(buf, '/');
    char *colon = strrchr(slash ? slash : buf, ':');
    if (colon) {
        *colon = '\0';
        if (!valid_tag(colon + 1)) {
            snprintf(msg, cap, "invalid reference format");
            return -1;
        }
        snprintf(r->tag, sizeof r->tag, "%s", colon + 1);
    }
    /* the domain: the first component when it has '.' or ':' or is
     * localhost, or has upper case */
    char *first_slash = strchr(buf, '/');
    char domain[256] = "", path[512];
    if (first_slash) {
        size_t dl = (size_t)(first_slash - buf);
        char fc[256];
        snprintf(fc, sizeof fc, "%.*s", (int)dl, buf);
        bool is_domain = strchr(fc, '.') || strchr(fc, ':') || strcmp(fc, "localhost") == 0;
        for (char *p = fc; *p && !is_domain; p++)
            is_domain = isupper((unsigned char)*p);
        if (is_domain) {
            snprintf(domain, sizeof domain, "%s", fc);
            snprintf(path, sizeof path, "%s", first_slash + 1);
        } else {
            snprintf(path, sizeof path, "%s", buf);
        }
    } else {
        snprintf(path, sizeof path, "%s", buf);
    }
    if (*domain == '\0' || strcmp(domain, "index.docker.io") == 0) {
        snprintf(domain, sizeof domain, "docker.io");
        if (strchr(path, '/') == NULL) {
            char p2[512];
            snprintf(p2, sizeof p2, "library/%s", path);
            snprintf(path, sizeof path, "%s", p2);
        }
    }
    /* every component lower case and well formed */
    for (char *p = path; *p; p++)
        if (isupper((unsigned char)*p)) {
            snprintf(msg, cap, "invalid reference format: repository name (%s) must be lowercase",
                     path);
            return -1;
        }
    const char *c = path;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (!valid_component(c, n)) {
            snprintf(msg, cap, "invalid reference format");
            return -1;
        }
        c += n;
        if (*c == '/')
            c++;
    }
    if (path[strlen(path) - 1] == '/') {
        snprintf(msg, cap, "invalid reference format");
        return -1;
    }
    snprintf(r->name, sizeof r->name, "%s/%s", domain, path);
    if (strlen(r->name) > 255) {
        snprintf(msg, cap, "repository name must not be more than 255 characters");
        return -1;
    }
    return 0;
}

void ref_default_tag(struct ref *r)
{
    if (r->tag[0] == '\0' && r->digest[0] == '\0')
        snprintf(r->tag, sizeof r->tag, "latest");
}

const char *ref_familiar_name(const char *name)
{
    if (strncmp(name, "docker.io/library/", 18) == 0 && strchr(name + 18, '/') == NULL)
        return name + 18;
    if (strncmp(name, "docker.io/", 10) == 0)
        return name + 10;
    return name;
}

void ref_familiar(const struct ref *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s%s%s", ref_familiar_name(r->name), r->tag[0] ? ":" : "", r->tag,
             r->digest[0] ? "@" : "", r->digest);
}
