/* Signal names, container ids and the cgroup layout read from a fake host. */
#include <signal.h>
#include <stdlib.h>

#include "../../src/lib/signals.h"
#include "../../src/runtime/cgroup.h"
#include "../../src/runtime/state.h"
#include "unit.h"

TEST(signal_names)
{
    CHECK(pier_signal_parse("KILL") == SIGKILL);
    CHECK(pier_signal_parse("SIGKILL") == SIGKILL);
    CHECK(pier_signal_parse("sigterm") == SIGTERM);
    CHECK(pier_signal_parse("9") == 9);
    CHECK(pier_signal_parse("RTMIN+2") == SIGRTMIN + 2);
    CHECK(pier_signal_parse("RTMAX-1") == SIGRTMAX - 1);
    CHECK(pier_signal_parse("NOPE") == -1);
    CHECK(pier_signal_parse("0") == -1);
    CHECK(pier_signal_parse("999") == -1);
    CHECK(pier_signal_parse("") == -1);
    CHECK_STR(pier_signal_name(SIGTERM), "SIGTERM");
}

TEST(container_ids)
{
    pier_err_t err = NULL;
    CHECK(rt_check_id("abc-123_x.y", &err) == 0);
    CHECK(rt_check_id("", &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "empty");
    CHECK(rt_check_id("a/b", &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "'/'");
    CHECK(rt_check_id("..", &err) < 0);
    CHECK(rt_check_id("a b", &err) < 0);
    pier_error_free(&err);
}

static const char hybrid[] =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
static const char unified[] = "25 22 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime "
                              "shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
static const char v1_nested[] =
    "31 30 0:28 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "32 30 0:28 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";

TEST(cgroup_layouts)
{
    struct rt_cg_layout l;
    pier_err_t err = NULL;
    CHECK(rt_cgroup_layout_parse(hybrid, &l, &err) == 0);
    CHECK(l.mode == RT_CG_HYBRID);
    CHECK(l.n == 4);
    CHECK_STR(l.h[0].controllers, "cpu,cpuacct");
    CHECK_STR(l.h[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
    CHECK_STR(l.h[2].controllers, "name=systemd");
    CHECK(l.h[3].v2);
    rt_cgroup_layout_free(&l);

    CHECK(rt_cgroup_layout_parse(unified, &l, &err) == 0);
    CHECK(l.mode == RT_CG_V2 && l.n == 1 && l.h[0].v2);
    rt_cgroup_layout_free(&l);

    CHECK(rt_cgroup_layout_parse(v1_nested, &l, &err) == 0);
    CHECK(l.mode == RT_CG_V1 && l.n == 1);
    CHECK_STR(l.h[0].root, "/docker/abc");
    rt_cgroup_layout_free(&l);
}
