/* libFuzzer target: the port bindings of a create body (HostConfig and
 * Config as an API client sends them).  Any input must give bindings or an
 * error, never a crash or a leak; bindings must turn into the JSON inspect
 * and ps show, and that JSON must read back to the same bindings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/network/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, 0, NULL);
    if (body == NULL)
        return 0;
    json_t *host = json_object_get(body, "HostConfig");
    pier_err_t err = NULL;
    struct port_binding *b = NULL;
    size_t n = 0;
    if (ports_check(host, &err) < 0)
        pier_error_free(&err);
    if (ports_parse(host, body, &b, &n, &err) == 0) {
        json_t *insp = ports_inspect_json(body, b, n);
        json_t *list = ports_list_json(body, b, n);
        /* what is recorded has its host ports taken: such bindings read
         * back, one for one */
        bool taken = true;
        for (size_t i = 0; i < n; i++)
            taken &= b[i].host_port != 0;
        struct port_binding *r = NULL;
        size_t rn = 0;
        if (taken && (ports_from_map(insp, &r, &rn, &err) < 0 || rn != n))
            abort();
        free(r);
        json_decref(insp);
        json_decref(list);
        free(b);
    }
    pier_error_free(&err);
    json_decref(body);
    return 0;
}
