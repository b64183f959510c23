# docker run and create through pierd: the options, Docker's defaults, and
# the errors a user sees, with the stock docker CLI.
. "$TOP/tests/lib/engine.sh"

test_run_output_and_exit_code() {
    engine_start
    busybox_image
    expect_eq "$(docker run --rm busybox echo hello)" "hello"
    local rc=0
    docker run --rm busybox sh -c 'exit 42' || rc=$?
    expect_eq "$rc" 42 "exit code"
    # stdout and stderr stay apart
    local out err
    out=$(docker run --rm busybox sh -c 'echo to-out; echo to-err >&2' 2>"$T/err")
    expect_eq "$out" "to-out"
    expect_eq "$(cat "$T/err")" "to-err"
    # --rm removed them all
    expect_eq "$(docker ps -aq)" ""
    # as podman: a --rm container's layer, which never outlives it, skips
    # the sync of the host's filesystem at unmount; a kept one does not
    local root='grep " / / " /proc/self/mountinfo'
    expect_contains "$(docker run --rm busybox sh -c "$root")" "volatile"
    out=$(docker run --name kept busybox sh -c "$root")
    [[ "$out" == *overlay* && "$out" != *volatile* ]] || fail "root of a kept container: $out"
    # its root is unmounted (in the background) once it exited
    docker wait kept >/dev/null
    wait_for sh -c "! grep -q '/$(docker inspect -f '{{.Id}}' kept)/rootfs ' /proc/self/mountinfo"
}

test_run_options_reach_the_process() {
    engine_start
    busybox_image
    local out
    out=$(docker run --rm -e A=1 -e B="two words" -w /tmp -u 1000:1000 --hostname box1 \
        busybox sh -c 'echo "$A|$B|$PWD|$(id -u):$(id -g)|$(hostname)|$HOME"')
    expect_eq "$out" "1|two words|/tmp|1000:1000|box1|/home/user"
    echo "FROM_FILE=yes" >"$T/env"
    expect_eq "$(docker run --rm --env-file "$T/env" busybox sh -c 'echo $FROM_FILE')" "yes"
    expect_eq "$(docker run --rm --entrypoint /bin/echo busybox a b)" "a b"
    expect_eq "$(docker run --rm -u nobody busybox id -un)" "nobody"
    # Docker's environment: PATH, HOSTNAME, HOME
    out=$(docker run --rm --hostname h2 busybox env)
    expect_contains "$out" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    expect_contains "$out" "HOSTNAME=h2"
    expect_contains "$out" "HOME=/root"
    # labels are kept
    docker create --name lab -l team=core -l tier busybox true >/dev/null
    expect_eq "$(docker inspect -f '{{index .Config.Labels "team"}}' lab)" "core"
}

test_docker_defaults_inside_the_container() {
    engine_start
    busybox_image
    local out
    out=$(docker run --rm busybox sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status')
    # Docker's default capability set, its seccomp filter
    expect_contains "$out" "CapEff:	00000000a80425fb"
    expect_contains "$out" "Seccomp:	2"
    expect_contains "$out" "NoNewPrivs:	0"
    # no signal blocked or ignored, whatever the shim does for itself; so a
    # pipe's writer dies of SIGPIPE when its reader has gone
    expect_eq "$(docker run --rm busybox grep -E '^Sig(Blk|Ign):' /proc/self/status | tr '\n' ' ')" \
        "SigBlk:	0000000000000000 SigIgn:	0000000000000000 "
    docker run -d --name sig busybox sleep 1000 >/dev/null
    expect_eq "$(docker exec sig grep -E '^Sig(Blk|Ign):' /proc/self/status | tr '\n' ' ')" \
        "SigBlk:	0000000000000000 SigIgn:	0000000000000000 "
    expect_eq "$(timeout 20 docker run --rm busybox sh -c 'yes | head -c 1000 | wc -c')" 1000
    # a 64 MB /dev/shm, masked and read-only /proc paths
    out=$(docker run --rm busybox df -k /dev/shm)
    expect_contains "$out" "65536"
    expect_eq "$(docker run --rm busybox sh -c 'wc -c </proc/timer_list')" 0 "masked /proc/timer_list"
    expect_fail "Read-only file system" docker run --rm busybox sh -c 'echo 1 > /proc/sys/kernel/domainname'
    # the default seccomp profile refuses what Docker's refuses
    expect_fail "Operation not permitted" docker run --rm busybox unshare -U true
    # hostname defaults to the short id
    local id
    id=$(docker create busybox hostname)
    docker start -a "$id" >"$T/h"
    expect_eq "$(cat "$T/h")" "${id:0:12}"
}

test_security_options() {
    engine_start
    busybox_image
    local out
    out=$(docker run --rm --cap-drop ALL --cap-add NET_ADMIN busybox grep CapEff /proc/self/status)
    expect_contains "$out" "0000000000001000"
    # everything pierd has (a sandbox may lack some)
    out=$(docker run --rm --privileged busybox grep CapEff /proc/self/status)
    expect_contains "$out" "$(grep CapBnd /proc/self/status | cut -f2)"
    out=$(docker run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status)
    expect_contains "$out" "1"
    out=$(docker run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status)
    expect_contains "$out" "0"
    docker run --rm --security-opt seccomp=unconfined busybox unshare -U true
    expect_fail "unknown capability" docker run --rm --cap-add NOPE busybox true
    # --read-only: the root cannot be written, /tmp as tmpfs can
    expect_fail "Read-only file system" docker run --rm --read-only busybox touch /x
    docker run --rm --read-only --tmpfs /tmp busybox touch /tmp/x
}

# cg_read ID FILE: a cgroup file of the container, v1 or v2
cg_read() {
    local f
    f=$(find /sys/fs/cgroup -path "*/pier-test-$TEST_TAG/$1/$2" 2>/dev/null | head -1)
    [ -n "$f" ] || fail "no cgroup file $2 for $1"
    cat "$f"
}

test_resources_reach_the_cgroup() {
    engine_start
    busybox_image
    local id
    id=$(docker run -d --memory 64m --memory-swap 128m --cpus 0.5 --cpu-shares 512 \
        --pids-limit 50 --cpuset-cpus 0 busybox sleep 1000)
    expect_eq "$(cg_read "$id" pids.max)" 50
    expect_eq "$(cg_read "$id" cpuset.cpus)" 0
    if [ -d /sys/fs/cgroup/memory ]; then
        expect_eq "$(cg_read "$id" memory.limit_in_bytes)" 67108864
        expect_eq "$(cg_read "$id" cpu.shares)" 512
        expect_eq "$(cg_read "$id" cpu.cfs_quota_us)" 50000
    else
        expect_eq "$(cg_read "$id" memory.max)" 67108864
        expect_eq "$(cg_read "$id" cpu.max)" "50000 100000"
    fi
    expect_eq "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' "$id")" \
        "67108864 500000000 50"
    # ulimits within the hard limit this sandbox allows
    expect_eq "$(docker run --rm --ulimit nofile=512:1024 busybox sh -c 'ulimit -n')" 512
    docker rm -f "$id" >/dev/null
}

test_bind_mounts_and_tmpfs() {
    engine_start
    busybox_image
    mkdir -p "$T/host"
    echo from-host >"$T/host/f"
    expect_eq "$(docker run --rm -v "$T/host:/data" busybox cat /data/f)" "from-host"
    docker run --rm -v "$T/host:/data" busybox sh -c 'echo from-ctr > /data/g'
    expect_eq "$(cat "$T/host/g")" "from-ctr"
    expect_fail "Read-only file system" docker run --rm -v "$T/host:/data:ro" busybox touch /data/h
    expect_eq "$(docker run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3')" tmpfs
    expect_eq "$(docker inspect -f '{{len .Mounts}}' "$(docker create -v "$T/host:/data" busybox true)")" 1
}

test_network_none_and_host() {
    engine_start
    busybox_image
    # its own network namespace with loopback only
    local out
    out=$(docker run --rm busybox ip -o link)
    expect_contains "$out" "lo:"
    expect_eq "$(echo "$out" | wc -l)" 1
    expect_eq "$(docker run --rm --network none busybox ip -o link | wc -l)" 1
    expect_eq "$(docker run --rm --network host busybox readlink /proc/self/ns/net)" \
        "$(readlink /proc/self/ns/net)"
}

test_init_reaps_zombies_and_forwards_signals() {
    engine_start
    busybox_image
    expect_eq "$(docker run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "')" \
        "/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr \"\\0\" \" \" "
    # orphans are reaped: a background child's exit leaves no zombie
    docker run -d --name z --init busybox sh -c '(sleep 0.2 &) ; sleep 1000' >/dev/null
    sleep 0.6
    expect_eq "$(docker exec z sh -c 'grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')" 0
    # SIGTERM reaches the program (sh as PID 1 would ignore it): stop is quick
    local start=$(date +%s)
    docker stop -t 20 z >/dev/null
    [ $(($(date +%s) - start)) -lt 10 ] || fail "SIGTERM did not reach the program through the init"
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' z)" 143
}

test_names_ids_and_prefixes() {
    engine_start
    busybox_image
    local id
    id=$(docker create --name first busybox true)
    expect_eq "${#id}" 64 "id length"
    [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "id is not hex: $id"
    expect_eq "$(docker inspect -f '{{.Name}}' "${id:0:5}")" "/first"
    expect_eq "$(docker inspect -f '{{.Id}}' first)" "$id"
    expect_fail 'Conflict. The container name "/first" is already in use by container' \
        docker create --name first busybox true
    # a generated name: adjective_surname
    local gen
    gen=$(docker inspect -f '{{.Name}}' "$(docker create busybox true)")
    [[ $gen =~ ^/[a-z]+_[a-z]+$ ]] || fail "generated name: $gen"
    expect_fail "Invalid container name" docker create --name 'bad name' busybox true
    expect_fail "No such container: nosuch" docker container inspect nosuch
}

test_bad_input_changes_nothing() {
    engine_start
    busybox_image
    expect_fail "Unable to find image 'nosuchimage:latest' locally" docker run --rm nosuchimage true
    expect_fail "invalid argument" docker run --rm --memory 12zz busybox true
    expect_fail "Minimum memory limit allowed is 6MB" docker run --rm --memory 1m busybox true
    expect_fail "invalid restart policy" docker run --restart sometimes busybox true
    expect_fail "unknown flag: --no-such-flag" docker run --no-such-flag busybox true
    expect_fail 'exec: "nosuchcmd": executable file not found' docker run --name nf busybox nosuchcmd
    expect_eq "$(docker inspect -f '{{.State.ExitCode}}' nf)" 127
    expect_fail "the working directory 'relative' is invalid" docker run -w relative busybox true
    expect_fail "invalid filter 'status=bogus'" docker ps -a -f status=bogus
    expect_eq "$(docker ps -aq | wc -l)" 1
    # the docker CLI's exit codes for what cannot run read the error's words
    local rc=0
    docker run --rm busybox /etc/passwd 2>/dev/null || rc=$?
    expect_eq "$rc" 126 "run of a file that is not executable"
    rc=0
    docker run --rm busybox /no/such/file 2>/dev/null || rc=$?
    expect_eq "$rc" 127 "run of a missing file"
}

test_entrypoint_reset_and_start_attach_again() {
    engine_start
    busybox_image
    # --entrypoint '' clears the image's entrypoint, the command stays
    tar -C "${PIER_TEST_ROOTFS:-$T/busybox-root}" -c . |
        docker import -c 'ENTRYPOINT ["false"]' - withep >/dev/null
    expect_eq "$(docker run --rm --entrypoint '' withep echo e)" e
    # start -a of a container that ran before gets the new run's output
    docker run --name twice busybox sh -c 'echo run' >/dev/null
    expect_eq "$(docker start -a twice)" run
    expect_eq "$(docker logs twice | tr '\n' ' ')" "run run "
}
