/* The daemon's events as docker's events.Message. */
#ifndef PIER_CLI_FMT_EVENT_H
#define PIER_CLI_FMT_EVENT_H

#include <jansson.h>

#include "tmpl_check.h"

/* What a template may name on *events.Message. */
extern const struct tmpl_type event_message_type;

/* The message as a template sees it: Status, ID, From, Type, Action,
 * Actor (ID, Attributes), Scope, Time, TimeNano; zero values where the
 * event has none. */
json_t *event_row(json_t *ev);
/* The message as json.Marshal writes it: its fields in order under their
 * json names (status, id, from, Type, ...), the omitempty ones left out
 * when empty, the attributes' keys sorted. */
json_t *event_tagged(json_t *ev);

#endif
