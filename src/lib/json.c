#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"

int pier_json_parse(const char *text, size_t len, const char *what, json_t **out, pier_err_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    /* Go writes uint64 values (2^64-1 for "unlimited") that do not fit
     * jansson's int64: read such documents with numbers as reals, which the
     * getters below accept when integral. */
    if (j == NULL && strstr(je.text, "too big") != NULL)
        j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
    if (j == NULL)
        return pier_error(err, 0, "%s: invalid JSON at line %d column %d: %s", what, je.line,
                          je.column, je.text);
    *out = j;
    return 0;
}

int pier_json_load_file_at(int dirfd, const char *path, size_t max, json_t **out, pier_err_t *err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (pier_read_file_at(dirfd, path, max, &text, &len, err) < 0)
        return -1;
    return pier_json_parse(text, len, path, out, err);
}

const char *pj_path(char *buf, size_t cap, const char *path, const char *key)
{
    if (path == NULL || path[0] == '\0')
        snprintf(buf, cap, "%s", key);
    else
        snprintf(buf, cap, "%s.%s", path, key);
    return buf;
}

const char *pj_index(char *buf, size_t cap, const char *path, size_t i)
{
    snprintf(buf, cap, "%s[%zu]", path, i);
    return buf;
}

static int type_error(const char *path, const char *key, const char *want, pier_err_t *err)
{
    char p[512];
    return pier_error(err, 0, "%s: expected %s", pj_path(p, sizeof p, path, key), want);
}

int pj_string(json_t *obj, const char *path, const char *key, const char **out, pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(path, key, "a string", err);
    *out = json_string_value(v);
    return 0;
}

int pj_bool(json_t *obj, const char *path, const char *key, bool *out, pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(path, key, "true or false", err);
    *out = json_is_true(v);
    return 0;
}

bool pj_is_integral(json_t *v)
{
    if (json_is_integer(v))
        return true;
    if (!json_is_real(v))
        return false;
    double d = json_real_value(v);
    if (!(d >= -9.2e18 && d <= 9.2e18))
        return false;
    return (double)(int64_t)d == d;
}

int64_t pj_integral_value(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    return (int64_t)json_real_value(v);
}

int pj_u64_value(json_t *v, uint64_t *out)
{
    if (json_is_real(v) && json_real_value(v) >= 18446744073709551615.0) {
        *out = UINT64_MAX;
        return 0;
    }
    if (!pj_is_integral(v) || pj_integral_value(v) < 0)
        return -1;
    *out = (uint64_t)pj_integral_value(v);
    return 0;
}

int pj_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max, int64_t *out,
           pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!pj_is_integral(v))
        return type_error(path, key, "an integer", err);
    int64_t i = pj_integral_value(v);
    if (i < min || i > max) {
        char p[512];
        return pier_error(err, 0, "%s: %lld is out of range [%lld, %lld]",
                          pj_path(p, sizeof p, path, key), (long long)i, (long long)min,
                          (long long)max);
    }
    *out = i;
    return 0;
}

int pj_uint32(json_t *obj, const char *path, const char *key, uint32_t *out, pier_err_t *err)
{
    int64_t v = *out;
    if (pj_int(obj, path, key, 0, UINT32_MAX, &v, err) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int pj_object(json_t *obj, const char *path, const char *key, json_t **out, pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(path, key, "an object", err);
    *out = v;
    return 0;
}

int pj_array(json_t *obj, const char *path, const char *key, json_t **out, pier_err_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(path, key, "an array", err);
    *out = v;
    return 0;
}

int pj_strv(json_t *obj, const char *path, const char *key, char ***out, pier_err_t *err)
{
    json_t *arr = NULL;
    if (pj_array(obj, path, key, &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    size_t n = json_array_size(arr);
    cleanup_strv char **v = calloc(n + 1, sizeof *v);
    if (v == NULL)
        return pier_error(err, ENOMEM, "%s", key);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) {
            char p[512], q[512];
            return pier_error(err, 0, "%s: expected a string",
                              pj_index(q, sizeof q, pj_path(p, sizeof p, path, key), i));
        }
        v[i] = strdup(json_string_value(s));
        if (v[i] == NULL)
            return pier_error(err, ENOMEM, "%s", key);
    }
    pier_strv_freep(out);
    *out = steal_pointer(&v);
    return 0;
}

int pier_json_write_atomic_at(int dirfd, const char *name, json_t *j, unsigned flags,
                              pier_err_t *err)
{
    cleanup_free char *text = json_dumps(j, JSON_COMPACT);
    if (text == NULL)
        return pier_error(err, ENOMEM, "serialize `%s`", name);
    return pier_write_file_atomic_at(dirfd, name, text, strlen(text), 0600, flags, err);
}

char *pier_json_crlf(json_t *j, size_t *len)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *text = n > 0 ? malloc(n + 3) : NULL;
    if (text == NULL || json_dumpb(j, text, n, JSON_COMPACT) != n) {
        free(text);
        return NULL;
    }
    memcpy(text + n, "\r\n", 3);
    *len = n + 2;
    return text;
}
