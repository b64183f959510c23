/* As the docker CLI's pkg/jsonmessage (DisplayJSONMessagesStream and
 * JSONMessage.Display). */
#include "jsonmessage.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/progress_text.h"
#include "stream.h"

void jm_init(struct jm_display *d, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->out = out;
    d->tty = isatty(fileno(out));
    if (d->tty) {
        unsigned rows = 0, cols = 0;
        term_size(fileno(out), &rows, &cols);
        d->width = cols ? cols : 200;
    }
}

void jm_free(struct jm_display *d)
{
    free(d->ids);
    d->ids = NULL;
    d->nids = d->cap = 0;
}

void jm_progress(json_t *detail, unsigned width, char *out, size_t cap)
{
    pier_progress_text(json_integer_value(json_object_get(detail, "current")),
                       json_integer_value(json_object_get(detail, "total")), width, out, cap);
}

/* The line of id, counted from the first; a new one gets the next. */
static size_t line_of(struct jm_display *d, const char *id, bool *fresh)
{
    for (size_t i = 0; i < d->nids; i++)
        if (strcmp(d->ids[i], id) == 0) {
            *fresh = false;
            return i;
        }
    *fresh = true;
    if (d->nids == d->cap) {
        size_t n = d->cap ? d->cap * 2 : 16;
        char(*v)[72] = realloc(d->ids, n * sizeof *v);
        if (v == NULL)
            return d->nids;
        d->ids = v;
        d->cap = n;
    }
    snprintf(d->ids[d->nids], sizeof d->ids[0], "%s", id);
    return d->nids++;
}

/* JSONMessage.Display */
static void display(struct jm_display *d, json_t *msg)
{
    FILE *out = d->out;
    json_t *detail = json_object_get(msg, "progressDetail");
    const char *stream = json_string_value(json_object_get(msg, "stream"));
    const char *status = json_string_value(json_object_get(msg, "status"));
    const char *id = json_string_value(json_object_get(msg, "id"));
    const char *from = json_string_value(json_object_get(msg, "from"));
    const char *pmsg = json_string_value(json_object_get(msg, "progress"));
    char progress[160];
    jm_progress(detail, d->tty ? d->width : 200, progress, sizeof progress);
    const char *endl = "";
    if (d->tty && stream == NULL && detail != NULL) {
        fputs("\x1b[2K\r", out);
        endl = "\r";
    } else if (detail != NULL && progress[0]) {
        return; /* no bars off a terminal */
    }
    if (id && *id)
        fprintf(out, "%s: ", id);
    if (from && *from)
        fprintf(out, "(from %s) ", from);
    if (detail != NULL && d->tty)
        fprintf(out, "%s %s%s", status ? status : "", progress, endl);
    else if (pmsg && *pmsg)
        fprintf(out, "%s %s%s", status ? status : "", pmsg, endl);
    else if (stream)
        fprintf(out, "%s%s", stream, endl);
    else
        fprintf(out, "%s%s\n", status ? status : "", endl);
}

void jm_show(struct jm_display *d, json_t *msg)
{
    const char *id = json_string_value(json_object_get(msg, "id"));
    bool progress = json_object_get(msg, "progressDetail") != NULL ||
                    json_string_value(json_object_get(msg, "progress")) != NULL;
    size_t diff = 0;
    if (id && *id && progress) {
        bool fresh;
        size_t line = line_of(d, id, &fresh);
        if (fresh && d->tty)
            fputc('\n', d->out);
        diff = d->nids - line;
        if (d->tty && diff > 0)
            fprintf(d->out, "\x1b[%zuA", diff);
    } else {
        /* anything else ends the lines kept in place */
        d->nids = 0;
    }
    display(d, msg);
    if (id && *id && d->tty && diff > 0)
        fprintf(d->out, "\x1b[%zuB", diff);
}
