/* `-v HOST:CONTAINER[:OPTIONS]` bind specs, as docker reads them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Whether the option of length l at m is one of names (NULL-terminated). */
static bool option_is(const char *m, size_t l, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == l && strncmp(m, *names, l) == 0)
            return true;
    return false;
}

int bind_parse(const char *spec, struct bind *b, pier_err_t *err)
{
    *b = (struct bind){.propagation = "rprivate"};
    const char *c1 = strchr(spec, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 == NULL)
        return pier_fail(err, EINVAL, "invalid volume specification: '%s'", spec);
    snprintf(b->src, sizeof b->src, "%.*s", (int)(c1 - spec), spec);
    snprintf(b->dst, sizeof b->dst, "%.*s", c2 ? (int)(c2 - c1 - 1) : (int)strlen(c1 + 1), c1 + 1);
    if (c2)
        snprintf(b->mode, sizeof b->mode, "%s", c2 + 1);
    if (b->src[0] != '/')
        return pier_fail(err, EINVAL, "named volumes are not supported yet: '%s'", spec);
    if (b->dst[0] != '/')
        return pier_fail(err, EINVAL, "invalid mount config: mount path must be absolute: '%s'",
                         b->dst);
    static const char *const ro[] = {"ro", NULL}, *const shared[] = {"shared", "rshared", NULL},
                             *const slave[] = {"slave", "rslave", NULL};
    for (const char *m = b->mode, *next; *m; m = next) {
        next = strchrnul(m, ',');
        size_t l = (size_t)(next - m);
        if (option_is(m, l, ro))
            b->ro = true;
        else if (option_is(m, l, shared))
            b->propagation = "rshared";
        else if (option_is(m, l, slave))
            b->propagation = "rslave";
        if (*next)
            next++;
    }
    return 0;
}
