/* Populating the heap ahead of a burst of allocations. */
#ifndef PIER_HEAP_H
#define PIER_HEAP_H

#include <stddef.h>

/* The next BYTES (at most 16 MiB) that malloc carves from the top of the
 * heap come from pages mapped now, in one madvise (in huge pages from 128
 * KiB up), instead of one page fault per 4 KiB page as they are first
 * written.  A page fault is dear where pier runs in a VM (about 17 us here
 * against 0.6 us a page populated in bulk), and a JSON answer of 70 KB takes
 * some 200 pages once parsed.  From the first call on, blocks up to 32 MiB
 * come from the heap rather than mappings of their own, and free() leaves
 * the heap's top alone: malloc_trim (pierd's idle trim) gives pages back. */
void heap_prefault(size_t bytes);

#endif
