/* What every record of pierd's is named and stamped with: docker's ids (64
 * random hex digits) and the time now in Go's RFC3339Nano. */
#ifndef PIER_LIB_IDENT_H
#define PIER_LIB_IDENT_H

#include <stdbool.h>

/* 64 lower-case hex digits and a NUL; -1 if the kernel gave no randomness. */
int pier_random_id(char out[65]);
/* The time now, heap (NULL when out of memory). */
char *pier_now_rfc3339(void);
/* docker's names of containers and networks: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool pier_name_valid(const char *name);

#endif
