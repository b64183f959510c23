#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/progress_text.h"
#include "flags.h"

void human_duration(int64_t ns, char *out, size_t cap)
{
    int64_t seconds = ns / 1000000000;
    if (seconds < 1) {
        snprintf(out, cap, "Less than a second");
        return;
    }
    if (seconds == 1) {
        snprintf(out, cap, "1 second");
        return;
    }
    if (seconds < 60) {
        snprintf(out, cap, "%lld seconds", (long long)seconds);
        return;
    }
    int64_t minutes = ns / 60000000000LL;
    if (minutes == 1) {
        snprintf(out, cap, "About a minute");
        return;
    }
    if (minutes < 60) {
        snprintf(out, cap, "%lld minutes", (long long)minutes);
        return;
    }
    /* hours rounded, as int(d.Hours() + 0.5) */
    int64_t hours = (int64_t)((double)ns / 3.6e12 + 0.5);
    if (hours == 1)
        snprintf(out, cap, "About an hour");
    else if (hours < 48)
        snprintf(out, cap, "%lld hours", (long long)hours);
    else if (hours < 24 * 7 * 2)
        snprintf(out, cap, "%lld days", (long long)(hours / 24));
    else if (hours < 24 * 30 * 2)
        snprintf(out, cap, "%lld weeks", (long long)(hours / 24 / 7));
    else if (hours < 24 * 365 * 2)
        snprintf(out, cap, "%lld months", (long long)(hours / 24 / 30));
    else
        snprintf(out, cap, "%lld years", (long long)((int64_t)((double)ns / 3.6e12) / 24 / 365));
}

static const char *const binary_abbrs[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                           "PiB", "EiB", "ZiB", "YiB"};

void human_size_prec(double size, int prec, char *out, size_t cap)
{
    pier_human_size(size, prec, out, cap);
}

void human_size(double size, char *out, size_t cap)
{
    human_size_prec(size, 4, out, cap);
}

void bytes_size(double size, char *out, size_t cap)
{
    pier_custom_size(4, size, 1024.0, binary_abbrs, 9, out, cap);
}

/* (?i)^(\d+(\.\d+)*) ?([kmgtp])?i?b?$ */
static int parse_size(const char *s, bool binary, int64_t *out, char *msg, size_t cap)
{
    const char *p = s;
    char num[64];
    int dots = 0;
    size_t numlen;
    char unit = 0;
    if (!isdigit((unsigned char)*p)) {
        snprintf(msg, cap, "invalid size: '%s'", s);
        return -1;
    }
    while (isdigit((unsigned char)*p))
        p++;
    while (*p == '.' && isdigit((unsigned char)p[1])) {
        dots++;
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    numlen = (size_t)(p - s);
    if (*p == ' ')
        p++;
    if (*p && strchr("kmgtpKMGTP", *p))
        unit = (char)tolower((unsigned char)*p++);
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p != '\0' || numlen >= sizeof num) {
        snprintf(msg, cap, "invalid size: '%s'", s);
        return -1;
    }
    memcpy(num, s, numlen);
    num[numlen] = '\0';
    if (dots > 1) {
        snprintf(msg, cap, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
        return -1;
    }
    double v = strtod(num, NULL);
    if (unit) {
        static const char units[] = "kmgtp";
        int idx = (int)(strchr(units, unit) - units) + 1;
        for (int i = 0; i < idx; i++)
            v *= binary ? 1024.0 : 1000.0;
    }
    /* an overflowing int64(float) is INT64_MIN on amd64, as in Go */
    *out = v >= 9.2233720368547758e18 ? INT64_MIN : (int64_t)v;
    return 0;
}

int ram_in_bytes(const char *s, int64_t *out, char *msg, size_t cap)
{
    return parse_size(s, true, out, msg, cap);
}

int from_human_size(const char *s, int64_t *out, char *msg, size_t cap)
{
    return parse_size(s, false, out, msg, cap);
}

/* "a/b" for big.Rat.SetString. */
static int parse_fraction(const char *s, const char *slash, int64_t *out, char *msg, size_t cap)
{
    char a[64], b[64], m[128];
    size_t al = (size_t)(slash - s);
    int64_t x, y;
    if (al == 0 || al >= sizeof a || strlen(slash + 1) >= sizeof b)
        return 1;
    memcpy(a, s, al);
    a[al] = '\0';
    snprintf(b, sizeof b, "%s", slash + 1);
    if (go_parse_int(a, 64, &x, m, sizeof m) < 0 || go_parse_int(b, 64, &y, m, sizeof m) < 0 ||
        y == 0)
        return 1;
    if (x > INT64_MAX / 1000000000 || x < INT64_MIN / 1000000000) {
        snprintf(msg, cap, "value is too large");
        return -1;
    }
    if ((x * 1000000000LL) % y != 0) {
        snprintf(msg, cap, "value is too precise");
        return -1;
    }
    *out = x * 1000000000LL / y;
    return 0;
}

/* [+-]digits[.digits][e[+-]digits], exactly, in integer arithmetic. */
static int parse_decimal(const char *s, int64_t *out, char *msg, size_t cap)
{
    const char *p = s;
    bool neg = false, any = false, dot = false;
    char digits[64];
    size_t nd = 0;
    int frac = 0, exp = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            if (dot)
                return 1;
            dot = true;
            continue;
        }
        if (!isdigit((unsigned char)*p) || nd >= sizeof digits - 1)
            return 1;
        any = true;
        digits[nd++] = *p;
        if (dot)
            frac++;
    }
    if (!any)
        return 1;
    digits[nd] = '\0';
    if (*p == 'e' || *p == 'E') {
        int64_t e;
        char m[128];
        if (go_parse_int(p + 1, 32, &e, m, sizeof m) < 0 || e > 100 || e < -100)
            return 1;
        exp = (int)e;
    }
    /* nano = digits * 10^(exp - frac + 9) */
    int shift = exp - frac + 9;
    __int128 v = 0;
    for (const char *q = digits; *q; q++) {
        v = v * 10 + (*q - '0');
        if (v > (__int128)INT64_MAX * 1000000000)
            shift = 1000; /* far too large whatever follows */
    }
    for (; shift > 0 && v <= (__int128)INT64_MAX; shift--)
        v *= 10;
    for (; shift < 0; shift++) {
        if (v % 10 != 0) {
            snprintf(msg, cap, "value is too precise");
            return -1;
        }
        v /= 10;
    }
    if (v > INT64_MAX) {
        /* Num().Int64() of such a value is undefined in Go; say so */
        snprintf(msg, cap, "value is too large");
        return -1;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int parse_cpus(const char *s, int64_t *out, char *msg, size_t cap)
{
    const char *slash = strchr(s, '/');
    int r = slash ? parse_fraction(s, slash, out, msg, cap) : parse_decimal(s, out, msg, cap);
    if (r > 0)
        snprintf(msg, cap, "failed to parse %s as a rational number", s);
    return r == 0 ? 0 : -1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Parse "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|+hh:mm|-hh:mm]".  *has_zone
 * says whether a zone was given (else the local zone applies). */
static int parse_time(const char *s, int64_t *sec, long *nsec, bool *has_zone, int *parts)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    long ns = 0;
    *parts = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *p = s + n;
    *parts = 1;
    if (*p == 'T') {
        p++;
        int k = 0;
        if (sscanf(p, "%2d%n", &h, &k) != 1 || k != 2)
            return -1;
        p += 2;
        *parts = 2;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &mi, &k) != 1 || k != 2)
                return -1;
            p += 3;
            *parts = 3;
            if (*p == ':') {
                if (sscanf(p + 1, "%2d%n", &se, &k) != 1 || k != 2)
                    return -1;
                p += 3;
                *parts = 4;
                if (*p == '.' || *p == ',') {
                    p++;
                    long mul = 100000000;
                    if (!isdigit((unsigned char)*p))
                        return -1;
                    while (isdigit((unsigned char)*p)) {
                        ns += (*p - '0') * mul;
                        mul /= 10;
                        p++;
                    }
                }
            }
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    *has_zone = false;
    if (*p == 'Z' || *p == 'z') {
        *has_zone = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int zh, zm, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &zh, &zm, &k) != 2 || k != 5)
            return -1;
        int off = (zh * 3600 + zm * 60) * (*p == '-' ? -1 : 1);
        t -= off;
        *has_zone = true;
        p += 6;
    }
    if (*p != '\0')
        return -1;
    *sec = t;
    *nsec = ns;
    return 0;
}

int parse_rfc3339(const char *s, int64_t *sec, long *nsec)
{
    bool zone;
    int parts;
    if (parse_time(s, sec, nsec, &zone, &parts) < 0 || !zone)
        return -1;
    return 0;
}

/* The local zone's offset at a UTC-ish moment. */
static long local_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm lt;
    if (localtime_r(&tt, &lt) == NULL)
        return 0;
    return lt.tm_gmtoff;
}

int get_timestamp(const char *value, time_t now, char *out, size_t cap, char *msg, size_t mcap)
{
    int64_t d;
    char m[256];
    if (strcmp(value, "0") != 0 && go_parse_duration(value, &d, m, sizeof m) == 0) {
        /* reference.Add(-d).Unix() */
        int64_t t = (int64_t)now - d / 1000000000 - ((d % 1000000000) > 0 ? 1 : 0);
        if (d < 0 && d % 1000000000 != 0)
            t = (int64_t)now - d / 1000000000;
        snprintf(out, cap, "%lld", (long long)t);
        return 0;
    }
    int64_t sec;
    long nsec;
    bool zone;
    int parts;
    if (parse_time(value, &sec, &nsec, &zone, &parts) == 0) {
        if (!zone)
            sec -= local_offset(sec);
        snprintf(out, cap, "%lld.%09ld", (long long)sec, nsec);
        return 0;
    }
    if (strchr(value, '-') != NULL) {
        snprintf(msg, mcap, "parsing time \"%s\": cannot parse as a timestamp", value);
        return -1;
    }
    /* a unix timestamp, "SECONDS[.NANOS]", passed on as it is */
    const char *p = value;
    bool ok = isdigit((unsigned char)*p);
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (!ok || *p != '\0') {
        snprintf(msg, mcap, "failed to parse value as time or duration: \"%s\"", value);
        return -1;
    }
    snprintf(out, cap, "%s", value);
    return 0;
}

void go_time_string(int64_t sec, char *out, size_t cap)
{
    time_t t = (time_t)sec;
    struct tm lt;
    localtime_r(&t, &lt);
    char a[64], z[16];
    strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &lt);
    long off = lt.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(z, sizeof z, "%s", lt.tm_zone ? lt.tm_zone : "UTC");
    snprintf(out, cap, "%s %c%02ld%02ld %s", a, sign, off / 3600, (off / 60) % 60, z);
}

/* sec in the local zone, then frac (".000000000" or ""), then the zone. */
static void rfc3339_local(int64_t sec, const char *frac, char *out, size_t cap)
{
    time_t t = (time_t)sec;
    struct tm lt;
    localtime_r(&t, &lt);
    char a[64];
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%S", &lt);
    long off = lt.tm_gmtoff;
    if (off == 0) {
        snprintf(out, cap, "%s%sZ", a, frac);
        return;
    }
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(out, cap, "%s%s%c%02ld:%02ld", a, frac, sign, off / 3600, (off / 60) % 60);
}

void rfc3339_nano_fixed(int64_t sec, long nsec, char *out, size_t cap)
{
    char frac[16];
    snprintf(frac, sizeof frac, ".%09ld", nsec);
    rfc3339_local(sec, frac, out, cap);
}

void rfc3339_seconds(int64_t sec, char *out, size_t cap)
{
    rfc3339_local(sec, "", out, cap);
}
