# The container lifecycle through pierd: create, start, stop, kill,
# restart, pause, rename, rm, wait, restart policies; inspect's shape.
. "$TOP/tests/lib/engine.sh"

test_create_start_stop_with_sigkill_after_timeout() {
    engine_start
    busybox_image
    docker create --name c1 busybox sleep 1000 >/dev/null
    expect_eq "$(state c1)" created
    expect_eq "$(docker start c1)" c1
    expect_eq "$(state c1)" running
    # sh as PID 1 ignores SIGTERM: SIGKILL after -t seconds, exit 137
    docker run -d --name ign busybox sh -c 'trap "" TERM; sleep 1000' >/dev/null
    local start=$(date +%s%N)
    docker stop -t 1 ign >/dev/null
    local ms=$((($(date +%s%N) - start) / 1000000))
    [ $ms -ge 900 ] || fail "stopped after ${ms} ms, before its timeout"
    expect_eq "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' ign)" "exited 137"
    # a program that handles SIGTERM exits at once, with its own code
    docker run -d --name polite busybox sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done' >/dev/null
    sleep 0.3
    docker stop polite >/dev/null
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' polite)" 3
    # stopping a stopped container is no error
    docker stop polite >/dev/null
    expect_eq "$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' c1)" "true $(docker inspect -f '{{.State.Pid}}' c1)"
}

test_stop_signal_from_container_and_flag() {
    engine_start
    busybox_image
    docker run -d --name s1 --stop-signal USR1 busybox sh -c 'trap "exit 10" USR1; while :; do sleep 0.1; done' >/dev/null
    sleep 0.3
    docker stop -t 5 s1 >/dev/null
    expect_eq "$(docker inspect -f '{{.State.ExitCode}} {{.Config.StopSignal}}' s1)" "10 USR1"
    docker run -d --name s2 --stop-timeout 1 busybox sh -c 'trap "" TERM; sleep 1000' >/dev/null
    local start=$(date +%s)
    docker stop s2 >/dev/null
    [ $(($(date +%s) - start)) -le 4 ] || fail "--stop-timeout 1 was not used"
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' s2)" 137
}

test_kill_with_signal() {
    engine_start
    busybox_image
    docker run -d --name k busybox sh -c 'trap "exit 7" HUP; while :; do sleep 0.1; done' >/dev/null
    sleep 0.3
    docker kill -s HUP k >/dev/null
    docker wait k >/dev/null
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' k)" 7
    expect_fail "is not running" docker kill k
    docker run -d --name k2 busybox sleep 1000 >/dev/null
    docker kill k2 >/dev/null
    expect_eq "$(docker wait k2)" 137
}

test_restart_and_restart_count() {
    engine_start
    busybox_image
    docker run -d --name r busybox sleep 1000 >/dev/null
    local pid1 id root work1
    pid1=$(docker inspect -f '{{.State.Pid}}' r)
    id=$(docker inspect -f '{{.Id}}' r)
    root="/$id/rootfs "
    # overlayfs makes its work/work afresh at each mount
    work1=$(stat -c %i "$T/data/containers/$id/work/work")
    docker exec r sh -c 'echo kept > /written'
    docker restart -t 0 r >/dev/null
    expect_eq "$(state r)" running
    [ "$(docker inspect -f '{{.State.Pid}}' r)" != "$pid1" ] || fail "restart kept the same process"
    # the same root, never unmounted in between (no sync of the host's
    # filesystem for a restart), with what the container wrote
    expect_eq "$(stat -c %i "$T/data/containers/$id/work/work")" "$work1" "the root was mounted again"
    expect_eq "$(docker exec r cat /written)" kept
    # a stop unmounts it (in the background)
    docker stop -t 0 r >/dev/null
    wait_for sh -c "! grep -qF '$root' /proc/self/mountinfo"
    # a policy: on-failure:2 restarts twice, then stops
    docker run -d --name of --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
    wait_for sh -c "[ \"\$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' of)\" = '2 exited' ]"
    # always: restarted until stopped by the user
    docker run -d --name al --restart always busybox sh -c 'exit 0' >/dev/null
    wait_for sh -c "[ \"\$(docker inspect -f '{{.RestartCount}}' al)\" -ge 2 ]"
    docker stop al >/dev/null
    local n
    n=$(docker inspect -f '{{.RestartCount}}' al)
    sleep 0.5
    expect_eq "$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' al)" "$n exited"
    expect_fail "conflicting options" docker run --rm --restart always busybox true
}

test_pause_unpause() {
    engine_start
    busybox_image
    docker run -d --name p busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/t; sleep 0.05; done' >/dev/null
    sleep 0.3
    docker pause p >/dev/null
    expect_eq "$(state p)" paused
    local a b
    a=$(docker exec p cat /tmp/t 2>&1 || true)
    expect_contains "$a" "paused" "exec into a paused container"
    docker unpause p >/dev/null
    expect_eq "$(state p)" running
    a=$(docker exec p cat /tmp/t)
    sleep 0.3
    b=$(docker exec p cat /tmp/t)
    [ "$a" != "$b" ] || fail "still frozen after unpause"
    expect_fail "is not paused" docker unpause p
}

test_rename_and_remove() {
    engine_start
    busybox_image
    docker run -d --name old busybox sleep 1000 >/dev/null
    expect_eq "$(docker ps --format '{{.Names}} {{.State}}')" "old running"
    docker rename old new
    expect_eq "$(docker inspect -f '{{.Name}}' new)" "/new"
    # the listing (whose rows pierd keeps) follows the rename and the state
    expect_eq "$(docker ps --format '{{.Names}} {{.State}}')" "new running"
    docker pause new >/dev/null
    local st
    st=$(docker ps --format '{{.Names}} {{.Status}}')
    [[ "$st" == "new Up "*" (Paused)" ]] || fail "ps of a paused container: $st"
    docker unpause new >/dev/null
    expect_fail "No such container: old" docker container inspect old
    expect_fail "cannot remove container \"/new\": container is running" docker rm new
    expect_eq "$(state new)" running
    expect_eq "$(docker rm -f new)" new
    expect_fail "No such container: new" docker container inspect new
    # the name is free again at once
    docker create --name new busybox true >/dev/null
    docker rm new >/dev/null
    expect_eq "$(docker ps -aq)" ""
    # nothing of it is left on disk
    expect_eq "$(ls "$T/data/containers")" ""
    expect_eq "$(grep -c "$T" /proc/self/mountinfo)" 0 "mounts left"
}

test_wait_conditions() {
    engine_start
    busybox_image
    docker run -d --name w busybox sh -c 'sleep 0.5; exit 9' >/dev/null
    expect_eq "$(docker wait w)" 9
    # not-running on a stopped container answers at once
    expect_eq "$(docker wait w)" 9
    local out
    out=$(api POST '/containers/w/wait?condition=bogus')
    expect_contains "$out" "HTTP/1.1 400"
    # next-exit waits for the next run
    (api POST '/containers/w/wait?condition=next-exit' >"$T/next") &
    local waiter=$!
    sleep 0.3
    docker start w >/dev/null
    wait $waiter
    expect_contains "$(cat "$T/next")" '"StatusCode":9'
    # removed: when the container goes
    (api POST '/containers/w/wait?condition=removed' >"$T/removed") &
    waiter=$!
    sleep 0.3
    docker rm -f w >/dev/null
    wait $waiter
    expect_contains "$(cat "$T/removed")" '"StatusCode"'
}

test_inspect_shape() {
    engine_start
    busybox_image
    docker run -d --name i -e K=V busybox sleep 1000 >/dev/null
    local j
    j=$(docker inspect i)
    "$PY" - "$j" <<'EOF' || fail "inspect shape"
import json, sys
c = json.loads(sys.argv[1])[0]
for k in ["Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath",
          "HostsPath", "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel",
          "ProcessLabel", "AppArmorProfile", "HostConfig", "GraphDriver", "Mounts", "Config",
          "NetworkSettings"]:
    assert k in c, k
s = c["State"]
for k in ["Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode",
          "Error", "StartedAt", "FinishedAt"]:
    assert k in s, k
assert s["Status"] == "running" and s["Running"] is True and s["Pid"] > 0
assert c["Path"] == "sleep" and c["Args"] == ["1000"]
assert c["Image"].startswith("sha256:")
assert "K=V" in c["Config"]["Env"]
assert c["Config"]["Image"] == "busybox"
assert c["Name"] == "/i"
EOF
    expect_eq "$(docker inspect -f '{{json .State.Status}}' i)" '"running"'
    expect_eq "$(docker inspect -f '{{.State.Running}}' i)" true
}
