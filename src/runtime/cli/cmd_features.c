#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/capability.h>

#include "../../lib/cleanup.h"
#include "cli.h"

static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}
#define STRINGS(v) strings(v, ARRAY_SIZE(v))

static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
                                    "startContainer", "poststart",     "poststop"};
static const char *const mount_options[] = {"async",
                                            "atime",
                                            "bind",
                                            "defaults",
                                            "dev",
                                            "diratime",
                                            "dirsync",
                                            "exec",
                                            "iversion",
                                            "lazytime",
                                            "loud",
                                            "mand",
                                            "noatime",
                                            "nodev",
                                            "nodiratime",
                                            "noexec",
                                            "noiversion",
                                            "nolazytime",
                                            "nomand",
                                            "norelatime",
                                            "nostrictatime",
                                            "nosuid",
                                            "nosymfollow",
                                            "private",
                                            "ratime",
                                            "rbind",
                                            "rdev",
                                            "rdiratime",
                                            "relatime",
                                            "remount",
                                            "rexec",
                                            "rnoatime",
                                            "rnodev",
                                            "rnodiratime",
                                            "rnoexec",
                                            "rnorelatime",
                                            "rnostrictatime",
                                            "rnosuid",
                                            "rnosymfollow",
                                            "ro",
                                            "rprivate",
                                            "rrelatime",
                                            "rro",
                                            "rrw",
                                            "rshared",
                                            "rslave",
                                            "rstrictatime",
                                            "rsuid",
                                            "rsymfollow",
                                            "runbindable",
                                            "rw",
                                            "shared",
                                            "silent",
                                            "slave",
                                            "strictatime",
                                            "suid",
                                            "symfollow",
                                            "sync",
                                            "tmpcopyup",
                                            "unbindable"};
static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network",
                                         "pid",    "time", "user",  "uts"};
static const char *const actions[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP"};
static const char *const operators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                        "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                        "SCMP_CMP_NE"};
static const char *const archs[] = {
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_ARM",    "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",       "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",  "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64"};
static const char *const known_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
static const char *const supported_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG"};

int cmd_features(struct global *g, int argc, char **argv, pier_err_t *err)
{
    (void)g;
    const struct opt opts[] = {{NULL, 0, 0, NULL}};
    int next;
    if (opts_parse(opts, argc, argv, &next, err) < 0 ||
        cli_args("features", argc, next, 0, "", err) < 0)
        return -1;

    json_t *caps = json_array();
    int last = cap_max_bits();
    for (int c = 0; c < last; c++) {
        char *name = cap_to_name(c);
        if (name != NULL) {
            char upper[64];
            snprintf(upper, sizeof upper, "%s", name);
            for (char *p = upper; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 32);
            json_array_append_new(caps, json_string(upper));
            cap_free(name);
        }
    }
    const struct scmp_version *v = seccomp_version();
    char libseccomp[32];
    snprintf(libseccomp, sizeof libseccomp, "%u.%u.%u", v->major, v->minor, v->micro);

    json_t *seccomp =
        json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions", STRINGS(actions),
                  "operators", STRINGS(operators), "archs", STRINGS(archs), "knownFlags",
                  STRINGS(known_flags), "supportedFlags", STRINGS(supported_flags));
    json_t *linux_ = json_pack(
        "{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}}",
        "namespaces", STRINGS(namespaces), "capabilities", caps, "cgroup", "v1", 1, "v2", 1,
        "systemd", 0, "systemdUser", 0, "rdma", 0, "seccomp", seccomp, "apparmor", "enabled", 0,
        "selinux", "enabled", 0, "intelRdt", "enabled", 0, "mountExtensions", "idmap", "enabled",
        0);
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s}}", "ociVersionMin", "1.0.0",
                          "ociVersionMax", "1.2.0", "hooks", STRINGS(hooks), "mountOptions",
                          STRINGS(mount_options), "linux", linux_, "annotations",
                          "org.opencontainers.runc.checkpoint.enabled", "false",
                          "io.github.seccomp.libseccomp.version", libseccomp);
    if (j == NULL)
        return pier_error(err, 0, "features: could not build the report");
    cli_print_json(j, true);
    json_decref(j);
    return 0;
}
