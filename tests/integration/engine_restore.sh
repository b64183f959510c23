# Live restore: a pierd that is killed and started again finds its shims;
# containers run on, their logs go on, and stop, exec, logs -f and wait
# work afterwards.  Containers that ended meanwhile, or whose shims are
# gone, get their exit and their restart policy.
. "$TOP/tests/lib/engine.sh"

# lines NAME: how many lines the container logged so far.
lines() { docker logs "$1" 2>&1 | wc -l; }

test_kill9_pierd_and_containers_go_on() {
    engine_start
    busybox_image
    docker run -d --name c1 busybox sh -c 'i=0; while :; do i=$((i+1)); echo line$i; sleep 0.05; done' \
        >/dev/null
    docker run -d --name x busybox sleep 1000 >/dev/null
    docker run -d --name ends busybox sh -c 'sleep 0.6; echo bye; exit 7' >/dev/null
    local pid
    pid=$(docker inspect -f '{{.State.Pid}}' c1)
    engine_kill9
    # while pierd is away, the log grows and a container ends
    local before
    before=$(grep -c line "$T"/data/containers/*/*-json.log | awk -F: '{s += $2} END {print s}')
    sleep 1
    kill -0 "$pid" || fail "the container died with pierd"
    engine_restart
    expect_eq "$(state c1)" running
    expect_eq "$(docker inspect -f '{{.State.Pid}}' c1)" "$pid"
    [ "$(lines c1)" -gt "$before" ] || fail "nothing was logged while pierd was away"
    # the exit it missed, with the container's own code
    expect_eq "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' ends)" "exited 7"
    expect_eq "$(docker logs ends)" bye
    # what clients do afterwards
    expect_eq "$(docker exec x echo ok)" ok
    local n
    n=$(timeout 1 docker logs -f --tail 0 c1 | wc -l) || true
    [ "$n" -gt 0 ] || fail "logs -f after the restart followed nothing"
    docker wait x >"$T/wait" &
    local waiter=$!
    docker stop -t 1 x >/dev/null
    wait "$waiter"
    expect_eq "$(cat "$T/wait")" 137 "docker wait across the restart"
    docker kill c1 >/dev/null
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' c1)" 137
}

# What a reboot does: pierd, the shims and the containers all gone.
test_containers_whose_shims_are_gone_follow_their_restart_policy() {
    engine_start
    busybox_image
    docker run -d --name al --restart always busybox sleep 1000 >/dev/null
    docker run -d --name us --restart unless-stopped busybox sleep 1000 >/dev/null
    docker run -d --name st --restart unless-stopped busybox sleep 1000 >/dev/null
    docker run -d --name no busybox sleep 1000 >/dev/null
    docker stop -t 0 st >/dev/null
    local pids d pid
    pids=$(docker inspect -f '{{.State.Pid}}' al us no)
    engine_kill9
    for d in "$T"/exec/containers/*/; do
        pid=$(pid_of "$d/shim.pid" pier-shim) && kill -9 "$pid"
    done
    for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
    engine_restart
    wait_for sh -c "[ \"\$(docker inspect -f '{{.State.Status}}' al us)\" = 'running
running' ]"
    expect_eq "$(docker inspect -f '{{.RestartCount}}' al)" 1
    expect_eq "$(state st)" exited
    expect_eq "$(state no)" exited
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' no)" 255
    expect_contains "$(docker inspect -f '{{.State.Error}}' no)" "pier-shim"
    # and they work as any other
    expect_eq "$(docker exec al echo ok)" ok
    docker start no >/dev/null
    expect_eq "$(state no)" running
}
