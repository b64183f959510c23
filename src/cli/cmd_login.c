/* login and logout: credentials in config.json's auths, as the docker CLI
 * keeps them ({"auth": base64(user:password)} under the registry's host
 * name, Docker Hub's under its index URL).  login checks them with the
 * daemon (POST /auth) first; logout removes the server as given and, for
 * any but Docker Hub, its host name bare and with http:// and https://.
 * The file is rewritten (cli_config_save) only when something changed;
 * its other settings stay as they are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../lib/base64.h"
#include "../lib/cleanup.h"
#include "../lib/file.h"
#include "../lib/json.h"
#include "cli.h"

static int run_logout(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *server = fs->nargs > 0 ? fs->args[0] : "";
    bool hub = *server == '\0';
    char host[512];
    snprintf(host, sizeof host, "%s", hub ? DOCKER_INDEX_SERVER : server);
    if (!hub)
        registry_hostname(server, host, sizeof host);
    printf("Removing login credentials for %s\n", host);
    fflush(stdout);

    json_t *config = cli_config_json(cli);
    json_t *auths = json_object_get(config, "auths");
    if (!json_is_object(auths) || cli->config_dir == NULL || *cli->config_dir == '\0')
        return 0;
    char keys[4][600];
    size_t nkeys = 1;
    snprintf(keys[0], sizeof keys[0], "%s", hub ? DOCKER_INDEX_SERVER : server);
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
    cleanup_free char *file = NULL;
    if (cli_config_save(cli, &file, &err) < 0) {
        fprintf(stderr, "WARNING: could not erase credentials:\n%s: %s\n", keys[0],
                pier_error_msg(err));
        pier_error_free(&err);
    }
    return 0;
}

/* --- login ------------------------------------------------------------------- */

#define UNENCRYPTED_WARNING                                                                        \
    "\nWARNING! Your credentials are stored unencrypted in '%s'.\nConfigure a credential "         \
    "helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n"

/* One line from fd 0 without its newline (heap); echo off for a secret. */
static char *prompt_line(const char *prompt, bool secret)
{
    fputs(prompt, stdout);
    fflush(stdout);
    struct termios old, raw;
    bool restore = secret && tcgetattr(0, &old) == 0;
    if (restore) {
        raw = old;
        raw.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSANOW, &raw);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (restore) {
        tcsetattr(0, TCSANOW, &old);
        fputs("\n", stdout);
    }
    if (n < 0) {
        free(line);
        return strdup("");
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* All of stdin, less one trailing "\n" and then one "\r", as docker reads
 * --password-stdin. */
static char *read_stdin(pier_err_t *err)
{
    char *s = NULL;
    size_t len = 0;
    if (pier_read_fd(0, "stdin", 1u << 20, &s, &len, err) < 0)
        return NULL;
    if (len && s[len - 1] == '\n')
        s[--len] = '\0';
    if (len && s[len - 1] == '\r')
        s[--len] = '\0';
    return s;
}

/* POST /auth; *status is the daemon's ("Login Succeeded"), *token an
 * identity token when it gave one. */
static int check(struct cli *cli, const char *server, const char *user, const char *pass,
                 char **status, char **token, pier_err_t *err)
{
    cleanup_json json_t *body =
        json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress", server);
    struct api_resp r;
    json_t *j;
    if (body == NULL)
        return pier_error(err, ENOMEM, "login");
    if (api_call(cli, "POST", "/auth", body, &r, err) < 0 || api_json(&r, &j, err) < 0) {
        api_resp_free(&r);
        return -1;
    }
    const char *st = json_string_value(json_object_get(j, "Status"));
    const char *tok = json_string_value(json_object_get(j, "IdentityToken"));
    *status = strdup(st ? st : "");
    *token = tok && *tok ? strdup(tok) : NULL;
    api_resp_free(&r);
    return 0;
}

/* Keep the credentials under key; the warning when they changed. */
static int store(struct cli *cli, const char *key, const char *user, const char *pass,
                 const char *token, pier_err_t *err)
{
    if (cli_config_json(cli) == NULL)
        cli->config = json_object();
    json_t *auths = json_object_get(cli->config, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(cli->config, "auths", auths);
    }
    cleanup_free char *pair = NULL;
    if (asprintf(&pair, "%s:%s", user, token ? "" : pass) < 0)
        return pier_error(err, ENOMEM, "login");
    cleanup_free char *b64 = pier_base64_encode(pair, strlen(pair), false);
    cleanup_json json_t *entry = b64 ? json_pack("{s:s}", "auth", b64) : NULL;
    if (entry == NULL ||
        (token && json_object_set_new(entry, "identitytoken", json_string(token)) < 0))
        return pier_error(err, ENOMEM, "login");
    if (json_equal(json_object_get(auths, key), entry))
        return 0;
    json_object_set(auths, key, entry);
    cleanup_free char *file = NULL;
    if (cli_config_save(cli, &file, err) < 0)
        return pier_error_wrap(err, "Error saving credentials");
    if (!token)
        fprintf(stderr, UNENCRYPTED_WARNING, file);
    return 0;
}

static int login_with(struct cli *cli, const char *server, const char *key, const char *user,
                      const char *pass, pier_err_t *err)
{
    cleanup_free char *status = NULL, *token = NULL;
    if (check(cli, server, user, pass, &status, &token, err) < 0 ||
        store(cli, key, user, pass, token, err) < 0)
        return -1;
    if (*status)
        printf("%s\n", status);
    return 0;
}

/* An error of the command itself, printed as docker prints it. */
static int fail_with(const char *msg)
{
    pier_err_t err = NULL;
    pier_error(&err, 0, "%s", msg);
    return cli_fail(&err);
}

static int run_login(struct cli *cli, const char *path, struct flagset *fs)
{
    (void)path;
    pier_err_t err = NULL;
    const char *server = fs->nargs > 0 ? fs->args[0] : "";
    const char *user = flag_str(fs, "username");
    cleanup_free char *pass = strdup(flag_str(fs, "password"));
    bool from_stdin = flag_bool(fs, "password-stdin");
    if (pass && *pass && from_stdin)
        return fail_with("conflicting options: cannot specify both --password and "
                         "--password-stdin");
    if (pass && *pass)
        fprintf(stderr,
                "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (from_stdin) {
        if (*user == '\0')
            return fail_with("the --password-stdin option requires --username to be set");
        free(pass);
        if ((pass = read_stdin(&err)) == NULL)
            return cli_fail(&err);
    }
    if (pass == NULL)
        return fail_with("login: out of memory");
    bool hub = *server == '\0' || strcmp(server, "docker.io") == 0;
    if (hub)
        server = DOCKER_INDEX_SERVER;
    char key[512];
    if (hub)
        snprintf(key, sizeof key, "%s", DOCKER_INDEX_SERVER);
    else
        registry_hostname(server, key, sizeof key);
    /* no credentials given: those kept, if the registry still takes them */
    if (*user == '\0' && *pass == '\0') {
        cleanup_free char *ku = NULL, *kp = NULL, *kt = NULL;
        json_t *entry = registry_auth_entry(cli, hub ? "docker.io" : key);
        if (entry && registry_auth_creds(entry, &ku, &kp, &kt) == 0 && ku && kp) {
            fprintf(stderr,
                    "Authenticating with existing credentials... [Username: %s]\n\n Info -> To "
                    "login with a different account, run '" BIN " logout' followed by '" BIN
                    " login'\n\n\n",
                    ku);
            if (login_with(cli, server, key, ku, kp, &err) == 0)
                return 0;
            pier_error_free(&err);
        }
    }
    cleanup_free char *prompted = NULL, *secret = NULL;
    if (*user == '\0' || *pass == '\0') {
        if (!isatty(0))
            return fail_with("Error: Cannot perform an interactive login from a non TTY device");
        if (*user == '\0')
            user = prompted = prompt_line("Username: ", false);
        if (*pass == '\0') {
            free(pass);
            pass = prompt_line("Password: ", true);
        }
        if (user == NULL || pass == NULL)
            return fail_with("login: out of memory");
    }
    if (login_with(cli, server, key, user, pass, &err) < 0)
        return cli_fail(&err);
    return 0;
}

static struct flag login_flags[] = {
    {"password", 'p', FK_STRING, NULL, "Password or Personal Access Token (PAT)"},
    {"password-stdin", 0, FK_BOOL, NULL,
     "Take the Password or Personal Access Token (PAT) from stdin"},
    {"username", 'u', FK_STRING, NULL, "Username"},
    {NULL},
};

struct cmd cmd_login = {
    .use = "login [OPTIONS] [SERVER]",
    .short_desc = "Authenticate to a registry",
    .args = ARGS_MAX,
    .amax = 1,
    .flags = login_flags,
    .run = run_login,
};

struct cmd cmd_logout = {
    .use = "logout [SERVER]",
    .short_desc = "Log out from a registry",
    .args = ARGS_MAX,
    .amax = 1,
    .run = run_logout,
};
