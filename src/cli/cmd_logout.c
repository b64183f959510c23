/* logout: the credentials `docker login` keeps in config.json's auths go,
 * as the docker CLI removes them: the server as given and, for any but
 * Docker Hub, its host name bare and with http:// and https://.  The file
 * is rewritten atomically, its mode and owner kept, and only when
 * something went; its other settings stay as they are. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "cli.h"

#define INDEX_SERVER "https://index.docker.io/v1/"
#define CONFIG_MAX (4u * 1024 * 1024)

/* credentials.ConvertToHostname */
static void to_hostname(const char *s, char *out, size_t cap)
{
    if (strncmp(s, "http://", 7) == 0)
        s += 7;
    else if (strncmp(s, "https://", 8) == 0)
        s += 8;
    snprintf(out, cap, "%.*s", (int)strcspn(s, "/"), s);
}

/* Write j over path (a real file) atomically, keeping its mode and owner. */
static int save(const char *path, json_t *j, const struct stat *st, pier_err_t *err)
{
    cleanup_free char *text = json_go_indent(j, "\t");
    cleanup_free char *dir_copy = strdup(path), *base_copy = strdup(path);
    if (text == NULL || dir_copy == NULL || base_copy == NULL)
        return pier_error(err, ENOMEM, "save %s", path);
    const char *base = basename(base_copy);
    cleanup_close int dfd = open(dirname(dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return pier_error(err, errno, "open the directory of %s", path);
    if (pier_write_file_atomic_at(dfd, base, text, strlen(text), st->st_mode & 07777, PIER_DURABLE,
                                  err) < 0)
        return -1;
    if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
        fchownat(dfd, base, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return pier_error(err, errno, "chown %s", path);
    return 0;
}

static int run_logout(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *server = fs->nargs > 0 ? fs->args[0] : "";
    bool hub = *server == '\0';
    char host[512];
    snprintf(host, sizeof host, "%s", hub ? INDEX_SERVER : server);
    if (!hub)
        to_hostname(server, host, sizeof host);
    printf("Removing login credentials for %s\n", host);
    fflush(stdout);

    json_t *config = cli_config_json(cli);
    json_t *auths = json_object_get(config, "auths");
    if (!json_is_object(auths) || cli->config_dir == NULL || *cli->config_dir == '\0')
        return 0;
    char keys[4][600];
    size_t nkeys = 1;
    snprintf(keys[0], sizeof keys[0], "%s", hub ? INDEX_SERVER : server);
    if (!hub) {
        snprintf(keys[nkeys++], sizeof keys[0], "%s", host);
        snprintf(keys[nkeys++], sizeof keys[0], "http://%s", host);
        snprintf(keys[nkeys++], sizeof keys[0], "https://%s", host);
    }
    bool removed = false;
    for (size_t i = 0; i < nkeys; i++)
        removed = json_object_del(auths, keys[i]) == 0 || removed;
    if (!removed)
        return 0;
    /* the file itself where config.json is a symlink, as docker writes it */
    char file[PATH_MAX], real[PATH_MAX];
    snprintf(file, sizeof file, "%s/config.json", cli->config_dir);
    struct stat st;
    if (realpath(file, real) == NULL || stat(real, &st) < 0) {
        pier_error(&err, errno, "save %s", file);
    } else if (save(real, config, &st, &err) == 0) {
        return 0;
    }
    fprintf(stderr, "WARNING: could not erase credentials:\n%s: %s\n", keys[0],
            pier_error_msg(err));
    pier_error_free(&err);
    return 0;
}

struct cmd cmd_logout = {
    .use = "logout [SERVER]",
    .short_desc = "Log out from a registry",
    .args = ARGS_MAX,
    .amax = 1,
    .run = run_logout,
};
