/* pier (the CLI): docker's units, Go's number and duration parsing, pflag's
 * parsing and help layout, image references.  The CLI's sources are built
 * into its own program; the tests take the pure parts in by inclusion. */
#include "../../src/cli/cli.h"
#include "../../src/lib/cleanup.h"
#include "../../src/cli/attach.h"
#include "../../src/lib/buf.h"
#include "../../src/lib/progress_text.h"
#include "../../src/cli/commands.h"
#include "../../src/cli/filters.h"
#include "../../src/cli/flags.h"
#include "../../src/cli/fmt_container.h"
#include "../../src/cli/format.h"
#include "../../src/cli/http.h"
#include "../../src/cli/json_go.h"
#include "../../src/cli/opts.h"
#include "../../src/cli/progress.h"
#include "../../src/cli/ref.h"
#include "../../src/cli/stream.h"
#include "../../src/cli/tabwriter.h"
#include "../../src/cli/units.h"

#include "unit.h"

#define SEC 1000000000LL

TEST(cli_human_duration)
{
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
        {450000000, "Less than a second"},
        {1 * SEC, "1 second"},
        {45 * SEC, "45 seconds"},
        {59 * SEC, "59 seconds"},
        {60 * SEC, "About a minute"},
        {3 * 60 * SEC, "3 minutes"},
        {(35 * 60 + 40) * SEC, "35 minutes"},
        {59 * 60 * SEC, "59 minutes"},
        {3600 * SEC, "About an hour"},
        {(3600 + 29 * 60) * SEC, "About an hour"},
        {(3600 + 31 * 60) * SEC, "2 hours"},
        {(3 * 3600 + 31 * 60) * SEC, "4 hours"},
        {24 * 3600 * SEC, "24 hours"},
        {36 * 3600 * SEC, "36 hours"},
        {2 * 86400 * SEC, "2 days"},
        {(13 * 86400 + 5 * 3600) * SEC, "13 days"},
        {14 * 86400 * SEC, "2 weeks"},
        {30 * 86400 * SEC, "4 weeks"},
        {(30 + 14) * 86400 * SEC, "6 weeks"},
        {60 * 86400 * SEC, "2 months"},
        {(5 * 30 + 14) * 86400 * SEC, "5 months"},
        {24 * 30 * 86400 * SEC, "24 months"},
        {(24 * 30 + 14) * 86400 * SEC, "2 years"},
        {(3 * 365 + 60) * 86400 * SEC, "3 years"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[64];
        human_duration(cases[i].ns, out, sizeof out);
        CHECK_STR(out, cases[i].want);
    }
}

/* jsonmessage.JSONProgress.String, which pierd's messages and the CLI's
 * drawing of them share. */
TEST(progress_text)
{
    char s[128];
    pier_progress_text(1000000, 2000000, 200, s, sizeof s);
    CHECK_STR(s, "[=========================>                         ]      1MB/2MB");
    pier_progress_text(1000000, 2000000, 80, s, sizeof s);
    CHECK_STR(s, "     1MB/2MB");
    pier_progress_text(1500, 0, 200, s, sizeof s);
    CHECK_STR(s, "   1.5kB");
    pier_progress_text(0, 0, 200, s, sizeof s);
    CHECK_STR(s, "");
    /* past the total: a full bar and the current size alone */
    pier_progress_text(3000000, 2000000, 200, s, sizeof s);
    CHECK_STR(s, "[==================================================>]      3MB");
    /* a hostile daemon's negative figure stays inside the bar */
    pier_progress_text(-5000000, 1000, 200, s, sizeof s);
    CHECK_STR(s, "[>                                                  ]  -5e+06B/1kB");
}

TEST(cli_human_size)
{
    char s[32];
    human_size_prec(0, 3, s, sizeof s);
    CHECK_STR(s, "0B");
    human_size_prec(1984304, 3, s, sizeof s);
    CHECK_STR(s, "1.98MB");
    human_size(1984304, s, sizeof s);
    CHECK_STR(s, "1.984MB");
    human_size_prec(999, 3, s, sizeof s);
    CHECK_STR(s, "999B");
    human_size_prec(1000, 3, s, sizeof s);
    CHECK_STR(s, "1kB");
    human_size(1e9, s, sizeof s);
    CHECK_STR(s, "1GB");
    bytes_size(790528, s, sizeof s);
    CHECK_STR(s, "772KiB");
    bytes_size(25275904000.0, s, sizeof s);
    CHECK_STR(s, "23.54GiB");
    bytes_size(0, s, sizeof s);
    CHECK_STR(s, "0B");
}

TEST(cli_parse_sizes)
{
    int64_t n;
    char msg[128];
    CHECK(ram_in_bytes("64m", &n, msg, sizeof msg) == 0 && n == 64 * 1024 * 1024);
    CHECK(ram_in_bytes("1g", &n, msg, sizeof msg) == 0 && n == 1024LL * 1024 * 1024);
    CHECK(ram_in_bytes("1.5KiB", &n, msg, sizeof msg) == 0 && n == 1536);
    CHECK(ram_in_bytes("512", &n, msg, sizeof msg) == 0 && n == 512);
    CHECK(ram_in_bytes("10 MB", &n, msg, sizeof msg) == 0 && n == 10 * 1024 * 1024);
    CHECK(ram_in_bytes("abc", &n, msg, sizeof msg) < 0);
    CHECK_STR(msg, "invalid size: 'abc'");
    CHECK(ram_in_bytes("-1", &n, msg, sizeof msg) < 0);
    CHECK(ram_in_bytes("1.2.3", &n, msg, sizeof msg) < 0);
    CHECK_STR(msg, "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
    CHECK(from_human_size("1kb", &n, msg, sizeof msg) == 0 && n == 1000);
}

TEST(cli_parse_cpus)
{
    int64_t n;
    char msg[128];
    CHECK(parse_cpus("1.5", &n, msg, sizeof msg) == 0 && n == 1500000000);
    CHECK(parse_cpus("2", &n, msg, sizeof msg) == 0 && n == 2000000000);
    CHECK(parse_cpus("0.000000001", &n, msg, sizeof msg) == 0 && n == 1);
    CHECK(parse_cpus("3/2", &n, msg, sizeof msg) == 0 && n == 1500000000);
    CHECK(parse_cpus("1e-3", &n, msg, sizeof msg) == 0 && n == 1000000);
    CHECK(parse_cpus("0.0000000001", &n, msg, sizeof msg) < 0);
    CHECK_STR(msg, "value is too precise");
    CHECK(parse_cpus("abc", &n, msg, sizeof msg) < 0);
    CHECK_STR(msg, "failed to parse abc as a rational number");
}

TEST(cli_go_numbers)
{
    int64_t v;
    uint64_t u;
    bool b;
    char msg[128];
    CHECK(go_parse_int("-1", 64, &v, msg, sizeof msg) == 0 && v == -1);
    CHECK(go_parse_int("0x10", 64, &v, msg, sizeof msg) == 0 && v == 16);
    CHECK(go_parse_int("0o17", 64, &v, msg, sizeof msg) == 0 && v == 15);
    CHECK(go_parse_int("1_000", 64, &v, msg, sizeof msg) < 0);
    CHECK(go_parse_int("0x1_0", 64, &v, msg, sizeof msg) == 0 && v == 16);
    CHECK(go_parse_int("x", 64, &v, msg, sizeof msg) < 0);
    CHECK_STR(msg, "strconv.ParseInt: parsing \"x\": invalid syntax");
    CHECK(go_parse_int("9223372036854775808", 64, &v, msg, sizeof msg) < 0);
    CHECK_STR(msg, "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
    CHECK(go_parse_int("-9223372036854775808", 64, &v, msg, sizeof msg) == 0 && v == INT64_MIN);
    CHECK(go_parse_uint("65536", 16, &u, msg, sizeof msg) < 0);
    CHECK_STR(msg, "strconv.ParseUint: parsing \"65536\": value out of range");
    CHECK(go_parse_uint("65535", 16, &u, msg, sizeof msg) == 0 && u == 65535);
    CHECK(go_parse_bool("True", &b) == 0 && b);
    CHECK(go_parse_bool("f", &b) == 0 && !b);
    CHECK(go_parse_bool("yes", &b) < 0);
}

TEST(cli_go_duration)
{
    int64_t ns;
    char msg[128];
    CHECK(go_parse_duration("1h30m", &ns, msg, sizeof msg) == 0 && ns == 5400 * SEC);
    CHECK(go_parse_duration("1.5s", &ns, msg, sizeof msg) == 0 && ns == 1500000000);
    CHECK(go_parse_duration("300ms", &ns, msg, sizeof msg) == 0 && ns == 300000000);
    CHECK(go_parse_duration("0", &ns, msg, sizeof msg) == 0 && ns == 0);
    CHECK(go_parse_duration("-2m", &ns, msg, sizeof msg) == 0 && ns == -120 * SEC);
    CHECK(go_parse_duration("5", &ns, msg, sizeof msg) < 0);
    CHECK_STR(msg, "time: missing unit in duration \"5\"");
    CHECK(go_parse_duration("5x", &ns, msg, sizeof msg) < 0);
    CHECK_STR(msg, "time: unknown unit \"x\" in duration \"5x\"");
    CHECK(go_parse_duration("abc", &ns, msg, sizeof msg) < 0);
    CHECK_STR(msg, "time: invalid duration \"abc\"");
}

TEST(cli_go_quote)
{
    char q[256];
    go_quote("sleep 1000", q, sizeof q);
    CHECK_STR(q, "\"sleep 1000\"");
    go_quote("sh -c 'echo \"a\"\t\\'", q, sizeof q);
    CHECK_STR(q, "\"sh -c 'echo \\\"a\\\"\\t\\\\'\"");
    go_quote("echo\x01", q, sizeof q);
    CHECK_STR(q, "\"echo\\x01\"");
    go_quote("sh -c 'echo hello\xe2\x80\xa6", q, sizeof q);
    CHECK_STR(q, "\"sh -c 'echo hello\xe2\x80\xa6\"");
}

TEST(cli_api_versions)
{
    CHECK(api_version_cmp("1.41", "1.51") < 0);
    CHECK(api_version_cmp("1.51", "1.51") == 0);
    CHECK(api_version_cmp("1.9", "1.10") < 0);
    CHECK(api_version_cmp("2.0", "1.99") > 0);
}

static struct flag test_flags[] = {
    {"all", 'a', FK_BOOL, NULL, "Show all"},
    {"env", 'e', FK_LIST, NULL, "Set environment variables"},
    {"name", 0, FK_STRING, NULL, "Assign a name"},
    {"last", 'n', FK_INT, NULL, "Show n last", "-1"},
    {"tty", 't', FK_BOOL, NULL, "Allocate a pseudo-TTY"},
    {"interactive", 'i', FK_BOOL, NULL, "Keep STDIN open"},
    {NULL},
};

static int parse(bool interspersed, char **argv, int argc, char *msg)
{
    struct flagset fs = {.flags = test_flags, .interspersed = interspersed};
    flags_reset(&fs);
    int rc = flags_parse(&fs, argc, argv, msg, 256);
    if (rc == 0) {
        snprintf(msg, 256, "%d", fs.nargs);
        for (int i = 0; i < fs.nargs; i++) {
            strcat(msg, " ");
            strcat(msg, fs.args[i]);
        }
    }
    free(fs.args);
    return rc;
}

TEST(cli_flags_parse)
{
    char msg[256];
    char *a1[] = {"-it", "-eA=1", "--env=B=2", "-e", "C", "--name", "x", "img", "-a", "cmd"};
    struct flagset fs = {.flags = test_flags, .interspersed = false};
    CHECK(flags_parse(&fs, 10, a1, msg, sizeof msg) == 0);
    CHECK(flag_bool(&fs, "tty") && flag_bool(&fs, "interactive") && !flag_bool(&fs, "all"));
    struct flag *e = flag_get(&fs, "env");
    CHECK(e->nvals == 3);
    CHECK_STR(e->vals[0], "A=1");
    CHECK_STR(e->vals[1], "B=2");
    CHECK_STR(e->vals[2], "C");
    CHECK_STR(flag_str(&fs, "name"), "x");
    CHECK(fs.nargs == 3);
    CHECK_STR(fs.args[0], "img");
    CHECK_STR(fs.args[1], "-a");
    CHECK(flag_int(&fs, "last") == -1);
    flags_reset(&fs);

    char *a2[] = {"x", "-a", "--", "-t"};
    CHECK(parse(true, a2, 4, msg) == 0);
    CHECK_STR(msg, "2 x -t");
    char *a3[] = {"-n"};
    CHECK(parse(true, a3, 1, msg) < 0);
    CHECK_STR(msg, "flag needs an argument: 'n' in -n");
    char *a4[] = {"--last"};
    CHECK(parse(true, a4, 1, msg) < 0);
    CHECK_STR(msg, "flag needs an argument: --last");
    char *a5[] = {"-ax"};
    CHECK(parse(true, a5, 1, msg) < 0);
    CHECK_STR(msg, "unknown shorthand flag: 'x' in -x");
    char *a6[] = {"--bogus"};
    CHECK(parse(true, a6, 1, msg) < 0);
    CHECK_STR(msg, "unknown flag: --bogus");
    char *a7[] = {"-n", "x"};
    CHECK(parse(true, a7, 2, msg) < 0);
    CHECK_STR(msg, "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing "
                   "\"x\": invalid syntax");
    char *a8[] = {"---x"};
    CHECK(parse(true, a8, 1, msg) < 0);
    CHECK_STR(msg, "bad flag syntax: ---x");
    char *a9[] = {"--all=false", "-n=3", "-"};
    CHECK(parse(true, a9, 3, msg) == 0);
    CHECK_STR(msg, "1 -");
    char *a10[] = {"--all=maybe"};
    CHECK(parse(true, a10, 1, msg) < 0);
    CHECK_STR(msg, "invalid argument \"maybe\" for \"-a, --all\" flag: strconv.ParseBool: "
                   "parsing \"maybe\": invalid syntax");
}

/* docker ps --help's options, byte for byte, at 80 columns. */
static const char ps_help[] =
    "  -a, --all             Show all containers (default shows just running)\n"
    "  -f, --filter filter   Filter output based on conditions provided\n"
    "      --format string   Format output using a custom template:\n"
    "                        'table':            Print output in table format\n"
    "                        with column headers (default)\n"
    "                        'table TEMPLATE':   Print output in table format\n"
    "                        using the given Go template\n"
    "                        'json':             Print in JSON format\n"
    "                        'TEMPLATE':         Print output using the given\n"
    "                        Go template.\n"
    "                        Refer to https://docs.docker.com/go/formatting/\n"
    "                        for more information about formatting output with\n"
    "                        templates\n"
    "  -n, --last int        Show n last created containers (includes all\n"
    "                        states) (default -1)\n"
    "  -l, --latest          Show the latest created container (includes all\n"
    "                        states)\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only display container IDs\n"
    "  -s, --size            Display total file sizes\n";

TEST(cli_flags_help_layout)
{
    struct flag f[] = {
        {"all", 'a', FK_BOOL, NULL, "Show all containers (default shows just running)"},
        {"filter", 'f', FK_LIST, "filter", "Filter output based on conditions provided"},
        {"format", 0, FK_STRING, NULL,
         "Format output using a custom template:\n'table':            Print output in table "
         "format with column headers (default)\n'table TEMPLATE':   Print output in table "
         "format using the given Go template\n'json':             Print in JSON "
         "format\n'TEMPLATE':         Print output using the given Go template.\nRefer to "
         "https://docs.docker.com/go/formatting/ for more information about formatting output "
         "with templates"},
        {"last", 'n', FK_INT, NULL, "Show n last created containers (includes all states)", "-1"},
        {"latest", 'l', FK_BOOL, NULL, "Show the latest created container (includes all states)"},
        {"no-trunc", 0, FK_BOOL, NULL, "Don't truncate output"},
        {"quiet", 'q', FK_BOOL, NULL, "Only display container IDs"},
        {"size", 's', FK_BOOL, NULL, "Display total file sizes"},
        {"hidden", 0, FK_BOOL, NULL, "Not shown", .attrs = FLAG_HIDDEN},
        {NULL},
    };
    struct flagset fs = {.flags = f};
    char *u = flags_usages(&fs, 79, "1.51", true, false);
    CHECK_STR(u, ps_help);
    free(u);
    /* a string default is quoted; a newer flag is hidden from an old daemon */
    struct flag g[] = {
        {"restart", 0, FK_STRING, NULL, "Restart policy", "no"},
        {"annotation", 0, FK_LIST, "map", "Add an annotation", "map[]", .min_api = "1.43"},
        {NULL},
    };
    struct flagset gs = {.flags = g};
    u = flags_usages(&gs, 79, "1.41", true, false);
    CHECK_STR(u, "      --restart string   Restart policy (default \"no\")\n");
    free(u);
}

TEST(cli_references)
{
    struct ref r;
    char msg[256], fam[256];
    CHECK(ref_parse("busybox", &r, msg, sizeof msg) == 0);
    CHECK_STR(r.name, "docker.io/library/busybox");
    ref_default_tag(&r);
    ref_familiar(&r, fam, sizeof fam);
    CHECK_STR(fam, "busybox:latest");
    CHECK(ref_parse("localhost:5000/a/b:v1", &r, msg, sizeof msg) == 0);
    CHECK_STR(r.name, "localhost:5000/a/b");
    CHECK_STR(r.tag, "v1");
    CHECK(ref_parse("user/app", &r, msg, sizeof msg) == 0);
    CHECK_STR(r.name, "docker.io/user/app");
    CHECK_STR(ref_familiar_name(r.name), "user/app");
    CHECK(ref_parse("Busybox", &r, msg, sizeof msg) < 0);
    CHECK_STR(msg, "invalid reference format: repository name (library/Busybox) must be lowercase");
    CHECK(ref_parse("bus:box:x", &r, msg, sizeof msg) < 0);
    CHECK_STR(msg, "invalid reference format");
    CHECK(ref_parse("busybox@sha256:abc", &r, msg, sizeof msg) < 0);
    CHECK(ref_is_id("1402ef46b40d8d34967dc2894657966bc3850362279b50f989c7d123cc667cdb"));
    CHECK(!ref_is_id("busybox"));
}

TEST(cli_timestamps)
{
    char out[64], msg[128];
    time_t now = 1795361466;
    CHECK(get_timestamp("1h", now, out, sizeof out, msg, sizeof msg) == 0);
    CHECK_STR(out, "1795357866");
    CHECK(get_timestamp("2013-01-02T13:23:37Z", now, out, sizeof out, msg, sizeof msg) == 0);
    CHECK_STR(out, "1357133017.000000000");
    CHECK(get_timestamp("2013-01-02T13:23:37.5+01:00", now, out, sizeof out, msg, sizeof msg) == 0);
    CHECK_STR(out, "1357129417.500000000");
    CHECK(get_timestamp("1357133017.25", now, out, sizeof out, msg, sizeof msg) == 0);
    CHECK_STR(out, "1357133017.25");
    CHECK(get_timestamp("nonsense", now, out, sizeof out, msg, sizeof msg) < 0);
}
