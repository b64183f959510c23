/* The JSON progress stream of pull and import (jsonmessage): each message
 * drawn as the docker CLI draws it (jsonmessage.c: lines redrawn in place
 * on a terminal, one line per status elsewhere); an error message ends
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "cli.h"
#include "jsonmessage.h"
#include "progress.h"
#include "ref.h"

/* One message; -1 when it carries an error. */
static int show(struct jm_display *d, const char *line, size_t n, bool quiet, struct buf *aux,
                pier_err_t *err)
{
    json_t *j = json_loadb(line, n, 0, NULL);
    if (j == NULL)
        return 0;
    const char *emsg =
        json_string_value(json_object_get(json_object_get(j, "errorDetail"), "message"));
    if (emsg == NULL)
        emsg = json_string_value(json_object_get(j, "error"));
    if (emsg) {
        pier_error(err, 0, "%s", emsg);
        json_decref(j);
        return -1;
    }
    json_t *ax = json_object_get(j, "aux");
    if (ax && aux) {
        /* import reports nothing else worth keeping */
        buf_free(aux);
        json_t *id = json_object_get(ax, "ID");
        if (json_is_string(id))
            buf_puts(aux, json_string_value(id));
    }
    if (!quiet && (json_object_get(j, "status") || json_object_get(j, "stream")))
        jm_show(d, j);
    json_decref(j);
    return 0;
}

int progress_display(struct api_stream *s, FILE *out, bool quiet, struct buf *aux, pier_err_t *err)
{
    char chunk[16384];
    struct buf line = BUF_INIT;
    line.max = 4 * 1024 * 1024;
    struct jm_display d;
    jm_init(&d, out);
    int rc = 0;
    for (;;) {
        ssize_t r = http_read_body(&s->conn, &s->resp, chunk, sizeof chunk, err);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        buf_put(&line, chunk, (size_t)r);
        if (line.failed) {
            rc = pier_error(err, 0, "progress message too long");
            break;
        }
        const char *l;
        size_t ll;
        while ((l = stream_line(&line, &ll)) != NULL) {
            if (show(&d, l, ll, quiet, aux, err) < 0) {
                rc = -1;
                break;
            }
            buf_consume(&line, ll + 1);
        }
        if (rc < 0)
            break;
        fflush(out);
    }
    if (rc == 0 && line.len > 0 && show(&d, line.data, line.len, quiet, aux, err) < 0)
        rc = -1;
    fflush(out);
    jm_free(&d);
    buf_free(&line);
    return rc;
}

int pull_image_to(struct cli *cli, const char *image, const char *platform, FILE *out, bool quiet,
                  bool all_tags, pier_err_t *err)
{
    struct ref r;
    char msg[256];
    if (ref_parse(image, &r, msg, sizeof msg) < 0)
        return pier_error(err, 0, "%s", msg);
    /* no tag asks the daemon for every tag */
    if (!all_tags)
        ref_default_tag(&r);
    cleanup_buf struct buf q = BUF_INIT;
    buf_puts(&q, "/images/create");
    url_param(&q, "fromImage", r.name);
    if (platform && *platform)
        url_param(&q, "platform", platform);
    url_param(&q, "tag", r.digest[0] ? r.digest : r.tag);
    cleanup_free char *auth = registry_auth_header(cli, r.name);
    const char *headers[] = {auth, NULL};
    struct api_stream s;
    if (api_stream_open_headers(cli, "POST", q.data, headers, &s, err) < 0)
        return -1;
    int rc = progress_display(&s, out, quiet, NULL, err);
    api_stream_close(&s);
    return rc;
}

int pull_image(struct cli *cli, const char *image, const char *platform, bool quiet,
               pier_err_t *err)
{
    return pull_image_to(cli, image, platform, stderr, quiet, false, err);
}

int transfer_ref(const char *image, bool all, bool quiet, struct ref *r, pier_err_t *err)
{
    char msg[256];
    if (ref_parse(image, r, msg, sizeof msg) < 0)
        return pier_error(err, 0, "%s", msg);
    bool name_only = r->tag[0] == '\0' && r->digest[0] == '\0';
    if (all && !name_only)
        return pier_error(err, 0, "tag can't be used with --all-tags/-a");
    if (!all && name_only) {
        ref_default_tag(r);
        if (!quiet)
            printf("Using default tag: %s\n", r->tag);
        fflush(stdout);
    }
    return 0;
}
