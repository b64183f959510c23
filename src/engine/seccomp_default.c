/* Docker's default seccomp profile, in Docker's own format (conditions on
 * the container's capabilities, the architecture and the kernel), made into
 * a container's linux.seccomp as docker does.  The profile is Docker's
 * (moby/profiles, Apache-2.0), kept in seccomp_default.json and linked in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "internal.h"

extern const char _binary_seccomp_default_json_start[];
extern const char _binary_seccomp_default_json_end[];

/* docker's names of this machine's architecture in the profile */
#if defined(__x86_64__)
#define NATIVE_SCMP "SCMP_ARCH_X86_64"
#define NATIVE_GO "amd64"
#elif defined(__aarch64__)
#define NATIVE_SCMP "SCMP_ARCH_AARCH64"
#define NATIVE_GO "arm64"
#else
#error "add this architecture's names"
#endif

static bool in(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

/* "4.8" against this kernel */
static bool kernel_at_least(const char *want)
{
    struct utsname u;
    if (want == NULL || uname(&u) < 0)
        return true;
    int wa = 0, wb = 0, ha = 0, hb = 0;
    sscanf(want, "%d.%d", &wa, &wb);
    sscanf(u.release, "%d.%d", &ha, &hb);
    return ha > wa || (ha == wa && hb >= wb);
}

json_t *seccomp_default(json_t *caps, pier_err_t *err)
{
    static json_t *profile;
    if (profile == NULL) {
        json_error_t je;
        size_t n = (size_t)(_binary_seccomp_default_json_end - _binary_seccomp_default_json_start);
        profile = json_loadb(_binary_seccomp_default_json_start, n, 0, &je);
        if (profile == NULL) {
            pier_error(err, 0, "the default seccomp profile: %s", je.text);
            return NULL;
        }
    }
    json_t *arches = json_array();
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get(profile, "archMap"), i, m) {
        const char *a = json_string_value(json_object_get(m, "architecture"));
        if (a == NULL || strcmp(a, NATIVE_SCMP) != 0)
            continue;
        json_array_append_new(arches, json_string(a));
        json_array_extend(arches, json_object_get(m, "subArchitectures"));
    }
    json_t *calls = json_array();
    json_t *s;
    json_array_foreach (json_object_get(profile, "syscalls"), i, s) {
        json_t *inc = json_object_get(s, "includes"), *exc = json_object_get(s, "excludes");
        json_t *iarch = json_object_get(inc, "arches"), *earch = json_object_get(exc, "arches");
        if (json_array_size(iarch) > 0 && !in(iarch, NATIVE_GO))
            continue;
        if (in(earch, NATIVE_GO))
            continue;
        size_t k;
        json_t *c;
        bool ok = true;
        json_array_foreach (json_object_get(inc, "caps"), k, c)
            ok = ok && in(caps, json_string_value(c) ? json_string_value(c) : "");
        json_array_foreach (json_object_get(exc, "caps"), k, c)
            ok = ok && !in(caps, json_string_value(c) ? json_string_value(c) : "");
        if (!ok || !kernel_at_least(json_string_value(json_object_get(inc, "minKernel"))))
            continue;
        json_t *rule = json_pack("{s:O, s:O}", "names", json_object_get(s, "names"), "action",
                                 json_object_get(s, "action"));
        if (json_object_get(s, "args"))
            json_object_set(rule, "args", json_object_get(s, "args"));
        if (json_object_get(s, "errnoRet"))
            json_object_set(rule, "errnoRet", json_object_get(s, "errnoRet"));
        json_array_append_new(calls, rule);
    }
    return json_pack("{s:O, s:O, s:o, s:o}", "defaultAction",
                     json_object_get(profile, "defaultAction"), "defaultErrnoRet",
                     json_object_get(profile, "defaultErrnoRet"), "architectures", arches,
                     "syscalls", calls);
}
