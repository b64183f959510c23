# process.terminal: the pty master sent over --console-socket (create, run
# -d, exec -t), what the program sees of its terminal, input typed into the
# master; and `run` in the foreground on a real terminal (tmux).

. "$TOP/tests/lib/oci.sh"
. "$TOP/tests/lib/tmux.sh"

CONSOLE_PY=$TOP/tests/lib/console.py

# console_start NAME [INPUT]: a console socket at $T/NAME.sock whose output
# goes to $T/NAME.out; its pid in CONSOLE_PID.
console_start() {
    "$PY" "$CONSOLE_PY" "$T/$1.sock" "$T/$1.out" "${2:-}" &
    CONSOLE_PID=$!
    on_exit kill "$CONSOLE_PID"
    wait_for test -S "$T/$1.sock"
}

# console_wait: until the console saw its pty close; fails on its timeout.
console_wait() {
    local rc=0
    wait "$CONSOLE_PID" || rc=$?
    [ $rc -eq 0 ] || fail "console helper exit status $rc"
}

# console_text NAME: what the container wrote, without the tty's \r.
console_text() {
    tr -d '\r' <"$T/$1.out"
}

test_terminal_over_console_socket() {
    make_bundle "$T/b" sh -c 'echo start; tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; [ -c /dev/console ] && [ "$(stat -c %t:%T /dev/console)" = "$(stat -L -c %t:%T "$(tty)")" ] && echo console-is-the-pty; stty size; read line; echo "got:$line"'
    bundle_edit "$T/b" "c['process']['terminal']=True; c['process']['consoleSize']={'height':37,'width':101}"
    console_start c 'hello from the master\n'
    local id
    id=$(cid t)
    rt create --console-socket "$T/c.sock" -b "$T/b" "$id"
    rt start "$id"
    console_wait
    local out
    out=$(console_text c)
    expect_contains "$out" "start" "output"
    expect_eq "$(echo "$out" | grep '^/dev/')" /dev/pts/0 "tty"
    expect_contains "$out" stdio-is-tty "[ -t 0 ]"
    expect_contains "$out" console-is-the-pty "/dev/console"
    expect_contains "$out" $'\n37 101\n' "stty size (consoleSize)"
    expect_contains "$out" "got:hello from the master" "input typed into the master"
}

test_terminal_needs_a_console_socket() {
    make_bundle "$T/b" true
    bundle_edit "$T/b" "c['process']['terminal']=True"
    local id
    id=$(cid t)
    expect_create_fail "process.terminal is true: a --console-socket is needed" -b "$T/b" "$id"
    nothing_left "$id"
    bundle_edit "$T/b" "c['process']['terminal']=False"
    console_start c
    expect_create_fail "--console-socket given but process.terminal is false" --console-socket "$T/c.sock" -b "$T/b" "$id"
    nothing_left "$id"
    bundle_edit "$T/b" "c['process']['terminal']=True"
    expect_create_fail "connect to --console-socket \`$T/nosuch.sock\`: No such file or directory" --console-socket "$T/nosuch.sock" -b "$T/b" "$id"
    nothing_left "$id"
}

test_run_detached_with_console_socket() {
    make_bundle "$T/b" sh -c 'tty; read line; echo "got:$line"; exit 0'
    bundle_edit "$T/b" "c['process']['terminal']=True"
    console_start c 'typed\n'
    local id
    id=$(cid d)
    rt run -d --console-socket "$T/c.sock" -b "$T/b" "$id"
    console_wait
    expect_contains "$(console_text c)" "got:typed" "input through run -d's console"
    expect_contains "$(console_text c)" "/dev/pts/0" "tty"
}

test_exec_tty_with_console_socket() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid e)
    rt run -d -b "$T/b" "$id"
    console_start c 'from-exec-master\n'
    local rc=0
    rt exec -t --console-socket "$T/c.sock" "$id" sh -c 'tty; [ -t 0 ] && echo stdin-tty; read line; echo "got:$line"; exit 7' || rc=$?
    console_wait
    expect_eq "$rc" 7 "exit status of exec -t"
    local out
    out=$(console_text c)
    expect_contains "$out" "/dev/pts/" "tty of the exec'd process"
    expect_contains "$out" stdin-tty "[ -t 0 ]"
    expect_contains "$out" "got:from-exec-master" "input"
    expect_fail "exec with a terminal needs --console-socket" rt exec -t -d "$id" true
}

test_run_foreground_terminal_under_tmux() {
    command -v tmux >/dev/null || fail "tmux is not installed"
    make_bundle "$T/b" sh
    bundle_edit "$T/b" "c['process']['terminal']=True; c['process']['env'].append('PS1=ctr\$ ')"
    local id
    id=$(cid fg)
    on_exit tmux_cleanup
    tm new-session -d -s t -x 120 -y 40 \
        "'$PIER_RUNTIME' --root '$ROOT' run -b '$T/b' '$id'; echo \$? > '$T/rc'; sleep 100"
    wait_for screen_has 'ctr$'
    tm send-keys -t t 'echo "hello-$((6*7))"; stty size' Enter
    wait_for screen_has hello-42
    # the terminal's size reached the container's
    screen_has "40 120" || fail "stty size in the container: $(tm capture-pane -p -t t)"
    # ^C goes through the pty to the container's foreground process
    tm send-keys -t t 'sleep 100' Enter
    sleep 0.3
    tm send-keys -t t C-c
    tm send-keys -t t 'echo "after-$((1+1))-interrupt"' Enter
    wait_for screen_has after-2-interrupt
    tm send-keys -t t 'exit 5' Enter
    wait_for test -s "$T/rc"
    expect_eq "$(cat "$T/rc")" 5 "exit status of run"
    expect_eq "$(rt list -q)" "" "containers after run"
}
