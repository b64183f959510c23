/* Network namespaces that pierd makes before a container exists, each held
 * by a bind mount on a file (podman's and CNI's way), so that its links can
 * be set up first and the container joins it by path. */
#ifndef PIER_NETWORK_NETNS_H
#define PIER_NETWORK_NETNS_H

#include <stddef.h>

#include "../lib/error.h"
#include "netlink.h"

/* A new namespace bound at path, with lo up; *nl (opened) talks in it. */
int netns_create(const char *path, struct nl *nl, pier_err_t *err);
/* A netlink socket in the namespace at path. */
int netns_enter_nl(const char *path, struct nl *nl, pier_err_t *err);
/* Unmount and unlink; a missing file is no error. */
void netns_remove(const char *path);

#endif
