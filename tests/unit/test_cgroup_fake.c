/* linux.resources written to a fake cgroupfs, for the layouts this machine
 * cannot show: v2 only (with runc's conversions) and plain v1. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/lib/file.h"
#include "../../src/runtime/cgroup.h"
#include "../../src/runtime/cgroup_devices.h"
#include "unit.h"

static char tmpl[] = "/tmp/pier-unit-cg.XXXXXX";

static void touch(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
}

/* The file's text, in a buffer that the next call reuses. */
static const char *slurp(const char *dir, const char *name)
{
    static char buf[4096];
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *t = NULL;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, p, 4096, &t, NULL, &err) < 0) {
        pier_error_free(&err);
        return "(missing)";
    }
    snprintf(buf, sizeof buf, "%s", t);
    free(t);
    return buf;
}

static char *fake_dir(void)
{
    char *d = strdup(tmpl);
    return mkdtemp(d);
}

TEST(cgroup_v2_resources_converted)
{
    cleanup_dir char *dir = fake_dir();
    CHECK(dir != NULL);
    const char *files[] = {"memory.max", "memory.low",      "memory.swap.max", "cpu.weight",
                           "cpu.max",    "pids.max",        "io.weight",       "cpuset.cpus",
                           "io.max",     "hugetlb.2MB.max", "memory.high"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        touch(dir, files[i]);
    struct rt_cg_layout l = {.mode = RT_CG_V2, .n = 1};
    l.h[0] = (struct rt_cg_hier){.mountpoint = "/fake", .root = "/", .controllers = "", .v2 = true};
    rt_cgroup_layout_override(&l);
    struct rt_cgroup cg = {.n = 1};
    cg.h[0].dir = dir;
    cg.h[0].ctrl = "";
    cg.h[0].v2 = true;
    json_t *r =
        json_loads("{\"memory\":{\"limit\":104857600,\"swap\":209715200,\"reservation\":1048576},"
                   "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\"},"
                   "\"pids\":{\"limit\":-1},\"blockIO\":{\"weight\":500,"
                   "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
                   "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
                   "\"unified\":{\"memory.high\":\"50000000\"}}",
                   0, NULL);
    pier_err_t err = NULL;
    int rc = rt_cgroup_apply_resources(&cg, r, &err);
    if (rc < 0)
        printf("    %s\n", pier_error_msg(err));
    CHECK(rc == 0);
    CHECK_STR(slurp(dir, "memory.max"), "104857600");
    CHECK_STR(slurp(dir, "memory.swap.max"), "104857600"); /* swap - limit */
    CHECK_STR(slurp(dir, "memory.low"), "1048576");
    CHECK_STR(slurp(dir, "cpu.weight"), "39"); /* runc: 1 + (1024-2)*9999/262142 */
    CHECK_STR(slurp(dir, "cpu.max"), "50000 100000");
    CHECK_STR(slurp(dir, "cpuset.cpus"), "0-1");
    CHECK_STR(slurp(dir, "pids.max"), "max");
    CHECK_STR(slurp(dir, "io.weight"), "default 4950"); /* 1 + (500-10)*9999/990 */
    CHECK_STR(slurp(dir, "io.max"), "8:0 rbps=1048576");
    CHECK_STR(slurp(dir, "hugetlb.2MB.max"), "4194304");
    CHECK_STR(slurp(dir, "memory.high"), "50000000");
    json_decref(r);

    /* what v2 cannot do is an error naming the field */
    r = json_loads("{\"memory\":{\"disableOOMKiller\":true}}", 0, NULL);
    CHECK(rt_cgroup_apply_resources(&cg, r, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "linux.resources.memory.disableOOMKiller");
    json_decref(r);
    r = json_loads("{\"unified\":{\"nosuch.file\":\"1\"}}", 0, NULL);
    CHECK(rt_cgroup_apply_resources(&cg, r, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "linux.resources.unified.nosuch.file");
    json_decref(r);
    pier_error_free(&err);
}

TEST(cgroup_v1_resources)
{
    cleanup_dir char *base = fake_dir();
    CHECK(base != NULL);
    const char *ctrls[] = {"memory", "cpu", "pids", "cpuset", "blkio", "devices"};
    struct rt_cg_layout l = {.mode = RT_CG_V1};
    struct rt_cgroup cg = {0};
    char dirs[6][512];
    for (size_t i = 0; i < 6; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%s", base, ctrls[i]);
        mkdir(dirs[i], 0755);
        l.h[l.n++] = (struct rt_cg_hier){
            .mountpoint = dirs[i], .root = "/", .controllers = (char *)ctrls[i]};
        cg.h[cg.n].dir = dirs[i];
        cg.h[cg.n].ctrl = ctrls[i];
        cg.n++;
    }
    rt_cgroup_layout_override(&l);
    touch(dirs[0], "memory.limit_in_bytes");
    touch(dirs[0], "memory.memsw.limit_in_bytes");
    touch(dirs[0], "memory.swappiness");
    touch(dirs[1], "cpu.shares");
    touch(dirs[1], "cpu.cfs_quota_us");
    touch(dirs[1], "cpu.cfs_period_us");
    touch(dirs[2], "pids.max");
    touch(dirs[4], "blkio.weight");
    touch(dirs[5], "devices.allow");
    touch(dirs[5], "devices.deny");
    json_t *r = json_loads(
        "{\"memory\":{\"limit\":-1,\"swap\":-1,\"swappiness\":10},"
        "\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":50000},"
        "\"pids\":{\"limit\":100},\"blockIO\":{\"weight\":300},"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rwm\"}]}",
        0, NULL);
    pier_err_t err = NULL;
    int rc = rt_cgroup_apply_resources(&cg, r, &err);
    if (rc < 0)
        printf("    %s\n", pier_error_msg(err));
    CHECK(rc == 0);
    CHECK_STR(slurp(dirs[0], "memory.limit_in_bytes"), "-1");
    CHECK_STR(slurp(dirs[0], "memory.memsw.limit_in_bytes"), "-1");
    CHECK_STR(slurp(dirs[0], "memory.swappiness"), "10");
    CHECK_STR(slurp(dirs[1], "cpu.shares"), "512");
    CHECK_STR(slurp(dirs[1], "cpu.cfs_quota_us"), "20000");
    CHECK_STR(slurp(dirs[1], "cpu.cfs_period_us"), "50000");
    CHECK_STR(slurp(dirs[2], "pids.max"), "100");
    CHECK_STR(slurp(dirs[4], "blkio.weight"), "300");
    /* the files keep only the last write: the last allow is runc's ptmx */
    CHECK_STR(slurp(dirs[5], "devices.deny"), "a");
    CHECK_STR(slurp(dirs[5], "devices.allow"), "c 5:2 rwm");
    json_decref(r);
}

TEST(device_rules_last_match_wins)
{
    json_t *a =
        json_loads("[{\"allow\":false,\"access\":\"rwm\"},"
                   "{\"allow\":true,\"type\":\"c\",\"major\":4,\"minor\":7,\"access\":\"r\"},"
                   "{\"allow\":false,\"type\":\"c\",\"major\":4,\"access\":\"w\"}]",
                   0, NULL);
    struct rt_dev_rule *rules = NULL;
    size_t n = 0;
    pier_err_t err = NULL;
    CHECK(rt_dev_rules_parse(a, &rules, &n, &err) == 0);
    CHECK(rt_dev_rules_allow(rules, n, 'c', 4, 7, 2) == true);  /* read 4:7 */
    CHECK(rt_dev_rules_allow(rules, n, 'c', 4, 7, 4) == false); /* write 4:7 */
    CHECK(rt_dev_rules_allow(rules, n, 'c', 4, 8, 2) == false); /* read 4:8 */
    CHECK(rt_dev_rules_allow(rules, n, 'c', 1, 3, 6) == true);  /* /dev/null, always */
    CHECK(rt_dev_rules_allow(rules, n, 'b', 8, 0, 1) == true);  /* mknod of any */
    CHECK(rt_dev_rules_allow(rules, n, 'b', 8, 0, 2) == false); /* read a disk */
    char insns[8 * 512];
    int cnt = rt_dev_rules_bpf(rules, n, insns, 512);
    CHECK(cnt > 6);
    /* the deny-all rule ends the program: nothing after it */
    CHECK(rt_dev_rules_bpf(rules, n, insns, 4) < 0);
    free(rules);
    json_decref(a);
    a = json_loads("[{\"allow\":true,\"type\":\"z\"}]", 0, NULL);
    CHECK(rt_dev_rules_parse(a, &rules, &n, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "linux.resources.devices[0].type");
    pier_error_free(&err);
    json_decref(a);
}

TEST(cgroup_conversions)
{
    CHECK(rt_cgroup_shares_to_weight(2) == 1);
    CHECK(rt_cgroup_shares_to_weight(262144) == 10000);
    CHECK(rt_cgroup_shares_to_weight(1024) == 39);
    CHECK(rt_cgroup_blkio_to_io_weight(10) == 1);
    CHECK(rt_cgroup_blkio_to_io_weight(1000) == 10000);
}
