/* /networks: list, inspect, create, remove, connect, disconnect, prune. */
#include <stdlib.h>

#include "../lib/cleanup.h"
#include "../lib/json.h"
#include "routes.h"

void h_networks_list(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    json_t *out;
    if (api_query_filters(r, &filters, &err) < 0 ||
        engine_network_list(api_engine(r), filters, &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 200, out);
}

void h_networks_inspect(struct api_req *r)
{
    pier_err_t err = NULL;
    json_t *out;
    if (engine_network_inspect(api_engine(r), api_param(r, 0), &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 200, out);
}

void h_networks_create(struct api_req *r)
{
    cleanup_json json_t *body = NULL;
    if (api_body_object(r, &body, "network create: a JSON body is required") < 0)
        return;
    pier_err_t err = NULL;
    json_t *out;
    if (engine_network_create(api_engine(r), body, &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 201, out);
}

void h_networks_remove(struct api_req *r)
{
    pier_err_t err = NULL;
    if (engine_network_remove(api_engine(r), api_param(r, 0), &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_empty(r, 204);
}

static void connect_or_disconnect(struct api_req *r, bool connect)
{
    cleanup_json json_t *body = NULL;
    if (api_body_object(r, &body, "a JSON body naming the Container is required") < 0)
        return;
    pier_err_t err = NULL;
    int rc = connect ? engine_network_connect(api_engine(r), api_param(r, 0), body, &err)
                     : engine_network_disconnect(api_engine(r), api_param(r, 0), body, &err);
    if (rc < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_empty(r, 200);
}

void h_networks_connect(struct api_req *r)
{
    connect_or_disconnect(r, true);
}

void h_networks_disconnect(struct api_req *r)
{
    connect_or_disconnect(r, false);
}

void h_networks_prune(struct api_req *r)
{
    pier_err_t err = NULL;
    cleanup_json json_t *filters = NULL;
    json_t *out;
    if (api_query_filters(r, &filters, &err) < 0 ||
        engine_network_prune(api_engine(r), filters, &out, &err) < 0) {
        api_reply_err(r, &err);
        return;
    }
    api_reply_json(r, 200, out);
}
