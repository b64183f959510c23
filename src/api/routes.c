#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/jsonstr.h"

static const struct api_route routes[] = {
    {"GET", "/_ping", h_ping, 0},
    {"HEAD", "/_ping", h_ping, 0},
    {"GET", "/version", h_version, 0},
    {"GET", "/info", h_info, 0},
    {"POST", "/auth", h_auth, 0},
    {"GET", "/events", h_events, 0},
    {"POST", "/containers/create", h_containers_create, 0},
    {"GET", "/containers/json", h_containers_list, 0},
    {"POST", "/containers/prune", h_containers_prune, 0},
    {"GET", "/containers/{}/json", h_containers_inspect, 0},
    {"POST", "/containers/{}/start", h_containers_start, 0},
    {"POST", "/containers/{}/stop", h_containers_stop, 0},
    {"POST", "/containers/{}/restart", h_containers_restart, 0},
    {"POST", "/containers/{}/kill", h_containers_kill, 0},
    {"POST", "/containers/{}/wait", h_containers_wait, 0},
    {"DELETE", "/containers/{}", h_containers_remove, 0},
    {"GET", "/containers/{}/logs", h_containers_logs, 0},
    {"POST", "/containers/{}/attach", h_containers_attach, 0},
    {"POST", "/containers/{}/resize", h_containers_resize, 0},
    {"GET", "/containers/{}/top", h_containers_top, 0},
    {"GET", "/containers/{}/stats", h_containers_stats, 0},
    {"POST", "/containers/{}/rename", h_containers_rename, 0},
    {"POST", "/containers/{}/pause", h_containers_pause, 0},
    {"POST", "/containers/{}/unpause", h_containers_unpause, 0},
    {"POST", "/containers/{}/exec", h_exec_create, 0},
    {"POST", "/exec/{}/start", h_exec_start, 0},
    {"GET", "/exec/{}/json", h_exec_inspect, 0},
    {"POST", "/exec/{}/resize", h_exec_resize, 0},
    {"POST", "/images/create", h_images_create, API_STREAM},
    {"GET", "/images/json", h_images_list, 0},
    {"GET", "/images/get", h_images_get_all, 0},
    {"POST", "/images/load", h_images_load, API_STREAM},
    {"GET", "/images/{*}/get", h_images_get, 0},
    {"GET", "/images/{*}/json", h_images_inspect, 0},
    {"POST", "/images/{*}/tag", h_images_tag, 0},
    {"POST", "/images/{*}/push", h_images_push, 0},
    {"DELETE", "/images/{*}", h_images_remove, 0},
    {"POST", "/commit", h_commit, 0},
    {"POST", "/images/prune", h_images_prune, 0},
    {"GET", "/images/{*}/history", h_images_history, 0},
    {"GET", "/networks", h_networks_list, 0},
    {"POST", "/networks/create", h_networks_create, 0},
    {"POST", "/networks/prune", h_networks_prune, 0},
    {"GET", "/networks/{}", h_networks_inspect, 0},
    {"DELETE", "/networks/{}", h_networks_remove, 0},
    {"POST", "/networks/{}/connect", h_networks_connect, 0},
    {"POST", "/networks/{}/disconnect", h_networks_disconnect, 0},
};

/* MHD gives the path still percent-encoded. */
static char *decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n + 1 && pier_hexval(s[i + 1]) >= 0 &&
            pier_hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(pier_hexval(s[i + 1]) * 16 + pier_hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Match pattern against path; captures go to params. */
static bool match(const char *pat, const char *path, char **params, int *n)
{
    *n = 0;
    while (*pat && *path) {
        if (pat[0] == '{' && pat[1] == '}') {
            const char *e = strchrnul(path, '/');
            if (e == path || *n == 4)
                return false;
            params[(*n)++] = decode(path, (size_t)(e - path));
            path = e;
            pat += 2;
        } else if (strncmp(pat, "{*}", 3) == 0) {
            /* Image names hold slashes: take all but the pattern's tail. */
            const char *tail = pat + 3;
            size_t tl = strlen(tail), pl = strlen(path);
            if (pl <= tl || strcmp(path + pl - tl, tail) != 0 || *n == 4)
                return false;
            params[(*n)++] = decode(path, pl - tl);
            return true;
        } else if (*pat == *path) {
            pat++;
            path++;
        } else {
            return false;
        }
    }
    /* a trailing slash is the same path */
    if (*pat == '\0' && (path[0] == '\0' || (path[0] == '/' && path[1] == '\0')))
        return true;
    return false;
}

static void free_params(char **params, int n)
{
    for (int i = 0; i < n; i++) {
        free(params[i]);
        params[i] = NULL;
    }
}

const struct api_route *api_route_match(const char *method, const char *path, char **params,
                                        int *nparams)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].method, method) != 0)
            continue;
        if (match(routes[i].pattern, path, params, nparams))
            return &routes[i];
        free_params(params, *nparams);
    }
    *nparams = 0;
    return NULL;
}

bool api_route_path_known(const char *path)
{
    char *params[4];
    int n;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        bool m = match(routes[i].pattern, path, params, &n);
        free_params(params, n);
        if (m)
            return true;
    }
    return false;
}
