# podman (Debian's 4.3, with conmon) running containers on pier-runtime:
# `podman --runtime pier-runtime run --rootfs DIR ...`.  podman gets its
# own storage, run, tmp, network and volume directories under $T, file
# locks instead of /dev/shm, file events, cgroupfs (no systemd here) and
# no network.  conmon calls the runtime as it calls runc: `create --bundle
# B --pid-file P [--console-socket S] ID`, `start`, `exec --process F
# --detach --pid-file P`, `kill ID SIG`, `delete --force ID`, with
# `--log-format=json --log F` for a runtime named in runtime_supports_json.
#
# The runtime's state is in its default root, /run/pier-runtime: podman's
# --runtime-flag does not reach the `podman container cleanup` that conmon
# runs when a container exits, which then calls `delete` without it.  The
# cleanup deletes this test's containers there by id.

PM_DIR=
PM_RUNROOT=
PM_CGROUP_MANAGER=cgroupfs
PM_CONF=

# pm ARGS: podman on this test's directories, with pier-runtime.  vfs
# storage: --rootfs needs no layers, and vfs mounts nothing.
pm() { CONTAINERS_CONF=$PM_CONF podman $(pm_global_flags) "$@"; }
pm_global_flags() {
    echo --root "$PM_DIR/storage" --runroot "$PM_RUNROOT" --tmpdir "$PM_DIR/tmp" \
        --network-config-dir "$PM_DIR/net" --storage-driver vfs --runtime "$PIER_RUNTIME" \
        --cgroup-manager="$PM_CGROUP_MANAGER" --events-backend=file
}
# The same for a script run elsewhere (in tmux).
pm_cmdline() { echo "CONTAINERS_CONF=$PM_CONF podman $(pm_global_flags)"; }

# The flags of each `pm run`: no network, rlimits this machine may set
# (raising nofile and nproc needs CAP_SYS_RESOURCE, which it lacks), and
# a cgroup parent the harness removes.
pm_run_flags() {
    echo --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --cgroup-parent "/pier-test-$TEST_TAG"
}

# rm_cgroup_trees DIR...: each DIR and the cgroups below it, deepest first.
rm_cgroup_trees() {
    local d
    for d in "$@"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    return 0
}

# For wait_for, which runs functions too.
pm_logs_have() { pm logs "$1" 2>&1 | grep -q -- "$2"; }
pm_none_left() { [ -z "$(pm ps -aq)" ]; }
rt_not_running() { ! "$PIER_RUNTIME" state "$1" 2>/dev/null | grep -q '"running"'; }
rt_gone() { ! "$PIER_RUNTIME" state "$1" >/dev/null 2>&1; }

# pids of processes that name this test's podman directories: conmon, and
# the `podman container cleanup` it runs when a container exits.
pm_pids() {
    local f
    for f in $(grep -lzF -e "$PM_DIR/" -e "$PM_RUNROOT/" /proc/[0-9]*/cmdline 2>/dev/null); do
        f=${f#/proc/}
        echo "${f%/cmdline}"
    done
}

pm_cleanup() {
    local ids id i p
    ids=$(pm ps -aq --no-trunc 2>/dev/null)
    pm rm -af -t 0 >/dev/null 2>&1
    # Whatever podman could not remove, the runtime removes: this test's
    # containers are those with a bundle in its storage.
    ids="$ids $("$PIER_RUNTIME" list --format json 2>/dev/null | "$PY" -c '
import json, sys
for c in json.load(sys.stdin):
    if c["bundle"].startswith(sys.argv[1]):
        print(c["id"])' "$PM_DIR/")"
    for id in $ids; do
        "$PIER_RUNTIME" delete --force "$id" >/dev/null 2>&1
    done
    for i in $(seq 1 100); do
        [ -z "$(pm_pids)" ] && break
        sleep 0.05
    done
    for p in $(pm_pids); do
        kill -9 "$p" 2>/dev/null
    done
    rm_cgroup_trees /sys/fs/cgroup/*/"pier-test-$TEST_TAG"
    # the containers are gone: what is left is the runtime's seccomp cache
    [ -f "$PM_DIR/made-run-pier-runtime" ] && rm -rf /run/pier-runtime
    # podman makes /run/netns, a shared bind mount of itself, even with
    # --network none
    if [ -f "$PM_DIR/made-run-netns" ]; then
        umount /run/netns 2>/dev/null
        rmdir /run/netns 2>/dev/null
    fi
    return 0
}

# pm_setup: the directories and containers.conf.  The run root is not
# under $T: podman refuses one longer than 50 characters.  lock_type "file" keeps
# podman's locks out of /dev/shm; the cni backend, with --network none,
# writes nothing (netavark keeps state in /run/containers/networks).
pm_setup() {
    PM_DIR=$T/pm
    PM_CONF=$PM_DIR/containers.conf
    mkdir -p "$PM_DIR"
    PM_RUNROOT=$(mktemp -d /tmp/pier-pm.XXXXXX)
    on_exit "rm -rf '$PM_RUNROOT'"
    [ -e /run/pier-runtime ] || touch "$PM_DIR/made-run-pier-runtime"
    [ -e /run/netns ] || touch "$PM_DIR/made-run-netns"
    cat >"$PM_DIR/containers-text.conf" <<EOF
[engine]
lock_type = "file"
tmp_dir = "$PM_DIR/tmp"
volume_path = "$PM_DIR/volumes"
static_dir = "$PM_DIR/storage/libpod"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
[network]
network_backend = "cni"
network_config_dir = "$PM_DIR/net"
EOF
    # As a user would declare pier-runtime: its errors come as JSON lines.
    sed 's/^\[engine\]$/[engine]\nruntime_supports_json = ["crun", "runc", "pier-runtime"]/' \
        "$PM_DIR/containers-text.conf" >"$PM_CONF"
    on_exit pm_cleanup
    make_rootfs "$T/rootfs"
}

test_podman_run_rm_output_and_exit_status() {
    pm_setup
    # podman info runs `--version`, and shows it
    expect_contains "$(pm info --format '{{.Host.OCIRuntime.Version}}')" "pier-runtime version"
    local rc=0
    pm run --rm --cidfile "$T/cid" $(pm_run_flags) --rootfs "$T/rootfs" \
        sh -c 'echo out; echo err >&2; exit 3' >"$T/out" 2>"$T/err" || rc=$?
    expect_eq "$rc" 3 "exit status through podman run"
    expect_eq "$(cat "$T/out")" out "stdout through podman run"
    expect_eq "$(cat "$T/err")" err "stderr through podman run"
    local id
    id=$(cat "$T/cid")
    # --rm: podman's cleanup deleted the container from pier-runtime too
    wait_for rt_gone "$id"
    expect_fail "does not exist" "$PIER_RUNTIME" state "$id"
    expect_eq "$(pm ps -aq)" "" "podman containers after run --rm"
    wait_for sh -c "[ ! -d /sys/fs/cgroup/pids/pier-test-$TEST_TAG/libpod-$id ]"
}

test_podman_run_d_exec_stop_rm() {
    pm_setup
    local id pid out rc=0
    id=$(pm run -d --name "$(cid d)" $(pm_run_flags) --rootfs "$T/rootfs" sleep 1000)
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    # pier-runtime made it: its state is pier's, with podman's cgroup path
    local st
    st=$("$PIER_RUNTIME" state "$id")
    expect_contains "$st" '"status": "running"'
    expect_contains "$st" "\"pid\": $pid"
    expect_contains "$(cat /proc/$pid/cgroup)" "pids:/pier-test-$TEST_TAG/libpod-$id"
    expect_eq "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep 1000 " "the container's process"

    out=$(pm exec "$(cid d)" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; exit 7') || rc=$?
    expect_eq "$rc" 7 "exit status through podman exec"
    expect_eq "$out" "sleep 1000 " "exec sees the container's pid 1"
    out=$(echo piped | pm exec -i -u 1000:1000 -w /tmp -e X=1 "$(cid d)" sh -c 'read l; echo "$l $(id -u):$(id -g) $(pwd) $X"')
    expect_eq "$out" "piped 1000:1000 /tmp 1" "exec with stdin, --user, --workdir and --env"
    rc=0
    out=$(pm exec "$(cid d)" /no/such/program 2>&1) || rc=$?
    expect_eq "$rc" 127 "exit status of an exec of a missing program"
    expect_contains "$out" 'exec: `/no/such/program`: No such file or directory'
    pm exec -d "$(cid d)" sleep 999
    wait_for sh -c "'$PIER_RUNTIME' ps --format json $id | tr ',' '\n' | grep -c . | grep -qx 2"
    expect_contains "$(pm top "$(cid d)")" "sleep 999"

    # sleep as pid 1 ignores SIGTERM: stop kills it after the timeout
    pm stop -t 1 "$(cid d)" >/dev/null
    expect_eq "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 137" "state after stop"
    [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status || fail "process $pid outlived stop"
    pm rm "$(cid d)" >/dev/null
    expect_fail "does not exist" "$PIER_RUNTIME" state "$id"
    [ ! -d "/sys/fs/cgroup/pids/pier-test-$TEST_TAG/libpod-$id" ] || fail "cgroup left after rm"
}

test_podman_stop_and_kill_signals() {
    pm_setup
    local id
    id=$(pm run -d $(pm_run_flags) --rootfs "$T/rootfs" \
        sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done')
    wait_for pm_logs_have "$id" ready
    pm kill -s USR1 "$id" >/dev/null
    wait_for pm_logs_have "$id" got-usr1
    pm stop -t 10 "$id" >/dev/null
    expect_eq "$(pm inspect -f '{{.State.ExitCode}}' "$id")" 42 "exit status after stop's SIGTERM"
    expect_contains "$(pm logs "$id")" got-term
    # and it starts again, on a new pier-runtime container of the same id
    pm start "$id" >/dev/null
    expect_contains "$("$PIER_RUNTIME" state "$id")" '"status": "running"'
    pm kill "$id" >/dev/null
    wait_for rt_not_running "$id"
}

test_podman_options() {
    pm_setup
    mkdir -p "$T/vol"
    echo from-host >"$T/vol/f"
    local out
    # --device: podman passes the node's st_mode, file type bits and all
    out=$(pm run --rm $(pm_run_flags) --user 1000:1000 --group-add 5 --read-only --tmpfs /scratch \
        -v "$T/vol:/data:ro" --device /dev/null:/dev/mynull --hostname box --rootfs "$T/rootfs" \
        sh -c 'echo "$(id -u):$(id -G | tr " " ,)"; touch /x 2>/dev/null || echo ro-root;
               touch /scratch/f && echo tmpfs-rw; cat /data/f; touch /data/g 2>/dev/null || echo ro-volume;
               ls -l /dev/mynull | cut -c1-10; hostname')
    expect_eq "$out" "1000:1000,5
ro-root
tmpfs-rw
from-host
ro-volume
$(stat -c %A /dev/null)
box" "user, read-only root, tmpfs, volume, device, hostname"
    # podman's default seccomp profile is loaded; unconfined is not
    out=$(pm run --rm $(pm_run_flags) --rootfs "$T/rootfs" grep ^Seccomp: /proc/self/status)
    expect_contains "$out" "2"
    out=$(pm run --rm $(pm_run_flags) --security-opt seccomp=unconfined --rootfs "$T/rootfs" grep ^Seccomp: /proc/self/status)
    expect_contains "$out" "0"
    # --privileged: every host device, with its mode, and all capabilities
    out=$(pm run --rm $(pm_run_flags) --privileged --rootfs "$T/rootfs" sh -c 'ls /dev/null /dev/zero && grep ^CapBnd /proc/self/status')
    expect_contains "$out" "$(grep ^CapBnd /proc/self/status)"
    out=$(pm run --rm $(pm_run_flags) --cap-drop all --cap-add net_admin --rootfs "$T/rootfs" grep ^CapEff /proc/self/status)
    expect_contains "$out" "0000000000001000"
    # --preserve-fds: fd 3 of podman reaches the container
    echo through-fd-3 >"$T/fd3"
    out=$(pm run --rm $(pm_run_flags) --preserve-fds 1 --rootfs "$T/rootfs" sh -c 'cat <&3' 3<"$T/fd3")
    expect_eq "$out" through-fd-3 "--preserve-fds 1"
    # --init: podman's catatonit is pid 1
    out=$(pm run --rm $(pm_run_flags) --init --rootfs "$T/rootfs" sh -c 'cat /proc/1/cmdline | tr "\0" " "')
    expect_contains "$out" "/run/podman-init -- sh"
}

test_podman_run_and_exec_with_terminal() {
    pm_setup
    cat >"$T/tty.sh" <<EOF
$(pm_cmdline) run -it --name $(cid tty) $(pm_run_flags) --rootfs $T/rootfs sh
echo "EXIT=\$?"
sleep 60
EOF
    export TMUX_TMPDIR=$T
    local tm="tmux -L pier -f /dev/null"
    $tm new-session -d -s t -x 87 -y 23 "bash $T/tty.sh"
    on_exit "TMUX_TMPDIR=$T $tm kill-server"
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^/ #'"
    $tm send-keys -t t 'tty; stty size; echo "T=$TERM"' Enter
    wait_for sh -c "$tm capture-pane -p -t t | grep -q '^T='"
    local screen
    screen=$($tm capture-pane -p -t t)
    expect_contains "$screen" "/dev/pts/0"
    expect_contains "$screen" "23 87"

    # exec -it into it, in a second window
    $tm new-window -t t:1 "$(pm_cmdline) exec -it $(cid tty) sh; echo EXEC-EXIT=\$?; sleep 60"
    wait_for sh -c "$tm capture-pane -p -t t:1 | grep -q '^/ #'"
    $tm send-keys -t t:1 'exit 6' Enter
    wait_for sh -c "$tm capture-pane -p -t t:1 | grep -q '^EXEC-EXIT='"
    expect_contains "$($tm capture-pane -p -t t:1)" "EXEC-EXIT=6"

    $tm send-keys -t t:0 'exit 5' Enter
    wait_for sh -c "$tm capture-pane -p -t t:0 | grep -q '^EXIT='"
    expect_contains "$($tm capture-pane -p -t t:0)" "EXIT=5"
}

# What the runtime refuses, podman shows in pier-runtime's words, with
# the exit status podman derives from them (127: not found, 126: cannot
# run), with and without JSON logs.
test_podman_shows_runtime_errors() {
    pm_setup
    local conf out rc
    for conf in "$PM_DIR/containers.conf" "$PM_DIR/containers-text.conf"; do
        PM_CONF=$conf
        rc=0
        out=$(pm run --rm $(pm_run_flags) --rootfs "$T/rootfs" /no/such/program 2>&1) || rc=$?
        expect_eq "$rc" 127 "podman run of a missing program ($conf)"
        expect_contains "$out" 'exec: `/no/such/program`: No such file or directory'
        # not executable: refused by create, as runc does, not by start
        rc=0
        out=$(pm run --rm $(pm_run_flags) --rootfs "$T/rootfs" /etc/passwd 2>&1) || rc=$?
        expect_eq "$rc" 126 "podman run of a file that is not executable ($conf)"
        expect_contains "$out" 'exec: `/etc/passwd`: Permission denied'
        expect_not_contains "$out" "start"
    done
    # an rlimit above the runtime's own, when it may not raise it
    if ! (($(printf '%d' "0x$(awk '/^CapEff/ {print $2}' /proc/self/status)") & (1 << 24))); then
        local hard
        hard=$(ulimit -Hn)
        rc=0
        out=$(pm run --rm --network none --ulimit "nofile=$((hard + 1)):$((hard + 1))" \
            --cgroup-parent "/pier-test-$TEST_TAG" --rootfs "$T/rootfs" true 2>&1) || rc=$?
        [ $rc -ne 0 ] || fail "an rlimit above the hard limit was accepted"
        expect_contains "$out" "process.rlimits: RLIMIT_NOFILE hard limit $((hard + 1))"
        expect_not_contains "$out" "start"
    fi
    wait_for pm_none_left
}

# podman's own cgroupsPath forms: "/libpod_parent/libpod-ID" by default,
# "SLICE:libpod:ID" with the systemd manager (--systemd-cgroup, and no
# systemd here: pier-runtime makes the scope itself).
test_podman_cgroup_paths() {
    local made=() h top="pt_${TEST_TAG//-/_}"
    for h in /sys/fs/cgroup/*/; do
        [ -d "${h}libpod_parent" ] || made+=("${h}libpod_parent")
    done
    on_exit "rm_cgroup_trees ${made[*]:-} /sys/fs/cgroup/*/$top.slice"
    pm_setup
    local id pid
    id=$(pm run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --rootfs "$T/rootfs" sleep 1000)
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    expect_contains "$(cat /proc/$pid/cgroup)" "memory:/libpod_parent/libpod-$id"
    expect_contains "$(cat /proc/$pid/cgroup)" "0::/libpod_parent/libpod-$id"
    pm rm -f -t 0 "$id" >/dev/null
    [ ! -d "/sys/fs/cgroup/memory/libpod_parent/libpod-$id" ] || fail "cgroup left after rm -f"

    PM_CGROUP_MANAGER=systemd
    id=$(pm run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --cgroup-parent "$top.slice" --rootfs "$T/rootfs" sleep 1000 2>/dev/null)
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    expect_contains "$(cat /proc/$pid/cgroup)" "pids:/$top.slice/libpod-$id.scope"
    expect_contains "$(cat /proc/$pid/cgroup)" "0::/$top.slice/libpod-$id.scope"
    pm rm -f -t 0 "$id" >/dev/null 2>&1
    [ ! -d "/sys/fs/cgroup/pids/$top.slice/libpod-$id.scope" ] || fail "scope left after rm -f"
}

# --pid/--ipc/--uts/--network container:X: namespaces joined by path.
test_podman_join_another_containers_namespaces() {
    pm_setup
    local id out
    id=$(pm run -d $(pm_run_flags) --hostname first --rootfs "$T/rootfs" sleep 1000)
    # a joined pid namespace: the new init is not pid 1, and its parent,
    # the runtime, is outside it
    out=$(pm run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --cgroup-parent "/pier-test-$TEST_TAG" --pid "container:$id" --ipc "container:$id" \
        --uts "container:$id" --network "container:$id" --rootfs "$T/rootfs" \
        sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; hostname; [ $$ -ne 1 ] && echo not-pid-1')
    expect_eq "$out" "sleep 1000 
first
not-pid-1" "a container in another's namespaces"
    local pid
    pid=$(pm inspect -f '{{.State.Pid}}' "$id")
    expect_eq "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep 1000 " "the first container after the second left"
}

# podman --uidmap: the container's root is host uid 100000, and podman's
# storage and the rootfs sit under directories only the host's root enters.
test_podman_user_namespace() {
    pm_setup
    chmod 700 "$T"
    chown -R 100000:100000 "$T/rootfs"
    local out
    out=$(pm run --rm $(pm_run_flags) --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
        --rootfs "$T/rootfs" sh -c 'id -u; cat /proc/self/uid_map | tr -s " "; touch /tmp/made' 2>&1)
    expect_eq "$(echo "$out" | sed -n 1p)" 0 "uid in the container"
    expect_eq "$(echo "$out" | sed -n 2p)" " 0 100000 65536" "uid_map"
    expect_eq "$(stat -c %u "$T/rootfs/tmp/made")" 100000 "owner on the host of a file the container made"
}
