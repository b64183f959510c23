#include "jsonlog.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jsonstr.h"

#define HEAD "{\"log\":\""
#define HEAD_LEN (sizeof HEAD - 1)

/* What follows a line's text: `","stream":"stdout","time":"...Z"}` and
 * the newline.  Made once for all the lines of a read. */
struct tail {
    char s[66 + JSONLOG_TIME_MAX];
    size_t len;
};

static void tail_make(struct tail *t, int stream, const char *time)
{
    int n = snprintf(t->s, sizeof t->s, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                     stream == 2 ? "stderr" : "stdout", time);
    t->len = n > 0 && (size_t)n < sizeof t->s ? (size_t)n : 0;
}

static void entry(struct buf *out, const struct tail *t, const char *text, size_t n)
{
    /* escaped in place: at most 6 bytes for each byte of the text */
    char *at = buf_room(out, HEAD_LEN + 6 * n + t->len);
    if (at == NULL)
        return;
    char *o = at;
    memcpy(o, HEAD, HEAD_LEN);
    o += HEAD_LEN;
    o += pier_json_escape(o, text, n);
    memcpy(o, t->s, t->len);
    o += t->len;
    out->len += (size_t)(o - at);
}

/* A piece of a line cut at 16 KiB, or its end: stamped with the time of
 * the first piece, which the first one sets. */
static void piece(struct jsonlog *j, int stream, const char *text, size_t n, const char *now)
{
    struct jsonlog_line *l = &j->line[stream == 2];
    if (l->first_time[0] == '\0')
        snprintf(l->first_time, sizeof l->first_time, "%s", now);
    struct tail t;
    tail_make(&t, stream, l->first_time);
    entry(&j->out, &t, text, n);
}

void jsonlog_write(struct jsonlog *j, int stream, const char *data, size_t n, const char *now)
{
    struct jsonlog_line *l = &j->line[stream == 2];
    struct tail t, nl_tail;
    tail_make(&t, stream, now);
    /* the same with the line's escaped newline before it */
    memcpy(nl_tail.s, "\\n", 2);
    memcpy(nl_tail.s + 2, t.s, t.len);
    nl_tail.len = t.len + 2;
    while (n > 0) {
        /* Most lines are plain text and a newline, all in one read: found
         * in one pass and copied whole. */
        if (l->bytes.len == 0 && l->first_time[0] == '\0') {
            size_t look = n < JSONLOG_PIECE ? n : JSONLOG_PIECE;
            size_t run = pier_json_plain_len(data, look);
            if (run < look && data[run] == '\n') {
                char *at = buf_room(&j->out, HEAD_LEN + run + nl_tail.len);
                if (at == NULL)
                    return;
                memcpy(at, HEAD, HEAD_LEN);
                memcpy(at + HEAD_LEN, data, run);
                memcpy(at + HEAD_LEN + run, nl_tail.s, nl_tail.len);
                j->out.len += HEAD_LEN + run + nl_tail.len;
                data += run + 1;
                n -= run + 1;
                continue;
            }
        }
        /* docker's copier holds 16 KiB: a newline must come within what
         * fits after the start of the line */
        size_t room = JSONLOG_PIECE - l->bytes.len;
        size_t look = n < room ? n : room;
        const char *nl = memchr(data, '\n', look);
        size_t seg = nl != NULL ? (size_t)(nl - data) + 1 : look;
        if (nl == NULL && look < room) {
            buf_put(&l->bytes, data, n); /* the rest of it comes later */
            return;
        }
        const char *text = data;
        size_t len = seg;
        if (l->bytes.len > 0) {
            buf_put(&l->bytes, data, seg);
            text = l->bytes.data;
            len = l->bytes.len;
        }
        bool split = nl == NULL || l->first_time[0] != '\0';
        if (split)
            piece(j, stream, text, len, now);
        else
            entry(&j->out, &t, text, len);
        if (nl != NULL)
            l->first_time[0] = '\0';
        l->bytes.len = 0;
        data += seg;
        n -= seg;
    }
}

void jsonlog_end(struct jsonlog *j, const char *now)
{
    for (int s = 1; s <= 2; s++) {
        struct jsonlog_line *l = &j->line[s - 1];
        if (l->bytes.len > 0)
            piece(j, s, l->bytes.data, l->bytes.len, now);
        l->bytes.len = 0;
        l->first_time[0] = '\0';
    }
}

void jsonlog_free(struct jsonlog *j)
{
    buf_free(&j->out);
    buf_free(&j->line[0].bytes);
    buf_free(&j->line[1].bytes);
}
