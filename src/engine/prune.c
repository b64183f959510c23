/* docker container prune: every stopped container goes, but those the
 * filters keep (label, label!, until). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/filters.h"
#include "../lib/log.h"
#include "internal.h"

static const char *const prune_filters[] = {"label", "label!", "until", NULL};

/* until: a timestamp ("1700000000", RFC 3339) or a duration ago ("24h") */
static bool older_than(const char *v, void *data)
{
    struct container *c = data;
    long long created = rfc3339_to_ns(c->created);
    char *end;
    double d = strtod(v, &end);
    long long limit;
    if (end != v && *end != '\0' && strchr("smh", *end) && end[1] == '\0') {
        double mult = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
        limit = (long long)time(NULL) * 1000000000LL - (long long)(d * mult * 1e9);
    } else if (end != v && *end == '\0') {
        limit = (long long)(d * 1e9);
    } else {
        limit = rfc3339_to_ns(v);
    }
    return created < limit;
}

int engine_prune(struct engine *e, json_t *filters, json_t **out, pier_err_t *err)
{
    if (pier_filters_check(filters, prune_filters, err) < 0)
        return -1;
    json_t *deleted = json_array();
    for (struct container *c = e->containers, *next; c; c = next) {
        next = c->next;
        if (container_running(c) || c->state == C_RESTARTING)
            continue;
        json_t *labels = json_object_get(c->config, "Labels");
        if (!pier_filters_labels(filters, "label", labels) ||
            (pier_filters_has(filters, "label!") &&
             pier_filters_labels(filters, "label!", labels)) ||
            !pier_filters_any(filters, "until", older_than, c))
            continue;
        char id[65];
        snprintf(id, sizeof id, "%s", c->id);
        pier_err_t e2 = NULL;
        if (engine_remove(e, c, false, false, &e2) < 0) {
            pier_warn("prune %s: %s", id, pier_error_msg(e2));
            pier_error_free(&e2);
            continue;
        }
        json_array_append_new(deleted, json_string(id));
    }
    *out = json_pack("{s:o, s:i}", "ContainersDeleted", deleted, "SpaceReclaimed", 0);
    engine_event(e, "container", "prune", "", json_pack("{s:s}", "reclaimed", "0"));
    return 0;
}
