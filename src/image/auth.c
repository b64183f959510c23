/* Credentials and challenges: X-Registry-Auth as clients send it, the
 * WWW-Authenticate header of a registry's 401, the token server's answer.
 * All three come from outside pierd and are parsed with caps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/base64.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "registry.h"

void reg_creds_free(struct reg_creds *c)
{
    free(c->username);
    free(c->password);
    free(c->identity_token);
    free(c->registry_token);
    memset(c, 0, sizeof *c);
}

bool reg_creds_any(const struct reg_creds *c)
{
    return (c->username && *c->username) || (c->identity_token && *c->identity_token) ||
           (c->registry_token && *c->registry_token);
}

static int bad_auth(pier_err_t *err, const char *why)
{
    return pier_fail(err, EINVAL, "invalid X-Registry-Auth header: %s", why);
}

/* A string member, copied; "" is as good as absent. */
static int take(json_t *o, const char *key, char **out, pier_err_t *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return pier_fail(err, EINVAL, "invalid X-Registry-Auth header: %s: expected a string", key);
    if (json_string_length(v) == 0)
        return 0;
    if (strlen(json_string_value(v)) != json_string_length(v))
        return pier_fail(err, EINVAL, "invalid X-Registry-Auth header: %s holds a NUL byte", key);
    *out = strdup(json_string_value(v));
    return *out ? 0 : pier_error(err, ENOMEM, "X-Registry-Auth");
}

/* "auth": base64 of "user:password", as config.json keeps it. */
static int split_auth(const char *auth, struct reg_creds *c, pier_err_t *err)
{
    cleanup_free unsigned char *raw = NULL;
    size_t n = 0;
    if (pier_base64_decode(auth, strlen(auth), &raw, &n) < 0)
        return bad_auth(err, "auth: not base64");
    char *colon = memchr(raw, ':', n);
    if (colon == NULL || memchr(raw, '\0', n) != NULL)
        return bad_auth(err, "auth: expected base64 of username:password");
    *colon = '\0';
    free(c->username);
    free(c->password);
    c->username = strdup((char *)raw);
    c->password = strdup(colon + 1);
    if (c->username == NULL || c->password == NULL)
        return pier_error(err, ENOMEM, "X-Registry-Auth");
    return 0;
}

int reg_creds_decode(const char *header, struct reg_creds *c, pier_err_t *err)
{
    memset(c, 0, sizeof *c);
    if (header == NULL || *header == '\0')
        return 0;
    size_t hlen = strnlen(header, REG_AUTH_HEADER_MAX + 1);
    if (hlen > REG_AUTH_HEADER_MAX)
        return bad_auth(err, "too long");
    cleanup_free unsigned char *raw = NULL;
    size_t n = 0;
    if (pier_base64_decode(header, hlen, &raw, &n) < 0)
        return bad_auth(err, "not base64");
    json_error_t je;
    cleanup_json json_t *j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        char why[200];
        snprintf(why, sizeof why, "not JSON: %s", je.text);
        return bad_auth(err, why);
    }
    if (!json_is_object(j))
        return bad_auth(err, "expected a JSON object");
    cleanup_free char *auth = NULL;
    if (take(j, "username", &c->username, err) < 0 || take(j, "password", &c->password, err) < 0 ||
        take(j, "identitytoken", &c->identity_token, err) < 0 ||
        take(j, "registrytoken", &c->registry_token, err) < 0 || take(j, "auth", &auth, err) < 0 ||
        (auth != NULL && c->username == NULL && split_auth(auth, c, err) < 0)) {
        reg_creds_free(c);
        return -1;
    }
    return 0;
}

/* ---- WWW-Authenticate ---- */

static bool is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

struct challenge_parser {
    const char *p;
    char key[64];
    char value[1024];
};

/* A token ([tchar]+) into out; false when there is none or it is too long. */
static bool read_token(struct challenge_parser *cp, char *out, size_t cap)
{
    size_t n = 0;
    while (is_tchar(cp->p[n]))
        n++;
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, cp->p, n);
    out[n] = '\0';
    cp->p += n;
    return true;
}

/* A value: a quoted-string (backslash escapes) or a token; token68 ends
 * with '=' padding, which is a token's tail here. */
static int read_value(struct challenge_parser *cp, pier_err_t *err)
{
    size_t n = 0;
    if (*cp->p == '"') {
        cp->p++;
        for (;;) {
            char ch = *cp->p;
            if (ch == '\0')
                return pier_error(err, 0, "WWW-Authenticate: unterminated quoted string");
            cp->p++;
            if (ch == '"')
                break;
            if (ch == '\\') {
                ch = *cp->p;
                if (ch == '\0')
                    return pier_error(err, 0, "WWW-Authenticate: unterminated quoted string");
                cp->p++;
            }
            if ((unsigned char)ch < 0x20 || ch == 0x7f)
                return pier_error(err, 0, "WWW-Authenticate: a control character in a value");
            if (n + 1 >= sizeof cp->value)
                return pier_error(err, 0, "WWW-Authenticate: a value is longer than %zu bytes",
                                  sizeof cp->value - 1);
            cp->value[n++] = ch;
        }
    } else {
        while (is_tchar(*cp->p) || *cp->p == '/' || *cp->p == '=') {
            if (n + 1 >= sizeof cp->value)
                return pier_error(err, 0, "WWW-Authenticate: a value is longer than %zu bytes",
                                  sizeof cp->value - 1);
            cp->value[n++] = *cp->p++;
        }
    }
    cp->value[n] = '\0';
    return 0;
}

static void set_param(struct reg_challenge *c, const char *key, const char *value)
{
    if (strcasecmp(key, "realm") == 0)
        snprintf(c->realm, sizeof c->realm, "%s", value);
    else if (strcasecmp(key, "service") == 0)
        snprintf(c->service, sizeof c->service, "%s", value);
    else if (strcasecmp(key, "scope") == 0)
        snprintf(c->scope, sizeof c->scope, "%s", value);
}

/* Whether what follows at p is "token =" (an auth-param), not a scheme. */
static bool param_ahead(const char *p)
{
    while (is_tchar(*p))
        p++;
    p = skip_ws(p);
    return *p == '=';
}

int reg_challenge_parse(const char *header, struct reg_challenge *out, pier_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (header == NULL)
        return pier_error(err, 0, "the registry sent no WWW-Authenticate challenge");
    if (strnlen(header, REG_HEADER_MAX + 1) > REG_HEADER_MAX)
        return pier_error(err, 0, "WWW-Authenticate: longer than %d bytes", REG_HEADER_MAX);
    struct challenge_parser cp = {.p = header};
    struct reg_challenge bearer = {0}, basic = {0}, *cur = NULL, skipped;
    bool have_bearer = false, have_basic = false;
    for (;;) {
        cp.p = skip_ws(cp.p);
        while (*cp.p == ',' || *cp.p == ' ' || *cp.p == '\t')
            cp.p++;
        if (*cp.p == '\0')
            break;
        if (cur != NULL && param_ahead(cp.p)) {
            if (!read_token(&cp, cp.key, sizeof cp.key))
                return pier_error(err, 0, "WWW-Authenticate: a parameter name is too long");
            cp.p = skip_ws(cp.p);
            cp.p++; /* '=' */
            cp.p = skip_ws(cp.p);
            if (read_value(&cp, err) < 0)
                return -1;
            set_param(cur, cp.key, cp.value);
        } else {
            char scheme[32];
            if (!read_token(&cp, scheme, sizeof scheme))
                return pier_error(err, 0, "WWW-Authenticate: expected an auth scheme at `%.40s`",
                                  cp.p);
            if (strcasecmp(scheme, "bearer") == 0 && !have_bearer) {
                cur = &bearer;
                have_bearer = true;
            } else if (strcasecmp(scheme, "basic") == 0 && !have_basic) {
                cur = &basic;
                have_basic = true;
            } else {
                cur = &skipped;
            }
            /* its first auth-param follows after a space, no comma; a
             * token68 (never from registries) is skipped */
            cp.p = skip_ws(cp.p);
            if (*cp.p != '\0' && *cp.p != ',' && !param_ahead(cp.p)) {
                if (read_value(&cp, err) < 0)
                    return -1;
            } else {
                continue;
            }
        }
        cp.p = skip_ws(cp.p);
        if (*cp.p != '\0' && *cp.p != ',')
            return pier_error(err, 0, "WWW-Authenticate: unexpected `%.40s`", cp.p);
    }
    if (have_bearer) {
        if (strncmp(bearer.realm, "https://", 8) != 0 && strncmp(bearer.realm, "http://", 7) != 0)
            return pier_error(err, 0,
                              "WWW-Authenticate: the Bearer realm `%s` is not an http(s) URL",
                              bearer.realm);
        *out = bearer;
        out->scheme = REG_AUTH_BEARER;
        return 0;
    }
    if (have_basic) {
        *out = basic;
        out->scheme = REG_AUTH_BASIC;
        return 0;
    }
    return pier_error(err, 0, "WWW-Authenticate: no Bearer or Basic challenge in `%.80s`", header);
}

int reg_token_parse(const char *body, size_t len, char **token, pier_err_t *err)
{
    *token = NULL;
    if (len > REG_TOKEN_MAX)
        return pier_error(err, 0, "the token server's answer is larger than %u bytes",
                          REG_TOKEN_MAX);
    json_error_t je;
    cleanup_json json_t *j = json_loadb(body, len, 0, &je);
    if (j == NULL)
        return pier_error(err, 0, "the token server's answer is not JSON: %s (line %d)", je.text,
                          je.line);
    if (!json_is_object(j))
        return pier_error(err, 0, "the token server's answer is not a JSON object");
    const char *t = NULL;
    size_t tlen = 0;
    const char *keys[] = {"token", "access_token"};
    for (size_t i = 0; i < ARRAY_SIZE(keys) && t == NULL; i++) {
        json_t *v = json_object_get(j, keys[i]);
        if (v != NULL && !json_is_string(v))
            return pier_error(err, 0, "the token server's answer: %s: expected a string", keys[i]);
        if (json_string_length(v) > 0) {
            t = json_string_value(v);
            tlen = json_string_length(v);
        }
    }
    if (t == NULL)
        return pier_error(err, 0, "the token server's answer has no token");
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
            return pier_error(err, 0,
                              "the token server's token holds a character that a header "
                              "cannot carry");
    *token = strdup(t);
    return *token ? 0 : pier_error(err, ENOMEM, "token");
}
