/* Base64 (RFC 4648): the standard alphabet for HTTP Basic credentials and
 * the docker CLI's config.json, the URL-safe one for X-Registry-Auth. */
#ifndef PIER_LIB_BASE64_H
#define PIER_LIB_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Encode n bytes into a NUL-terminated heap string (NULL without memory);
 * url picks the URL-safe alphabet.  Padded either way, as Go's
 * base64.StdEncoding and URLEncoding are. */
char *pier_base64_encode(const void *data, size_t n, bool url);

/* Decode s, of either alphabet, padded or not (clients differ); whitespace
 * is not allowed.  *out is NUL-terminated (not counted in *len).  -1 when
 * s is not base64 or memory ran out. */
int pier_base64_decode(const char *s, size_t n, unsigned char **out, size_t *len);

#endif
