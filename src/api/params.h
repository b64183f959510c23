/* What handlers read from a request beyond the raw query: times, the
 * container named by the path. */
#ifndef PIER_API_PARAMS_H
#define PIER_API_PARAMS_H

#include "server.h"

/* A time parameter as the docker CLI sends it ("1700000000" or
 * "1700000000.000000001", seconds since the epoch) or as RFC 3339; *ns
 * stays 0 when absent.  An error names the parameter (EINVAL). */
int param_time(struct api_req *r, const char *key, long long *ns, pier_err_t *err);

/* The container of the path's first {}; NULL after a 404 reply. */
struct container *param_container(struct api_req *r);

#endif
