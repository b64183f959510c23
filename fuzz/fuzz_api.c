/* libFuzzer target: what API clients send pierd besides config.json and
 * layers: the filters query (JSON), image references, import --change
 * lines, commit bodies merged with a container's config, `until` filter
 * values, -v bind specs, container names, signal names, and network
 * create bodies (with the address pool they describe).  Any input must
 * give a value or an error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/internal.h"
#include "../src/image/internal.h"
#include "../src/lib/filters.h"
#include "../src/lib/signals.h"
#include "../src/network/network.h"

static bool any_value(const char *v, void *data)
{
    (void)data;
    return strlen(v) % 2 == 0;
}

static void filters(const char *text, size_t n)
{
    static const char *const known[] = {"id", "name", "label", "status", "reference", NULL};
    json_t *f = json_loadb(text, n, 0, NULL);
    if (f == NULL)
        return;
    pier_err_t err = NULL;
    if (pier_filters_check(f, known, &err) == 0) {
        json_t *labels = json_pack("{s:s, s:s}", "a", "1", "b", "");
        pier_filters_any(f, "name", any_value, NULL);
        pier_filters_labels(f, "label", labels);
        pier_filters_has(f, "status");
        json_decref(labels);
    }
    pier_error_free(&err);
    json_decref(f);
}

static void network_create(const char *text, size_t n)
{
    json_t *body = json_loadb(text, n, 0, NULL);
    if (body == NULL)
        return;
    pier_err_t err = NULL;
    struct net_create c;
    struct ipam_pool p;
    if (net_create_parse(body, &c, &err) == 0 && c.subnet &&
        ipam_pool_init(&p, c.subnet, c.gateway, c.ip_range, &err) == 0) {
        uint32_t a;
        for (int i = 0; i < 4 && ipam_alloc(&p, 0, &a, &err) == 0; i++)
            ;
        pier_error_free(&err);
        if (ipam_alloc(&p, p.hi, &a, &err) == 0)
            ipam_release(&p, a);
        ipam_pool_free(&p);
    }
    pier_error_free(&err);
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    filters(s, size);
    network_create(s, size);

    pier_err_t err = NULL;
    struct img_ref ref;
    if (img_ref_parse(s, &ref, &err) < 0)
        pier_error_free(&err);

    const char *changes[] = {s, NULL};
    json_t *config = NULL;
    if (img_changes(changes, &config, &err) < 0)
        pier_error_free(&err);
    json_decref(config);

    /* the input as a commit's body, and as its change lines */
    json_t *body = json_loadb(s, size, 0, NULL);
    json_t *ctr =
        json_pack("{s:[s], s:[s], s:{s:s}, s:{s:{}}, s:{s:[s]}}", "Cmd", "sh", "Env", "PATH=/bin",
                  "Labels", "a", "1", "Volumes", "/v", "Healthcheck", "Test", "NONE");
    if (img_commit_config(body, changes, ctr, &config, &err) < 0)
        pier_error_free(&err);
    else
        json_decref(config);
    json_decref(ctr);
    json_decref(body);

    int64_t sec;
    long nsec;
    img_until_parse(s, &sec, &nsec);

    struct bind b;
    if (bind_parse(s, &b, &err) < 0)
        pier_error_free(&err);

    ct_name_valid(s);
    pier_signal_parse(s);
    free(s);
    return 0;
}
