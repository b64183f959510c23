/* Events: docker's stream of what happened to containers and images.  The
 * recent ones are kept (for --since), and subscribers get new ones live. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/filters.h"
#include "internal.h"

#define EVENTS_KEPT 1024

struct event_sub {
    long long since, until;
    json_t *filters;
    event_fn fn;
    void *data;
    struct event_sub *next;
};

static long long event_ns(json_t *ev)
{
    return json_integer_value(json_object_get(ev, "timeNano"));
}

static const char *attr(json_t *ev, const char *key)
{
    const char *v = json_string_value(
        json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"), key));
    return v ? v : "";
}

static const char *str(json_t *ev, const char *key)
{
    const char *v = json_string_value(json_object_get(ev, key));
    return v ? v : "";
}

static const char *actor_id(json_t *ev)
{
    const char *v = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));
    return v ? v : "";
}

static bool by_type(const char *v, void *ev)
{
    return strcmp(str(ev, "Type"), v) == 0;
}

/* "exec_start: sh -c ..." is the action exec_start */
static bool by_action(const char *v, void *ev)
{
    const char *a = str(ev, "Action");
    size_t n = strlen(v);
    return strncmp(a, v, n) == 0 && (a[n] == '\0' || a[n] == ':');
}

static bool by_container(const char *v, void *ev)
{
    return strcmp(str(ev, "Type"), "container") == 0 &&
           ((strlen(v) >= 1 && strncmp(actor_id(ev), v, strlen(v)) == 0) ||
            strcmp(attr(ev, "name"), v) == 0);
}

static bool by_image(const char *v, void *ev)
{
    if (strcmp(str(ev, "Type"), "image") == 0)
        return strcmp(actor_id(ev), v) == 0 || strcmp(attr(ev, "name"), v) == 0;
    const char *img = attr(ev, "image");
    size_t n = strlen(v);
    return strcmp(img, v) == 0 || (strncmp(img, v, n) == 0 && img[n] == ':');
}

static bool by_scope(const char *v, void *ev)
{
    return strcmp(str(ev, "scope"), v) == 0;
}

static const char *const event_filters[] = {"config", "container", "daemon", "event",  "image",
                                            "label",  "network",   "node",   "plugin", "scope",
                                            "secret", "service",   "type",   "volume", NULL};

static bool wanted(json_t *f, json_t *ev)
{
    if (f == NULL)
        return true;
    return pier_filters_any(f, "type", by_type, ev) &&
           pier_filters_any(f, "event", by_action, ev) &&
           pier_filters_any(f, "container", by_container, ev) &&
           pier_filters_any(f, "image", by_image, ev) &&
           pier_filters_any(f, "scope", by_scope, ev) &&
           pier_filters_labels(f, "label",
                               json_object_get(json_object_get(ev, "Actor"), "Attributes"));
}

void engine_event(struct engine *e, const char *type, const char *action, const char *id,
                  json_t *attrs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (attrs == NULL)
        attrs = json_object();
    json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", type, "Action",
                           action, "Actor", "ID", id, "Attributes", attrs, "scope", "local", "time",
                           (json_int_t)ts.tv_sec, "timeNano", (json_int_t)ns);
    if (ev == NULL)
        return;
    /* the fields of API versions before 1.22 */
    if (strcmp(type, "container") == 0) {
        json_object_set_new(ev, "status", json_string(action));
        json_object_set_new(ev, "id", json_string(id));
        const char *img = json_string_value(json_object_get(attrs, "image"));
        if (img)
            json_object_set_new(ev, "from", json_string(img));
    }
    json_array_append(e->events, ev);
    if (json_array_size(e->events) > EVENTS_KEPT)
        json_array_remove(e->events, 0);
    for (struct event_sub *s = e->subs, *next; s; s = next) {
        next = s->next;
        if ((s->until == 0 || ns <= s->until) && wanted(s->filters, ev))
            s->fn(s->data, ev);
    }
    json_decref(ev);
}

void ct_event(struct container *c, const char *action, json_t *extra)
{
    json_t *attrs = json_object();
    const char *img = json_string_value(json_object_get(c->config, "Image"));
    json_object_set_new(attrs, "image", json_string(img ? img : ""));
    json_object_set_new(attrs, "name", json_string(c->name));
    const char *k;
    json_t *v;
    json_object_foreach (json_object_get(c->config, "Labels"), k, v)
        json_object_set(attrs, k, v);
    if (extra) {
        json_object_update(attrs, extra);
        json_decref(extra);
    }
    engine_event(c->e, "container", action, c->id, attrs);
}

int engine_events_check(json_t *filters, pier_err_t *err)
{
    return pier_filters_check(filters, event_filters, err);
}

void *engine_events_subscribe(struct engine *e, long long since, long long until, json_t *filters,
                              event_fn fn, void *data)
{
    struct event_sub *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    *s = (struct event_sub){.since = since,
                            .until = until,
                            .filters = json_incref(filters),
                            .fn = fn,
                            .data = data,
                            .next = e->subs};
    if (since > 0) {
        size_t i;
        json_t *ev;
        json_array_foreach (e->events, i, ev) {
            long long t = event_ns(ev);
            if (t >= since && (until == 0 || t <= until) && wanted(filters, ev))
                fn(data, ev);
        }
    }
    e->subs = s;
    return s;
}

void engine_events_unsubscribe(struct engine *e, void *handle)
{
    for (struct event_sub **p = &e->subs; *p; p = &(*p)->next)
        if (*p == handle) {
            struct event_sub *s = *p;
            *p = s->next;
            json_decref(s->filters);
            free(s);
            return;
        }
}
