/* libFuzzer target: config.json, the runtime's untrusted input.  Any input
 * must give a spec or an error, never a crash or a leak; a spec must free
 * cleanly, and its seccomp and resources sections must compile or fail. */
#include <stddef.h>
#include <stdint.h>

#include "../src/runtime/cgroup_devices.h"
#include "../src/runtime/seccomp.h"
#include "../src/runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rt_spec spec;
    pier_err_t err = NULL;
    if (rt_spec_parse((const char *)data, size, "/bundle", &spec, &err) == 0) {
        if (spec.seccomp != NULL && rt_seccomp_check(spec.seccomp, &err) < 0)
            pier_error_free(&err);
        json_t *devs = spec.resources ? json_object_get(spec.resources, "devices") : NULL;
        if (json_is_array(devs)) {
            struct rt_dev_rule *rules = NULL;
            size_t n = 0;
            if (rt_dev_rules_parse(devs, &rules, &n, &err) == 0) {
                static char insns[8 * 4096];
                rt_dev_rules_bpf(rules, n, insns, 4096);
                free(rules);
            } else {
                pier_error_free(&err);
            }
        }
    }
    pier_error_free(&err);
    rt_spec_free(&spec);
    return 0;
}
