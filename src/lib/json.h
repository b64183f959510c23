/* Typed access to jansson values with errors that name the field's path,
 * e.g. "process.user.uid: expected an integer". */
#ifndef PIER_JSON_H
#define PIER_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

static inline void pier_json_decrefp(json_t **j)
{
    if (*j != NULL)
        json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(pier_json_decrefp)))

/* Parse the file at dirfd/path (at most max bytes) into *out. */
int pier_json_load_file_at(int dirfd, const char *path, size_t max, json_t **out, pier_err_t *err);
int pier_json_parse(const char *text, size_t len, const char *what, json_t **out, pier_err_t *err);

/* Each getter: a missing key leaves *out untouched and returns 0 (so callers
 * preset defaults); a present key of the wrong type is an error naming
 * "path.key".  `path` is the path of obj ("" at the top level). */
int pj_string(json_t *obj, const char *path, const char *key, const char **out, pier_err_t *err);
int pj_bool(json_t *obj, const char *path, const char *key, bool *out, pier_err_t *err);
int pj_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max, int64_t *out,
           pier_err_t *err);
int pj_uint32(json_t *obj, const char *path, const char *key, uint32_t *out, pier_err_t *err);
int pj_object(json_t *obj, const char *path, const char *key, json_t **out, pier_err_t *err);
int pj_array(json_t *obj, const char *path, const char *key, json_t **out, pier_err_t *err);
/* An array of strings as a NULL-terminated heap vector. */
int pj_strv(json_t *obj, const char *path, const char *key, char ***out, pier_err_t *err);

/* Integers, including integral reals (see pier_json_parse). */
bool pj_is_integral(json_t *v);
int64_t pj_integral_value(json_t *v);
/* A non-negative integer as uint64; 2^64-1 and above saturate.  -1 if not. */
int pj_u64_value(json_t *v, uint64_t *out);

/* Join path and key into buf: "a.b" or "a[3]". */
const char *pj_path(char *buf, size_t cap, const char *path, const char *key);
const char *pj_index(char *buf, size_t cap, const char *path, size_t i);

/* One message of docker's JSON streams as its daemon ends them: compact,
 * then "\r\n"; heap, its length in *len; NULL when out of memory. */
char *pier_json_crlf(json_t *j, size_t *len);

/* Serialize compactly and write atomically to dirfd/name. */
int pier_json_write_atomic_at(int dirfd, const char *name, json_t *j, unsigned flags,
                              pier_err_t *err);

#endif
