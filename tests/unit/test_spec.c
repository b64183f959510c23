/* config.json parsing: good documents give the right values, bad ones an
 * error that names the field. */
#include <stdlib.h>

#include <sys/mount.h>

#include "../../src/runtime/spec.h"
#include "unit.h"

#define MIN_LINUX "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}"

static char *parse_err(const char *doc)
{
    struct rt_spec s;
    pier_err_t err = NULL;
    int r = rt_spec_parse(doc, strlen(doc), "/bundle", &s, &err);
    rt_spec_free(&s);
    if (r == 0)
        return NULL;
    char *m = strdup(pier_error_msg(err));
    pier_error_free(&err);
    return m;
}

TEST(spec_minimal)
{
    const char *doc = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                      "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}," MIN_LINUX "}";
    struct rt_spec s;
    pier_err_t err = NULL;
    CHECK(rt_spec_parse(doc, strlen(doc), "/bundle", &s, &err) == 0);
    CHECK_STR(s.root_path, "/bundle/rootfs");
    CHECK(s.has_process);
    CHECK_STR(s.process.args[0], "sh");
    CHECK_STR(s.process.cwd, "/");
    CHECK(rt_spec_new_ns(&s, RT_NS_MNT));
    CHECK(!s.ns[RT_NS_PID].present);
    rt_spec_free(&s);
}

TEST(spec_full_values)
{
    const char *doc =
        "{\"root\":{\"path\":\"/abs/root\",\"readonly\":true},\"hostname\":\"h\","
        "\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
        "\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]},"
        "\"args\":[\"x\"],\"env\":[\"A=1\"],\"cwd\":\"/"
        "w\",\"noNewPrivileges\":true,\"oomScoreAdj\":-5,"
        "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"ambient\":[\"CAP_KILL\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200},"
        "{\"type\":\"RLIMIT_CORE\",\"soft\":18446744073709551615,\"hard\":18446744073709551615}]},"
        "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/"
        "src\",\"options\":[\"rbind\",\"ro\",\"rprivate\",\"rnoexec\"]},"
        "{\"destination\":\"/"
        "t\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1m\",\"mode=700\","
        "\"nosuid\"]}],"
        "\"hooks\":{\"poststart\":[{\"path\":\"/bin/"
        "true\",\"args\":[\"true\",\"a\"],\"timeout\":3}]},"
        "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"network\","
        "\"path\":\"/run/netns/x\"},"
        "{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
        "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"rootfsPropagation\":\"rslave\","
        "\"devices\":[{\"path\":\"/dev/"
        "fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
        "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]}}";
    struct rt_spec s;
    pier_err_t err = NULL;
    int r = rt_spec_parse(doc, strlen(doc), "/b", &s, &err);
    if (r < 0)
        printf("    %s\n", pier_error_msg(err));
    CHECK(r == 0);
    CHECK_STR(s.root_path, "/abs/root");
    CHECK(s.root_readonly);
    CHECK(s.process.terminal && s.process.console_height == 24 && s.process.console_width == 80);
    CHECK(s.process.uid == 1000 && s.process.gid == 100 && s.process.umask == 18);
    CHECK(s.process.n_additional_gids == 2 && s.process.additional_gids[1] == 6);
    CHECK(s.process.no_new_privileges && s.process.oom_score_adj == -5);
    CHECK(s.process.caps.bounding == ((1ULL << 5) | (1ULL << 0)));
    CHECK(s.process.caps.ambient == (1ULL << 5));
    CHECK(s.process.n_rlimits == 2 && s.process.rlimits[0].soft == 100 &&
          s.process.rlimits[0].hard == 200);
    CHECK(s.process.rlimits[1].hard == UINT64_MAX);
    CHECK(s.n_mounts == 2 && s.mounts[0].bind && s.mounts[0].recursive);
    CHECK(s.mounts[0].attr_set != 0 && s.mounts[0].propagation != 0);
    CHECK_STR(s.mounts[1].data, "size=1m,mode=700");
    CHECK(s.hooks[RT_HOOK_POSTSTART].n == 1 && s.hooks[RT_HOOK_POSTSTART].items[0].timeout == 3);
    CHECK_STR(s.ns[RT_NS_NET].path, "/run/netns/x");
    CHECK(rt_spec_new_ns(&s, RT_NS_USER) && s.n_uid_mappings == 1 &&
          s.uid_mappings[0].host_id == 1000);
    CHECK(s.n_sysctl == 1 && s.n_devices == 1 && s.devices[0].mode == 0666);
    rt_spec_free(&s);
}

static const struct {
    const char *doc;
    const char *want; /* the error names this */
} bad[] = {
    {"{", "invalid JSON"},
    {"[]", "expected a JSON object"},
    {"{\"process\":{\"args\":[\"sh\"]}," MIN_LINUX "}", "root: missing"},
    {"{\"root\":{\"path\":5}," MIN_LINUX "}", "root.path: expected a string"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[]}," MIN_LINUX "}", "process.args"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"}," MIN_LINUX "}",
     "process.cwd"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}}," MIN_LINUX
     "}",
     "process.user.uid"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"env\":[\"NOEQUALS\"]}," MIN_LINUX
     "}",
     "process.env"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":["
     "\"CAP_NOPE\"]}}," MIN_LINUX "}",
     "process.capabilities.bounding[0]: unknown capability `CAP_NOPE`"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_"
     "X\",\"soft\":1,\"hard\":1}]}," MIN_LINUX "}",
     "unknown rlimit"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_"
     "NOFILE\",\"soft\":2,\"hard\":1}]}," MIN_LINUX "}",
     "above hard limit"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":"
     "\"bogus\"}]}}",
     "linux.namespaces[1].type: unknown namespace type `bogus`"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":"
     "\"mount\"}]}}",
     "given twice"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}",
     "mount namespace is required"},
    {"{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/../../"
     "etc\",\"type\":\"tmpfs\"}]," MIN_LINUX "}",
     "mounts[0].destination: `/../../etc` leads out of the container's root"},
    {"{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"relative\",\"type\":\"tmpfs\"}]"
     "," MIN_LINUX "}",
     "mounts[0].destination: `relative` is not an absolute path"},
    {"{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}]," MIN_LINUX
     "}",
     "mounts[0].source"},
    {"{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/x\"}]," MIN_LINUX "}",
     "mounts[0].type: missing"},
    {"{\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/"
     "x\",\"type\":\"tmpfs\",\"options\":[7]}]," MIN_LINUX "}",
     "mounts[0].options[0]"},
    {"{\"root\":{\"path\":\"r\"},\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}," MIN_LINUX "}",
     "hooks.prestart[0].path"},
    {"{\"root\":{\"path\":\"r\"},\"hostname\":\"x\"," MIN_LINUX "}",
     "hostname: set without a new uts namespace"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":"
     "\"user\"}]}}",
     "uidMappings"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[{"
     "\"path\":\"/dev/x\",\"type\":\"q\"}]}}",
     "linux.devices[0].type"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
     "\"rootfsPropagation\":\"weird\"}}",
     "linux.rootfsPropagation"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"maskedPaths\":["
     "\"/proc/../../x\"]}}",
     "linux.maskedPaths"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"sysctl\":{\"../"
     "x\":\"1\"}}}",
     "linux.sysctl"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"sysctl\":{"
     "\"net.ipv4.ip_forward\":\"1\"}}}",
     "linux.sysctl.net.ipv4.ip_forward: the container has no network namespace"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"sysctl\":{"
     "\"kernel.shmmax\":\"1\"}}}",
     "linux.sysctl.kernel.shmmax: the container has no ipc namespace"},
    {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":"
     "\"ipc\"},{\"type\":\"network\"}],\"sysctl\":{\"vm.swappiness\":\"1\"}}}",
     "linux.sysctl.vm.swappiness: not in a namespace of the container"},
    {"{\"root\":{\"path\":\"r\"},\"a\":1,\"a\":2," MIN_LINUX "}", "invalid JSON"},
};

TEST(spec_bad_input_names_the_field)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *m = parse_err(bad[i].doc);
        if (m == NULL || strstr(m, bad[i].want) == NULL) {
            unit_fail(__FILE__, __LINE__, "case %zu: want an error with `%s`, got `%s`", i,
                      bad[i].want, m ? m : "(accepted)");
            free(m);
            return;
        }
        free(m);
    }
}

TEST(mount_options)
{
    struct rt_mount m = {0};
    pier_err_t err = NULL;
    json_t *o = json_pack("[s,s,s,s,s,s]", "nosuid", "rw", "ro", "rshared", "mode=755", "size=1m");
    CHECK(rt_mount_parse_options(&m, o, "mounts[0].options", &err) == 0);
    CHECK(m.flags & MS_RDONLY);
    CHECK(m.flags & MS_NOSUID);
    CHECK(m.propagation == (MS_SHARED | MS_REC));
    CHECK_STR(m.data, "mode=755,size=1m");
    free(m.data);
    json_decref(o);
}
