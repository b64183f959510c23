/* The compiled-filter cache: a profile compiles once; a cache file that is
 * damaged, or made from another profile, is never used. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/lib/file.h"
#include "../../src/runtime/seccomp.h"
#include "unit.h"

static int count_files(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = -1;
        pclose(f);
    }
    return n;
}

TEST(seccomp_cache_roundtrip_and_damage)
{
    cleanup_dir char *base = strdup("/tmp/pier-unit-sc.XXXXXX");
    CHECK(base != NULL && mkdtemp(base) != NULL);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/cache", base);
    json_t *a =
        json_loads("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
                   0, NULL);
    json_t *b =
        json_loads("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"rmdir\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
                   0, NULL);
    pier_err_t err = NULL;
    CHECK(rt_seccomp_prepare(a, dir, &err) == 0);
    CHECK(count_files(dir) == 1);
    /* again: a hit, no new file */
    CHECK(rt_seccomp_prepare(a, dir, &err) == 0);
    CHECK(count_files(dir) == 1);
    CHECK(rt_seccomp_prepare(b, dir, &err) == 0);
    CHECK(count_files(dir) == 2);
    /* damage every file: prepare must recompile and rewrite, not fail */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "for f in %s/*; do echo garbage > $f; done", dir);
    CHECK(system(cmd) == 0);
    CHECK(rt_seccomp_prepare(a, dir, &err) == 0);
    snprintf(cmd, sizeof cmd, "grep -l garbage %s/* | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int damaged = -1;
    CHECK(f != NULL && fscanf(f, "%d", &damaged) == 1);
    pclose(f);
    CHECK(damaged == 1); /* a's file was rewritten, b's still damaged */
    /* an invalid profile is an error, cache or not */
    json_t *bad = json_loads("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", 0, NULL);
    CHECK(rt_seccomp_prepare(bad, dir, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "linux.seccomp.defaultAction");
    pier_error_free(&err);
    json_decref(a);
    json_decref(b);
    json_decref(bad);
}
