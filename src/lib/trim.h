/* Dropping the pages of code and read-only data a long-lived process ran
 * once (start-up, a container's creation) from its resident set. */
#ifndef PIER_TRIM_H
#define PIER_TRIM_H

/* Every private mapping that is not writable and holds no page of its own
 * (no copy-on-write copy, such as relocated RELRO) is dropped from the page
 * tables: its pages stay in the page cache, shared, and come back on a minor
 * fault when used again.  Then malloc gives back what it can. */
void pier_trim_memory(void);

#endif
