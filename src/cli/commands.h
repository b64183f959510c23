/* The commands, one struct cmd each (see commands.c for their places). */
#ifndef PIER_CLI_COMMANDS_H
#define PIER_CLI_COMMANDS_H

#include "cli.h"

extern struct cmd cmd_version, cmd_info;
extern struct cmd cmd_ps, cmd_ps_top;
extern struct cmd cmd_run, cmd_create, cmd_start;
extern struct cmd cmd_stop, cmd_restart, cmd_kill, cmd_rm, cmd_pause, cmd_unpause, cmd_wait,
    cmd_rename;
extern struct cmd cmd_inspect, cmd_container_inspect, cmd_image_inspect;
extern struct cmd cmd_logs, cmd_exec, cmd_attach, cmd_top, cmd_port;
extern struct cmd cmd_stats, cmd_container_prune, cmd_events;
extern struct cmd cmd_images, cmd_image_ls, cmd_rmi, cmd_image_rm, cmd_tag, cmd_import;
extern struct cmd cmd_save, cmd_load;
extern struct cmd cmd_pull;
extern struct cmd cmd_push;
extern struct cmd cmd_commit, cmd_history, cmd_image_prune, cmd_login, cmd_logout;
extern struct cmd cmd_network_create, cmd_network_ls, cmd_network_rm, cmd_network_connect,
    cmd_network_disconnect, cmd_network_inspect, cmd_network_prune;

#endif
