# containerd (Debian's 1.6) and its ctr running containers on pier-runtime
# in place of runc: each test starts a containerd of its own on scratch
# directories, and stops it by its pid.  containerd's runc shim calls the
# runtime as it calls runc: `--root R --log F --log-format json create
# --bundle B --pid-file P [--console-socket S] ID`, `start`, `exec --process
# F --detach`, `kill [--all]`, `ps --format json`, `delete [--force]`.

CTRD_DIR=
CTRD_PID=
CTRD_SOCK=

# ctrd ARGS: ctr against this test's containerd.
ctrd() { ctr --address "$CTRD_SOCK" "$@"; }

# Flags of `ctr run` that put pier-runtime in runc's place.  --fifo-dir and
# --runc-root keep ctr's fifos and the runtime's state under $T.
ctr_rt_flags() {
    echo --fifo-dir "$CTRD_DIR/fifo" --runc-binary "$PIER_RUNTIME" --runc-root "$CTRD_DIR/runc"
}

# The cgroup of test container NAME: under pier-test-TAG, which the
# harness removes.
ctr_cgroup() { echo "/pier-test-$TEST_TAG/$(cid "$1")"; }

# pids of processes whose command line names this test's containerd socket
# (its shims, if containerd went before them).
ctrd_shim_pids() {
    local f
    for f in $(grep -lzxF -- "$CTRD_SOCK" /proc/[0-9]*/cmdline 2>/dev/null); do
        f=${f#/proc/}
        echo "${f%/cmdline}"
    done
}

ctrd_stop() {
    local id p i
    if [ -n "$CTRD_PID" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
        # Containers go through containerd, so that their shims exit too.
        for id in $(ctrd containers list -q 2>/dev/null); do
            ctrd task kill -s SIGKILL "$id" >/dev/null 2>&1
            ctrd task delete --force "$id" >/dev/null 2>&1
            ctrd containers delete "$id" >/dev/null 2>&1
        done
        kill "$CTRD_PID" 2>/dev/null
        for i in $(seq 1 100); do
            kill -0 "$CTRD_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -9 "$CTRD_PID" 2>/dev/null
    fi
    for p in $(ctrd_shim_pids); do
        kill -9 "$p" 2>/dev/null
    done
    # Whatever containerd could not remove, the runtime removes.
    for id in $("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" list -q 2>/dev/null); do
        "$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" delete --force "$id" >/dev/null 2>&1
    done
    # The shim sockets live in containerd's fixed /run/containerd/s: a
    # shim killed above left its own there.
    local a
    for a in "$CTRD_DIR"/state/io.containerd.runtime.v2.task/*/*/address; do
        [ -f "$a" ] || continue
        a=$(cat "$a")
        case "$a" in unix:///run/containerd/s/*) rm -f "${a#unix://}" ;; esac
    done
    # Nothing else of ours is under /run/containerd: leave it as it was.
    if [ -f "$CTRD_DIR/made-run-containerd" ]; then
        rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
    fi
}

# ctrd_start: containerd on $T/ctrd, without the CRI plugin and the
# snapshotters this machine lacks; its /opt plugin directory under $T.
ctrd_start() {
    CTRD_DIR=$T/ctrd
    CTRD_SOCK=$CTRD_DIR/c.sock
    mkdir -p "$CTRD_DIR"
    [ -e /run/containerd ] || touch "$CTRD_DIR/made-run-containerd"
    cat >"$CTRD_DIR/config.toml" <<EOF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
EOF
    containerd --config "$CTRD_DIR/config.toml" >"$CTRD_DIR/containerd.log" 2>&1 &
    CTRD_PID=$!
    on_exit ctrd_stop
    local i
    for i in $(seq 1 200); do
        ctrd version >/dev/null 2>&1 && return 0
        kill -0 "$CTRD_PID" 2>/dev/null || break
        sleep 0.05
    done
    tail -20 "$CTRD_DIR/containerd.log" >&2
    fail "containerd did not start"
}

# rm_cgroup_trees DIR...: each DIR and the cgroups below it, deepest first.
rm_cgroup_trees() {
    local d
    for d in "$@"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    return 0
}

# ctr_task_status ID: RUNNING, STOPPED, ... as `ctr task ls` says.
ctr_task_status() { ctrd task ls | awk -v id="$1" '$1 == id {print $3}'; }
ctr_task_pid() { ctrd task ls | awk -v id="$1" '$1 == id {print $2}'; }

test_ctr_run_output_and_exit_status() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id rc=0
    id=$(cid run)
    ctrd run --rm $(ctr_rt_flags) --cgroup "$(ctr_cgroup run)" --rootfs "$T/rootfs" "$id" \
        sh -c 'echo out; echo err >&2; exit 3' >"$T/out" 2>"$T/err" || rc=$?
    expect_eq "$rc" 3 "exit status through ctr run"
    expect_eq "$(cat "$T/out")" out "stdout through ctr run"
    expect_eq "$(cat "$T/err")" err "stderr through ctr run"
    # --rm: the container, its task and the runtime's state are gone
    expect_eq "$(ctrd containers list -q)" "" "containers after run --rm"
    expect_eq "$("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" list -q)" "" "runtime state after run --rm"
}

test_ctr_runs_pier_runtime() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id pid
    id=$(cid d)
    ctrd run -d $(ctr_rt_flags) --cgroup "$(ctr_cgroup d)" --rootfs "$T/rootfs" "$id" sleep 1000
    expect_eq "$(ctr_task_status "$id")" RUNNING "task status"
    pid=$(ctr_task_pid "$id")
    # the runtime's state is pier's (runc's would not parse), in --runc-root
    local st
    st=$("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" state "$id")
    expect_contains "$st" '"status": "running"'
    expect_contains "$st" "\"pid\": $pid"
    expect_eq "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep 1000 " "the task's process"
    expect_contains "$(cat /proc/$pid/cgroup)" "pids:$(ctr_cgroup d)"
    expect_contains "$(cat /proc/$pid/cgroup)" "0::$(ctr_cgroup d)"
    # --with-ns: a second container in the first one's pid and network
    # namespaces, joined by path
    local out
    out=$(ctrd run --rm $(ctr_rt_flags) --cgroup "$(ctr_cgroup j)" --with-ns "pid:/proc/$pid/ns/pid" \
        --with-ns "network:/proc/$pid/ns/net" --rootfs "$T/rootfs" "$(cid j)" \
        sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; readlink /proc/self/ns/net')
    expect_eq "$out" "sleep 1000 
$(readlink /proc/$pid/ns/net)" "a container in another's pid and network namespaces"
}

test_ctr_exec_output_and_exit_status() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id rc=0 out
    id=$(cid ex)
    ctrd run -d $(ctr_rt_flags) --cgroup "$(ctr_cgroup ex)" --rootfs "$T/rootfs" "$id" sleep 1000
    out=$(ctrd task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e1 "$id" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; exit 7') || rc=$?
    expect_eq "$rc" 7 "exit status through ctr task exec"
    expect_eq "$out" "sleep 1000 " "exec sees the container's pid 1"
    # stdin reaches the exec'd process, and its cwd and user are as asked
    out=$(echo piped | ctrd task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e2 --cwd /tmp --user 1000 "$id" sh -c 'read l; echo "$l $(pwd) $(id -u)"')
    expect_eq "$out" "piped /tmp 1000" "exec with stdin, --cwd and --user"
    # the exec'd process is in the container's cgroup
    out=$(ctrd task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e3 "$id" cat /proc/self/cgroup)
    expect_contains "$out" "pids:$(ctr_cgroup ex)"
    # an exec that cannot start says why, in pier-runtime's words
    rc=0
    out=$(ctrd task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e4 "$id" /no/such/program 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "exec of a missing program succeeded"
    expect_contains "$out" 'exec: `/no/such/program`: No such file or directory'
    expect_eq "$(ctr_task_status "$id")" RUNNING "the container after a failed exec"
}

test_ctr_kill_term_and_kill() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local a b rc=0
    a=$(cid term)
    b=$(cid kill)
    # A foreground ctr run returns the status of the task it waits for.
    ctrd run $(ctr_rt_flags) --cgroup "$(ctr_cgroup term)" --rootfs "$T/rootfs" "$a" \
        sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done' >"$T/a.out" 2>&1 &
    local runner=$!
    on_exit "kill $runner"
    wait_for grep -q ready "$T/a.out"
    ctrd task kill "$a"
    wait "$runner" || rc=$?
    expect_eq "$rc" 42 "exit status after SIGTERM to a trapping shell"

    ctrd run -d $(ctr_rt_flags) --cgroup "$(ctr_cgroup kill)" --rootfs "$T/rootfs" "$b" sleep 1000
    local pid
    pid=$(ctr_task_pid "$b")
    # pid 1 of its namespace: sleep ignores SIGTERM, SIGKILL ends it
    ctrd task kill -s SIGTERM "$b"
    sleep 0.2
    expect_eq "$(ctr_task_status "$b")" RUNNING "sleep as pid 1 after SIGTERM"
    ctrd task kill -s SIGKILL "$b"
    wait_for sh -c "ctr --address '$CTRD_SOCK' task ls | grep -q '^$b .*STOPPED'"
    [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status || fail "process $pid outlived SIGKILL"
    # a signal to a task that has exited: the shim knows runc's words for
    # it, "container not running", and says the process is gone
    local out rc=0
    out=$(ctrd task kill -s SIGKILL "$b" 2>&1) || rc=$?
    expect_contains "$out" "process already finished: not found"
    ctrd task delete "$b"
    expect_eq "$("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" list -q)" "" "runtime state after task delete"
    [ ! -d "/sys/fs/cgroup/pids$(ctr_cgroup kill)" ] || fail "cgroup left after task delete"
}

test_ctr_task_ps_and_kill_all() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id
    id=$(cid ps)
    ctrd run -d $(ctr_rt_flags) --cgroup "$(ctr_cgroup ps)" --rootfs "$T/rootfs" "$id" \
        sh -c 'sleep 1000 & sleep 1000 & wait'
    wait_for sh -c "[ \$(ctr --address '$CTRD_SOCK' task ps $id | tail -n +2 | wc -l) -eq 3 ]"
    # ctr task ps is the runtime's `ps --format json`
    local want got
    want=$("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" ps --format json "$id" | tr -d '[]' | tr ',' '\n' | sort -n)
    got=$(ctrd task ps "$id" | tail -n +2 | awk '{print $1}' | sort -n)
    expect_eq "$got" "$want" "ctr task ps against pier-runtime ps"
    local pids
    pids=$(echo "$got" | tr '\n' ' ')
    ctrd task kill --all -s SIGKILL "$id"
    local p
    for p in $pids; do
        wait_for sh -c "[ ! -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
    done
    wait_for sh -c "ctr --address '$CTRD_SOCK' task ls | grep -q '^$id .*STOPPED'"
}

# ctr run -t: the pty comes back to the shim over --console-socket.
test_ctr_run_with_terminal() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id
    id=$(cid tty)
    cat >"$T/tty.sh" <<EOF
ctr --address '$CTRD_SOCK' run -t --rm $(ctr_rt_flags) --cgroup '$(ctr_cgroup tty)' --rootfs '$T/rootfs' '$id' sh
echo "EXIT=\$?"
sleep 60
EOF
    export TMUX_TMPDIR=$T
    local tm="tmux -L pier -f /dev/null"
    $tm new-session -d -s t -x 91 -y 27 "bash $T/tty.sh"
    on_exit "TMUX_TMPDIR=$T $tm kill-server"
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^/ #'"
    $tm send-keys -t t 'tty; stty size; echo "T=$TERM"' Enter
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^T='"
    local screen
    screen=$($tm capture-pane -p -t t)
    expect_contains "$screen" "/dev/pts/0"
    expect_contains "$screen" "27 91"
    $tm send-keys -t t 'exit 5' Enter
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^EXIT='"
    expect_contains "$($tm capture-pane -p -t t)" "EXIT=5"
}

test_ctr_exec_with_terminal() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id
    id=$(cid etty)
    ctrd run -d $(ctr_rt_flags) --cgroup "$(ctr_cgroup etty)" --rootfs "$T/rootfs" "$id" sleep 1000
    cat >"$T/tty.sh" <<EOF
ctr --address '$CTRD_SOCK' task exec -t --fifo-dir '$CTRD_DIR/fifo' --exec-id x1 '$id' sh
echo "EXIT=\$?"
sleep 60
EOF
    export TMUX_TMPDIR=$T
    local tm="tmux -L pier -f /dev/null"
    $tm new-session -d -s t -x 83 -y 21 "bash $T/tty.sh"
    on_exit "TMUX_TMPDIR=$T $tm kill-server"
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^/ #'"
    $tm send-keys -t t 'tty; stty size; echo DONE' Enter
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^DONE'"
    expect_contains "$($tm capture-pane -p -t t)" "21 83"
    $tm send-keys -t t 'exit 4' Enter
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^EXIT='"
    expect_contains "$($tm capture-pane -p -t t)" "EXIT=4"
    expect_eq "$(ctr_task_status "$id")" RUNNING "the container after its exec"
}

# containerd passes --log FILE --log-format json and shows the last error
# of that file: pier-runtime's message reaches the user of ctr.
test_ctr_shows_runtime_errors() {
    ctrd_start
    make_rootfs "$T/rootfs"
    local id out rc=0
    id=$(cid err)
    out=$(ctrd run --rm $(ctr_rt_flags) --cgroup "$(ctr_cgroup err)" --rootfs "$T/rootfs" "$id" /no/such/program 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "ctr run of a missing program succeeded"
    expect_contains "$out" 'OCI runtime create failed: exec: `/no/such/program`: No such file or directory'
    # and a mount of a type the kernel does not have, named
    rc=0
    out=$(ctrd run --rm $(ctr_rt_flags) --cgroup "$(ctr_cgroup err2)" --mount type=nosuchfs,src=x,dst=/x,options=rw \
        --rootfs "$T/rootfs" "$(cid err2)" true 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "ctr run with a mount of an unknown type succeeded"
    expect_contains "$out" "OCI runtime create failed"
    expect_contains "$out" "nosuchfs"
    expect_eq "$("$PIER_RUNTIME" --root "$CTRD_DIR/runc/default" list -q)" "" "runtime state after failed creates"
}

# containerd's own default cgroupsPath is /NAMESPACE/ID.
test_ctr_default_cgroup_path() {
    # /default is containerd's, made for this test unless it was there:
    # removed after containerd stopped (cleanups run last first).
    local made=() h
    for h in /sys/fs/cgroup/*/; do
        [ -d "${h}default" ] || made+=("${h}default")
    done
    on_exit "rm_cgroup_trees ${made[*]:-}"
    ctrd_start
    make_rootfs "$T/rootfs"
    local id pid
    id=$(cid dflt)
    ctrd run -d $(ctr_rt_flags) --rootfs "$T/rootfs" "$id" sleep 1000
    pid=$(ctr_task_pid "$id")
    expect_contains "$(cat /proc/$pid/cgroup)" "memory:/default/$id"
    expect_contains "$(cat /proc/$pid/cgroup)" "0::/default/$id"
    ctrd task kill -s SIGKILL "$id"
    wait_for sh -c "ctr --address '$CTRD_SOCK' task ls | grep -q '^$id .*STOPPED'"
    ctrd task delete "$id"
    [ ! -d "/sys/fs/cgroup/memory/default/$id" ] || fail "cgroup /default/$id left after delete"
}

# --runc-systemd-cgroup: "slice:prefix:name", and no systemd here to ask.
test_ctr_systemd_cgroup_without_systemd() {
    local top="pt_${TEST_TAG//-/_}"
    on_exit "rm_cgroup_trees /sys/fs/cgroup/*/$top.slice"
    ctrd_start
    make_rootfs "$T/rootfs"
    local id pid
    id=$(cid sd)
    ctrd run -d $(ctr_rt_flags) --runc-systemd-cgroup --cgroup "$top-sub.slice:pier:$id" \
        --rootfs "$T/rootfs" "$id" sleep 1000
    pid=$(ctr_task_pid "$id")
    # a dash nests a slice in its parent, as systemd does
    local want="/$top.slice/$top-sub.slice/pier-$id.scope"
    expect_contains "$(cat /proc/$pid/cgroup)" "pids:$want"
    expect_contains "$(cat /proc/$pid/cgroup)" "0::$want"
    grep -qx "$pid" "/sys/fs/cgroup/unified$want/cgroup.procs" || fail "init not in its cgroup2 scope"
    ctrd task kill -s SIGKILL "$id"
    wait_for sh -c "ctr --address '$CTRD_SOCK' task ls | grep -q '^$id .*STOPPED'"
    ctrd task delete "$id"
    [ ! -d "/sys/fs/cgroup/pids$want" ] || fail "scope left after delete"
}
