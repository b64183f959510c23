/* /_ping, /version, /info and /events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "params.h"
#include "routes.h"

#define PIER_VERSION "0.1.0"

void h_ping(struct api_req *r)
{
    api_set_header(r, "Builder-Version", "1");
    api_set_header(r, "Swarm", "inactive");
    api_set_header(r, "Cache-Control", "no-cache, no-store, must-revalidate");
    api_set_header(r, "Pragma", "no-cache");
    api_reply_text(r, 200, "text/plain; charset=utf-8", "OK");
}

void h_version(struct api_req *r)
{
    struct utsname u;
    uname(&u);
    const char *arch = strcmp(u.machine, "x86_64") == 0    ? "amd64"
                       : strcmp(u.machine, "aarch64") == 0 ? "arm64"
                                                           : u.machine;
    json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
                                API_VERSION, "Arch", arch, "BuildTime", "", "Experimental", "false",
                                "GitCommit", "", "GoVersion", "", "KernelVersion", u.release,
                                "MinAPIVersion", API_MIN_VERSION, "Os", "linux");
    api_reply_json(
        r, 200,
        json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                  "Platform", "Name", "pier", "Components", "Name", "Engine", "Version",
                  PIER_VERSION, "Details", details, "Version", PIER_VERSION, "ApiVersion",
                  API_VERSION, "MinAPIVersion", API_MIN_VERSION, "GitCommit", "", "GoVersion", "",
                  "Os", "linux", "Arch", arch, "KernelVersion", u.release, "BuildTime", ""));
}

void h_info(struct api_req *r)
{
    api_reply_json(r, 200, engine_info(api_engine(r)));
}

/* ---- events ---- */

struct events_stream {
    struct engine *e;
    struct api_stream *s;
    void *sub;
    struct pier_watch *until_timer;
};

static void events_closed(void *data)
{
    struct events_stream *x = data;
    if (x->sub)
        engine_events_unsubscribe(x->e, x->sub);
    if (x->until_timer)
        pier_timer_del(x->until_timer);
    free(x);
}

static void events_one(void *data, json_t *ev)
{
    struct events_stream *x = data;
    api_stream_json_line(x->s, ev);
}

static void events_until(struct pier_loop *l, struct pier_watch *w, uint32_t ev, void *data)
{
    (void)l;
    (void)w;
    (void)ev;
    struct events_stream *x = data;
    pier_timer_del(x->until_timer);
    x->until_timer = NULL;
    api_stream_end(x->s);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void h_events(struct api_req *r)
{
    pier_err_t err = NULL;
    long long since = 0, until = 0;
    cleanup_json json_t *filters = NULL;
    if (param_time(r, "since", &since, &err) < 0 || param_time(r, "until", &until, &err) < 0 ||
        api_query_filters(r, &filters, &err) < 0 || engine_events_check(filters, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    struct events_stream *x = calloc(1, sizeof *x);
    if (x == NULL) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    x->e = api_engine(r);
    x->s = api_reply_stream(r, 200, "application/json", events_closed, x);
    if (x->s == NULL) {
        free(x);
        return;
    }
    x->sub = engine_events_subscribe(x->e, since, until, filters, events_one, x);
    if (x->sub == NULL) {
        api_stream_end(x->s);
        return;
    }
    long long now = now_ns();
    if (until > 0 && until <= now) {
        api_stream_end(x->s);
    } else if (until > 0) {
        x->until_timer = pier_timer_add(engine_loop(x->e), (uint64_t)((until - now) / 1000000) + 1,
                                        0, events_until, x, NULL);
    }
}
