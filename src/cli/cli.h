/* pier, the CLI: what its commands share.  Each command lives in its own
 * cmd_*.c file and is reached from the table in commands.c; main.c parses
 * the global flags and dispatches.  A command returns the exit status. */
#ifndef PIER_CLI_CLI_H
#define PIER_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/error.h"
#include "../lib/buf.h"
#include "flags.h"
#include "http.h"

#define PIER_CLI_VERSION "0.1.0"
/* The newest Engine API this CLI speaks; the daemon's, when older, wins. */
#define PIER_API_VERSION "1.51"
/* What the docker CLI calls its root command, in messages. */
#define BIN "pier"

/* Caps on what the daemon sends back in one piece. */
#define API_BODY_MAX (64u * 1024 * 1024)

struct cli {
    const char *host; /* "unix:///run/pier/pier.sock", as given */
    const char *sock; /* the socket's path */
    bool pinged;
    bool ping_ok;
    char ping_error[512]; /* why the ping failed, repeated for each request */
    char version[16];     /* negotiated API version */
    bool fixed_version;
    char os_type[32];
    bool experimental;
    struct http_conn conn; /* kept alive across requests; fd -1 until used */
    bool connected;
    bool debug;
    const char *config_dir; /* --config: where config.json is */
    json_t *config;         /* its settings, once read (NULL: none) */
    bool config_read;
};

enum args_rule { ARGS_ANY, ARGS_NONE, ARGS_MIN, ARGS_MAX, ARGS_EXACT, ARGS_RANGE };

struct cmd {
    const char *use;        /* "run [OPTIONS] IMAGE [COMMAND] [ARG...]" */
    const char *aliases;    /* "container run, run": shown as "pier container run, pier run" */
    const char *short_desc; /* one line */
    enum args_rule args;
    int amin, amax;
    bool no_interspersed; /* flags end at the first argument (run, exec) */
    struct flag *flags;
    unsigned skip_flags; /* FLAG_RUN or FLAG_CREATE: see flags.h */
    int (*run)(struct cli *cli, const char *path, struct flagset *fs);
    const char *example;
};

/* Where a command is reached: "container run" and "run" both lead to
 * cmd_run; the first word of use is its canonical name. */
struct cmd_entry {
    const char *group; /* "", "container", "image", "system" */
    const char *names; /* "ls|list|ps": the first is canonical */
    struct cmd *cmd;
};

extern const struct cmd_entry cli_commands[];
extern const size_t cli_ncommands;

/* Run pier with these arguments (argv[0] is the program); the exit status. */
int pier_main(int argc, char **argv);

/* --- errors and usage ---------------------------------------------------- */

/* Print err's message on stderr; returns 1. */
int cli_fail(pier_err_t *err);
/* docker's "pier: MSG\n\nRun 'pier run --help' for more information" (run,
 * create): exit 125. */
int cli_fail_run(const char *path, pier_err_t *err);
/* "MSG\n\nUsage:  pier ps [OPTIONS]\n\nRun 'pier ps --help' for more
 * information", as a flag error: 125. */
int cli_usage_error(const char *path, const struct cmd *cmd, const char *msg);
/* docker's "pier: 'pier logs' requires 1 argument ..." (exit 1). */
int cli_args_error(const char *path, const struct cmd *cmd, int nargs);
bool cli_args_ok(const struct cmd *cmd, int n);
/* What the docker CLI logs with logrus.Errorf, in logrus's text format:
 * time="2006-01-02T15:04:05Z" level=error msg="..." */
void cli_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the help of the command. */
void cli_help(struct cli *cli, const char *path, const struct cmd *cmd, FILE *out);
/* The terminal width for help ($COLUMNS is not read: docker asks fd 0). */
int cli_term_width(void);

/* A string setting of the docker CLI's config.json ("psFormat",
 * "imagesFormat", "statsFormat", "detachKeys"), "" when not set. */
const char *cli_config(struct cli *cli, const char *key);
/* The whole of config.json (NULL when there is none), owned by cli. */
json_t *cli_config_json(struct cli *cli);
/* The X-Registry-Auth header ("X-Registry-Auth: ...", heap) for the
 * registry of a normalized name ("docker.io/library/busybox"), from
 * config.json's auths, as docker login left them; NULL when none. */
char *registry_auth_header(struct cli *cli, const char *name);
/* Docker Hub's key in config.json's auths. */
#define DOCKER_INDEX_SERVER "https://index.docker.io/v1/"
/* credentials.ConvertToHostname: the scheme and the path dropped. */
void registry_hostname(const char *s, char *out, size_t cap);
/* The auths entry of config.json for a registry host ("docker.io" for
 * Docker Hub's keys), whatever scheme or path its key has; NULL if none. */
json_t *registry_auth_entry(struct cli *cli, const char *host);
/* Its username, password and identity token (heap, NULL when unset),
 * from "auth" (base64 of user:password) or the members of those names. */
int registry_auth_creds(json_t *entry, char **user, char **pass, char **token);
/* Write cli's config (as changed) back to config.json atomically, as the
 * docker CLI does: tab-indented, the file's mode and owner kept (0600 for
 * a new one), through a symlink to the file it names.  *path is the file
 * written (heap). */
int cli_config_save(struct cli *cli, char **path, pier_err_t *err);

/* --- the daemon ------------------------------------------------------------ */

struct api_resp {
    int status;
    char *body;
    size_t len;
    json_t *json; /* parsed on demand by api_json */
    char api_version[16];
};
void api_resp_free(struct api_resp *r);

/* Negotiate the API version (HEAD /_ping) unless done. */
int api_ping(struct cli *cli, pier_err_t *err);
/* The negotiated version (ours when the daemon cannot be reached). */
const char *api_version(struct cli *cli);
/* One request on the kept-alive connection; path without the /v1.NN
 * prefix; body may be NULL.  The response is read whole; any status is
 * returned (api_check turns >= 400 into docker's error). */
int api_do(struct cli *cli, const char *method, const char *path, json_t *body, struct api_resp *r,
           pier_err_t *err);
/* api_do, then an error unless 2xx or 304. */
int api_call(struct cli *cli, const char *method, const char *path, json_t *body,
             struct api_resp *r, pier_err_t *err);
/* The error for a failed response, as docker's client words it:
 * "Error response from daemon: MESSAGE". */
int api_error(struct api_resp *r, pier_err_t *err);
int api_json(struct api_resp *r, json_t **out, pier_err_t *err);

/* A request on its own connection whose response is read as it comes
 * (logs -f, events, stats, wait) or which is hijacked (attach, exec). */
struct api_stream {
    struct http_conn conn;
    struct http_resp resp;
};
int api_stream_open(struct cli *cli, const char *method, const char *path, json_t *body,
                    int body_fd, const char *content_type, struct api_stream *s, pier_err_t *err);
/* The same without a body, with these headers ("Name: value", NULL-ended). */
int api_stream_open_headers(struct cli *cli, const char *method, const char *path,
                            const char *const *headers, struct api_stream *s, pier_err_t *err);
/* Send the request with Upgrade: tcp; succeeds on 101 (or 200 from old
 * daemons), leaving s->conn for raw use. */
int api_hijack(struct cli *cli, const char *path, json_t *body, struct api_stream *s,
               pier_err_t *err);
/* Only send a request on a new connection; read the head later. */
int api_stream_send(struct cli *cli, const char *method, const char *path, json_t *body,
                    struct api_stream *s, pier_err_t *err);
int api_stream_head(struct api_stream *s, pier_err_t *err);
void api_stream_close(struct api_stream *s);
/* A streamed response on the kept-alive connection, which becomes the
 * stream's (docker sends its wait on the connection of the create). */
int api_stream_take(struct cli *cli, const char *method, const char *path, struct api_stream *s,
                    pier_err_t *err);

/* A line stream's bytes (events, stats, progress) as read so far: the
 * first whole line of b, without its newline (*len bytes), or NULL;
 * buf_consume(b, *len + 1) drops it. */
const char *stream_line(const struct buf *b, size_t *len);

/* METHOD /containers/{name}{suffix}, the name escaped; the response is
 * dropped. */
int api_container_call(struct cli *cli, const char *method, const char *name, const char *suffix,
                       pier_err_t *err);
/* GET /containers/{name}/json: the container in *c, owned by r (which is
 * freed on an error). */
int api_inspect_container(struct cli *cli, const char *name, struct api_resp *r, json_t **c,
                          pier_err_t *err);

/* URL query building: escape a value as Go's url.QueryEscape does. */
void url_escape(const char *s, struct buf *b);
/* "?key=value", or "&key=value" once b has a '?' (so the path before must
 * have none unescaped), the value escaped; keys in url.Values' order are
 * the caller's to keep. */
void url_param(struct buf *b, const char *key, const char *value);

/* --- output ------------------------------------------------------------------ */

/* JSON as Go's json.MarshalIndent(v, "", "    ") writes it (HTML
 * characters escaped as \u003c, like Go). */
char *json_go_indent(json_t *j, const char *indent);
/* Compact, as Go's json.Marshal. */
char *json_go_compact(json_t *j);

/* Run a --format template over data; the text is written to *out. */
int cli_template(const char *format, json_t *data, struct buf *out, pier_err_t *err);

/* qsort's comparison of two const char * elements, by strcmp. */
int cmp_cstr(const void *a, const void *b);

/* strerror as Go words it ("no such file or directory"). */
const char *go_strerror(int errnum);

/* Write all of s to fd 1 (after flushing stdout). */
void out_write(int fd, const char *s, size_t n);

#endif
