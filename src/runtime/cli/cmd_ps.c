#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/file.h"
#include "../container.h"
#include "cli.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* As runc: run ps(1) with the given options and keep the header and the
 * lines whose PID column is one of the container's. */
static int ps_table(char **ps_args, const pid_t *pids, size_t n, pier_err_t *err)
{
    size_t na = 0;
    while (ps_args && ps_args[na])
        na++;
    char **argv = calloc(na + 3, sizeof *argv);
    if (argv == NULL)
        return pier_error(err, ENOMEM, "ps");
    argv[0] = "ps";
    if (na == 0)
        argv[1] = "-ef";
    for (size_t i = 0; i < na; i++)
        argv[1 + i] = ps_args[i];
    int pfd[2];
    if (pipe(pfd) < 0) {
        free(argv);
        return pier_error(err, errno, "pipe");
    }
    pid_t child = fork();
    if (child == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp("ps", argv);
        _exit(127);
    }
    free(argv);
    close(pfd[1]);
    cleanup_free char *out = NULL;
    int r = pier_read_fd(pfd[0], "ps output", 64 << 20, &out, NULL, err);
    close(pfd[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (r < 0)
        return -1;
    if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return pier_error(err, 0, "ps: running ps(1) failed (exit status %d)", WEXITSTATUS(status));
    char *line = out;
    char *eol = strchrnul(line, '\n');
    /* Find the PID column in the header. */
    int col = -1, idx = 0;
    for (char *p = line; p < eol;) {
        while (p < eol && *p == ' ')
            p++;
        char *e = p;
        while (e < eol && *e != ' ')
            e++;
        if (e - p == 3 && strncmp(p, "PID", 3) == 0) {
            col = idx;
            break;
        }
        idx++;
        p = e;
    }
    if (col < 0)
        return pier_error(err, 0, "ps: no PID column in the output of ps(1)");
    printf("%.*s\n", (int)(eol - line), line);
    for (line = *eol ? eol + 1 : eol; *line; line = *eol ? eol + 1 : eol) {
        eol = strchrnul(line, '\n');
        char *p = line;
        for (int i = 0; i <= col && p < eol; i++) {
            while (p < eol && *p == ' ')
                p++;
            if (i == col)
                break;
            while (p < eol && *p != ' ')
                p++;
        }
        if (has_pid(pids, n, strtol(p, NULL, 10)))
            printf("%.*s\n", (int)(eol - line), line);
    }
    return 0;
}

int cmd_ps(struct global *g, int argc, char **argv, pier_err_t *err)
{
    const char *format = "table";
    const struct opt opts[] = {{"format", 'f', OPT_STRING, &format}, {NULL, 0, 0, NULL}};
    int next;
    if (opts_parse_head(opts, argc, argv, &next, err) < 0)
        return -1;
    if (next >= argc)
        return pier_error(
            err, 0,
            "ps: expected ID (usage: pier-runtime ps [--format table|json] ID [ps options])");
    cleanup_free pid_t *pids = NULL;
    size_t n = 0;
    if (rt_container_pids(g->root, argv[next], &pids, &n, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_integer(pids[i]));
        cli_print_json(a, false);
        json_decref(a);
        return 0;
    }
    if (strcmp(format, "table") != 0)
        return pier_error(err, 0, "ps: unknown --format `%s` (want table or json)", format);
    return ps_table(argv + next + 1, pids, n, err) < 0 ? -1 : 0;
}
