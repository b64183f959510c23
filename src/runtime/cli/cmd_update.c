#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/json.h"
#include "../container.h"
#include "../spec.h"
#include "cli.h"

/* A size as docker and runc read it: "512", "100k", "64m", "1g", "-1". */
int cli_parse_bytes(const char *s, int64_t *out);
int cli_parse_bytes(const char *s, int64_t *out)
{
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || v < 0)
        return -1;
    int64_t mult = 1;
    switch (*end) {
    case '\0':
        break;
    case 'b':
    case 'B':
        break;
    case 'k':
    case 'K':
        mult = 1LL << 10;
        break;
    case 'm':
    case 'M':
        mult = 1LL << 20;
        break;
    case 'g':
    case 'G':
        mult = 1LL << 30;
        break;
    case 't':
    case 'T':
        mult = 1LL << 40;
        break;
    default:
        return -1;
    }
    if (*end != '\0') {
        end++;
        if (*end == 'b' || *end == 'B' || (*end == 'i' && (end[1] == 'b' || end[1] == 'B')))
            end += *end == 'i' ? 2 : 1;
        if (*end != '\0')
            return -1;
    }
    if (v * (double)mult > 9.2e18)
        return -1;
    *out = (int64_t)(v * (double)mult);
    return 0;
}

static int put_int(json_t *r, const char *section, const char *key, const char *flag,
                   const char *val, bool bytes, pier_err_t *err)
{
    if (val == NULL)
        return 0;
    int64_t v;
    if (bytes) {
        if (cli_parse_bytes(val, &v) < 0)
            return pier_error(err, 0, "update: --%s: `%s` is not a size (like 512m)", flag, val);
    } else {
        char *end;
        errno = 0;
        v = strtoll(val, &end, 10);
        if (*val == '\0' || *end != '\0' || errno)
            return pier_error(err, 0, "update: --%s: `%s` is not an integer", flag, val);
    }
    json_t *s = json_object_get(r, section);
    if (s == NULL) {
        s = json_object();
        json_object_set_new(r, section, s);
    }
    json_object_set_new(s, key, json_integer(v));
    return 0;
}

static int put_str(json_t *r, const char *section, const char *key, const char *val)
{
    if (val == NULL)
        return 0;
    json_t *s = json_object_get(r, section);
    if (s == NULL) {
        s = json_object();
        json_object_set_new(r, section, s);
    }
    return json_object_set_new(s, key, json_string(val));
}

int cmd_update(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const char *file = NULL, *blkio = NULL, *period = NULL, *quota = NULL, *shares = NULL,
               *rt_period = NULL, *rt_runtime = NULL, *cpus = NULL, *mems = NULL, *kmem = NULL,
               *kmem_tcp = NULL, *memory = NULL, *resv = NULL, *swap = NULL, *pids = NULL,
               *l3 = NULL, *membw = NULL;
    const struct opt opts[] = {
        {"resources", 'r', OPT_STRING, &file},
        {"blkio-weight", 0, OPT_STRING, &blkio},
        {"cpu-period", 0, OPT_STRING, &period},
        {"cpu-quota", 0, OPT_STRING, &quota},
        {"cpu-share", 0, OPT_STRING, &shares},
        {"cpu-rt-period", 0, OPT_STRING, &rt_period},
        {"cpu-rt-runtime", 0, OPT_STRING, &rt_runtime},
        {"cpuset-cpus", 0, OPT_STRING, &cpus},
        {"cpuset-mems", 0, OPT_STRING, &mems},
        {"kernel-memory", 0, OPT_STRING, &kmem},
        {"kernel-memory-tcp", 0, OPT_STRING, &kmem_tcp},
        {"memory", 0, OPT_STRING, &memory},
        {"memory-reservation", 0, OPT_STRING, &resv},
        {"memory-swap", 0, OPT_STRING, &swap},
        {"pids-limit", 0, OPT_STRING, &pids},
        {"l3-cache-schema", 0, OPT_STRING, &l3},
        {"mem-bw-schema", 0, OPT_STRING, &membw},
        {NULL, 0, 0, NULL},
    };
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("update", argc, next, 1, "[flags] ID", err) < 0)
        return -1;
    if (l3 || membw)
        return pier_error(
            err, 0, "update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported");
    cleanup_json json_t *r = NULL;
    if (file != NULL) {
        if (strcmp(file, "-") == 0) {
            json_error_t je;
            r = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
            if (r == NULL)
                return pier_error(err, 0, "update: resources on stdin: invalid JSON at line %d: %s",
                                  je.line, je.text);
        } else if (pier_json_load_file_at(AT_FDCWD, file, RT_SPEC_MAX_BYTES, &r, err) < 0) {
            return pier_error_wrap(err, "update: --resources");
        }
        if (!json_is_object(r))
            return pier_error(err, 0, "update: resources must be a JSON object");
    } else {
        r = json_object();
    }
    if (put_int(r, "blockIO", "weight", "blkio-weight", blkio, false, err) < 0 ||
        put_int(r, "cpu", "period", "cpu-period", period, false, err) < 0 ||
        put_int(r, "cpu", "quota", "cpu-quota", quota, false, err) < 0 ||
        put_int(r, "cpu", "shares", "cpu-share", shares, false, err) < 0 ||
        put_int(r, "cpu", "realtimePeriod", "cpu-rt-period", rt_period, false, err) < 0 ||
        put_int(r, "cpu", "realtimeRuntime", "cpu-rt-runtime", rt_runtime, false, err) < 0 ||
        put_int(r, "memory", "kernel", "kernel-memory", kmem, true, err) < 0 ||
        put_int(r, "memory", "kernelTCP", "kernel-memory-tcp", kmem_tcp, true, err) < 0 ||
        put_int(r, "memory", "limit", "memory", memory, true, err) < 0 ||
        put_int(r, "memory", "reservation", "memory-reservation", resv, true, err) < 0 ||
        put_int(r, "memory", "swap", "memory-swap", swap, true, err) < 0 ||
        put_int(r, "pids", "limit", "pids-limit", pids, false, err) < 0)
        return -1;
    put_str(r, "cpu", "cpus", cpus);
    put_str(r, "cpu", "mems", mems);
    if (json_object_size(r) == 0)
        return pier_error(err, 0, "update: nothing to update (give --resources or a limit flag)");
    return rt_update(g->root, argv[next], r, err) < 0 ? -1 : 0;
}
