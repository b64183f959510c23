/* See heap.h.  glibc's malloc hands out the top of its brk heap in order:
 * one block of BYTES taken there, populated and freed again merges back
 * into the top, whose pages the next allocations then find mapped. */
#include "heap.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define PREFAULT_MAX ((size_t)16 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define PAGE ((uintptr_t)4096)
/* from this size on, a block in transparent huge pages costs less (a huge
 * page is zeroed in about 100 us) */
#define HUGE_FROM ((size_t)128 << 10)

/* The skipped start of the heap, kept reachable (for LeakSanitizer). */
static void *skipped;

static void populate(uintptr_t lo, uintptr_t hi)
{
    /* an older kernel refuses the advice: the pages then fault one by one */
    madvise((void *)(lo & ~(PAGE - 1)), ((hi + PAGE - 1) & ~(PAGE - 1)) - (lo & ~(PAGE - 1)),
            MADV_POPULATE_WRITE);
}

static void heap_prefault_small(size_t bytes)
{
    char *p = malloc(bytes);
    if (p == NULL)
        return;
    populate((uintptr_t)p, (uintptr_t)p + bytes);
    free(p);
}

/* A block from BYTES up in huge pages.  The top of the heap is moved to a
 * page before the next 2 MiB boundary: the space skipped is allocated and
 * never touched, so never mapped, and malloc's headers stay out of the huge
 * pages (one written there would map a 4 KiB page and leave the 2 MiB
 * range to small pages).  Besides the page faults, a huge page spares the
 * first touch of each 4 KiB page, which costs about 10 us in a VM even once
 * the page is populated (the hypervisor maps it then). */
static void prefault_huge(size_t bytes)
{
    uintptr_t top = (uintptr_t)sbrk(0) - mallinfo2().keepcost;
    uintptr_t start = (top + 2 * PAGE + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    size_t span = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (skipped != NULL || (skipped = malloc(start - PAGE - top - 16)) == NULL) {
        heap_prefault_small(bytes);
        return;
    }
    char *p = malloc(PAGE + span);
    if (p == NULL)
        return;
    uintptr_t lo = (uintptr_t)p, hi = lo + PAGE + span;
    bool huge = lo <= start && hi >= start + span;
    if (huge) {
        madvise((void *)start, span, MADV_HUGEPAGE);
        lo = start;
    }
    /* else a free block elsewhere served it: small pages */
    populate(lo, hi);
    /* the huge pages made stay, but khugepaged is not to make more there
     * later: in a daemon, a huge page for a few small blocks left after
     * malloc_trim would be 2 MiB of resident memory */
    if (huge)
        madvise((void *)start, span, MADV_NOHUGEPAGE);
    free(p);
}

void heap_prefault(size_t bytes)
{
    static bool tuned;
    if (bytes > PREFAULT_MAX)
        bytes = PREFAULT_MAX;
    if (!tuned) {
        /* a block this size from the heap, not a mapping of its own; and
         * not given back to the kernel when freed */
        mallopt(M_MMAP_THRESHOLD, 2 * PREFAULT_MAX);
        mallopt(M_TRIM_THRESHOLD, 4 * PREFAULT_MAX);
        tuned = true;
    }
    if (bytes >= HUGE_FROM)
        prefault_huge(bytes);
    else
        heap_prefault_small(bytes);
}
