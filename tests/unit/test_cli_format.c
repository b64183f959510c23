/* pier (the CLI): Go's tabwriter, docker's ps columns, JSON as Go writes it,
 * filters, the formatter's table directive, and templates checked against
 * docker's Go types. */
#include "../../src/cli/cli.h"
#include "../../src/cli/filters.h"
#include "../../src/cli/fmt_container.h"
#include "../../src/cli/fmt_event.h"
#include "../../src/cli/format.h"
#include "../../src/cli/json_go.h"
#include "../../src/cli/tabwriter.h"
#include "../../src/cli/tmpl_check.h"

#include "unit.h"

static char *tw(const char *in, struct tw_opts o)
{
    struct buf b = BUF_INIT;
    tabwriter_format(&o, in, strlen(in), &b);
    return buf_steal(&b);
}

TEST(cli_tabwriter)
{
    /* docker's table writer: minwidth 10, padding 3 */
    char *s = tw("CONTAINER ID\tIMAGE\tNAMES\n0123456789ab\tbusybox\tweb\n", TW_TABLE);
    CHECK_STR(s, "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   web\n");
    free(s);
    /* an empty cell still takes its column */
    s = tw("A\tB\tC\nx\t\tz\n", TW_TABLE);
    CHECK_STR(s, "A         B         C\nx                   z\n");
    free(s);
    /* a line without tabs ends the block: columns after it align anew */
    s = tw("aaaaaaaaaaaaaa\tb\nplain\nc\td\n", TW_TABLE);
    CHECK_STR(s, "aaaaaaaaaaaaaa   b\nplain\nc         d\n");
    free(s);
    /* version's writer: minwidth 20, padding 1 */
    struct tw_opts v = {.minwidth = 20, .tabwidth = 1, .padding = 1, .padchar = ' '};
    s = tw("Client:\n Version:\t28.2.2\n API version:\t1.41\n", v);
    CHECK_STR(s, "Client:\n Version:           28.2.2\n API version:       1.41\n");
    free(s);
    /* wide and multi-byte runes count by display width */
    s = tw("\xe2\x80\xa6\tx\n\xe4\xb8\xad\xe6\x96\x87\ty\n", TW_TABLE);
    CHECK_STR(s, "\xe2\x80\xa6         x\n\xe4\xb8\xad\xe6\x96\x87      y\n");
    free(s);
    /* text after the last tab has no column, and no trailing padding */
    s = tw("a\tb\n", TW_TABLE);
    CHECK_STR(s, "a         b\n");
    free(s);
}

TEST(cli_truncation)
{
    char id[16];
    truncate_id("sha256:1402ef46b40d8d34967dc2894657966bc3850362279b50f989c7d123cc667cdb", id,
                sizeof id);
    CHECK_STR(id, "1402ef46b40d");
    truncate_id("abc", id, sizeof id);
    CHECK_STR(id, "abc");
    struct buf b = BUF_INIT;
    ellipsis("sh -c 'echo hello; echo oops >&2; sleep 1000'", 20, &b);
    CHECK_STR(b.data, "sh -c 'echo hello; \xe2\x80\xa6");
    buf_free(&b);
    ellipsis("sleep 1000", 20, &b);
    CHECK_STR(b.data, "sleep 1000");
    buf_free(&b);
    ellipsis("\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87", 5, &b);
    CHECK_STR(b.data, "\xe4\xb8\xad\xe6\x96\x87\xe2\x80\xa6");
    buf_free(&b);
}

static char *ports(const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    struct buf b = BUF_INIT;
    displayable_ports(j, &b);
    json_decref(j);
    return buf_steal(&b);
}

TEST(cli_ports)
{
    char *s = ports("[{\"PrivatePort\":9988,\"Type\":\"tcp\"}]");
    CHECK_STR(s, "9988/tcp");
    free(s);
    s = ports("[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
              "{\"IP\":\"::\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"}]");
    CHECK_STR(s, "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
    free(s);
    /* consecutive ports group into ranges, per protocol */
    s = ports("[{\"PrivatePort\":9000,\"Type\":\"udp\"},{\"PrivatePort\":9001,\"Type\":\"udp\"},"
              "{\"PrivatePort\":9002,\"Type\":\"udp\"},{\"PrivatePort\":80,\"Type\":\"tcp\"}]");
    CHECK_STR(s, "80/tcp, 9000-9002/udp");
    free(s);
    s = ports("[{\"IP\":\"4.3.2.1\",\"PrivatePort\":8080,\"PublicPort\":8080,\"Type\":\"tcp\"},"
              "{\"IP\":\"4.3.2.1\",\"PrivatePort\":8081,\"PublicPort\":8081,\"Type\":\"tcp\"}]");
    CHECK_STR(s, "4.3.2.1:8080-8081->8080-8081/tcp");
    free(s);
    s = ports("[]");
    CHECK_STR(s, "");
    free(s);
}

TEST(cli_container_row)
{
    const char *summary =
        "{\"Id\":\"3b1fcf5930e6ef966690d93b83442f7b5a754717314aa0dc1ac56819754cfd35\","
        "\"Names\":[\"/web\",\"/other/alias\"],\"Image\":\"docker.io/library/busybox:latest\","
        "\"ImageID\":\"sha256:1402ef46b40d\",\"Command\":\"sh -c 'echo hello; sleep 1000'\","
        "\"Created\":1795361380,\"Ports\":[],\"Labels\":{\"tier\":\"front\",\"app\":\"web\"},"
        "\"State\":\"running\",\"Status\":\"Up 2 minutes\",\"SizeRw\":12,\"SizeRootFs\":1984304,"
        "\"Mounts\":[{\"Name\":\"\",\"Source\":\"/very/long/host/path\",\"Driver\":\"\"}],"
        "\"NetworkSettings\":{\"Networks\":{\"bridge\":{}}}}";
    json_t *c = json_loads(summary, 0, NULL);
    json_t *row = container_row(c, true, 1795361380 + 125);
    CHECK_STR(json_string_value(json_object_get(row, "ID")), "3b1fcf5930e6");
    CHECK_STR(json_string_value(json_object_get(row, "Names")), "web");
    CHECK_STR(json_string_value(json_object_get(row, "Image")), "busybox:latest");
    CHECK_STR(json_string_value(json_object_get(row, "Command")),
              "\"sh -c 'echo hello; \xe2\x80\xa6\"");
    CHECK_STR(json_string_value(json_object_get(row, "RunningFor")), "2 minutes ago");
    CHECK_STR(json_string_value(json_object_get(row, "Labels")), "app=web,tier=front");
    CHECK_STR(json_string_value(json_object_get(row, "Size")), "12B (virtual 1.98MB)");
    CHECK_STR(json_string_value(json_object_get(row, "Mounts")), "/very/long/hos\xe2\x80\xa6");
    CHECK_STR(json_string_value(json_object_get(row, "Networks")), "bridge");
    json_decref(row);
    row = container_row(c, false, 1795361380);
    CHECK_STR(json_string_value(json_object_get(row, "Names")), "web,other/alias");
    CHECK_STR(json_string_value(json_object_get(row, "Image")), "docker.io/library/busybox:latest");
    json_decref(row);
    json_decref(c);
}

TEST(cli_go_json)
{
    json_t *j = json_loads("{\"b\":\"<none> & x\",\"a\":[1,2.5,1e21,0.0000001],\"c\":{}}", 0, NULL);
    struct buf b = BUF_INIT;
    json_go_marshal(j, NULL, &b);
    CHECK_STR(b.data, "{\"b\":\"\\u003cnone\\u003e \\u0026 x\",\"a\":[1,2.5,1e+21,1e-7],\"c\":{}}");
    buf_free(&b);
    json_decref(j);
    /* json.Indent keeps the daemon's bytes and order */
    const char *raw = "[{\"Id\":\"x\",\"Args\":[],\"N\":1.50,\"O\":{\"k\":null}}\n,{}\n]";
    json_raw_reformat(raw, strlen(raw), "    ", &b);
    CHECK_STR(b.data, "[\n    {\n        \"Id\": \"x\",\n        \"Args\": [],\n        \"N\": "
                      "1.50,\n        \"O\": {\n            \"k\": null\n        }\n    },\n    "
                      "{}\n]");
    buf_free(&b);
    json_raw_reformat(raw, strlen(raw), NULL, &b);
    CHECK_STR(b.data, "[{\"Id\":\"x\",\"Args\":[],\"N\":1.50,\"O\":{\"k\":null}},{}]");
    buf_free(&b);
}

TEST(cli_filters)
{
    const char *vals[] = {"name=web", " Label = a=b ", "name=api", "status=running"};
    struct flag f = {.name = "filter", .vals = vals, .nvals = 4};
    struct buf b = BUF_INIT;
    filters_json(&f, &b);
    CHECK_STR(b.data, "{\"label\":{\"a=b\":true},\"name\":{\"api\":true,\"web\":true},"
                      "\"status\":{\"running\":true}}");
    buf_free(&b);
    char msg[128];
    CHECK(filter_check("novalue", msg, sizeof msg) != NULL);
    CHECK_STR(msg, "bad format of filter (expected name=value)");
    CHECK(filter_check("a=b", msg, sizeof msg) == NULL);
}

TEST(cli_table_format)
{
    struct fmt_ctx f;
    pier_err_t err = NULL;
    CHECK(fmt_begin(&f, "table {{.ID}}\\t{{upper .Names}}\\t{{.Label \"com.x.app-name\"}}",
                    container_header(), &err) == 0);
    json_t *row = json_pack("{s:s,s:s,s:{s:s}}", "ID", "abc", "Names", "web", "Label",
                            "com.x.app-name", "v1");
    CHECK(fmt_row(&f, row, &err) == 0);
    json_decref(row);
    FILE *mem;
    char *out = NULL;
    size_t len = 0;
    mem = open_memstream(&out, &len);
    CHECK(fmt_end(&f, mem, &err) == 0);
    fclose(mem);
    fmt_free(&f);
    CHECK_STR(out, "CONTAINER ID   NAMES     app name\nabc            WEB       v1\n");
    free(out);
    pier_error_free(&err);
}

/* tmpl_check's error for text on ps's type, or "" when it passes. */
static void check_ps(const char *text, const char *want)
{
    pier_err_t err = NULL;
    int rc = tmpl_check(text, "", &container_context_type, &err);
    const char *got = rc < 0 ? pier_error_msg(err) : "";
    if (strcmp(got, want) != 0)
        unit_fail(__FILE__, __LINE__, "tmpl_check(%s): `%s` != `%s`", text, got, want);
    pier_error_free(&err);
}

TEST(cli_tmpl_check)
{
    /* the errors Go's text/template gives on docker's ContainerContext */
    check_ps("{{.Nope}}", "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope "
                          "in type *formatter.ContainerContext");
    check_ps("{{.ID.X}}", "template: :1:5: executing \"\" at <.ID.X>: can't evaluate field X in "
                          "type string");
    check_ps("{{$.Nope}}", "template: :1:3: executing \"\" at <$.Nope>: can't evaluate field "
                           "Nope in type *formatter.ContainerContext");
    check_ps("a\n  {{printf \"%s\" .Names}} {{.Nope}}",
             "template: :2:27: executing \"\" at <.Nope>: can't evaluate field Nope in type "
             "*formatter.ContainerContext");
    check_ps("table {{.Names}}\t{{.Label \"x\"}}\t{{json .}}", "");
    /* what may not run on the root, or not at all, is left to Go */
    check_ps("{{if false}}{{.Nope}}{{end}}{{with .Names}}{{.X}}{{end}}", "");
    check_ps("{{range $i, $e := split .Names \",\"}}{{$e.X}}{{end}}", "");
    check_ps("{{/* .Nope */}}{{\"{{.Nope}}\"}}{{(.Names).X}}{{$x := .Names}}{{$x.Y}}", "");
    check_ps("{{define \"t\"}}{{.Nope}}{{end}}{{1.5}}", "");
    /* docker names the version template */
    pier_err_t err = NULL;
    pier_fail(&err, 0, "template: :1:2: executing \"\" at <.Nope>: x");
    tmpl_error_name(&err, "version");
    CHECK_STR(pier_error_msg(err), "template: version:1:2: executing \"version\" at <.Nope>: x");
    pier_error_free(&err);
}

TEST(cli_event_message)
{
    json_t *ev =
        json_loads("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"ab\","
                   "\"Attributes\":{\"name\":\"x\",\"exitCode\":\"0\"}},\"scope\":"
                   "\"local\",\"time\":5,\"timeNano\":5000000000,\"status\":\"die\",\"id\":"
                   "\"ab\"}",
                   0, NULL);
    CHECK(ev != NULL);
    /* json.Marshal's order and names; from is empty and omitted */
    json_t *t = event_tagged(ev);
    char *s = json_go_compact(t);
    CHECK_STR(s, "{\"status\":\"die\",\"id\":\"ab\",\"Type\":\"container\",\"Action\":\"die\","
                 "\"Actor\":{\"ID\":\"ab\",\"Attributes\":{\"exitCode\":\"0\",\"name\":\"x\"}},"
                 "\"scope\":\"local\",\"time\":5,\"timeNano\":5000000000}");
    free(s);
    json_decref(t);
    /* the Go field names, zero values kept */
    json_t *r = event_row(ev);
    CHECK_STR(json_string_value(json_object_get(r, "Status")), "die");
    CHECK_STR(json_string_value(json_object_get(r, "From")), "");
    CHECK(json_integer_value(json_object_get(r, "TimeNano")) == 5000000000);
    json_decref(r);
    json_decref(ev);
}
