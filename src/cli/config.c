/* The docker CLI's config file (config.json in --config, $DOCKER_CONFIG or
 * ~/.docker): the settings of it that change what the commands pier has
 * print or do, read once, when first asked; written back by login and
 * logout. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int cli_config_save(struct cli *cli, char **path, pier_err_t *err)
{
    *path = NULL;
    if (cli->config_dir == NULL || *cli->config_dir == '\0' || cli->config == NULL)
        return pier_error(err, EINVAL, "no config file to save");
    if (pier_mkdir_p(cli->config_dir, 0700, err) < 0)
        return -1;
    char file[4096];
    snprintf(file, sizeof file, "%s/config.json", cli->config_dir);
    /* the file a symlink names, as docker writes through it */
    char *real = realpath(file, NULL);
    struct stat st = {.st_mode = 0600, .st_uid = geteuid(), .st_gid = getegid()};
    if (real != NULL && stat(real, &st) < 0) {
        free(real);
        return pier_error(err, errno, "stat %s", file);
    }
    *path = real ? real : strdup(file);
    cleanup_free char *text = json_go_indent(cli->config, "\t");
    cleanup_free char *dir_copy = *path ? strdup(*path) : NULL;
    cleanup_free char *base_copy = *path ? strdup(*path) : NULL;
    if (text == NULL || dir_copy == NULL || base_copy == NULL)
        return pier_error(err, ENOMEM, "save %s", file);
    const char *base = basename(base_copy);
    cleanup_close int dfd = open(dirname(dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open the directory of %s", *path);
    if (pier_write_file_atomic_at(dfd, base, text, strlen(text), st.st_mode & 07777, PIER_DURABLE,
                                  err) < 0)
        return -1;
    if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchownat(dfd, base, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "chown %s", *path);
    return 0;
}
