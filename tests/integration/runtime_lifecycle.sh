# The OCI lifecycle through pier-runtime's command line: create, start,
# state, kill, delete, run, list, ps, spec, features; and what bad input does.

test_run_exit_status() {
    make_bundle "$T/b" true
    cd "$T/b"
    rt run "$(cid a)"
    bundle_edit "$T/b" "c['process']['args']=['sh','-c','exit 3']"
    local rc=0
    rt run "$(cid b)" || rc=$?
    expect_eq "$rc" 3 "exit status of sh -c 'exit 3'"
    # pid 1 of a pid namespace ignores its own SIGKILL: no pid namespace here
    bundle_edit "$T/b" "c['process']['args']=['sh','-c','kill -9 \$\$']; c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='pid']"
    rc=0
    rt run "$(cid c)" || rc=$?
    expect_eq "$rc" 137 "exit status of a process killed by SIGKILL"
    # run removes the container once it exited
    expect_eq "$(rt list -q)" "" "containers left after run"
}

test_run_output() {
    make_bundle "$T/b" sh -c 'echo out; echo err >&2'
    cd "$T/b"
    rt run "$(cid a)" >"$T/out" 2>"$T/err"
    expect_eq "$(cat "$T/out")" out stdout
    expect_eq "$(cat "$T/err")" err stderr
}

test_create_start_state_kill_delete() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid c1)
    rt create --bundle "$T/b" --pid-file "$T/pid" "$id"
    local st
    st=$(rt state "$id")
    expect_contains "$st" '"status": "created"'
    local pid
    pid=$(cat "$T/pid")
    expect_contains "$st" "\"pid\": $pid"
    expect_contains "$st" "\"bundle\": \"$T/b\""
    expect_contains "$st" '"ociVersion"'
    # the created process waits before exec: it is still the runtime
    expect_not_contains "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep"
    rt start "$id"
    expect_contains "$(rt state "$id")" '"status": "running"'
    expect_eq "$(cat /proc/$pid/cmdline | tr '\0' ' ')" "sleep 1000 " "cmdline after start"
    expect_fail "not created" rt start "$id"
    expect_fail "not stopped" rt delete "$id"
    rt kill "$id" KILL
    wait_for sh -c "rt() { \"$PIER_RUNTIME\" --root \"$ROOT\" \"\$@\"; }; rt state $id | grep -q stopped"
    expect_contains "$(rt state "$id")" '"status": "stopped"'
    rt delete "$id"
    expect_fail "does not exist" rt state "$id"
    [ ! -e "$ROOT/$id" ] || fail "state directory left after delete"
}

test_delete_created_and_force() {
    make_bundle "$T/b" sleep 1000
    local a b
    a=$(cid a)
    b=$(cid b)
    rt create -b "$T/b" "$a"
    local pid
    pid=$(rt state "$a" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    # a created container may be deleted without --force: its process goes
    rt delete "$a"
    [ ! -d /proc/$pid ] || [ "$(cut -d' ' -f3 /proc/$pid/stat)" = Z ] || fail "process $pid outlived delete"
    rt run -d -b "$T/b" "$b"
    rt delete --force "$b"
    expect_eq "$(rt list -q)" "" "containers after delete --force"
    # and deleting what is gone, with force, is not an error (as runc)
    rt delete --force "$b"
}

test_cgroup_made_and_removed() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid cg)
    bundle_edit "$T/b" "c['linux']['cgroupsPath']='/pier-test-$TEST_TAG/$id'"
    rt run -d -b "$T/b" "$id"
    local pid
    pid=$(rt state "$id" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    expect_contains "$(cat /proc/$pid/cgroup)" "pids:/pier-test-$TEST_TAG/$id"
    grep -qx "$pid" "/sys/fs/cgroup/pids/pier-test-$TEST_TAG/$id/cgroup.procs" || fail "init not in its pids cgroup"
    rt delete -f "$id"
    [ ! -d "/sys/fs/cgroup/pids/pier-test-$TEST_TAG/$id" ] || fail "cgroup left after delete"
}

test_kill_signals_by_name_and_number() {
    make_bundle "$T/b" sh -c 'trap "echo got-usr1 > /tmp/sig" USR1; trap "echo got-term > /tmp/sig; exit 0" TERM; touch /tmp/ready; while true; do sleep 0.05; done'
    local id
    id=$(cid k)
    rt run -d -b "$T/b" "$id"
    # a signal before the traps are set would end sh
    wait_for test -e "$T/b/rootfs/tmp/ready"
    rt kill "$id" USR1
    wait_for grep -q got-usr1 "$T/b/rootfs/tmp/sig"
    rt kill "$id" 15
    wait_for grep -q got-term "$T/b/rootfs/tmp/sig"
    expect_fail "unknown signal" rt kill "$id" NOSUCHSIG
}

test_kill_all() {
    make_bundle "$T/b" sh -c 'sleep 1000 & sleep 1000 & wait'
    bundle_edit "$T/b" "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='pid']"
    local id
    id=$(cid all)
    rt run -d -b "$T/b" "$id"
    wait_for sh -c "[ \$(\"$PIER_RUNTIME\" --root \"$ROOT\" ps --format json $id | tr ',' '\n' | wc -l) -ge 3 ]"
    local pids
    pids=$(rt ps --format json "$id" | tr -d '[]' | tr ',' ' ')
    rt kill --all "$id" KILL
    local p
    for p in $pids; do
        wait_for sh -c "[ ! -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
    done
}

test_list_and_ps() {
    make_bundle "$T/b" sleep 1000
    local a b
    a=$(cid la)
    b=$(cid lb)
    rt run -d -b "$T/b" "$a"
    rt create -b "$T/b" "$b"
    expect_eq "$(rt list -q | sort | tr '\n' ' ')" "$a $b " "list -q"
    local table
    table=$(rt list)
    expect_contains "$table" "ID"
    expect_contains "$table" "STATUS"
    expect_contains "$(echo "$table" | grep "$a")" running
    expect_contains "$(echo "$table" | grep "$b")" created
    rt list --format json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2, d; assert {c["status"] for c in d}=={"running","created"}, d'
    local pid
    pid=$(rt state "$a" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    expect_eq "$(rt ps --format json "$a")" "[$pid]" "ps --format json"
    local ps
    ps=$(rt ps "$a")
    expect_contains "$(echo "$ps" | head -1)" PID
    expect_contains "$ps" "sleep 1000"
    expect_eq "$(echo "$ps" | wc -l)" 2 "ps lines (header and the one process)"
}

test_bad_ids() {
    make_bundle "$T/b" true
    expect_fail "empty" rt create -b "$T/b" ""
    expect_fail "may not contain '/'" rt create -b "$T/b" "a/b"
    expect_fail "invalid container id" rt create -b "$T/b" ".."
    expect_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state left by refused ids"
}

test_id_in_use() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid dup)
    rt create -b "$T/b" "$id"
    local before
    before=$(rt state "$id")
    expect_fail "already exists" rt create -b "$T/b" "$id"
    expect_eq "$(rt state "$id")" "$before" "state of the first container after a refused create"
}

# nothing_left ID: no state, cgroup or process of a refused create.
nothing_left() {
    [ ! -e "$ROOT/$1" ] || fail "state directory of $1 left behind"
    [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$1" 2>/dev/null)" ] || fail "cgroup of $1 left behind"
    ! pgrep -f "pier-runtime --root $ROOT" >/dev/null || fail "a runtime process of $1 is left"
}

test_bad_config() {
    mkdir -p "$T/empty"
    local id
    id=$(cid bad)
    expect_fail "config.json" rt create -b "$T/empty" "$id"
    nothing_left "$id"
    make_bundle "$T/b" true
    echo '{"ociVersion": "1.0.2", "root": ' >"$T/b/config.json"
    expect_fail "invalid JSON" rt create -b "$T/b" "$id"
    nothing_left "$id"
    make_bundle "$T/c" true
    bundle_edit "$T/c" "c['linux']['namespaces'].append({'type':'nonsense'})"
    expect_fail "linux.namespaces[6].type: unknown namespace type \`nonsense\`" rt create -b "$T/c" "$id"
    nothing_left "$id"
    make_bundle "$T/d" true
    bundle_edit "$T/d" "c['mounts'].append({'destination':'/../../../etc/x','type':'tmpfs','source':'tmpfs'})"
    expect_fail "leads out of the container's root" rt create -b "$T/d" "$id"
    nothing_left "$id"
}

test_failure_late_in_create_leaves_nothing() {
    make_bundle "$T/b" /no/such/program
    local id
    id=$(cid late)
    expect_fail "/no/such/program" rt create -b "$T/b" "$id"
    nothing_left "$id"
    make_bundle "$T/c" true
    bundle_edit "$T/c" "c['mounts'].append({'destination':'/x','type':'nosuchfs','source':'x'})"
    expect_fail "nosuchfs" rt create -b "$T/c" "$id"
    nothing_left "$id"
}

test_spec_and_features() {
    mkdir -p "$T/s"
    (cd "$T/s" && rt spec)
    "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["process"]["args"]==["sh"]; assert c["root"]["path"]=="rootfs"' "$T/s/config.json"
    expect_fail "exists" sh -c "cd '$T/s' && '$PIER_RUNTIME' spec"
    rt spec --rootless --bundle "$T/r" 2>/dev/null || { mkdir -p "$T/r" && rt spec --rootless --bundle "$T/r"; }
    expect_contains "$(cat "$T/r/config.json")" uidMappings
    rt features | "$PY" -c 'import json,sys; f=json.load(sys.stdin); assert f["ociVersionMax"].startswith("1."); assert "pid" in f["linux"]["namespaces"]; assert f["linux"]["seccomp"]["enabled"]; assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]'
}

test_json_log_on_error() {
    local out rc=0
    out=$("$PIER_RUNTIME" --root "$ROOT" --log "$T/log.json" --log-format json state nosuch 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "state of a missing container succeeded"
    expect_contains "$out" "does not exist"
    "$PY" -c 'import json,sys; l=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert l["level"]=="error", l; assert "does not exist" in l["msg"], l; assert "time" in l' "$T/log.json"
}

test_unknown_command_and_flag() {
    expect_fail "unknown command" rt frobnicate
    expect_fail "unknown flag" rt create --frob x
    expect_contains "$(rt --version)" "pier-runtime version"
}

# The runtime killed in the middle of create: the container's process dies
# with it, and `delete --force` finds what was made (state, cgroup).
test_create_cut_off() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid cut)
    bundle_edit "$T/b" "c['linux']['cgroupsPath']='/pier-test-$TEST_TAG/$id'; c['hooks']={'createRuntime':[{'path':'/bin/sh','args':['sh','-c','echo \$\$ > $T/hook-pid; exec sleep 100']}]}"
    "$PIER_RUNTIME" --root "$ROOT" create -b "$T/b" "$id" &
    local rt_pid=$!
    wait_for test -s "$T/hook-pid"
    # the hook outlives the runtime that ran it
    on_exit "kill -9 $(cat "$T/hook-pid")"
    kill -9 $rt_pid
    wait $rt_pid 2>/dev/null || true
    local st
    st=$(rt state "$id")
    expect_contains "$st" '"status": "stopped"' "state of a cut-off create"
    [ -d "/sys/fs/cgroup/pids/pier-test-$TEST_TAG/$id" ] || fail "no cgroup to clean up: the test did not cut create off after the cgroup was made"
    expect_fail "" rt start "$id"
    rt delete --force "$id"
    [ ! -d "/sys/fs/cgroup/pids/pier-test-$TEST_TAG/$id" ] || fail "cgroup of a cut-off create left after delete --force"
    [ ! -e "$ROOT/$id" ] || fail "state of a cut-off create left after delete --force"
}
