/* Docker's filter maps, as the API's `filters` parameter carries them:
 * {"key": {"value": true, ...}, ...}, or from older clients
 * {"key": ["value", ...]}.  Different keys must all match; the values of
 * one key are alternatives, except labels, which must all be present. */
#ifndef PIER_FILTERS_H
#define PIER_FILTERS_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* Refuses a key that is not in known (NULL-terminated), with docker's
 * "invalid filter 'KEY'" (errnum EINVAL). */
int pier_filters_check(json_t *filters, const char *const *known, pier_err_t *err);

/* Refuses a value of key that is not in allowed (NULL-terminated), with
 * docker's "invalid filter 'KEY=VALUE'". */
int pier_filters_check_values(json_t *filters, const char *key, const char *const *allowed,
                              pier_err_t *err);

typedef bool (*pier_filter_fn)(const char *value, void *data);
/* Whether key is absent (or empty) or fn accepts one of its values. */
bool pier_filters_any(json_t *filters, const char *key, pier_filter_fn fn, void *data);
/* Whether labels (an object) has every "k" and "k=v" of key's values. */
bool pier_filters_labels(json_t *filters, const char *key, json_t *labels);
/* GetBoolOrDefault: *out 1 or 0 for key's "true"/"1" or "false"/"0",
 * unchanged when absent; -1 with docker's "invalid filter" for another
 * value or both at once. */
int pier_filters_bool(json_t *filters, const char *key, int *out, pier_err_t *err);
/* Whether key has at least one value. */
bool pier_filters_has(json_t *filters, const char *key);

#endif
