/* images (image ls), rmi (image rm), tag, import. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "cli.h"
#include "filters.h"
#include "fmt_container.h"
#include "format.h"
#include "progress.h"
#include "ref.h"
#include "units.h"

#define IMAGE_TABLE                                                                                \
    "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{if .CreatedSince "                             \
    "}}{{.CreatedSince}}{{else}}N/"                                                                \
    "A{{end}}\\t{{.Size}}"
#define IMAGE_TABLE_DIGEST                                                                         \
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{if .CreatedSince "               \
    "}}{{.CreatedSince}}{{else}}N/A{{end}}\\t{{.Size}}"

static json_t *image_header(void)
{
    json_t *h = json_object();
    static const char *const kv[][2] = {
        {"ID", "IMAGE ID"},
        {"Repository", "REPOSITORY"},
        {"Tag", "TAG"},
        {"Digest", "DIGEST"},
        {"CreatedSince", "CREATED"},
        {"CreatedAt", "CREATED AT"},
        {"Size", "SIZE"},
        {"Containers", "CONTAINERS"},
        {"VirtualSize", "SIZE"},
        {"SharedSize", "SHARED SIZE"},
        {"UniqueSize", "UNIQUE SIZE"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        json_object_set_new(h, kv[i][0], json_string(kv[i][1]));
    return h;
}

/* What a template may name on docker's *formatter.imageContext. */
static const struct tmpl_field image_fields[] = {
    {"Containers", &tmpl_string},
    {"CreatedAt", &tmpl_string},
    {"CreatedSince", &tmpl_string},
    {"Digest", &tmpl_string},
    {"ID", &tmpl_string},
    {"Repository", &tmpl_string},
    {"SharedSize", &tmpl_string},
    {"Size", &tmpl_string},
    {"Tag", &tmpl_string},
    {"UniqueSize", &tmpl_string},
    {"VirtualSize", &tmpl_string},
    {"FullHeader", NULL},
    {"Header", NULL},
    {"MarshalJSON", NULL},
    {NULL},
};
static const struct tmpl_type image_context_type = {"*formatter.imageContext", image_fields, false};

/* NewImageFormat */
static void image_format(const char *source, bool quiet, bool digest, struct buf *out)
{
    if (strcmp(source, "table") == 0) {
        buf_puts(out, quiet ? "{{.ID}}" : digest ? IMAGE_TABLE_DIGEST : IMAGE_TABLE);
        return;
    }
    if (strcmp(source, "raw") == 0) {
        if (quiet)
            buf_puts(out, "image_id: {{.ID}}");
        else if (digest)
            buf_puts(out,
                     "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: "
                     "{{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: "
                     "{{.Size}}\n");
        else
            buf_puts(out, "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: "
                          "{{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n");
        return;
    }
    buf_puts(out, source);
    if (strncmp(source, "table", 5) == 0 && digest && !strstr(source, "{{.Digest}}"))
        buf_puts(out, "\\t{{.Digest}}");
}

static json_t *image_row(json_t *img, const char *repo, const char *tag, const char *digest,
                         bool trunc, time_t now)
{
    json_t *row = json_object();
    char s[64];
    int64_t containers = json_integer_value(json_object_get(img, "Containers"));
    if (json_object_get(img, "Containers") == NULL)
        containers = -1;
    if (containers == -1)
        snprintf(s, sizeof s, "N/A");
    else
        snprintf(s, sizeof s, "%lld", (long long)containers);
    json_object_set_new(row, "Containers", json_string(s));
    int64_t created = json_integer_value(json_object_get(img, "Created"));
    go_time_string(created, s, sizeof s);
    json_object_set_new(row, "CreatedAt", json_string(s));
    char d[64];
    human_duration(((int64_t)now - created) * 1000000000LL, d, sizeof d);
    snprintf(s, sizeof s, "%s ago", d);
    json_object_set_new(row, "CreatedSince", json_string(s));
    json_object_set_new(row, "Digest", json_string(digest));
    const char *id = json_string_value(json_object_get(img, "Id")) ?: "";
    char sid[16];
    truncate_id(id, sid, sizeof sid);
    json_object_set_new(row, "ID", json_string(trunc ? sid : id));
    json_object_set_new(row, "Repository", json_string(repo));
    int64_t size = json_integer_value(json_object_get(img, "Size"));
    json_t *sh = json_object_get(img, "SharedSize");
    int64_t shared = sh ? json_integer_value(sh) : -1;
    if (shared == -1)
        snprintf(s, sizeof s, "N/A");
    else
        human_size((double)shared, s, sizeof s);
    json_object_set_new(row, "SharedSize", json_string(s));
    human_size_prec((double)size, 3, s, sizeof s);
    json_object_set_new(row, "Size", json_string(s));
    json_object_set_new(row, "Tag", json_string(tag));
    if (size == -1 || shared == -1)
        snprintf(s, sizeof s, "N/A");
    else
        human_size((double)(size - shared), s, sizeof s);
    json_object_set_new(row, "UniqueSize", json_string(s));
    human_size((double)size, s, sizeof s);
    json_object_set_new(row, "VirtualSize", json_string(s));
    return row;
}

/* The rows of one image: one per repository and tag (and digest when
 * shown), as imageFormatTaggedAndDigest groups them. */
static int image_rows(struct fmt_ctx *f, json_t *img, bool trunc, bool digests, time_t now,
                      pier_err_t *err)
{
    json_t *tags = json_object_get(img, "RepoTags");
    json_t *dgs = json_object_get(img, "RepoDigests");
    bool dangling =
        (json_array_size(tags) == 0 && json_array_size(dgs) == 0) ||
        (json_array_size(tags) == 1 &&
         strcmp(json_string_value(json_array_get(tags, 0)) ?: "", "<none>:<none>") == 0 &&
         json_array_size(dgs) == 1 &&
         strcmp(json_string_value(json_array_get(dgs, 0)) ?: "", "<none>@<none>") == 0);
    if (dangling) {
        cleanup_json json_t *row = image_row(img, "<none>", "<none>", "<none>", trunc, now);
        return fmt_row(f, row, err);
    }
    /* repo -> [tags], repo -> [digests], in first-seen order */
    cleanup_json json_t *by_repo = json_object();
    cleanup_json json_t *dig_repo = json_object();
    size_t i;
    json_t *v;
    char msg[256];
    json_array_foreach (tags, i, v) {
        struct ref r;
        if (ref_parse(json_string_value(v) ?: "", &r, msg, sizeof msg) < 0 || !r.tag[0])
            continue;
        const char *fam = ref_familiar_name(r.name);
        json_t *l = json_object_get(by_repo, fam);
        if (!l) {
            l = json_array();
            json_object_set_new(by_repo, fam, l);
        }
        json_array_append_new(l, json_string(r.tag));
    }
    json_array_foreach (dgs, i, v) {
        struct ref r;
        if (ref_parse(json_string_value(v) ?: "", &r, msg, sizeof msg) < 0 || !r.digest[0])
            continue;
        const char *fam = ref_familiar_name(r.name);
        json_t *l = json_object_get(dig_repo, fam);
        if (!l) {
            l = json_array();
            json_object_set_new(dig_repo, fam, l);
        }
        json_array_append_new(l, json_string(r.digest));
    }
    bool need_digest = digests || strstr(f->final, "{{.Digest}}") != NULL;
    const char *repo;
    json_t *tl;
    json_object_foreach (by_repo, repo, tl) {
        json_t *dl = need_digest ? json_object_get(dig_repo, repo) : NULL;
        size_t k;
        json_t *t;
        json_array_foreach (tl, k, t) {
            if (json_array_size(dl) == 0) {
                cleanup_json json_t *row =
                    image_row(img, repo, json_string_value(t), "<none>", trunc, now);
                if (fmt_row(f, row, err) < 0)
                    return -1;
                continue;
            }
            size_t m;
            json_t *dg;
            json_array_foreach (dl, m, dg) {
                cleanup_json json_t *row =
                    image_row(img, repo, json_string_value(t), json_string_value(dg), trunc, now);
                if (fmt_row(f, row, err) < 0)
                    return -1;
            }
        }
    }
    json_object_foreach (dig_repo, repo, tl) {
        if (json_object_get(by_repo, repo))
            continue;
        if (digests) {
            size_t m;
            json_t *dg;
            json_array_foreach (tl, m, dg) {
                cleanup_json json_t *row =
                    image_row(img, repo, "<none>", json_string_value(dg), trunc, now);
                if (fmt_row(f, row, err) < 0)
                    return -1;
            }
        } else {
            cleanup_json json_t *row = image_row(img, repo, "<none>", "", trunc, now);
            if (fmt_row(f, row, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int run_images(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/json");
    if (flag_bool(fs, "all"))
        url_param(&q, "all", "1");
    struct flag *ff = flag_get(fs, "filter");
    /* a REPOSITORY[:TAG] argument is a reference filter */
    if (fs->nargs == 1) {
        cleanup_free char *refv = NULL;
        if (asprintf(&refv, "reference=%s", fs->args[0]) < 0) {
            pier_error(&err, ENOMEM, "images");
            return cli_fail(&err);
        }
        filters_param_with(ff, refv, &q);
    } else {
        filters_param(ff, &q);
    }
    struct api_resp r;
    json_t *list;
    if (api_call(cli, "GET", q.data, NULL, &r, &err) < 0 || api_json(&r, &list, &err) < 0) {
        api_resp_free(&r);
        return cli_fail(&err);
    }
    bool quiet = flag_bool(fs, "quiet"), digests = flag_bool(fs, "digests");
    const char *format = flag_str(fs, "format");
    if (*format == '\0')
        format =
            *cli_config(cli, "imagesFormat") && !quiet ? cli_config(cli, "imagesFormat") : "table";
    cleanup_buf struct buf fmt = BUF_INIT;
    image_format(format, quiet, digests, &fmt);
    struct fmt_ctx f;
    if (fmt_begin(&f, fmt.data, image_header(), &err) < 0) {
        fmt_free(&f);
        api_resp_free(&r);
        return cli_fail(&err);
    }
    f.type = &image_context_type;
    time_t now = time(NULL);
    bool trunc = !flag_bool(fs, "no-trunc");
    size_t i;
    json_t *img;
    int rc = 0;
    json_array_foreach (list, i, img) {
        if (image_rows(&f, img, trunc, digests, now, &err) < 0) {
            rc = cli_fail(&err);
            break;
        }
    }
    if (rc == 0 && fmt_end(&f, stdout, &err) < 0)
        rc = cli_fail(&err);
    fmt_free(&f);
    api_resp_free(&r);
    return rc;
}

static struct flag images_flags[] = {
    {"all", 'a', FK_BOOL, NULL, "Show all images (default hides intermediate images)"},
    {"digests", 0, FK_BOOL, NULL, "Show digests"},
    {"filter", 'f', FK_LIST, "filter", "Filter output based on conditions provided",
     .check = filter_check},
    {"format", 0, FK_STRING, NULL, TABLE_FORMAT_HELP},
    {"no-trunc", 0, FK_BOOL, NULL, "Don't truncate output"},
    {"quiet", 'q', FK_BOOL, NULL, "Only show image IDs"},
    {"tree", 0, FK_BOOL, NULL, "List multi-platform images as a tree (EXPERIMENTAL)",
     .min_api = "1.47"},
    {NULL},
};

struct cmd cmd_images = {
    .use = "images [OPTIONS] [REPOSITORY[:TAG]]",
    .aliases = "image ls, image list, images",
    .short_desc = "List images",
    .args = ARGS_MAX,
    .amax = 1,
    .flags = images_flags,
    .run = run_images,
};

struct cmd cmd_image_ls = {
    .use = "ls [OPTIONS] [REPOSITORY[:TAG]]",
    .aliases = "image ls, image list, images",
    .short_desc = "List images",
    .args = ARGS_MAX,
    .amax = 1,
    .flags = images_flags,
    .run = run_images,
};

/* --- rmi ---------------------------------------------------------------------- */

static int run_rmi(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    cleanup_buf struct buf q = BUF_INIT;
    if (flag_bool(fs, "force"))
        url_param(&q, "force", "1");
    if (flag_bool(fs, "no-prune"))
        url_param(&q, "noprune", "1");
    int rc = 0;
    bool fatal = false;
    cleanup_buf struct buf errors = BUF_INIT;
    for (int i = 0; i < fs->nargs; i++) {
        cleanup_buf struct buf p = BUF_INIT;
        buf_puts(&p, "/images/");
        /* the reference as given, as docker sends it */
        buf_puts(&p, fs->args[i]);
        if (q.len)
            buf_puts(&p, q.data);
        struct api_resp r;
        json_t *list;
        if (api_do(cli, "DELETE", p.data, NULL, &r, &err) < 0 ||
            (r.status >= 400 && api_error(&r, &err) < 0) || api_json(&r, &list, &err) < 0) {
            /* with -f, only images that are not there are no failure */
            if (r.status != 404)
                fatal = true;
            if (errors.len)
                buf_putc(&errors, '\n');
            buf_puts(&errors, pier_error_msg(err));
            pier_error_free(&err);
            api_resp_free(&r);
            continue;
        }
        size_t k;
        json_t *d;
        json_array_foreach (list, k, d) {
            const char *u = json_string_value(json_object_get(d, "Untagged"));
            const char *del = json_string_value(json_object_get(d, "Deleted"));
            if (u && *u)
                printf("Untagged: %s\n", u);
            else if (del && *del)
                printf("Deleted: %s\n", del);
        }
        api_resp_free(&r);
    }
    if (errors.len) {
        fflush(stdout);
        fprintf(stderr, "%s\n", errors.data);
        rc = flag_bool(fs, "force") && !fatal ? 0 : 1;
    }
    return rc;
}

static struct flag rmi_flags[] = {
    {"force", 'f', FK_BOOL, NULL, "Force removal of the image"},
    {"no-prune", 0, FK_BOOL, NULL, "Do not delete untagged parents"},
    {"platform", 0, FK_LIST, "strings",
     "Remove only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., "
     "\"linux/amd64\")",
     .min_api = "1.50"},
    {NULL},
};

struct cmd cmd_rmi = {
    .use = "rmi [OPTIONS] IMAGE [IMAGE...]",
    .aliases = "image rm, image remove, rmi",
    .short_desc = "Remove one or more images",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = rmi_flags,
    .run = run_rmi,
};

struct cmd cmd_image_rm = {
    .use = "rm [OPTIONS] IMAGE [IMAGE...]",
    .aliases = "image rm, image remove, rmi",
    .short_desc = "Remove one or more images",
    .args = ARGS_MIN,
    .amin = 1,
    .flags = rmi_flags,
    .run = run_rmi,
};

/* --- tag ---------------------------------------------------------------------- */

static int run_tag(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    struct ref r;
    char msg[512];
    if (ref_parse(fs->args[1], &r, msg, sizeof msg) < 0) {
        fprintf(stderr, "Error parsing reference: \"%s\" is not a valid repository/tag: %s\n",
                fs->args[1], msg);
        return 1;
    }
    if (r.digest[0]) {
        fprintf(stderr, "refusing to create a tag with a digest reference\n");
        return 1;
    }
    ref_default_tag(&r);
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/");
    buf_puts(&q, fs->args[0]);
    buf_puts(&q, "/tag?repo=");
    url_escape(r.name, &q);
    buf_puts(&q, "&tag=");
    url_escape(r.tag, &q);
    struct api_resp resp;
    if (api_call(cli, "POST", q.data, NULL, &resp, &err) < 0)
        return cli_fail(&err);
    api_resp_free(&resp);
    return 0;
}

struct cmd cmd_tag = {
    .use = "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    .aliases = "image tag, tag",
    .short_desc = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    .args = ARGS_EXACT,
    .amin = 2,
    .run = run_tag,
};

/* --- import -------------------------------------------------------------------- */

static int run_import(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *src = fs->args[0];
    const char *repo = fs->nargs > 1 ? fs->args[1] : "";
    struct ref r;
    char msg[512];
    if (*repo && ref_parse(repo, &r, msg, sizeof msg) < 0) {
        pier_error(&err, 0, "%s", msg);
        return cli_fail(&err);
    }
    cleanup_close int fd = -1;
    bool url = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
    if (strcmp(src, "-") == 0) {
        fd = dup(0);
    } else if (!url) {
        fd = open(src, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            pier_error(&err, 0, "open %s: %s", src, go_strerror(errno));
            return cli_fail(&err);
        }
    }
    /* url.Values in key order: changes, fromSrc, message, platform, repo */
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/create");
    struct flag *ch = flag_get(fs, "change");
    for (size_t i = 0; i < ch->nvals; i++)
        url_param(&q, "changes", ch->vals[i]);
    url_param(&q, "fromSrc", url ? src : "-");
    const char *message = flag_str(fs, "message");
    if (*message)
        url_param(&q, "message", message);
    const char *platform = flag_str(fs, "platform");
    if (*platform)
        url_param(&q, "platform", platform);
    if (*repo)
        url_param(&q, "repo", repo);
    struct api_stream s;
    if (api_stream_open(cli, "POST", q.data, NULL, fd, "text/plain", &s, &err) < 0)
        return cli_fail(&err);
    /* the stream's status lines carry the new image's ID */
    int rc = progress_display(&s, stdout, false, NULL, &err);
    api_stream_close(&s);
    if (rc < 0)
        return cli_fail(&err);
    return 0;
}

static struct flag import_flags[] = {
    {"change", 'c', FK_LIST, NULL, "Apply Dockerfile instruction to the created image"},
    {"message", 'm', FK_STRING, NULL, "Set commit message for imported image"},
    {"platform", 0, FK_STRING, NULL, "Set platform if server is multi-platform capable",
     .min_api = "1.32"},
    {NULL},
};

struct cmd cmd_import = {
    .use = "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    .aliases = "image import, import",
    .short_desc = "Import the contents from a tarball to create a filesystem image",
    .args = ARGS_RANGE,
    .amin = 1,
    .amax = 2,
    .flags = import_flags,
    .run = run_import,
};
