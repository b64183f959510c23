/* Environments as docker merges them: a later KEY=VALUE (or bare KEY)
 * replaces the entry of the same key, in its place. */
#include <string.h>

#include "internal.h"

static void env_set(json_t *env, json_t *kv)
{
    const char *s = json_string_value(kv);
    if (s == NULL)
        return;
    size_t kl = strchrnul(s, '=') - s;
    size_t i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *e = json_string_value(v);
        if (e && strncmp(e, s, kl) == 0 && (e[kl] == '=' || e[kl] == '\0')) {
            json_array_set(env, i, kv);
            return;
        }
    }
    json_array_append(env, kv);
}

void env_merge(json_t *into, json_t *from)
{
    size_t i;
    json_t *v;
    json_array_foreach (from, i, v)
        env_set(into, v);
}
