/* The daemon's events as docker's CLI holds them: an events.Message,
 * whose Go field names a template uses and whose json names {{json .}}
 * writes. */
#include "fmt_event.h"

#include <stdbool.h>
#include <string.h>

#include "json_go.h"

/* What a template may name on docker's *events.Message. */
static const struct tmpl_type event_type_type = {"events.Type", NULL, false};
static const struct tmpl_type event_action_type = {"events.Action", NULL, false};
static const struct tmpl_field actor_fields[] = {
    {"ID", &tmpl_string},
    {"Attributes", &tmpl_map},
    {NULL},
};
static const struct tmpl_type actor_type = {"events.Actor", actor_fields, false};
static const struct tmpl_field message_fields[] = {
    {"Status", &tmpl_string},       {"ID", &tmpl_string},
    {"From", &tmpl_string},         {"Type", &event_type_type},
    {"Action", &event_action_type}, {"Actor", &actor_type},
    {"Scope", &tmpl_string},        {"Time", &tmpl_int64},
    {"TimeNano", &tmpl_int64},      {NULL},
};
const struct tmpl_type event_message_type = {"*events.Message", message_fields, false};

static json_t *actor(json_t *ev)
{
    json_t *a = json_object_get(ev, "Actor");
    json_t *id = json_object_get(a, "ID");
    json_t *out = json_object();
    json_object_set_new(out, "ID", json_is_string(id) ? json_incref(id) : json_string(""));
    json_object_set_new(out, "Attributes", sorted_object(json_object_get(a, "Attributes")));
    return out;
}

/* A member of ev, or the zero value of its Go type. */
static json_t *member(json_t *ev, const char *key, bool number)
{
    json_t *v = json_object_get(ev, key);
    if (number)
        return json_integer(json_is_integer(v) ? json_integer_value(v) : 0);
    return json_string(json_is_string(v) ? json_string_value(v) : "");
}

json_t *event_row(json_t *ev)
{
    json_t *r = json_object();
    json_object_set_new(r, "Status", member(ev, "status", false));
    json_object_set_new(r, "ID", member(ev, "id", false));
    json_object_set_new(r, "From", member(ev, "from", false));
    json_object_set_new(r, "Type", member(ev, "Type", false));
    json_object_set_new(r, "Action", member(ev, "Action", false));
    json_object_set_new(r, "Actor", actor(ev));
    json_object_set_new(r, "Scope", member(ev, "scope", false));
    json_object_set_new(r, "Time", member(ev, "time", true));
    json_object_set_new(r, "TimeNano", member(ev, "timeNano", true));
    return r;
}

json_t *event_tagged(json_t *ev)
{
    static const struct {
        const char *key;
        bool number, omitempty;
    } fields[] = {
        {"status", false, true}, {"id", false, true},      {"from", false, true},
        {"Type", false, false},  {"Action", false, false}, {"Actor", false, false},
        {"scope", false, true},  {"time", true, true},     {"timeNano", true, true},
    };
    json_t *r = json_object();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(fields[i].key, "Actor") == 0) {
            json_object_set_new(r, "Actor", actor(ev));
            continue;
        }
        json_t *v = member(ev, fields[i].key, fields[i].number);
        bool empty = fields[i].number ? json_integer_value(v) == 0 : *json_string_value(v) == '\0';
        if (empty && fields[i].omitempty)
            json_decref(v);
        else
            json_object_set_new(r, fields[i].key, v);
    }
    return r;
}
