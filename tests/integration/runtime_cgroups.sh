# cgroups: limits that bite, live updates, pause and resume, events, the
# device rules (v1 files and the eBPF program on the cgroup2 tree).

# cg_bundle NAME ARGS...: a bundle in $T/NAME whose cgroup is under a parent
# of this test's own, so that the harness removes it whatever happens.
cg_bundle() {
    local name=$1
    shift
    make_bundle "$T/$name" "$@"
    bundle_edit "$T/$name" "c['linux']['cgroupsPath']='/pier-test-$TEST_TAG/$name'"
}

cgdir() { echo "/sys/fs/cgroup/$1/pier-test-$TEST_TAG/$2"; }

test_memory_limit_oom_kills() {
    # tail keeps the last line, and /dev/zero has no newline: it grows until
    # the kernel kills it
    cg_bundle m tail -n 1 /dev/zero
    bundle_edit "$T/m" "c['linux']['resources']={'memory':{'limit':33554432,'swap':33554432}}"
    local rc=0
    rt run -b "$T/m" "$(cid m)" || rc=$?
    expect_eq "$rc" 137 "exit status of a container over its memory limit (SIGKILL)"
}

test_oom_event() {
    cg_bundle e sh -c 'sleep 0.3; head -c 200000000 /dev/zero | tail -n 1 >/dev/null; sleep 1000'
    bundle_edit "$T/e" "c['linux']['resources']={'memory':{'limit':33554432,'swap':33554432}}"
    local id
    id=$(cid e)
    rt run -d -b "$T/e" "$id"
    timeout 10 "$PIER_RUNTIME" --root "$ROOT" events --interval 1h "$id" >"$T/events" &
    local ev=$!
    on_exit "kill $ev"
    wait_for grep -q '"type":"oom"' "$T/events"
    expect_contains "$(head -1 "$T/events")" "\"id\":\"$id\""
}

test_pids_limit_stops_fork_loop() {
    # The fork loop runs in a shell of its own, which dies when it cannot
    # fork; the processes are then counted with a glob, which needs no fork.
    cg_bundle p sh -c 'sh -c "n=0; while [ \$n -lt 40 ]; do sleep 100 & n=\$((n+1)); done" 2>/dev/null; set -- /proc/[0-9]*; echo started $#'
    bundle_edit "$T/p" "c['linux']['resources']={'pids':{'limit':10}}"
    local out
    out=$(rt run -b "$T/p" "$(cid p)" 2>&1) || true
    expect_contains "$out" "started"
    local n
    n=$(echo "$out" | sed -n 's/.*started \([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -le 12 ] || fail "more processes than the pids limit allows: $out"
}

test_cpu_and_other_limits_visible() {
    cg_bundle c sleep 1000
    bundle_edit "$T/c" "c['linux']['resources']={'cpu':{'shares':512,'quota':50000,'period':100000,'cpus':'0'},'memory':{'limit':67108864,'reservation':33554432},'pids':{'limit':77}}"
    local id
    id=$(cid c)
    rt run -d -b "$T/c" "$id"
    expect_eq "$(cat "$(cgdir cpu c)/cpu.shares")" 512 cpu.shares
    expect_eq "$(cat "$(cgdir cpu c)/cpu.cfs_quota_us")" 50000 cpu.cfs_quota_us
    expect_eq "$(cat "$(cgdir cpuset c)/cpuset.cpus")" 0 cpuset.cpus
    expect_eq "$(cat "$(cgdir memory c)/memory.limit_in_bytes")" 67108864 memory.limit_in_bytes
    expect_eq "$(cat "$(cgdir memory c)/memory.soft_limit_in_bytes")" 33554432 memory.soft_limit_in_bytes
    expect_eq "$(cat "$(cgdir pids c)/pids.max")" 77 pids.max
    # and the container sees its own limits through its cgroup mount
    expect_eq "$(rt exec "$id" cat /sys/fs/cgroup/cpu/cpu.shares)" 512 "cpu.shares inside"
}

test_update_live() {
    cg_bundle u sleep 1000
    bundle_edit "$T/u" "c['linux']['resources']={'memory':{'limit':67108864},'pids':{'limit':50}}"
    local id
    id=$(cid u)
    rt run -d -b "$T/u" "$id"
    rt update --memory 32m --pids-limit 20 --cpu-share 300 "$id"
    expect_eq "$(cat "$(cgdir memory u)/memory.limit_in_bytes")" 33554432 "memory after update"
    expect_eq "$(cat "$(cgdir pids u)/pids.max")" 20 "pids after update"
    expect_eq "$(cat "$(cgdir cpu u)/cpu.shares")" 300 "shares after update"
    echo '{"pids":{"limit":30},"memory":{"limit":134217728}}' >"$T/r.json"
    rt update -r "$T/r.json" "$id"
    expect_eq "$(cat "$(cgdir pids u)/pids.max")" 30 "pids after update -r"
    expect_eq "$(cat "$(cgdir memory u)/memory.limit_in_bytes")" 134217728 "memory after update -r"
    echo '{"pids":{"limit":31}}' | rt update -r - "$id"
    expect_eq "$(cat "$(cgdir pids u)/pids.max")" 31 "pids after update -r -"
    expect_fail "not a size" rt update --memory lots "$id"
    expect_fail "nothing to update" rt update "$id"
}

test_pause_resume() {
    cg_bundle f sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/tick; sleep 0.01; done'
    local id
    id=$(cid f)
    rt run -d -b "$T/f" "$id"
    wait_for test -s "$T/f/rootfs/tmp/tick"
    rt pause "$id"
    expect_contains "$(rt state "$id")" '"status": "paused"'
    expect_eq "$(cat "$(cgdir freezer f)/freezer.state")" FROZEN freezer.state
    local a b
    a=$(cat "$T/f/rootfs/tmp/tick")
    sleep 0.3
    b=$(cat "$T/f/rootfs/tmp/tick")
    expect_eq "$b" "$a" "ticks while paused"
    expect_fail "does not exist" rt resume "$(cid nonesuch)"
    rt resume "$id"
    expect_contains "$(rt state "$id")" '"status": "running"'
    wait_for sh -c "[ \"\$(cat '$T/f/rootfs/tmp/tick')\" != '$a' ]"
    expect_fail "not paused" rt resume "$id"
}

test_delete_force_paused() {
    cg_bundle d sleep 1000
    local id
    id=$(cid d)
    rt run -d -b "$T/d" "$id"
    rt pause "$id"
    rt delete -f "$id"
    [ ! -d "$(cgdir freezer d)" ] || fail "freezer cgroup left after deleting a paused container"
}

test_stats_once() {
    cg_bundle s sleep 1000
    bundle_edit "$T/s" "c['linux']['resources']={'memory':{'limit':67108864},'pids':{'limit':9}}"
    local id
    id=$(cid s)
    rt run -d -b "$T/s" "$id"
    rt events --stats "$id" | "$PY" -c '
import json, sys
e = json.loads(sys.stdin.readline())
assert e["type"] == "stats", e
d = e["data"]
assert d["pids"]["current"] >= 1 and d["pids"]["limit"] == 9, d["pids"]
assert d["memory"]["usage"]["limit"] == 67108864, d["memory"]["usage"]
assert d["memory"]["usage"]["usage"] > 0
assert d["cpu"]["usage"]["total"] > 0, d["cpu"]
'
}

# A device the rules allow to read but not to write, checked first with both
# the v1 rules and the eBPF program, then with the v1 rules opened wide, so
# that the program on the cgroup2 tree alone must refuse.
test_device_rules_v1_and_ebpf() {
    cg_bundle v sleep 1000
    bundle_edit "$T/v" "c['linux']['devices']=[{'path':'/dev/testzero','type':'c','major':1,'minor':5,'fileMode':0o666}]; c['linux']['resources']={'devices':[{'allow':False,'access':'rwm'},{'allow':True,'type':'c','major':1,'minor':5,'access':'r'}]}"
    # /dev/zero (1:5) is always allowed, as runc does: use /dev/testzero's
    # own rule on another minor instead.
    bundle_edit "$T/v" "c['linux']['devices'][0]['minor']=12; c['linux']['resources']['devices'][1]['minor']=12"
    local id
    id=$(cid v)
    rt run -d -b "$T/v" "$id"
    expect_contains "$(cat "$(cgdir devices v)/devices.list")" "c 1:12 r"
    expect_fail "not permitted" rt exec "$id" sh -c 'echo x > /dev/testzero'
    # /dev/null stays usable
    rt exec "$id" sh -c 'echo x > /dev/null'
    if [ -d /sys/fs/cgroup/unified ] || grep -q cgroup2 /proc/self/mounts; then
        echo a >"$(cgdir devices v)/devices.allow"
        expect_fail "not permitted" rt exec "$id" sh -c 'echo x > /dev/testzero'
    fi
}

test_bad_resources_name_the_field() {
    cg_bundle b true
    bundle_edit "$T/b" "c['linux']['resources']={'hugepageLimits':[{'pageSize':'3MB','limit':1}]}"
    expect_fail "linux.resources.hugepageLimits[0].pageSize" rt run -b "$T/b" "$(cid b1)"
    bundle_edit "$T/b" "c['linux']['resources']={'devices':[{'allow':True,'type':'x'}]}"
    expect_fail "linux.resources.devices[0].type" rt run -b "$T/b" "$(cid b2)"
    bundle_edit "$T/b" "c['linux']['resources']={'memory':{'limit':'lots'}}"
    expect_fail "linux.resources.memory.limit" rt run -b "$T/b" "$(cid b3)"
    expect_eq "$(ls "$ROOT" 2>/dev/null)" "" "state left by refused creates"
}
