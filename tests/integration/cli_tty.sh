# pier, the CLI, on a real terminal (tmux on a server of the test's own):
# run -it, exec -it, the detach keys typed as a terminal sends them, attach,
# ^C to the container's foreground process; and the screen pier leaves next
# to the one docker leaves for the same session.
. "$TOP/tests/lib/engine.sh"

# ctm ARGS...: tmux on this test's own server (killed by the trap).
ctm() { tmux -L "pier-test-$TEST_TAG" -f /dev/null "$@"; }
ctm_cleanup() { ctm kill-server 2>/dev/null || true; }

# pane_has TEXT [TARGET]: the pane (default window t) shows TEXT.
pane_has() { ctm capture-pane -p -t "${2:-t}" | grep -qF -- "$1"; }
pane() { ctm capture-pane -p -t "${1:-t}"; }
# prompts N PROMPT [TARGET]: the pane shows N lines that begin with PROMPT.
prompts() { [ "$(pane "${3:-t}" | grep -c "^$2")" -ge "$1" ]; }

# window CMD [N]: CMD in window N (default 0, which makes the session,
# 101x31; tmux target t:N), its exit status written to $T/rc.N when it
# ends.
window() {
    local n=${2:-0} env="DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG DOCKER_CLI_HINTS=false"
    local run="env $env $1; echo \$? > '$T/rc.$n'; sleep 1000"
    if [ "$n" = 0 ]; then
        ctm new-session -d -s t -x 101 -y 31 "$run"
    else
        ctm new-window -t "t:$n" "$run"
    fi
}

# exit_status N: once window N's command ended, its status.
exit_status() {
    wait_for test -s "$T/rc.$1"
    cat "$T/rc.$1"
}

tty_setup() {
    command -v tmux >/dev/null || fail "tmux is not installed"
    engine_start
    busybox_image
    on_exit ctm_cleanup
}

test_run_it_detach_keys_attach_and_ctrl_c() {
    tty_setup
    window "$PIER run -it --name it -e PS1='ctr# ' busybox sh"
    wait_for pane_has 'ctr#'
    ctm send-keys -t t 'tty; stty size; echo "T=$TERM"' Enter
    wait_for pane_has 'T=xterm'
    pane_has /dev/pts/0 || fail "tty: $(pane)"
    pane_has "31 101" || fail "the terminal's size did not reach the container: $(pane)"
    # ctrl-p ctrl-q as one write, as a terminal sends them when typed
    # quickly: pier leaves, the container runs on
    ctm send-keys -t t C-p C-q
    expect_eq "$(exit_status 0)" 0 "exit status of a detached run"
    expect_eq "$(state it)" running
    # attach again: input and output flow once the prompt comes back
    window "$PIER attach it" 1
    ctm send-keys -t t:1 Enter
    wait_for pane_has 'ctr#' t:1
    ctm send-keys -t t:1 'echo "back-$((40+2))"' Enter
    wait_for pane_has back-42 t:1
    # ^C reaches the container's foreground process through its pty
    ctm send-keys -t t:1 'sh -c "echo started-\$((1+1)); exec sleep 1000"' Enter
    wait_for pane_has started-2 t:1
    ctm send-keys -t t:1 C-c
    ctm send-keys -t t:1 'echo "after-$((1+1))-interrupt"' Enter
    wait_for pane_has after-2-interrupt t:1
    ctm send-keys -t t:1 'exit 5' Enter
    expect_eq "$(exit_status 1)" 5 "exit status of attach"
    expect_eq "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' it)" "exited 5"
    # the tty's log is what the terminal showed
    expect_contains "$(docker logs it)" "after-2-interrupt"
}

test_exec_it_and_custom_detach_keys() {
    tty_setup
    docker run -d -it --name x busybox sh >/dev/null
    window "$PIER exec -it x sh"
    wait_for pane_has '/ #'
    ctm send-keys -t t 'stty size; [ -t 0 ] && echo "is-$((1))-tty"' Enter
    wait_for pane_has is-1-tty
    pane_has "31 101" || fail "exec -it size: $(pane)"
    ctm send-keys -t t 'exit 6' Enter
    expect_eq "$(exit_status 0)" 6 "exit status of exec -it"
    # --detach-keys: ctrl-x,x leaves the container running; attach says so
    # and, as docker's does, exits 1
    window "$PIER attach --detach-keys ctrl-x,x x" 1
    ctm send-keys -t t:1 Enter
    wait_for pane_has '/ #' t:1
    ctm send-keys -t t:1 C-x x
    expect_eq "$(exit_status 1)" 1 "attach: $(pane t:1)"
    pane_has "read escape sequence" t:1 || fail "attach: $(pane t:1)"
    expect_eq "$(state x)" running
    # a broken sequence is input: ctrl-x then y reaches the shell
    window "$PIER attach --detach-keys ctrl-x,x x" 2
    ctm send-keys -t t:2 Enter
    wait_for pane_has '/ #' t:2
    ctm send-keys -t t:2 'echo "kept-$((2+2))' C-x y '"' Enter
    wait_for pane_has kept-4 t:2
    ctm send-keys -t t:2 C-x x
    expect_eq "$(exit_status 2)" 1
    # the config file's detachKeys when no flag is given
    echo '{"detachKeys": "ctrl-e,e"}' >"$DOCKER_CONFIG/config.json"
    window "$PIER attach x" 3
    ctm send-keys -t t:3 Enter
    wait_for pane_has '/ #' t:3
    ctm send-keys -t t:3 C-e e
    expect_eq "$(exit_status 3)" 1 "attach: $(pane t:3)"
    pane_has "read escape sequence" t:3 || fail "attach: $(pane t:3)"
    expect_eq "$(state x)" running
}

# The same sessions under docker and pier leave the same screens.  (The
# size is read once the shell is up: pierd does not create the tty with
# HostConfig.ConsoleSize, so a program that asks at once races the
# client's resize.)
test_screens_match_docker() {
    tty_setup
    docker run -d -it --name y -e PS1='y# ' busybox sh >/dev/null
    local prog cmd n=0
    for prog in docker pier; do
        cmd=docker
        [ $prog = docker ] || cmd=$PIER
        window "$cmd run -it --rm -e PS1='ctr# ' busybox sh; echo \"first=\$?\"; $cmd exec -it y sh -c 'tty >/dev/null && echo exec-tty; exit 4'; echo \"second=\$?\"; $cmd attach y" $n
        wait_for pane_has 'ctr#' "t:$n"
        ctm send-keys -t "t:$n" 'stty size; echo "T=$TERM"; [ -t 1 ] && echo tty-out; exit 3' Enter
        wait_for pane_has 'second=4' "t:$n"
        # the client redraws the prompt (resize one cell larger and back)
        # once the terminal is raw: an Enter typed before that would be
        # echoed by the terminal, a race that once put an extra line on
        # one screen only
        wait_for prompts 1 'y#' "t:$n"
        ctm send-keys -t "t:$n" Enter
        wait_for prompts 2 'y#' "t:$n"
        ctm send-keys -t "t:$n" C-p C-q
        expect_eq "$(exit_status $n)" 1 "attach detached by $prog"
        pane "t:$n" | sed -e 's/[[:space:]]*$//' -e '/^$/d' >"$T/screen.$prog"
        n=$((n + 1))
    done
    expect_contains "$(cat "$T/screen.pier")" "31 101"
    expect_contains "$(cat "$T/screen.pier")" "read escape sequence"
    [ -z "${CLI_TTY_SHOW:-}" ] || cat "$T/screen.docker" "$T/screen.pier" >&2
    diff "$T/screen.docker" "$T/screen.pier" >"$T/screen.diff" ||
        fail "screens differ (< docker, > pier): $(cat "$T/screen.diff")"
}

# load_screen CLIENT NAME [FLAGS]: what CLIENT's load of $T/bb.tar leaves
# on a terminal of 200 columns (docker draws bars only past 110), in a
# session NAME of its own.
load_screen() {
    local env="DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG DOCKER_CLI_HINTS=false"
    ctm new-session -d -s "$2" -x 200 -y 12 \
        "env $env $1 load ${3:-} -i '$T/bb.tar'; echo \$? > '$T/rc.$2'; sleep 1000"
    wait_for test -s "$T/rc.$2"
    expect_eq "$(cat "$T/rc.$2")" 0 "$1 load ${3:-}"
    ctm capture-pane -p -t "$2" | sed -e 's/[[:space:]]*$//' -e '/^$/d'
}

# docker load on a terminal: a full bar for each layer stored (named by
# its diff id, as docker's daemon names it), then the Loaded line; drawn
# alike by the docker CLI and pier.  Layers the store has get no bar, and
# -q shows only the Loaded line.
test_load_progress_matches_docker() {
    tty_setup
    docker save -o "$T/bb.tar" busybox
    local diff
    diff=$(docker image inspect -f '{{index .RootFS.Layers 0}}' busybox)
    docker rmi busybox >/dev/null
    local d p
    d=$(load_screen docker d)
    expect_contains "$d" "${diff:7:12}: Loading layer [==================================================>]"
    expect_contains "$d" "Loaded image: busybox:latest"
    docker rmi busybox >/dev/null
    p=$(load_screen "$PIER" p)
    expect_eq "$p" "$d" "pier's screen (docker's: $d)"
    expect_eq "$(load_screen "$PIER" p2)" "Loaded image: busybox:latest" "a load of stored layers"
    expect_eq "$(load_screen docker d2)" "Loaded image: busybox:latest" "docker's load of stored layers"
    docker rmi busybox >/dev/null
    expect_eq "$(load_screen "$PIER" q -q)" "Loaded image: busybox:latest" "pier load -q"
    docker rmi busybox >/dev/null
    expect_eq "$(load_screen docker dq -q)" "Loaded image: busybox:latest" "docker load -q"
}
