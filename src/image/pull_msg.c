/* docker's JSON progress messages (jsonmessage.JSONMessage), built for the
 * pull's callback. */
#include <stdio.h>
#include <string.h>

#include "../lib/progress_text.h"
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

void pull_layer_progress(const struct img_pull_opts *o, const char *id, const char *status,
                         int64_t current, int64_t total)
{
    if (o->progress == NULL)
        return;
    char text[128];
    /* as docker's daemon, which has no terminal: the width of 200 */
    pier_progress_text(current, total, 200, text, sizeof text);
    emit(o,
         json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", status, "progressDetail", "current",
                   (json_int_t)current, "total", (json_int_t)total, "progress", text, "id", id));
}
