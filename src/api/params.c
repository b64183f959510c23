#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_unix(const char *v, long long *ns)
{
    char *end;
    errno = 0;
    long long sec = strtoll(v, &end, 10);
    if (end == v || errno != 0 || sec < 0 || sec > 253402300799LL)
        return -1;
    long long frac = 0;
    if (*end == '.') {
        const char *p = end + 1;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        if (p == end + 1)
            return -1;
        while (digits++ < 9)
            frac *= 10;
        end = (char *)p;
    }
    if (*end != '\0')
        return -1;
    *ns = sec * 1000000000LL + frac;
    return 0;
}

static int parse_rfc3339(const char *v, long long *ns)
{
    struct tm tm = {0};
    const char *p = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return -1;
    long long frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++)
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
        while (digits++ < 9)
            frac *= 10;
    }
    long off = 0;
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *ns = ((long long)timegm(&tm) - off) * 1000000000LL + frac;
    return 0;
}

int param_time(struct api_req *r, const char *key, long long *ns, pier_err_t *err)
{
    *ns = 0;
    const char *v = api_query(r, key);
    if (v == NULL || *v == '\0')
        return 0;
    if (parse_unix(v, ns) == 0 || parse_rfc3339(v, ns) == 0)
        return 0;
    return pier_fail(err, EINVAL, "invalid value for %s: `%s` is not a timestamp", key, v);
}

struct container *param_container(struct api_req *r)
{
    pier_err_t err = NULL;
    struct container *c = engine_find(api_engine(r), api_param(r, 0), &err);
    if (c == NULL)
        api_reply_err(r, &err);
    return c;
}
