# Terminals through pierd: run -it, detach and attach again, ^C, exec -it;
# the stock docker CLI on a real terminal (tmux).
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/tmux.sh"

# tty_setup: pierd, busybox, and a tmux server whose windows reach pierd.
tty_setup() {
    command -v tmux >/dev/null || fail "tmux is not installed"
    engine_start
    busybox_image
    on_exit tmux_cleanup
    DK="env DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG DOCKER_CLI_HINTS=false docker"
}

test_run_it_detach_and_attach_again() {
    tty_setup
    tm new-session -d -s t -x 101 -y 31 \
        "$DK run -it --name it -e PS1='ctr# ' busybox sh; echo \$? > '$T/rc1'; sleep 100"
    wait_for screen_has 'ctr#'
    tm send-keys -t t 'tty; stty size; echo "T=$TERM"' Enter
    wait_for screen_has 'T=xterm'
    screen_has /dev/pts/0 || fail "tty: $(tm capture-pane -p -t t)"
    screen_has "31 101" || fail "the terminal's size did not reach the container"
    # docker's detach keys: the client leaves, the container runs on
    tm send-keys -t t C-p C-q
    wait_for test -s "$T/rc1"
    expect_eq "$(cat "$T/rc1")" 0 "exit status of a detached run"
    expect_eq "$(state it)" running

    tm new-window -t t:1 "$DK attach it; echo \$? > '$T/rc2'; sleep 100"
    sleep 0.3
    tm send-keys -t t:1 'echo "back-$((40+2))"' Enter
    wait_for screen_has back-42 t:1
    # ^C reaches the container's foreground process through its pty
    tm send-keys -t t:1 'sleep 100' Enter
    sleep 0.3
    tm send-keys -t t:1 C-c
    tm send-keys -t t:1 'echo "after-$((1+1))-interrupt"' Enter
    wait_for screen_has after-2-interrupt t:1
    tm send-keys -t t:1 'exit 5' Enter
    wait_for test -s "$T/rc2"
    expect_eq "$(cat "$T/rc2")" 5 "exit status of attach"
    expect_eq "$(state it)" exited
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' it)" 5
    # a tty's log is what the terminal showed
    expect_contains "$(docker logs it)" "after-2-interrupt"
}

test_exec_it_and_custom_detach_keys() {
    tty_setup
    docker run -d -it --name x busybox sh >/dev/null
    tm new-session -d -s t -x 77 -y 19 "$DK exec -it x sh; echo \$? > '$T/rc1'; sleep 100"
    wait_for screen_has '/ #'
    tm send-keys -t t 'stty size; [ -t 0 ] && echo "is-$((1))-tty"' Enter
    wait_for screen_has is-1-tty
    screen_has "19 77" || fail "exec -it size: $(tm capture-pane -p -t t)"
    tm send-keys -t t 'exit 6' Enter
    wait_for test -s "$T/rc1"
    expect_eq "$(cat "$T/rc1")" 6 "exit status of exec -it"
    # --detach-keys: ctrl-x,x leaves the container running; attach says so
    # and, as docker's does, exits 1
    tm new-window -t t:1 "$DK attach --detach-keys ctrl-x,x x; echo \$? > '$T/rc2'; sleep 100"
    sleep 0.3
    tm send-keys -t t:1 C-x x
    wait_for test -s "$T/rc2"
    expect_eq "$(cat "$T/rc2")" 1 "attach: $(tm capture-pane -p -t t:1)"
    screen_has "read escape sequence" t:1 || fail "attach: $(tm capture-pane -p -t t:1)"
    expect_eq "$(state x)" running
}
