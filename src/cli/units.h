/* docker/go-units and the small time helpers of the docker CLI: human
 * durations and sizes for tables, and the parsers of --memory, --cpus,
 * --since. */
#ifndef PIER_CLI_UNITS_H
#define PIER_CLI_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* units.HumanDuration: "Less than a second", "About a minute", "2 hours". */
void human_duration(int64_t ns, char *out, size_t cap);
/* units.HumanSizeWithPrecision (decimal units: "1.98MB", "512B"). */
void human_size_prec(double size, int prec, char *out, size_t cap);
/* units.HumanSize: precision 4. */
void human_size(double size, char *out, size_t cap);
/* units.BytesSize: binary units, "%.4g" ("1.5MiB"). */
void bytes_size(double size, char *out, size_t cap);

/* units.RAMInBytes (binary multipliers) and FromHumanSize (decimal).
 * -1 with msg "invalid size: 'x'" when it does not parse. */
int ram_in_bytes(const char *s, int64_t *out, char *msg, size_t cap);
int from_human_size(const char *s, int64_t *out, char *msg, size_t cap);
/* opts.ParseCPUs: "1.5" -> 1500000000 nano CPUs. */
int parse_cpus(const char *s, int64_t *out, char *msg, size_t cap);

/* timetypes.GetTimestamp: a duration ago, an RFC 3339 time or date, or a
 * unix timestamp, as the "SECONDS[.NANOS]" the API wants. */
int get_timestamp(const char *value, time_t now, char *out, size_t cap, char *msg, size_t mcap);

/* Go's time.Time.String() of a unix time in the local zone:
 * "2006-01-02 15:04:05 -0700 MST". */
void go_time_string(int64_t sec, char *out, size_t cap);
/* RFC 3339 with nanoseconds, fixed width, local zone:
 * "2006-01-02T15:04:05.000000000Z07:00". */
void rfc3339_nano_fixed(int64_t sec, long nsec, char *out, size_t cap);
/* time.RFC3339 (seconds), local zone: "2006-01-02T15:04:05Z07:00". */
void rfc3339_seconds(int64_t sec, char *out, size_t cap);
/* Parse an RFC 3339 time as the API writes it ("...T...Z", fractions);
 * -1 if not. */
int parse_rfc3339(const char *s, int64_t *sec, long *nsec);

#endif
