/* The default config.json of `pier-runtime spec`. */
#ifndef PIER_RT_SPEC_DEFAULT_H
#define PIER_RT_SPEC_DEFAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

json_t *rt_spec_default(bool rootless);

#endif
