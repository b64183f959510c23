/* JSON string escaping as docker's json-file log writes it (moby's
 * jsonlog): quotes and backslashes escaped, \n and \r as such, every other
 * control character (tab too) as \u00XX, <, > and & as \u003c \u003e
 * \u0026, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.  For hot
 * paths (the container log) that cannot afford a JSON library per line. */
#ifndef PIER_JSONSTR_H
#define PIER_JSONSTR_H

#include <stddef.h>

/* Escape n bytes of s into out (no surrounding quotes); out must hold
 * 6 * n bytes.  Returns the length written. */
size_t pier_json_escape(char *out, const char *s, size_t n);

/* How many bytes at the start of s (of n) pier_json_escape copies as they
 * are. */
size_t pier_json_plain_len(const char *s, size_t n);

struct buf;
/* s as a JSON string, quotes included, appended to b. */
void pier_buf_json_string(struct buf *b, const char *s);

/* RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano), in
 * UTC: "2026-11-22T15:04:05.12345Z".  buf holds at least 40 bytes. */
void pier_time_rfc3339nano(char *buf, size_t cap, long long sec, long nsec);

/* The JSON string starting after its opening quote at s (end at e),
 * unescaped into out (which holds e - s bytes); returns where it ended
 * (after the closing quote). */
const char *pier_json_unescape(const char *s, const char *e, char *out, size_t *olen);

/* The value of a hexadecimal digit, or -1. */
int pier_hexval(char c);

#endif
