/* pier-runtime: an OCI runtime with runc's command line. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/log.h"
#include "../seal.h"
#include "cli.h"

#define PIER_VERSION "0.1.0"

extern char **environ;

static const struct command {
    const char *name;
    cmd_fn fn;
    bool seal; /* builds or enters a container: run from a sealed binary */
    const char *help;
} commands[] = {
    {"create", cmd_create, true, "create a container from a bundle, waiting for start"},
    {"start", cmd_start, false, "start the program of a created container"},
    {"run", cmd_run, true, "create and start a container, and wait for it unless -d"},
    {"state", cmd_state, false, "print the state of a container as JSON"},
    {"kill", cmd_kill, false, "send a signal to a container's init (or --all processes)"},
    {"delete", cmd_delete, false, "remove a container and its resources"},
    {"list", cmd_list, false, "list the containers"},
    {"ps", cmd_ps, false, "list the processes of a container"},
    {"exec", cmd_exec, true, "run another process in a running container"},
    {"pause", cmd_pause, false, "freeze every process of a container"},
    {"resume", cmd_resume, false, "thaw a paused container"},
    {"update", cmd_update, false, "change the resource limits of a running container"},
    {"events", cmd_events, false, "stream a container's stats and OOM notices (--stats: once)"},
    {"spec", cmd_spec, false, "write a default config.json"},
    {"features", cmd_features, false, "print what this runtime supports, as JSON"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: pier-runtime [global flags] COMMAND [flags] [args]\n\n"
               "An OCI runtime with runc's command line.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f,
            "\nGlobal flags:\n"
            "  --root DIR          state directory (default /run/pier-runtime)\n"
            "  --log FILE          write log messages to FILE\n"
            "  --log-format FMT    text or json (json: one {\"level\",\"msg\",\"time\"} a line)\n"
            "  --debug             log debug messages\n"
            "  --systemd-cgroup    read cgroupsPath as slice:prefix:name (no systemd is\n"
            "                      contacted: the cgroup is made directly)\n"
            "  --version           print the version\n");
}

int cli_args(const char *cmd, int argc, int next, int n, const char *usage_, pier_err_t *err)
{
    if (argc - next != n)
        return pier_error(err, 0, "%s: expected %d argument%s, got %d (usage: pier-runtime %s %s)",
                          cmd, n, n == 1 ? "" : "s", argc - next, cmd, usage_);
    return 0;
}

int main(int argc, char **argv)
{
    struct global g = {.root = NULL, .log_format = "text"};
    bool version = false, help = false;
    const struct opt opts[] = {
        {"root", 0, OPT_STRING, &g.root},
        {"log", 0, OPT_STRING, &g.log},
        {"log-format", 0, OPT_STRING, &g.log_format},
        {"debug", 0, OPT_BOOL, &g.debug},
        {"systemd-cgroup", 0, OPT_BOOL, &g.systemd_cgroup},
        {"rootless", 0, OPT_STRING, &g.rootless},
        {"criu", 0, OPT_STRING, &g.criu},
        {"version", 'v', OPT_BOOL, &version},
        {"help", 'h', OPT_BOOL, &help},
        {NULL, 0, 0, NULL},
    };
    pier_err_t err = NULL;
    int next = 0;
    if (opts_parse_head(opts, argc - 1, argv + 1, &next, &err) < 0) {
        fprintf(stderr, "pier-runtime: %s\n", pier_error_msg(err));
        return 2;
    }
    next++;
    if (version) {
        /* runc's lines, which podman info and docker info show and parse
         * ("NAME version V", then "key: value" lines). */
        const struct scmp_version *sv = seccomp_version();
        printf("pier-runtime version %s\nspec: 1.2.0\nlibseccomp: %u.%u.%u\n", PIER_VERSION,
               sv->major, sv->minor, sv->micro);
        return 0;
    }
    if (help || next >= argc) {
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *name = argv[next];
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        fprintf(stderr, "pier-runtime: unknown command `%s` (see pier-runtime --help)\n", name);
        return 2;
    }

    enum pier_log_format fmt;
    if (pier_log_parse_format(g.log_format, &fmt, &err) < 0 ||
        pier_log_init(g.log, fmt, g.debug, &err) < 0) {
        fprintf(stderr, "pier-runtime: %s\n", pier_error_msg(err));
        return 2;
    }
    if (g.systemd_cgroup)
        pier_debug("--systemd-cgroup: systemd is not contacted; cgroups are made directly");
    int rc = -1;
    if (!cmd->seal || rt_seal_self(argv, environ, &err) == 0)
        rc = cmd->fn(&g, argc - next - 1, argv + next + 1, &err);
    if (rc >= 0)
        return rc;
    /* containerd reads the last error of the log file; people read stderr. */
    if (pier_log_to_file() || fmt == PIER_LOG_JSON)
        pier_log(PIER_LOG_ERROR, "%s", pier_error_msg(err));
    if (pier_log_to_file() || fmt == PIER_LOG_TEXT)
        fprintf(stderr, "pier-runtime: %s\n", pier_error_msg(err));
    pier_error_free(&err);
    return 1;
}
