/* The routes of the Docker Engine API that pierd serves. */
#ifndef PIER_API_ROUTES_H
#define PIER_API_ROUTES_H

#include "server.h"

/* The route for method and path (version prefix already removed); its {}
 * captures are put, decoded, in params (heap strings). */
const struct api_route *api_route_match(const char *method, const char *path, char **params,
                                        int *nparams);
/* Whether some route has this path, for 405 against 404. */
bool api_route_path_known(const char *path);

/* handlers */
void h_ping(struct api_req *r);
void h_version(struct api_req *r);
void h_info(struct api_req *r);
void h_events(struct api_req *r);
void h_containers_create(struct api_req *r);
void h_containers_list(struct api_req *r);
void h_containers_inspect(struct api_req *r);
void h_containers_start(struct api_req *r);
void h_containers_stop(struct api_req *r);
void h_containers_restart(struct api_req *r);
void h_containers_kill(struct api_req *r);
void h_containers_wait(struct api_req *r);
void h_containers_remove(struct api_req *r);
void h_containers_logs(struct api_req *r);
void h_containers_attach(struct api_req *r);
void h_containers_resize(struct api_req *r);
void h_containers_top(struct api_req *r);
void h_containers_stats(struct api_req *r);
void h_containers_rename(struct api_req *r);
void h_containers_pause(struct api_req *r);
void h_containers_unpause(struct api_req *r);
void h_containers_prune(struct api_req *r);
void h_exec_create(struct api_req *r);
void h_exec_start(struct api_req *r);
void h_exec_inspect(struct api_req *r);
void h_exec_resize(struct api_req *r);
void h_images_create(struct api_req *r);
void h_images_pull(struct api_req *r);
void h_auth(struct api_req *r);
void h_images_list(struct api_req *r);
void h_images_inspect(struct api_req *r);
void h_images_remove(struct api_req *r);
void h_images_tag(struct api_req *r);
void h_images_push(struct api_req *r);
void h_images_get(struct api_req *r);
void h_images_get_all(struct api_req *r);
void h_images_load(struct api_req *r);
void h_commit(struct api_req *r);
void h_images_prune(struct api_req *r);
void h_images_history(struct api_req *r);
void h_networks_list(struct api_req *r);
void h_networks_inspect(struct api_req *r);
void h_networks_create(struct api_req *r);
void h_networks_remove(struct api_req *r);
void h_networks_connect(struct api_req *r);
void h_networks_disconnect(struct api_req *r);
void h_networks_prune(struct api_req *r);

#endif
