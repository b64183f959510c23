/* Once the container (or an exec) runs, the shim only moves its stdio and
 * waits: the code that built the container (the runtime, mounts, seccomp)
 * would stay in its resident set for the container's whole life.  Its text
 * pages are dropped from the shim's page tables instead: they stay in the
 * page cache, shared by every shim, and come back on a minor fault if they
 * are ever run again.  Only executable mappings are dropped: they are never
 * written, while a read-only mapping of a static binary can hold pages
 * relocated at start-up (RELRO), which dropping would undo. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "shim.h"

void shim_trim(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
            continue;
        /* the vdso is executable too, but not ours to drop */
        if (perms[0] == 'r' && perms[2] == 'x' && perms[3] == 'p' && !strstr(line, "[vdso]") &&
            !strstr(line, "[vsyscall]"))
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    fclose(f);
    malloc_trim(0);
}
