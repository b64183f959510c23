/* docker's jsonmessage display: each message of a pull's (or import's)
 * progress stream as the docker CLI draws it.  On a terminal every layer
 * keeps a line of its own that is redrawn in place (cursor up, clear,
 * write, cursor down) with its bar; elsewhere the lines follow each other
 * and the progress updates (Downloading, Extracting) are left out. */
#ifndef PIER_CLI_JSONMESSAGE_H
#define PIER_CLI_JSONMESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct jm_display {
    FILE *out;
    bool tty;
    unsigned width;  /* the terminal's columns; the bar needs more than 110 */
    char (*ids)[72]; /* the lines in place, in order */
    size_t nids, cap;
};

void jm_init(struct jm_display *d, FILE *out);
/* One message (not an error: the caller takes those). */
void jm_show(struct jm_display *d, json_t *msg);
void jm_free(struct jm_display *d);
/* JSONProgress.String(): "[====>    ]  1.2MB/2.3MB" (the bar only when
 * wider than 110 columns), "" when there is nothing to show. */
void jm_progress(json_t *detail, unsigned width, char *out, size_t cap);

#endif
