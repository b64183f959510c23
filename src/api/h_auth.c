/* POST /auth: docker login asks whether a registry takes the credentials
 * (it keeps them itself, and sends them with each pull as
 * X-Registry-Auth).  The check talks to the registry: on a thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../image/pull.h"
#include "../lib/json.h"
#include "../lib/work.h"
#include "routes.h"

struct auth_op {
    struct api_req *r;
    char *server, *username, *password;
    pier_err_t err;
};

static void auth_run(void *data)
{
    struct auth_op *op = data;
    img_registry_login(op->server, op->username, op->password, &op->err);
}

static void auth_done(void *data)
{
    struct auth_op *op = data;
    if (op->err != NULL && op->err->errnum == EACCES) {
        api_reply_error(op->r, 401, "%s", pier_error_msg(op->err));
        pier_error_free(&op->err);
    } else if (op->err != NULL) {
        api_reply_err(op->r, &op->err);
    } else {
        api_reply_json(op->r, 200,
                       json_pack("{s:s, s:s}", "IdentityToken", "", "Status", "Login Succeeded"));
    }
    free(op->server);
    free(op->username);
    free(op->password);
    free(op);
}

static char *member(json_t *body, const char *key)
{
    const char *v = json_string_value(json_object_get(body, key));
    return strdup(v ? v : "");
}

void h_auth(struct api_req *r)
{
    json_t *body = NULL;
    if (api_body_object(r, &body, "missing credentials") < 0)
        return;
    struct auth_op *op = calloc(1, sizeof *op);
    if (op != NULL) {
        op->r = r;
        op->server = member(body, "serveraddress");
        op->username = member(body, "username");
        op->password = member(body, "password");
    }
    json_decref(body);
    if (op == NULL || op->server == NULL || op->username == NULL || op->password == NULL) {
        if (op) {
            free(op->server);
            free(op->username);
            free(op->password);
            free(op);
        }
        api_reply_error(r, 500, "out of memory");
        return;
    }
    api_defer(r);
    if (pier_work(engine_loop(api_engine(r)), auth_run, auth_done, op, &op->err) < 0)
        auth_done(op);
}
