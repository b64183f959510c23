/* docker's JSON progress messages (jsonmessage.JSONMessage), built for the
 * pull's callback. */
#include <stdio.h>
#include <string.h>

#include "pull_int.h"

static void emit(const struct img_pull_opts *o, json_t *j)
{
    if (j == NULL)
        return;
    if (o->progress == NULL) {
        json_decref(j);
        return;
    }
    o->progress(o->data, j);
}

void pull_msg(const struct img_pull_opts *o, const char *id, const char *status)
{
    if (o->progress == NULL)
        return;
    if (id != NULL)
        emit(o, json_pack("{s:s, s:s}", "status", status, "id", id));
    else
        emit(o, json_pack("{s:s}", "status", status));
}

void pull_layer_msg(const struct img_pull_opts *o, const char *id, const char *status)
{
    if (o->progress == NULL)
        return;
    emit(o, json_pack("{s:s, s:{}, s:s}", "status", status, "progressDetail", "id", id));
}

void pull_human_size(double size, char *out, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    size_t i = 0;
    while (size >= 1000 && i + 1 < sizeof units / sizeof units[0]) {
        size /= 1000;
        i++;
    }
    snprintf(out, cap, "%.4g%s", size, units[i]);
}

/* JSONProgress.String() at docker's default width: a 50-column bar, then
 * current/total. */
static void progress_text(int64_t current, int64_t total, char *out, size_t cap)
{
    char cur[32], tot[32], bar[64] = "";
    pull_human_size((double)current, cur, sizeof cur);
    if (total > 0) {
        pull_human_size((double)total, tot, sizeof tot);
        int pct = (int)((double)current / (double)total * 100) / 2;
        if (pct > 50)
            pct = 50;
        if (pct < 0)
            pct = 0;
        size_t k = 0;
        bar[k++] = '[';
        for (int i = 0; i < pct; i++)
            bar[k++] = '=';
        bar[k++] = '>';
        for (int i = pct; i < 50; i++)
            bar[k++] = ' ';
        bar[k++] = ']';
        bar[k++] = ' ';
        bar[k] = '\0';
        snprintf(out, cap, "%s%8s/%s", bar, cur, tot);
    } else {
        snprintf(out, cap, "%8s", cur);
    }
}

void pull_layer_progress(const struct img_pull_opts *o, const char *id, const char *status,
                         int64_t current, int64_t total)
{
    if (o->progress == NULL)
        return;
    char text[128];
    progress_text(current, total, text, sizeof text);
    emit(o,
         json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", status, "progressDetail", "current",
                   (json_int_t)current, "total", (json_int_t)total, "progress", text, "id", id));
}
