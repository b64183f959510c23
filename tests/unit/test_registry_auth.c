/* What pulls read from clients and registries before anything is
 * fetched: X-Registry-Auth, the WWW-Authenticate challenge, the token
 * server's answer, and base64 under them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/image/pull.h"
#include "../../src/image/registry.h"
#include "../../src/lib/base64.h"
#include "../../src/lib/cleanup.h"
#include "unit.h"

TEST(base64_round_trips_both_alphabets)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe?>"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",     "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "//4/Pg=="};
    for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
        cleanup_free char *e = pier_base64_encode(in[i], strlen(in[i]), false);
        CHECK_STR(e, std[i]);
        cleanup_free unsigned char *d = NULL;
        size_t n = 0;
        CHECK(pier_base64_decode(e, strlen(e), &d, &n) == 0);
        CHECK(n == strlen(in[i]) && memcmp(d, in[i], n) == 0);
    }
    cleanup_free char *u = pier_base64_encode("\xff\xfe?>", 4, true);
    CHECK_STR(u, "__4_Pg==");
    /* unpadded, as some clients send it */
    cleanup_free unsigned char *d = NULL;
    size_t n = 0;
    CHECK(pier_base64_decode("__4_Pg", 6, &d, &n) == 0 && n == 4 &&
          memcmp(d, "\xff\xfe?>", 4) == 0);
    unsigned char *bad = NULL;
    CHECK(pier_base64_decode("Zm9v!", 5, &bad, &n) < 0);
    CHECK(pier_base64_decode("Z", 1, &bad, &n) < 0);
    CHECK(pier_base64_decode("Zg=", 3, &bad, &n) < 0);
    CHECK(pier_base64_decode("Zg===", 5, &bad, &n) < 0);
}

static char *b64url(const char *s)
{
    return pier_base64_encode(s, strlen(s), true);
}

TEST(registry_auth_header_decodes)
{
    struct reg_creds c;
    pier_err_t err = NULL;
    cleanup_free char *h1 =
        b64url("{\"username\":\"alice\",\"password\":\"s3cret\",\"serveraddress\":\"r:5000\"}");
    CHECK(reg_creds_decode(h1, &c, &err) == 0);
    CHECK_STR(c.username, "alice");
    CHECK_STR(c.password, "s3cret");
    CHECK(reg_creds_any(&c));
    reg_creds_free(&c);
    /* "auth" as config.json keeps it */
    cleanup_free char *h2 = b64url("{\"auth\":\"Ym9iOnB3OndpdGg6Y29sb25z\"}");
    CHECK(reg_creds_decode(h2, &c, &err) == 0);
    CHECK_STR(c.username, "bob");
    CHECK_STR(c.password, "pw:with:colons");
    reg_creds_free(&c);
    cleanup_free char *h3 = b64url("{\"identitytoken\":\"tok\"}");
    CHECK(reg_creds_decode(h3, &c, &err) == 0);
    CHECK_STR(c.identity_token, "tok");
    CHECK(c.username == NULL);
    reg_creds_free(&c);
    /* none at all */
    CHECK(reg_creds_decode(NULL, &c, &err) == 0 && !reg_creds_any(&c));
    CHECK(reg_creds_decode("", &c, &err) == 0 && !reg_creds_any(&c));
    CHECK(reg_creds_decode("e30=", &c, &err) == 0 && !reg_creds_any(&c));
    CHECK(reg_creds_decode("e30", &c, &err) == 0 && !reg_creds_any(&c));
}

TEST(registry_auth_header_refuses_garbage)
{
    static const char *const bad[] = {"not base64!", "bm90IGpzb24", "WzFd", "eyJ1c2VybmFtZSI6MX0"};
    static const char *const why[] = {"not base64", "not JSON", "expected a JSON object",
                                      "username: expected a string"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct reg_creds c;
        pier_err_t err = NULL;
        CHECK(reg_creds_decode(bad[i], &c, &err) < 0);
        CHECK(err->errnum == EINVAL);
        CHECK_CONTAINS(pier_error_msg(err), "invalid X-Registry-Auth header: ");
        CHECK_CONTAINS(pier_error_msg(err), why[i]);
        pier_error_free(&err);
    }
}

TEST(www_authenticate_bearer_and_basic)
{
    struct reg_challenge c;
    pier_err_t err = NULL;
    CHECK(reg_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
                              "docker.io\",scope=\"repository:library/busybox:pull\"",
                              &c, &err) == 0);
    CHECK(c.scheme == REG_AUTH_BEARER);
    CHECK_STR(c.realm, "https://auth.docker.io/token");
    CHECK_STR(c.service, "registry.docker.io");
    CHECK_STR(c.scope, "repository:library/busybox:pull");
    CHECK(reg_challenge_parse("Basic realm=\"basic-realm\"", &c, &err) == 0);
    CHECK(c.scheme == REG_AUTH_BASIC);
    CHECK_STR(c.realm, "basic-realm");
    /* several challenges: Bearer wins wherever it is; case, spaces, tokens
     * and escapes as RFC 7235 has them */
    CHECK(reg_challenge_parse("basic realm=x , NEGOTIATE abc==, bEaReR  Realm = "
                              "\"http://127.0.0.1:1/t?a=\\\"b\\\"\" , service=svc",
                              &c, &err) == 0);
    CHECK(c.scheme == REG_AUTH_BEARER);
    CHECK_STR(c.realm, "http://127.0.0.1:1/t?a=\"b\"");
    CHECK_STR(c.service, "svc");
    CHECK_STR(c.scope, "");
}

TEST(www_authenticate_refusals)
{
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"Bearer realm=\"https://x", "unterminated quoted string"},
        {"Bearer realm=\"file:///etc/passwd\"", "is not an http(s) URL"},
        {"Bearer service=\"x\"", "is not an http(s) URL"},
        {"Negotiate abc", "no Bearer or Basic challenge"},
        {"", "no Bearer or Basic challenge"},
        {"Basic realm=\"a\" junk", "unexpected"},
        {"Basic realm=\"a\x01\"", "control character"},
        {"=x", "expected an auth scheme"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct reg_challenge c;
        pier_err_t err = NULL;
        if (reg_challenge_parse(bad[i].in, &c, &err) == 0)
            unit_fail(__FILE__, __LINE__, "`%s` was accepted", bad[i].in);
        CHECK_CONTAINS(pier_error_msg(err), bad[i].why);
        pier_error_free(&err);
    }
    struct reg_challenge c;
    pier_err_t err = NULL;
    CHECK(reg_challenge_parse(NULL, &c, &err) < 0);
    pier_error_free(&err);
    /* longer than the cap */
    char *big = malloc(REG_HEADER_MAX + 100);
    CHECK(big != NULL);
    memset(big, 'a', REG_HEADER_MAX + 99);
    big[REG_HEADER_MAX + 99] = '\0';
    CHECK(reg_challenge_parse(big, &c, &err) < 0);
    free(big);
    CHECK_CONTAINS(pier_error_msg(err), "longer than");
    pier_error_free(&err);
}

TEST(token_answer)
{
    pier_err_t err = NULL;
    cleanup_free char *t1 = NULL, *t2 = NULL;
    const char *a = "{\"token\":\"abc.def\",\"expires_in\":300}";
    CHECK(reg_token_parse(a, strlen(a), &t1, &err) == 0);
    CHECK_STR(t1, "abc.def");
    const char *b = "{\"token\":\"\",\"access_token\":\"xyz\"}";
    CHECK(reg_token_parse(b, strlen(b), &t2, &err) == 0);
    CHECK_STR(t2, "xyz");
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"{}", "has no token"},
        {"[]", "not a JSON object"},
        {"{\"token\":1}", "token: expected a string"},
        {"{\"token\":\"a\\r\\nX-Evil: 1\"}", "cannot carry"},
        {"nope", "not JSON"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *t = NULL;
        CHECK(reg_token_parse(bad[i].in, strlen(bad[i].in), &t, &err) < 0 && t == NULL);
        CHECK_CONTAINS(pier_error_msg(err), bad[i].why);
        pier_error_free(&err);
    }
}

TEST(loopback_and_insecure_registries_are_plain_http)
{
    CHECK(reg_host_insecure("localhost"));
    CHECK(reg_host_insecure("localhost:5000"));
    CHECK(reg_host_insecure("127.0.0.1:5000"));
    CHECK(reg_host_insecure("127.200.3.4"));
    CHECK(reg_host_insecure("[::1]:5000"));
    CHECK(!reg_host_insecure("128.0.0.1:5000"));
    CHECK(!reg_host_insecure("registry-1.docker.io"));
    CHECK(!reg_host_insecure("localhost.example.com"));
    CHECK(!reg_host_insecure("unit-insecure.example:5000"));
    pier_err_t err = NULL;
    CHECK(img_pull_insecure_add("unit-insecure.example:5000", &err) == 0);
    CHECK(img_pull_insecure_add("unit-anyport.example", &err) == 0);
    CHECK(reg_host_insecure("unit-insecure.example:5000"));
    CHECK(!reg_host_insecure("unit-insecure.example:5001"));
    CHECK(reg_host_insecure("unit-anyport.example:443"));
    CHECK(img_pull_insecure_add("http://x:5000", &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "should not contain '://'");
    pier_error_free(&err);
}
