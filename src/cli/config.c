/* The docker CLI's config file (config.json in --config, $DOCKER_CONFIG or
 * ~/.docker): the settings of it that change what the commands pier has
 * print or do, read once, when first asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "cli.h"

#define CONFIG_MAX (4u * 1024 * 1024)

static void config_load(struct cli *cli)
{
    cli->config_read = true;
    if (cli->config_dir == NULL || *cli->config_dir == '\0')
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", cli->config_dir);
    cleanup_free char *text = NULL;
    size_t len = 0;
    pier_err_t err = NULL;
    if (pier_read_file_at(AT_FDCWD, path, CONFIG_MAX, &text, &len, &err) < 0) {
        /* no file is no setting */
        if (err && err->errnum != ENOENT)
            fprintf(stderr, "WARNING: Error loading config file: %s\n", pier_error_msg(err));
        pier_error_free(&err);
        return;
    }
    json_error_t je;
    cli->config = json_loadb(text, len, 0, &je);
    if (cli->config == NULL)
        fprintf(stderr, "WARNING: Error parsing config file (%s): %s\n", path, je.text);
}

const char *cli_config(struct cli *cli, const char *key)
{
    if (!cli->config_read)
        config_load(cli);
    const char *v = json_string_value(json_object_get(cli->config, key));
    return v ? v : "";
}

json_t *cli_config_json(struct cli *cli)
{
    if (!cli->config_read)
        config_load(cli);
    return cli->config;
}
