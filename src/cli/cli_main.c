/* pier's entry: the global flags, the host, and the dispatch to a command
 * (main.c only calls it, so that tests can run commands in-process). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "cli.h"

static struct flag root_flags[] = {
    {"config", 0, FK_STRING, NULL, "Location of client config files", "/root/.docker"},
    {"context", 'c', FK_STRING, NULL,
     "Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and "
     "default context set with \"docker context use\")"},
    {"debug", 'D', FK_BOOL, NULL, "Enable debug mode"},
    {"host", 'H', FK_LIST, NULL, "Daemon socket to connect to"},
    {"log-level", 'l', FK_STRING, NULL,
     "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")", "info"},
    {"tls", 0, FK_BOOL, NULL, "Use TLS; implied by --tlsverify"},
    {"tlscacert", 0, FK_STRING, NULL, "Trust certs signed only by this CA", "/root/.docker/ca.pem"},
    {"tlscert", 0, FK_STRING, NULL, "Path to TLS certificate file", "/root/.docker/cert.pem"},
    {"tlskey", 0, FK_STRING, NULL, "Path to TLS key file", "/root/.docker/key.pem"},
    {"tlsverify", 0, FK_BOOL, NULL, "Use TLS and verify the remote"},
    {"version", 'v', FK_BOOL, NULL, "Print version information and quit"},
    {NULL},
};

static const char *const groups[][2] = {
    {"container", "Manage containers"},
    {"image", "Manage images"},
    {"network", "Manage networks"},
    {"system", "Manage Docker"},
};

static const char *group_desc(const char *g)
{
    for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
        if (strcmp(groups[i][0], g) == 0)
            return groups[i][1];
    return NULL;
}

static bool name_matches(const char *names, const char *word)
{
    size_t wl = strlen(word);
    const char *p = names;
    while (*p) {
        size_t n = strcspn(p, "|");
        if (n == wl && memcmp(p, word, n) == 0)
            return true;
        p += n;
        if (*p == '|')
            p++;
    }
    return false;
}

static const struct cmd_entry *find(const char *group, const char *word)
{
    for (size_t i = 0; i < cli_ncommands; i++)
        if (strcmp(cli_commands[i].group, group) == 0 && name_matches(cli_commands[i].names, word))
            return &cli_commands[i];
    return NULL;
}

static int cmp_entries(const void *a, const void *b)
{
    const struct cmd_entry *x = *(const struct cmd_entry *const *)a;
    const struct cmd_entry *y = *(const struct cmd_entry *const *)b;
    return strcmp(x->names, y->names);
}

/* What docker's root help lists first, in its order. */
static const char *const common_commands[] = {"run",    "exec",   "ps",      "build",
                                              "pull",   "push",   "images",  "login",
                                              "logout", "search", "version", "info"};

static bool is_common(const char *names)
{
    size_t l = strcspn(names, "|");
    for (size_t i = 0; i < ARRAY_SIZE(common_commands); i++)
        if (strlen(common_commands[i]) == l && memcmp(common_commands[i], names, l) == 0)
            return true;
    return false;
}

/* The commands of a group, sorted, each "  name        Short"; at the top
 * level without the common ones, which root_help lists apart. */
static void list_commands(FILE *out, const char *group, bool skip_common)
{
    const struct cmd_entry *list[64];
    size_t n = 0;
    size_t maxlen = 0;
    for (size_t i = 0; i < cli_ncommands && n < ARRAY_SIZE(list); i++) {
        if (strcmp(cli_commands[i].group, group) != 0)
            continue;
        if (skip_common && is_common(cli_commands[i].names))
            continue;
        list[n++] = &cli_commands[i];
        size_t l = strcspn(cli_commands[i].names, "|");
        if (l > maxlen)
            maxlen = l;
    }
    qsort(list, n, sizeof *list, cmp_entries);
    int pad = maxlen > 11 ? (int)maxlen : 11;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strcspn(list[i]->names, "|");
        fprintf(out, "  %-*.*s %s\n", pad, l, list[i]->names, list[i]->cmd->short_desc);
    }
}

static void group_help(const char *group, FILE *out)
{
    fprintf(out, "Usage:  %s %s COMMAND\n\n%s\n\nCommands:\n", BIN, group, group_desc(group));
    list_commands(out, group, false);
    fprintf(out, "\nRun '%s %s COMMAND --help' for more information on a command.\n", BIN, group);
}

static void root_help(FILE *out)
{
    fprintf(out, "Usage:  %s [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n",
            BIN);
    fprintf(out, "Common Commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(common_commands); i++) {
        const struct cmd_entry *e = find("", common_commands[i]);
        if (e)
            fprintf(out, "  %-11s %s\n", common_commands[i], e->cmd->short_desc);
    }
    fprintf(out, "\nManagement Commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
        fprintf(out, "  %-11s %s\n", groups[i][0], groups[i][1]);
    fprintf(out, "\nCommands:\n");
    list_commands(out, "", true);
    struct flagset fs = {.flags = root_flags};
    cleanup_free char *u = flags_usages(&fs, cli_term_width() - 1, NULL, true, true);
    if (u) {
        size_t l = strlen(u);
        while (l > 0 && (u[l - 1] == '\n' || u[l - 1] == ' '))
            u[--l] = '\0';
        fprintf(out, "\nGlobal Options:\n%s\n", u);
    }
    fprintf(out, "\nRun '%s COMMAND --help' for more information on a command.\n", BIN);
    fprintf(out, "\nFor more help on how to use Docker, head to "
                 "https://docs.docker.com/go/guides/\n");
}

static int root_flag_error(const char *msg)
{
    fprintf(stderr,
            "%s\n\nUsage:  %s [OPTIONS] COMMAND [ARG...]\n\nRun '%s --help' for more "
            "information\n",
            msg, BIN, BIN);
    return 125;
}

/* -H, $PIER_HOST, $DOCKER_HOST, or the default socket; unix:// only. */
static int resolve_host(struct cli *cli, struct flagset *fs)
{
    struct flag *h = flag_get(fs, "host");
    const char *host = NULL;
    if (h->nvals > 1) {
        fprintf(stderr, "Specify only one -H\n");
        return -1;
    }
    if (h->nvals == 1)
        host = h->vals[0];
    if (host == NULL || *host == '\0')
        host = getenv("PIER_HOST");
    if (host == NULL || *host == '\0')
        host = getenv("DOCKER_HOST");
    if (host == NULL || *host == '\0')
        host = "unix:///run/pier/pier.sock";
    cli->host = host;
    if (strncmp(host, "unix://", 7) != 0) {
        fprintf(stderr, "unable to parse docker host `%s`: only unix:// hosts are supported\n",
                host);
        return -1;
    }
    cli->sock = host + 7;
    if (*cli->sock == '\0')
        cli->sock = "/run/pier/pier.sock";
    const char *v = getenv("DOCKER_API_VERSION");
    if (v && *v) {
        snprintf(cli->version, sizeof cli->version, "%s", v);
        cli->fixed_version = true;
    }
    return 0;
}

static int run_command(struct cli *cli, const char *path, struct cmd *cmd, int argc, char **argv)
{
    struct flagset fs = {
        .flags = cmd->flags, .skip = cmd->skip_flags, .interspersed = !cmd->no_interspersed};
    char msg[1024];
    int rc;
    if (flags_parse(&fs, argc, argv, msg, sizeof msg) < 0) {
        rc = cli_usage_error(path, cmd, msg);
    } else if (fs.help) {
        cli_help(cli, path, cmd, stdout);
        rc = 0;
    } else if (!cli_args_ok(cmd, fs.nargs)) {
        rc = cli_args_error(path, cmd, fs.nargs);
    } else {
        /* read now, as docker reads it before any command (and warns) */
        cli_config(cli, "");
        rc = cmd->run(cli, path, &fs);
    }
    flags_reset(&fs);
    return rc;
}

static int help_command(struct cli *cli, int argc, char **argv)
{
    if (argc == 0) {
        root_help(stdout);
        return 0;
    }
    if (group_desc(argv[0])) {
        if (argc == 1) {
            group_help(argv[0], stdout);
            return 0;
        }
        const struct cmd_entry *e = find(argv[0], argv[1]);
        if (e && argc == 2) {
            char path[128];
            snprintf(path, sizeof path, "%s %s", argv[0], argv[1]);
            cli_help(cli, path, e->cmd, stdout);
            return 0;
        }
    } else {
        const struct cmd_entry *e = find("", argv[0]);
        if (e && argc == 1) {
            cli_help(cli, argv[0], e->cmd, stdout);
            return 0;
        }
    }
    fprintf(stderr, "unknown help topic: %s\n", argv[argc - 1]);
    return 1;
}

static int dispatch(struct cli *cli, struct flagset *fs)
{
    if (fs->help) {
        root_help(stdout);
        return 0;
    }
    if (flag_bool(fs, "version")) {
        printf("Pier version %s, build %s\n", PIER_CLI_VERSION, "pier");
        return 0;
    }
    cli->debug = flag_bool(fs, "debug");
    cli->config_dir = flag_str(fs, "config");
    if (resolve_host(cli, fs) < 0)
        return 1;
    int n = fs->nargs;
    char **args = fs->args;
    if (n == 0) {
        root_help(stderr);
        return 0;
    }
    if (strcmp(args[0], "help") == 0)
        return help_command(cli, n - 1, args + 1);
    if (group_desc(args[0])) {
        const char *g = args[0];
        if (n == 1) {
            group_help(g, stderr);
            return 0;
        }
        if (strcmp(args[1], "--help") == 0 || strcmp(args[1], "-h") == 0) {
            group_help(g, stdout);
            return 0;
        }
        const struct cmd_entry *e = find(g, args[1]);
        if (e == NULL) {
            fprintf(stderr,
                    "%s: unknown command: %s %s %s\n\nUsage:  %s %s\n\nRun '%s %s --help' for "
                    "more information\n",
                    BIN, BIN, g, args[1], BIN, g, BIN, g);
            return 1;
        }
        char path[128];
        snprintf(path, sizeof path, "%s %s", g, args[1]);
        return run_command(cli, path, e->cmd, n - 2, args + 2);
    }
    const struct cmd_entry *e = find("", args[0]);
    if (e == NULL) {
        fprintf(stderr, "%s: unknown command: %s %s\n\nRun '%s --help' for more information\n", BIN,
                BIN, args[0], BIN);
        return 1;
    }
    return run_command(cli, args[0], e->cmd, n - 1, args + 1);
}

/* The defaults docker shows depend on $HOME (and $DOCKER_CONFIG). */
static void home_defaults(void)
{
    static char cfg[1024], ca[1100], cert[1100], key[1100];
    const char *dc = getenv("DOCKER_CONFIG");
    const char *home = getenv("HOME");
    if (dc && *dc)
        snprintf(cfg, sizeof cfg, "%s", dc);
    else
        snprintf(cfg, sizeof cfg, "%s/.docker", home && *home ? home : "/root");
    snprintf(ca, sizeof ca, "%s/ca.pem", cfg);
    snprintf(cert, sizeof cert, "%s/cert.pem", cfg);
    snprintf(key, sizeof key, "%s/key.pem", cfg);
    for (struct flag *f = root_flags; f->name; f++) {
        if (strcmp(f->name, "config") == 0)
            f->def = cfg;
        else if (strcmp(f->name, "tlscacert") == 0)
            f->def = ca;
        else if (strcmp(f->name, "tlscert") == 0)
            f->def = cert;
        else if (strcmp(f->name, "tlskey") == 0)
            f->def = key;
    }
}

int pier_main(int argc, char **argv)
{
    home_defaults();
    /* Writes to a daemon that went away must fail, not kill us; stdout's
     * EPIPE is turned back into SIGPIPE where it is written. */
    signal(SIGPIPE, SIG_IGN);
    struct cli cli = {.conn = {.fd = -1}};
    struct flagset fs = {.flags = root_flags, .interspersed = false};
    char msg[1024];
    if (flags_parse(&fs, argc - 1, argv + 1, msg, sizeof msg) < 0)
        return root_flag_error(msg);
    int rc = dispatch(&cli, &fs);
    if (cli.connected)
        http_close(&cli.conn);
    if (cli.config)
        json_decref(cli.config);
    flags_reset(&fs);
    if (fflush(stdout) != 0 && rc == 0)
        rc = 1;
    return rc;
}
