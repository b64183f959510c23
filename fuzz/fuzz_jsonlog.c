/* libFuzzer target: the container log's json-file encoding.  The first two
 * bytes choose two read sizes, the rest is a container's output.  Whatever
 * the reads, the log must be the same (docker cuts lines by position, not
 * by read); every line must be a JSON object with the stream and time, its
 * text at most 16 KiB; and output that is valid UTF-8 must read back from
 * the log byte for byte. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/jsonlog.h"

static void encode(struct jsonlog *j, const char *data, size_t n, size_t chunk)
{
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        jsonlog_write(j, 1, data + off, k, "T");
    }
    jsonlog_end(j, "T");
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    if (size < 2)
        return 0;
    size_t ca = (size_t)in[0] * 97 + 1, cb = (size_t)in[1] + 1;
    const char *data = (const char *)in + 2;
    size_t n = size - 2;
    struct jsonlog a = {0}, b = {0};
    encode(&a, data, n, ca);
    encode(&b, data, n, cb);
    if (a.out.len != b.out.len || (a.out.len && memcmp(a.out.data, b.out.data, a.out.len) != 0))
        abort();
    json_t *whole = json_stringn(data, n); /* NULL unless valid UTF-8 */
    char *back = malloc(n + 1);
    size_t blen = 0;
    for (size_t at = 0; at < a.out.len;) {
        const char *line = a.out.data + at;
        const char *end = memchr(line, '\n', a.out.len - at);
        if (end == NULL)
            abort();
        json_t *o = json_loadb(line, (size_t)(end - line), JSON_ALLOW_NUL, NULL);
        json_t *log = json_object_get(o, "log");
        if (o == NULL || !json_is_string(log) || json_object_size(o) != 3 ||
            strcmp(json_string_value(json_object_get(o, "stream")), "stdout") != 0 ||
            strcmp(json_string_value(json_object_get(o, "time")), "T") != 0)
            abort();
        size_t len = json_string_length(log);
        const char *text = json_string_value(log);
        bool nl = len > 0 && text[len - 1] == '\n';
        if (memchr(text, '\n', len - nl) != NULL)
            abort();
        /* (bad UTF-8 grows as it is replaced) */
        if (whole != NULL && len - nl > JSONLOG_PIECE)
            abort();
        if (whole != NULL) {
            if (blen + len > n)
                abort();
            memcpy(back + blen, text, len);
            blen += len;
        }
        json_decref(o);
        at = (size_t)(end - a.out.data) + 1;
    }
    if (whole != NULL && (blen != n || memcmp(back, data, n) != 0))
        abort();
    json_decref(whole);
    free(back);
    jsonlog_free(&a);
    jsonlog_free(&b);
    return 0;
}
