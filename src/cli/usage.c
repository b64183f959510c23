/* Help and usage errors, laid out as cobra lays out docker's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "cli.h"

int cli_term_width(void)
{
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* "pier container ls [OPTIONS]": the path's parent and the use line. */
static void use_line(const char *path, const struct cmd *cmd, char *out, size_t cap)
{
    const char *sp = strrchr(path, ' ');
    if (sp)
        snprintf(out, cap, "%s %.*s %s", BIN, (int)(sp - path), path, cmd->use);
    else
        snprintf(out, cap, "%s %s", BIN, cmd->use);
}

/* The canonical path: "container list" is shown as "container ls". */
static void command_path(const char *path, const struct cmd *cmd, char *out, size_t cap)
{
    const char *sp = strrchr(path, ' ');
    size_t nl = strcspn(cmd->use, " ");
    if (sp)
        snprintf(out, cap, "%s %.*s %.*s", BIN, (int)(sp - path), path, (int)nl, cmd->use);
    else
        snprintf(out, cap, "%s %.*s", BIN, (int)nl, cmd->use);
}

int cli_usage_error(const char *path, const struct cmd *cmd, const char *msg)
{
    char use[512], cp[256];
    use_line(path, cmd, use, sizeof use);
    command_path(path, cmd, cp, sizeof cp);
    fflush(stdout);
    fprintf(stderr, "%s\n\nUsage:  %s\n\nRun '%s --help' for more information\n", msg, use, cp);
    return 125;
}

int cli_args_error(const char *path, const struct cmd *cmd, int nargs)
{
    char use[512], cp[256];
    use_line(path, cmd, use, sizeof use);
    command_path(path, cmd, cp, sizeof cp);
    const char *see = "Run";
    char what[128];
    switch (cmd->args) {
    case ARGS_NONE:
        snprintf(what, sizeof what, "accepts no arguments");
        break;
    case ARGS_MIN:
        snprintf(what, sizeof what, "requires at least %d argument%s", cmd->amin,
                 cmd->amin == 1 ? "" : "s");
        see = "See";
        break;
    case ARGS_MAX:
        snprintf(what, sizeof what, "requires at most %d argument%s", cmd->amax,
                 cmd->amax == 1 ? "" : "s");
        see = "SRun"; /* sic: docker's message has this typo */
        break;
    case ARGS_EXACT:
        snprintf(what, sizeof what, "requires %d argument%s", cmd->amin, cmd->amin == 1 ? "" : "s");
        break;
    case ARGS_RANGE:
        snprintf(what, sizeof what, "requires at least %d and at most %d argument%s", cmd->amin,
                 cmd->amax, cmd->amax == 1 ? "" : "s");
        break;
    case ARGS_ANY:
        return 0;
    }
    (void)nargs;
    fflush(stdout);
    fprintf(stderr, "%s: '%s' %s\n\nUsage:  %s\n\n%s '%s --help' for more information\n", BIN, cp,
            what, use, see, cp);
    return 1;
}

bool cli_args_ok(const struct cmd *cmd, int n)
{
    switch (cmd->args) {
    case ARGS_ANY:
        return true;
    case ARGS_NONE:
        return n == 0;
    case ARGS_MIN:
        return n >= cmd->amin;
    case ARGS_MAX:
        return n <= cmd->amax;
    case ARGS_EXACT:
        return n == cmd->amin;
    case ARGS_RANGE:
        return n >= cmd->amin && n <= cmd->amax;
    }
    return true;
}

void cli_help(struct cli *cli, const char *path, const struct cmd *cmd, FILE *out)
{
    char use[512];
    use_line(path, cmd, use, sizeof use);
    fprintf(out, "Usage:  %s\n\n%s\n", use, cmd->short_desc);
    if (cmd->aliases && *cmd->aliases) {
        fprintf(out, "\nAliases:\n  ");
        const char *p = cmd->aliases;
        bool first = true;
        while (*p) {
            size_t n = strcspn(p, ",");
            while (*p == ' ')
                p++, n--;
            fprintf(out, "%s%s %.*s", first ? "" : ", ", BIN, (int)n, p);
            first = false;
            p += n;
            if (*p == ',')
                p++;
        }
        fprintf(out, "\n");
    }
    if (cmd->example)
        fprintf(out, "\nExamples:\n%s\n", cmd->example);
    if (cmd->flags && cmd->flags[0].name) {
        /* Which flags show depends on the daemon, as with docker: ask it,
         * quietly, when it is there. */
        /* without a daemon nothing is hidden, as with docker */
        const char *api = PIER_API_VERSION;
        bool linux_daemon = false, experimental = true;
        pier_err_t err = NULL;
        if (cli && api_ping(cli, &err) == 0) {
            api = cli->version;
            linux_daemon = strcmp(cli->os_type, "linux") == 0;
            experimental = cli->experimental;
        }
        pier_error_free(&err);
        struct flagset fs = {.flags = cmd->flags, .skip = cmd->skip_flags};
        cleanup_free char *u =
            flags_usages(&fs, cli_term_width() - 1, api, linux_daemon, experimental);
        if (u && *u) {
            size_t l = strlen(u);
            while (l > 0 && (u[l - 1] == '\n' || u[l - 1] == ' '))
                u[--l] = '\0';
            fprintf(out, "\nOptions:\n%s\n", u);
        }
    }
}
