# pier, the CLI, as the client of pierd: the commands users type most, each
# run with the stock docker CLI and with pier against the same pierd, and
# their stdout, stderr and exit status compared.  What may differ is
# normalised away, nothing else: times ("3 seconds ago"), docker's name for
# itself in its messages, and the names and ids of containers made apart
# for each client.
. "$TOP/tests/lib/engine.sh"

# cli_norm: the normalisation applied to both sides; the ids and names of
# twins (see pair) only when CLI_TWINS is set, the widths of table columns
# (which follow the times in them) only when CLI_COLLAPSE is.
cli_norm() {
    local collapse="" twins=""
    [ -z "${CLI_COLLAPSE:-}" ] || collapse='s/   +/   /g'
    [ -z "${CLI_TWINS:-}" ] || twins='s/[0-9a-f]{64}/ID/g; s/(^|[^a-z0-9])[dp]-([a-z0-9]+)/\1X-\2/g'
    sed -E -e "s/^docker: /pier: /" -e "s/(^|[ ,'])docker /\\1pier /g" \
        -e 's/time="[^"]*"/time="T"/g' \
        -e 's/(Less than a second|About a minute|About an hour|an? (minute|hour)|[0-9]+ (seconds|minutes|hours)|[0-9]+ second)/T/g' \
        -e "$twins" -e "$collapse"
}

# cli_run TAG PROG ARGS...: stdout, stderr and status in $T/TAG.{out,err,rc};
# stdin from $CLI_IN (default: none).
cli_run() {
    local tag=$1 rc=0
    shift
    "$@" >"$T/$tag.out" 2>"$T/$tag.err" <"${CLI_IN:-/dev/null}" || rc=$?
    echo "$rc" >"$T/$tag.rc"
}

# slurp VAR FILE: FILE's text in VAR (no process is started: under load
# each costs tens of milliseconds, and these tests run hundreds).
slurp() { IFS= read -r -d '' "$1" <"$2" || true; }

cli_compare() {
    local what d p
    slurp d "$T/d.rc"
    slurp p "$T/p.rc"
    [ "$d" = "$p" ] || fail "[$1] exit status: docker ${d%$'\n'}, pier ${p%$'\n'}: $(<"$T/p.err")"
    for what in out err; do
        slurp d "$T/d.$what"
        slurp p "$T/p.$what"
        [ "$d" != "$p" ] || continue
        cli_norm <"$T/d.$what" >"$T/d.$what.n"
        cli_norm <"$T/p.$what" >"$T/p.$what.n"
        slurp d "$T/d.$what.n"
        slurp p "$T/p.$what.n"
        [ "$d" = "$p" ] ||
            fail "[$1] $what differs (< docker, > pier):
$(diff "$T/d.$what.n" "$T/p.$what.n" | head -20)"
    done
}

# same ARGS...: `docker ARGS` and `pier ARGS` give the same.
same() {
    cli_run d docker "$@"
    cli_run p "$PIER" "$@"
    cli_compare "$*"
}

# twin_args SIDE ARGS...: ARGS in TWIN, each @NAME made SIDE-NAME (d- for
# docker, p- for pier).
twin_args() {
    local side=$1 a
    shift
    TWIN=()
    for a in "$@"; do
        TWIN+=("${a//@/$side-}")
    done
}

# pair ARGS...: docker on the d- twins, pier on the p- twins, compared.
pair() {
    twin_args d "$@"
    cli_run d docker "${TWIN[@]}"
    twin_args p "$@"
    cli_run p "$PIER" "${TWIN[@]}"
    CLI_TWINS=1 cli_compare "$*"
}

# What pier printed in the last comparison.
p_out() { echo "$(<"$T/p.out")"; }
p_err() { echo "$(<"$T/p.err")"; }
p_rc() { echo "$(<"$T/p.rc")"; }

cli_setup() {
    engine_start
    busybox_image
}

test_run_options_and_exit_codes() {
    cli_setup
    same run --rm -e A=1 -e "B=two words" -w /tmp -u 1000:1000 busybox \
        sh -c 'echo "$A|$B|$PWD|$(id -u):$(id -g)"; echo to-err >&2'
    expect_eq "$(p_out)" "1|two words|/tmp|1000:1000"
    expect_eq "$(p_err)" "to-err"
    same run --rm --entrypoint /bin/echo busybox a b
    expect_eq "$(p_out)" "a b"
    same run --rm busybox sh -c 'exit 42'
    expect_eq "$(p_rc)" 42
    # the program cannot be run: 127, 126, docker's messages; with --rm
    # the wait's error is logged first, as logrus does
    same run --rm busybox nosuchcmd
    expect_eq "$(p_rc)" 127
    expect_contains "$(p_err)" 'level=error msg="Error waiting for container: '
    expect_contains "$(p_err)" "Run 'pier run --help' for more information"
    same run busybox nosuchcmd
    expect_eq "$(p_rc)" 127
    same run --rm busybox /
    expect_eq "$(p_rc)" 126
    # errors of the client and of the daemon: 125
    same run --rm --bogus busybox true
    expect_eq "$(p_rc)" 125
    expect_contains "$(p_err)" "unknown flag: --bogus"
    same run --rm nosuchimage:1 true
    expect_eq "$(p_rc)" 125
    same run --rm -u nosuchuser busybox true
    expect_eq "$(p_rc)" 125
    same run -it --rm busybox true
    expect_eq "$(p_err)" "the input device is not a TTY"
    # stdin through -i, the tty's \r\n through -t
    echo piped >"$T/in"
    CLI_IN=$T/in same run -i --rm busybox cat
    expect_eq "$(p_out)" piped
    same run -t --rm busybox echo tty
    expect_eq "$(p_out)" $'tty\r'
    # --rm left only the two of `run busybox nosuchcmd`
    expect_eq "$(docker ps -aq | wc -l)" 2 "containers left"
}

test_run_detached_names_and_conflicts() {
    cli_setup
    pair run -d --name @web -l team=core busybox sleep 1000
    [[ $(p_out) =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed [$(p_out)]"
    pair inspect -f '{{.State.Status}} {{.Name}} {{.Config.Labels}} {{.Config.Cmd}}' @web
    expect_eq "$(p_out)" "running /p-web map[team:core] [sleep 1000]"
    # the name is taken
    pair run -d --name @web busybox true
    expect_eq "$(p_rc)" 125
    expect_contains "$(p_err)" 'Conflict. The container name "/p-web" is already in use'
    pair create --name @made busybox true
    [[ $(p_out) =~ ^[0-9a-f]{64}$ ]] || fail "create printed [$(p_out)]"
    pair inspect -f '{{.State.Status}}' @made
    expect_eq "$(p_out)" created
    # -d --rm: gone once it exited
    pair run -d --rm --name @gone busybox true
    wait_for sh -c "! docker inspect d-gone && ! docker inspect p-gone"
    pair run -d --name @bad busybox nosuchcmd
    expect_eq "$(p_rc)" 127
}

test_ps_listing_filters_and_formats() {
    cli_setup
    docker run -d --name up1 -l tier=web busybox sleep 1000 >/dev/null
    docker run -d --name up2 busybox sleep 1000 >/dev/null
    docker run --name ex3 busybox sh -c 'exit 3' >/dev/null || true
    docker create --name new4 -l tier=db busybox true >/dev/null
    CLI_COLLAPSE=1 same ps
    expect_eq "$(p_out | wc -l)" 3
    expect_contains "$(p_out | head -1)" "CONTAINER ID   IMAGE     COMMAND"
    CLI_COLLAPSE=1 same ps -a
    expect_contains "$(p_out)" "Exited (3)"
    expect_contains "$(p_out)" "Created"
    same ps -aq --no-trunc
    expect_eq "$(p_out | wc -l)" 4
    CLI_COLLAPSE=1 same ps -l
    expect_contains "$(p_out)" new4
    CLI_COLLAPSE=1 same ps -a -s
    expect_contains "$(p_out | head -1)" SIZE
    same ps -a --filter status=exited --format '{{.Names}} {{.Status}}'
    expect_contains "$(p_out)" "ex3 Exited (3) "
    same ps -a --filter exited=3 -q
    same ps --filter name=up --format '{{.Names}}'
    expect_eq "$(p_out | sort | tr '\n' ' ')" "up1 up2 "
    same ps -a --filter label=tier=db --format '{{.Names}} {{.Label "tier"}}'
    expect_eq "$(p_out)" "new4 db"
    same ps -a --filter label=tier --filter status=running --format '{{.Names}}'
    expect_eq "$(p_out)" up1
    same ps -a --filter ancestor=busybox -q
    expect_eq "$(p_out | wc -l)" 4
    same ps -a --filter status=bogus
    same ps --filter bogus=1
    expect_eq "$(p_err)" "Error response from daemon: invalid filter 'bogus'"
    CLI_COLLAPSE=1 same ps -a --format 'table {{.Names}}\t{{.Status}}'
    expect_eq "$(p_out | head -1)" "NAMES     STATUS"
    CLI_COLLAPSE=1 same ps -a --format 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Labels}}\t{{.Label "tier"}}\t{{.Size}}'
    same ps -a --format '{{json .}}'
    expect_eq "$(p_out | wc -l)" 4
    same ps -a --format '{{.Names}}|{{.State}}|{{upper .Names}}|{{printf "%-6s" .Image}}|{{.Mounts}}|{{.Networks}}|{{.Ports}}'
    # -q wins over --format, with docker's warning
    same ps -q --format '{{.Names}}'
    expect_eq "$(p_err)" "WARNING: Ignoring custom format, because both --format and --quiet are set."
    # templates are checked before the daemon is asked
    same ps --format '{{.Names'
    expect_eq "$(p_rc)" 1
    expect_contains "$(p_err)" "failed to parse template: template: :1:"
    same ps --format '{{.Nope}}'
    expect_eq "$(p_err)" 'failed to execute template: template: :1:2: executing "" at <.Nope>: can'"'"'t evaluate field Nope in type *formatter.ContainerContext'
    same ps --format '{{.Names.X}}'
}

test_logs_tail_timestamps_since_follow() {
    cli_setup
    docker run --name l busybox sh -c 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done' \
        >/dev/null 2>&1
    same logs l
    expect_eq "$(p_out | tr '\n' ' ')" "out1 out2 out3 out4 out5 "
    expect_eq "$(p_err | tr '\n' ' ')" "err1 err2 err3 err4 err5 "
    same logs --tail 3 l
    same logs -n 0 l
    same logs --tail all -t l
    [[ $(p_out | head -1) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ out1$ ]] ||
        fail "logs -t: $(p_out | head -1)"
    same logs --since 2000-01-01T00:00:00Z --until 2100-01-01 l
    expect_eq "$(p_out | wc -l)" 5
    same logs --until 2000-01-01T00:00:00Z l
    expect_eq "$(p_out)" ""
    same logs --since 1h l
    expect_eq "$(p_out | wc -l)" 5
    same logs --since bogus l
    same logs nosuch
    expect_eq "$(p_rc)" 1
    expect_eq "$(p_err)" "Error response from daemon: No such container: nosuch"
    # -f on a container that ends: all of it, then the exit
    docker run -d --name f busybox sh -c 'for i in 1 2 3; do echo n$i; sleep 0.2; done' >/dev/null
    same logs -f f
    expect_eq "$(p_out | tr '\n' ' ')" "n1 n2 n3 "
}

test_exec_options_stdin_and_exit_codes() {
    cli_setup
    docker run -d --name e busybox sleep 1000 >/dev/null
    same exec e echo hi
    expect_eq "$(p_out)" hi
    same exec -e X=y -w /tmp -u 1000:1000 e sh -c 'echo "$X $PWD $(id -u):$(id -g)"'
    expect_eq "$(p_out)" "y /tmp 1000:1000"
    same exec e sh -c 'exit 12'
    expect_eq "$(p_rc)" 12
    # as dockerd: the reason on stdout, 127 or 126
    same exec e nosuchcmd
    expect_eq "$(p_rc)" 127
    expect_contains "$(p_out)" 'exec: "nosuchcmd": executable file not found in $PATH'
    same exec e /etc/passwd
    expect_eq "$(p_rc)" 126
    same exec -u nosuchuser e true
    printf 'line1\nline2\n' >"$T/in"
    CLI_IN=$T/in same exec -i e sh -c 'cat; exit 4'
    expect_eq "$(p_out)" $'line1\nline2'
    expect_eq "$(p_rc)" 4
    # without -i stdin is not passed
    CLI_IN=$T/in same exec e cat
    expect_eq "$(p_out)" ""
    same exec -it e true
    expect_eq "$(p_err)" "the input device is not a TTY"
    # detached: runs on after the client went
    "$PIER" exec -d e sh -c 'echo done > /tmp/d'
    wait_for "$PIER" exec e test -f /tmp/d
    docker stop -t 0 e >/dev/null
    same exec e true
    expect_contains "$(p_err)" "is not running"
}

test_inspect_templates_types_and_errors() {
    cli_setup
    docker run -d --name i -l k=v -e E=1 busybox sleep 1000 >/dev/null
    docker create --name j busybox true >/dev/null
    same inspect i
    expect_eq "$(p_out | head -2)" $'[\n    {'
    same inspect j busybox
    same inspect -f '{{.State.Status}} {{.Name}} {{.Config.Image}}' i j
    expect_eq "$(p_out)" $'running /i busybox\ncreated /j busybox'
    same inspect -f '{{json .State.Running}} {{json .Mounts}}' i
    same inspect -f '{{json .Config.Labels}} {{index .Config.Labels "k"}} {{len .Config.Env}}' i
    same inspect -f '{{range .Config.Env}}{{println .}}{{end}}' i
    same inspect --format='{{.HostConfig.Memory}} {{.State.Pid | printf "%T"}}' i
    same inspect -s -f '{{.Id}}' i
    same inspect --type container -f '{{.Id}}' i
    same inspect --type image -f '{{.Id}} {{.Os}}' busybox
    same inspect --type image i
    expect_eq "$(p_rc)" 1
    same image inspect i
    # a missing object: docker's message, status 1, the others still shown
    same inspect nosuch
    expect_eq "$(p_rc)" 1
    expect_eq "$(p_err)" "Error: No such object: nosuch"
    same inspect -f '{{.Name}}' i nosuch j
    expect_eq "$(p_out)" $'/i\n/j'
    same inspect -f '{{.Name' i
    expect_contains "$(p_err)" "template parsing error"
}

test_lifecycle_commands() {
    cli_setup
    local n
    for n in a b; do
        pair run -d --name @$n busybox sh -c 'trap "exit 7" HUP; touch /tmp/ready; while :; do sleep 0.1; done'
    done
    wait_for docker exec d-a test -f /tmp/ready
    wait_for docker exec p-a test -f /tmp/ready
    pair kill -s HUP @a
    expect_eq "$(p_out)" p-a
    pair wait @a
    expect_eq "$(p_out)" 7
    pair kill @a
    expect_contains "$(p_err)" "is not running"
    pair start @a
    expect_eq "$(p_out)" p-a
    pair inspect -f '{{.State.Status}}' @a
    expect_eq "$(p_out)" running
    pair pause @a @b
    expect_eq "$(p_out)" $'p-a\np-b'
    pair inspect -f '{{.State.Status}}' @a
    expect_eq "$(p_out)" paused
    pair pause @a
    expect_eq "$(p_rc)" 1
    expect_contains "$(p_err)" "Error response from daemon: Container "
    pair unpause @a @b
    pair unpause @a
    expect_contains "$(p_err)" "is not paused"
    pair kill -s BOGUS @b
    expect_contains "$(p_err)" "Invalid signal: BOGUS"
    pair restart -t 0 @b
    expect_eq "$(p_out)" p-b
    pair inspect -f '{{.State.Status}} {{.RestartCount}}' @b
    pair stop -t 0 @a @b nosuch
    expect_eq "$(p_out)" $'p-a\np-b'
    expect_eq "$(p_rc)" 1
    pair wait @a @b
    expect_eq "$(p_out)" $'137\n137'
    pair rename @a @a2
    pair inspect -f '{{.Name}}' @a2
    expect_eq "$(p_out)" /p-a2
    pair rename @a2 @b
    expect_contains "$(p_err)" "is already in use"
    pair start @a2 nosuch
    expect_contains "$(p_err)" "Error: failed to start containers: nosuch"
    pair rm @a2
    expect_contains "$(p_err)" "cannot remove container"
    pair rm -f @a2 @b
    expect_eq "$(p_out)" $'p-a2\np-b'
    pair rm @a2
    expect_eq "$(p_err)" "Error response from daemon: No such container: p-a2"
    same wait nosuch
}

test_top_and_stats() {
    cli_setup
    docker run -d --name t busybox sh -c 'sleep 1000' >/dev/null
    docker create --name s busybox true >/dev/null
    # ps's own columns (C, the CPU use, moves between two runs)
    same top t -o pid,ppid,user,args
    expect_contains "$(p_out)" "sleep 1000"
    expect_eq "$(p_out | wc -l)" 2
    "$PIER" top t >"$T/top"
    expect_eq "$(head -1 "$T/top")" "$(docker top t | head -1)"
    same top t -o pid,comm
    expect_contains "$(p_out | head -1)" COMMAND
    same top s
    expect_contains "$(p_err)" "is not running"
    same top nosuch
    same stats --no-stream --format '{{.Name}} {{.ID}} {{.Container}} {{.PIDs}}' t
    expect_eq "$(p_out)" "t $(docker inspect -f '{{.Id}}' t | cut -c1-12) t 1"
    same stats --no-stream nosuch
    # streaming: each frame in one write, as docker draws it (the text,
    # then again with each line erased to its end, then the screen's rest)
    local frame=$'\e[Ht\n\e[Ht \e[K\n \e[K\n\e[J' prog
    for prog in docker "$PIER"; do
        expect_eq "$("$prog" stats --format '{{.Name}}' t | head -c ${#frame} | od -c)" \
            "$(printf '%s' "$frame" | od -c)" "first frame of $prog stats"
    done
}

test_images_import_tag_rmi() {
    cli_setup
    tar -C "$PIER_TEST_ROOTFS" -cf "$T/root.tar" .
    pair import -c 'CMD ["sh"]' -m from-tar "$T/root.tar" @img:1
    [[ $(p_out) =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed [$(p_out)]"
    pair inspect -f '{{.Config.Cmd}} {{.Comment}}' @img:1
    expect_eq "$(p_out)" "[sh] from-tar"
    pair tag @img:1 @img:2
    CLI_COLLAPSE=1 same images
    expect_eq "$(p_out | wc -l)" 6
    same images -q
    same images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
    same images --format json
    CLI_COLLAPSE=1 same images d-img
    same images --filter reference='*-img:2' --format '{{.Repository}}:{{.Tag}}'
    expect_eq "$(p_out | sort | tr '\n' ' ')" "d-img:2 p-img:2 "
    same images --format '{{.Nope}}'
    expect_contains "$(p_err)" "can't evaluate field Nope in type *formatter.imageContext"
    same import "$T/nosuch.tar"
    same import -c 'BOGUS x' "$T/root.tar"
    same tag nosuch x
    same tag busybox 'Bad:Name'
    pair rmi @img:2
    expect_eq "$(p_out)" "Untagged: p-img:2"
    pair rmi @img:1
    expect_contains "$(p_out)" "Deleted: sha256:"
    same rmi nosuch
    same image rm
}

test_version_info_and_events() {
    cli_setup
    same version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}'
    same version --format '{{json .Server}}'
    same version --format '{{.Nope}}'
    expect_contains "$(p_err)" 'template: version:1:2: executing "version" at <.Nope>'
    same version --format '{{.Server'
    expect_eq "$(p_rc)" 64
    same info --format '{{.Containers}} {{.ContainersRunning}} {{.Images}} {{.Driver}} {{.OSType}} {{json .Plugins}}'
    same system info --format '{{.ServerVersion}}'
    local since until
    since=$(date +%s.%N)
    docker run --name ev -l team=x busybox true >/dev/null
    docker rm ev >/dev/null
    until=$(date +%s.%N)
    same events --since "$since" --until "$until"
    expect_eq "$(p_out | wc -l)" 5
    same events --since "$since" --until "$until" --filter event=start --filter event=die
    expect_eq "$(p_out | wc -l)" 2
    same events --since "$since" --until "$until" --filter container=ev \
        --format '{{.Status}} {{.Type}} {{.Action}} {{.From}} {{.Actor.Attributes.name}} {{.Scope}}'
    expect_eq "$(p_out | head -1)" "create container create busybox ev local"
    same events --since "$since" --until "$until" --format '{{json .}}'
    same events --since "$since" --until "$until" --format json
    same events --since "$since" --until "$until" --format '{{.Nope}}'
    expect_eq "$(p_rc)" 64
    same events --since bogus
    same events --filter bogus=1 --until "$until"
}

test_container_prune() {
    cli_setup
    pair create --name @old -l gen=@old busybox true
    docker run -d --name keep busybox sleep 1000 >/dev/null
    pair container prune -f --filter label=gen=@old
    expect_contains "$(p_out)" "Deleted Containers:"
    expect_contains "$(p_out)" "Total reclaimed space:"
    # nothing left to remove, the running one is kept
    same container prune -f
    expect_eq "$(p_out)" "Total reclaimed space: 0B"
    expect_eq "$(docker ps -aq | wc -l)" 1
    # the question, and no as the answer
    echo n >"$T/in"
    CLI_IN=$T/in same container prune
    expect_contains "$(p_out)" "Are you sure you want to continue? [y/N]"
}

# The config file's formats (psFormat, imagesFormat, statsFormat) are the
# defaults; --format and -q still win as docker's rules say.
test_config_file_formats() {
    cli_setup
    docker run -d --name c1 busybox sleep 1000 >/dev/null
    docker create --name c2 busybox true >/dev/null
    printf '%s' '{"psFormat": "table {{.Names}}\t{{.State}}", "imagesFormat": "{{.Repository}}={{.Tag}}", "statsFormat": "{{.Name}}:{{.PIDs}}"}' \
        >"$DOCKER_CONFIG/config.json"
    same ps -a
    expect_eq "$(p_out)" $'NAMES     STATE\nc2        created\nc1        running'
    same ps -q
    same ps --format '{{.Names}}'
    expect_eq "$(p_out)" c1
    same images
    expect_eq "$(p_out)" "busybox=latest"
    same images -q
    same stats --no-stream c1
    expect_eq "$(p_out)" "c1:1"
    # a config file that is not JSON: a warning, then the defaults
    echo '{bad' >"$DOCKER_CONFIG/config.json"
    "$PIER" ps >"$T/out" 2>"$T/err"
    expect_contains "$(cat "$T/err")" "WARNING: Error parsing config file ($DOCKER_CONFIG/config.json): "
    expect_contains "$(head -1 "$T/out")" "CONTAINER ID"
}

test_help_usage_and_unknown_commands() {
    cli_setup
    local c
    for c in run ps exec inspect events "container prune"; do
        # shellcheck disable=SC2086
        same $c --help
        expect_contains "$(p_out)" "Usage:  pier "
    done
    for c in network "network ls" "network create" "network connect" "network prune"; do
        # shellcheck disable=SC2086
        same $c --help
    done
    same nosuchcmd
    expect_eq "$(p_rc)" 1
    same container nosuch
    same ps --bogus
    expect_eq "$(p_rc)" 125
    same -x ps
    same logs a b
    same ps extra
    same help nosuch
    # the root help lists what pier has as docker lists it
    docker --help | cli_norm >"$T/dh"
    "$PIER" --help >"$T/ph"
    expect_eq "$(head -5 "$T/ph")" "$(head -5 "$T/dh")" "root help head"
    local line
    while IFS= read -r line; do
        grep -qxF -- "$line" "$T/dh" || fail "pier --help line not in docker's: [$line]"
    done <"$T/ph"
    expect_eq "$(grep -c ':$' "$T/ph")" 4 "sections of pier --help"
    expect_eq "$(sed -n '/^Common Commands:/,/^$/p' "$T/ph" | awk 'NR > 1 && NF {print $1}' | tr '\n' ' ')" \
        "run exec ps pull push images login logout version info " "common commands"
}

# -p, -P and --expose as both CLIs send them and pierd keeps them; the
# forms both refuse, with the same words; `port` of a container that has
# published nothing.
test_publish_forms_and_port() {
    cli_setup
    pair create --name @web -p 8080:80 -p 127.0.0.1::53/udp -p 8000-8002:90-92 -p 9000-9005:99 \
        -p target=81,published=8081,protocol=UDP --expose 7000-7001 -P busybox true
    pair inspect -f '{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}} {{.HostConfig.PublishAllPorts}} {{json .NetworkSettings.Ports}}' @web
    expect_contains "$(p_out)" '"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}]'
    expect_contains "$(p_out)" '"99/tcp":[{"HostIp":"","HostPort":"9000-9005"}]'
    expect_contains "$(p_out)" '"81/udp":[{"HostIp":"","HostPort":"8081"}]'
    pair ps -a --filter name=@web --format '{{.Names}} [{{.Ports}}]'
    expect_eq "$(p_out)" "p-web []"
    pair port @web
    pair port @web 80
    expect_eq "$(p_rc)" 1
    local p
    for p in abc 80/icmp 1.2.3:80:80 8000-8002:80-83 published=8080 a=b=c 70000 /tcp; do
        same create -p "$p" busybox true
        expect_eq "$(p_rc)" 125 "status of -p $p"
    done
    for p in 80:80 abc 9-8 70000 1-x ""; do
        same create --expose "$p" busybox true
        expect_eq "$(p_rc)" 125 "status of --expose $p"
    done
}
