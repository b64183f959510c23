/* See trim.h.  A daemon's and a shim's resident sets would otherwise keep,
 * for their whole life, the code and tables of whatever they did once: the
 * runtime that built the container, a TLS library initialised at start. */
#include "trim.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

void pier_trim_memory(void)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    if (f == NULL)
        return;
    char line[512];
    unsigned long lo = 0, hi = 0;
    bool candidate = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &a, &b, perms) == 3) {
            lo = a;
            hi = b;
            /* read-only and private; never the kernel's [vdso]/[vvar] */
            candidate =
                perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && strchr(line, '[') == NULL;
            continue;
        }
        /* "Anonymous:" comes after the counters of the mapping's pages */
        unsigned long anon;
        if (candidate && sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
            if (anon == 0)
                madvise((void *)lo, hi - lo, MADV_DONTNEED);
            candidate = false;
        }
    }
    fclose(f);
    malloc_trim(0);
}
