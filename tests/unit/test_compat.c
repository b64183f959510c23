/* What containerd and podman put in config.json, as runc reads it. */
#include <stdlib.h>

#include "../../src/runtime/spec.h"
#include "unit.h"

#define DEVICE_DOC(mode)                                                                           \
    "{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[{"   \
    "\"path\":\"/dev/mynull\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":" mode "}]}}"

/* podman passes the host node's st_mode, file type bits and all. */
TEST(compat_device_file_mode_with_type_bits)
{
    const char *doc = DEVICE_DOC("8612"); /* 020644: S_IFCHR | 0644 */
    struct rt_spec s;
    pier_err_t err = NULL;
    int r = rt_spec_parse(doc, strlen(doc), "/b", &s, &err);
    if (r < 0)
        printf("    %s\n", pier_error_msg(err));
    CHECK(r == 0);
    CHECK(s.n_devices == 1 && s.devices[0].has_mode && s.devices[0].mode == 0644);
    rt_spec_free(&s);

    doc = DEVICE_DOC("25012"); /* 060644: S_IFBLK, but the type is c */
    err = NULL;
    r = rt_spec_parse(doc, strlen(doc), "/b", &s, &err);
    rt_spec_free(&s);
    CHECK(r < 0);
    CHECK_CONTAINS(pier_error_msg(err), "linux.devices[0].fileMode");
    pier_error_free(&err);
}

/* runc's urfave/cli moves a command's flags found after its arguments to
 * the front: `delete ID --force`, `kill ID KILL --all`. */
#include "../../src/runtime/cli/opts.c"

TEST(compat_flags_after_arguments)
{
    bool force = false, all = false;
    const char *format = NULL;
    const struct opt opts[] = {
        {"force", 'f', OPT_BOOL, &force},
        {"all", 'a', OPT_BOOL, &all},
        {"format", 0, OPT_STRING, &format},
        {NULL, 0, 0, NULL},
    };
    char a0[] = "ID", a1[] = "--force", a2[] = "KILL", a3[] = "--format", a4[] = "json",
         a5[] = "--", a6[] = "-a";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
    int next = -1;
    pier_err_t err = NULL;
    CHECK(opts_parse(opts, 7, argv, &next, &err) == 0);
    CHECK(force && !all);
    CHECK_STR(format, "json");
    /* the arguments, in order, from next to the end; after `--` nothing
     * is a flag */
    CHECK(next == 4);
    CHECK_STR(argv[4], "ID");
    CHECK_STR(argv[5], "KILL");
    CHECK_STR(argv[6], "-a");

    /* exec and ps: what follows the id is another program's */
    force = false;
    char b0[] = "ID", b1[] = "ps", b2[] = "-f";
    char *argv2[] = {b0, b1, b2, NULL};
    CHECK(opts_parse_head(opts, 3, argv2, &next, &err) == 0);
    CHECK(next == 0 && !force);

    /* an unknown flag before the arguments is still an error */
    char c0[] = "--frob", c1[] = "ID";
    char *argv3[] = {c0, c1, NULL};
    CHECK(opts_parse(opts, 2, argv3, &next, &err) < 0);
    CHECK_CONTAINS(pier_error_msg(err), "unknown flag `--frob`");
    pier_error_free(&err);
}
