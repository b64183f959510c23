/* The cgroup v2 code paths on the cgroup2 tree of this host (hybrid here:
 * no controllers in it, but the freezer and cgroup.kill are built in).
 * Needs root, as the integration tests do. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/lib/file.h"
#include "../../src/runtime/cgroup.h"
#include "unit.h"

/* The mountpoint of the host's cgroup2 tree, or NULL. */
static const char *v2_mount(void)
{
    const struct rt_cg_layout *l;
    pier_err_t err = NULL;
    rt_cgroup_layout_override(NULL); /* other tests faked one */
    if (rt_cgroup_layout(&l, &err) < 0) {
        pier_error_free(&err);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->h[i].v2)
            return l->h[i].mountpoint;
    return NULL;
}

TEST(cgroup_v2_freeze_and_kill_on_this_host)
{
    const char *mnt = v2_mount();
    CHECK(mnt != NULL); /* these machines have a cgroup2 tree */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pier-unit-%d", mnt, (int)getpid());
    CHECK(mkdir(dir, 0755) == 0);
    struct rt_cgroup cg = {.n = 1};
    cg.h[0].dir = dir;
    cg.h[0].ctrl = "";
    cg.h[0].v2 = true;
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    pier_err_t err = NULL;
    int ok = rt_cgroup_enter(&cg, child, &err) == 0;
    if (ok)
        ok = rt_cgroup_freeze(&cg, true, &err) == 0;
    bool frozen = ok && rt_cgroup_is_frozen_cg(&cg);
    if (ok)
        ok = rt_cgroup_freeze(&cg, false, &err) == 0;
    bool thawed = ok && !rt_cgroup_is_frozen_cg(&cg);
    if (ok)
        ok = rt_cgroup_kill(&cg, SIGKILL, &err) == 0;
    int status = 0;
    pid_t w = waitpid(child, &status, 0);
    if (!ok) {
        printf("    %s\n", pier_error_msg(err));
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    for (int i = 0; i < 200 && rmdir(dir) < 0; i++)
        usleep(5000);
    pier_error_free(&err);
    CHECK(ok);
    CHECK(frozen);
    CHECK(thawed);
    CHECK(w == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}
