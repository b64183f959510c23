/* Times as image configs and Docker's API carry them: RFC 3339 with
 * nanoseconds, formatted as Go's time.RFC3339Nano does (trailing zeros of
 * the fraction dropped, "Z" for UTC, else the offset kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void img_time_format(int64_t sec, long nsec, int offset_min, char *out, size_t cap)
{
    time_t local = (time_t)(sec + (int64_t)offset_min * 60);
    struct tm tm;
    if (gmtime_r(&local, &tm) == NULL) {
        snprintf(out, cap, "0001-01-01T00:00:00Z");
        return;
    }
    char frac[16] = "";
    if (nsec > 0 && nsec < 1000000000L) {
        snprintf(frac, sizeof frac, ".%09ld", nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    char zone[8] = "Z";
    if (offset_min != 0) {
        int a = offset_min < 0 ? -offset_min : offset_min;
        snprintf(zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', (a / 60) % 100,
                 a % 60);
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, zone);
}

void img_time_now(char *out, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    img_time_format(ts.tv_sec, ts.tv_nsec, 0, out, cap);
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int img_time_parse(const char *s, int64_t *sec, long *nsec, int *offset_min)
{
    if (strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), secs = digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || secs < 0 || secs > 60)
        return -1;
    const char *p = s + 19;
    long ns = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 9)
                ns = ns * 10 + (*p - '0');
            n++;
            p++;
        }
        if (n == 0)
            return -1;
        for (; n < 9; n++)
            ns *= 10;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strnlen(p, 6) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = secs};
    time_t t = timegm(&tm);
    *sec = (int64_t)t - (int64_t)off * 60;
    *nsec = ns;
    *offset_min = off;
    return 0;
}

/* A Go duration: "1h30m", "90s", "1.5h", "300ms". */
static bool go_duration(const char *s, double *sec)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3},
                 {"s", 1},     {"m", 60},    {"h", 3600}};
    double total = 0;
    int sign = 1;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    if (*s == '\0')
        return false;
    if (strcmp(s, "0") == 0) {
        *sec = 0;
        return true;
    }
    while (*s) {
        char *end;
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return false;
        double v = strtod(s, &end);
        if (end == s)
            return false;
        s = end;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(s, units[i].unit, n) == 0 && n > best) {
                best = n;
                mult = units[i].mult;
            }
        }
        if (best == 0)
            return false;
        s += best;
        total += v * mult;
    }
    *sec = sign * total;
    return true;
}

int img_until_parse(const char *v, int64_t *sec, long *nsec)
{
    double d;
    if (go_duration(v, &d)) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - d;
        *sec = (int64_t)t;
        *nsec = (long)((t - (double)*sec) * 1e9);
        return 0;
    }
    int off;
    if (img_time_parse(v, sec, nsec, &off) == 0)
        return 0;
    /* a unix time, seconds[.fraction] */
    const char *p = v;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p != v && (*p == '\0' || *p == '.')) {
        *sec = strtoll(v, NULL, 10);
        *nsec = 0;
        if (*p == '.') {
            long ns = 0;
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, n++)
                if (n < 9)
                    ns = ns * 10 + (*p - '0');
            if (*p != '\0')
                return -1;
            for (; n < 9; n++)
                ns *= 10;
            *nsec = ns;
        }
        return 0;
    }
    /* a date or a time without a zone, in local time, as Docker takes it */
    struct tm tm = {0};
    const char *layouts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(v, layouts[i], &tm);
        if (end != NULL && *end == '\0') {
            tm.tm_isdst = -1;
            *sec = (int64_t)mktime(&tm);
            *nsec = 0;
            return 0;
        }
    }
    return -1;
}
