/* Credentials for pulls, from the docker CLI's config.json as docker login
 * writes it ("auths": {"127.0.0.1:5000": {"auth": base64(user:password)}},
 * Docker Hub under "https://index.docker.io/v1/"), sent to the daemon as
 * X-Registry-Auth: base64url of {"username","password","serveraddress"}.
 * Credential helpers (credsStore, credHelpers) are not run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/base64.h"
#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"

void registry_hostname(const char *s, char *out, size_t cap)
{
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    snprintf(out, cap, "%.*s", (int)strcspn(s, "/"), s);
}

/* A key of auths as a registry host, Docker Hub's names as docker.io. */
static void key_host(const char *key, char *out, size_t cap)
{
    registry_hostname(key, out, cap);
    if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
        snprintf(out, cap, "docker.io");
}

json_t *registry_auth_entry(struct cli *cli, const char *host)
{
    json_t *auths = json_object_get(cli_config_json(cli), "auths");
    const char *key;
    json_t *entry;
    json_object_foreach (auths, key, entry) {
        char h[256];
        key_host(key, h, sizeof h);
        if (strcmp(h, host) == 0)
            return json_is_object(entry) ? entry : NULL;
    }
    return NULL;
}

int registry_auth_creds(json_t *entry, char **user, char **pass, char **token)
{
    *user = *pass = *token = NULL;
    const char *auth = json_string_value(json_object_get(entry, "auth"));
    const char *u = json_string_value(json_object_get(entry, "username"));
    const char *p = json_string_value(json_object_get(entry, "password"));
    const char *t = json_string_value(json_object_get(entry, "identitytoken"));
    cleanup_free unsigned char *raw = NULL;
    size_t n = 0;
    if (auth && *auth && pier_base64_decode(auth, strlen(auth), &raw, &n) == 0) {
        char *colon = strchr((char *)raw, ':');
        if (colon != NULL) {
            *colon = '\0';
            u = (char *)raw;
            p = colon + 1;
        }
    }
    if ((u && *u && (*user = strdup(u)) == NULL) || (p && *p && (*pass = strdup(p)) == NULL) ||
        (t && *t && (*token = strdup(t)) == NULL)) {
        free(*user);
        free(*pass);
        *user = *pass = NULL;
        return -1;
    }
    return 0;
}

char *registry_auth_header(struct cli *cli, const char *name)
{
    char domain[256];
    snprintf(domain, sizeof domain, "%.*s", (int)strcspn(name, "/"), name);
    json_t *found = registry_auth_entry(cli, domain);
    if (found == NULL)
        return NULL;
    cleanup_json json_t *cfg = json_object();
    cleanup_free char *user = NULL, *pass = NULL, *token = NULL;
    if (cfg == NULL || registry_auth_creds(found, &user, &pass, &token) < 0)
        return NULL;
    if (user)
        json_object_set_new(cfg, "username", json_string(user));
    if (pass)
        json_object_set_new(cfg, "password", json_string(pass));
    if (token)
        json_object_set_new(cfg, "identitytoken", json_string(token));
    if (json_object_size(cfg) == 0)
        return NULL;
    json_object_set_new(
        cfg, "serveraddress",
        json_string(strcmp(domain, "docker.io") == 0 ? DOCKER_INDEX_SERVER : domain));
    cleanup_free char *text = json_dumps(cfg, JSON_COMPACT);
    cleanup_free char *b64 = text ? pier_base64_encode(text, strlen(text), true) : NULL;
    char *hdr = NULL;
    if (b64 == NULL || asprintf(&hdr, "X-Registry-Auth: %s", b64) < 0)
        return NULL;
    return hdr;
}
