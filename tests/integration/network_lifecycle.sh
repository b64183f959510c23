# Networks through both CLIs (pier's output compared with the stock docker
# CLI's against the same pierd), and what run/rm cycles, removals and a
# pierd killed with -9 leave behind: nothing that is not in use.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/net.sh"

# both ARGS...: pier's and docker's stdout, stderr and status must be the same
both() {
    local po pe pr=0 do_ de dr=0
    po=$("$PIER" "$@" 2>"$T/pier.err") || pr=$?
    do_=$(docker "$@" 2>"$T/docker.err") || dr=$?
    pe=$(cat "$T/pier.err")
    de=$(cat "$T/docker.err")
    expect_eq "$po" "$do_" "stdout of [$*]"
    expect_eq "$pe" "$de" "stderr of [$*]"
    expect_eq "$pr" "$dr" "status of [$*]"
    printf '%s\n' "$po"
}

test_network_commands_match_docker() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    local p q id
    p=$(net_free_prefix)
    q=$(net_free_prefix)
    id=$("$PIER" network create --subnet "$p.0/24" --ip-range "$p.128/25" --label team=a --label x=y n1)
    expect_eq "${#id}" 64 "network create prints the id"
    docker network create -d bridge --internal --subnet "$q.0/24" --gateway "$q.9" --label solo=1 n2 >/dev/null
    expect_eq "$(both network ls | head -1 | tr -s ' ')" "NETWORK ID NAME DRIVER SCOPE"
    expect_eq "$(both network ls --format '{{.Name}}' | tr '\n' ' ')" "bridge host n1 n2 none "
    both network ls -q >/dev/null
    both network ls --no-trunc >/dev/null
    # (docker joins .Labels in Go's map order, which varies: one label here)
    expect_eq "$(both network ls -f label=team=a --format '{{.Name}} {{.Label "team"}} {{.Label "x"}}')" \
        "n1 a y"
    expect_eq "$(both network ls -f label=solo --format '{{.Name}} {{.Labels}}')" "n2 solo=1"
    expect_eq "$(both network ls -f type=custom -f driver=bridge --format '{{.Name}} {{.Internal}}' | tr '\n' ' ')" \
        "n1 false n2 true "
    expect_eq "$(both network ls -f dangling=true --format '{{.Name}}' | tr '\n' ' ')" "n1 n2 "
    expect_eq "$(both network ls -f name=n --format '{{.Name}}' | tr '\n' ' ')" "n1 n2 none "
    expect_eq "$(both network ls -f "id=${id:0:10}" -q)" "${id:0:12}"
    both network ls -f bogus=1 >/dev/null
    expect_eq "$(both network inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{json .IPAM.Config}}' n1 n2)" \
        "$(printf 'n1 bridge local false [{"Subnet":"%s.0/24","IPRange":"%s.128/25","Gateway":"%s.1"}]\nn2 bridge local true [{"Subnet":"%s.0/24","Gateway":"%s.9"}]' "$p" "$p" "$p" "$q" "$q")"
    both network inspect n1 >/dev/null
    both network inspect nosuch >/dev/null
    both inspect --type network -f '{{.Id}}' n1 >/dev/null
    # errors, as docker's
    both network create n1 >/dev/null
    both network create --subnet "$p.0/24" n3 >/dev/null
    both network create --gateway 10.0.0.1 n3 >/dev/null
    both network create -d nosuchdriver n3 >/dev/null
    both network rm bridge >/dev/null
    both network rm nosuch >/dev/null
    expect_eq "$(both network rm -f nosuch)" ""
    # connect and disconnect, then the container is in the network's view
    docker run -d --name c1 --network n1 busybox sleep 1000 >/dev/null
    expect_eq "$(docker inspect -f '{{(index .NetworkSettings.Networks "n1").IPAddress}}' c1)" "$p.128" \
        "the first address of the ip-range"
    both network connect n1 c1 >/dev/null
    "$PIER" network connect --ip "$q.20" --alias db n2 c1
    expect_eq "$(both network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' n2)" "c1 $q.20/24"
    expect_eq "$(both inspect -f '{{json (index .NetworkSettings.Networks "n2").Aliases}}' c1)" '["db"]'
    # (docker's CLI lists them in Go's map order, which varies)
    expect_eq "$("$PIER" ps --format '{{.Networks}}')" "n1,n2"
    expect_eq "$(docker ps --format '{{.Networks}}' | tr ',' '\n' | sort | paste -sd,)" "n1,n2"
    both network rm n2 >/dev/null
    "$PIER" network disconnect n2 c1
    both network disconnect n2 c1 >/dev/null
    both network connect host c1 >/dev/null
    # prune: what no container uses goes
    docker network create --subnet "$(net_free_prefix).0/24" n4 >/dev/null
    expect_eq "$(both network prune -f --filter label=nosuch=1)" ""
    "$PIER" network prune -f >"$T/prune"
    expect_eq "$(head -1 "$T/prune")" "Deleted Networks:"
    expect_eq "$(tail -n +2 "$T/prune" | sort | tr '\n' ' ')" " n2 n4 " "pruned, and an empty line"
    expect_eq "$(docker network ls --format '{{.Name}}' | tr '\n' ' ')" "bridge host n1 none "
    docker rm -f c1 >/dev/null
    expect_eq "$(docker network rm n1)" n1
}

# the bridges of this test's pierd and the links on them, its bridge's
# address, its namespaces and its rules
snapshot() {
    local br f
    for f in "$T"/data/networks/*.json; do
        br=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("Bridge", ""))' "$f")
        [ -n "$br" ] || continue
        echo "bridge $br"
        ip -br link show master "$br" | awk '{print $1}' | sed 's/@.*//' | sort
    done
    ip -4 -o addr show dev "$BR" 2>/dev/null | awk '{print $4}'
    ls "$T/exec/netns"
    grep -c "$T/exec/netns" /proc/self/mountinfo
    nft list table ip "$(net_table)" 2>/dev/null | sed 's/ handle [0-9]*//'
}

# Whether the snapshot is back to $T/before within 10 seconds (else the
# difference is shown).
settled() {
    local i
    for i in $(seq 1 100); do
        snapshot >"$T/after"
        cmp -s "$T/before" "$T/after" && return 0
        sleep 0.1
    done
    diff "$T/before" "$T/after" >&2
    return 1
}

test_run_rm_cycles_and_kill9_leave_nothing_behind() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    local p
    p=$(net_free_prefix)
    docker network create --subnet "$p.0/24" keep >/dev/null
    docker run -d --name stay --network keep busybox sleep 1000 >/dev/null
    snapshot >"$T/before"
    expect_eq "$(grep -c '^veth' "$T/before")" 1 "one veth: stay's"
    local i
    for i in $(seq 1 100); do
        "$PIER" run --rm busybox true || fail "run --rm $i"
    done
    for i in $(seq 1 100); do
        "$PIER" run -d --name "cy$i" --network keep busybox sleep 1000 >/dev/null || fail "run -d $i"
        "$PIER" rm -f "cy$i" >/dev/null || fail "rm -f $i"
    done
    # the kernel deletes an exited container's veth pair with its
    # namespace, in the background: a moment later it is gone
    settled || fail "200 run/rm cycles left something behind"
    # stop, and a network removed
    docker run -d --name st busybox sleep 1000 >/dev/null
    docker stop -t 0 st >/dev/null
    docker network create --subnet "$(net_free_prefix).0/24" gone >/dev/null
    docker network rm gone >/dev/null
    settled || fail "stop or network rm left something behind"
    # pierd killed; meanwhile one container ends, one shim dies with its
    # container; then pierd started again
    docker run -d --name ends --network keep busybox sleep 1 >/dev/null
    docker run -d --name dies busybox sleep 1000 >/dev/null
    local ends_ip
    ends_ip=$(docker inspect -f '{{.NetworkSettings.Networks.keep.IPAddress}}' ends)
    local dies_dir pid
    dies_dir=$T/exec/containers/$(docker inspect -f '{{.Id}}' dies)
    engine_kill9
    pid=$(pid_of "$dies_dir/shim.pid" pier-shim) && kill -9 "$pid"
    sleep 1.5
    engine_restart
    expect_eq "$(docker inspect -f '{{.State.Status}}' ends dies stay | tr '\n' ' ')" "exited exited running "
    settled || fail "pierd's restart left something behind"
    # the addresses: stay's is still held, the others' free again
    docker run -d --name new --network keep --ip "$ends_ip" busybox sleep 1000 >/dev/null ||
        fail "the address of the container that ended while pierd was away is not free"
    local stay_ip
    stay_ip=$(docker inspect -f '{{.NetworkSettings.Networks.keep.IPAddress}}' stay)
    expect_fail "Address already in use" docker run --rm --network keep --ip "$stay_ip" busybox true
    docker exec stay ping -c1 -W2 "$ends_ip" >/dev/null || fail "stay lost its network across the restart"
    docker rm -f new stay >/dev/null
    docker network rm keep >/dev/null
    docker rm -f ends dies st >/dev/null
    wait_for test "$(snapshot | grep -c '^veth')" = 0
    expect_eq "$(ls "$T/exec/netns" | wc -l)" 0 "no namespace left"
}
