# Published ports without the rest of pier's networking: build/test-ports
# drives the ports module (src/network/ports*.c) as pierd does, against a
# bridge, a network namespace standing in for a container (busybox httpd,
# a python UDP echo; curl fetches) and one standing in for another host, all made here.
# Proves the DNAT path: from the host on 127.0.0.1, on its own address and
# on the bridge's; from another host; from the container to itself
# (hairpin); UDP; ports held against programs and other containers; and
# nothing left after unpublish and flush.

PY=python3

# A /24 of 10.0.0.0/8 that no route of the host covers yet.
free_subnet() {
    local a b i
    for i in $(seq 1 50); do
        a=$((100 + RANDOM % 100))
        b=$((RANDOM % 256))
        ip -4 route show | grep -q "^10\.$a\.$b\." && continue
        ip -4 addr show | grep -q " 10\.$a\.$b\." && continue
        echo "10.$a.$b"
        return 0
    done
    return 1
}

# A host port nobody uses, tcp and udp, from 20000-29999.
free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 10000))
        [ -z "$(ss -Htuan "sport = :$p")" ] || continue
        case " ${USED_PORTS:-} " in *" $p "*) continue ;; esac
        USED_PORTS="${USED_PORTS:-} $p"
        echo "$p"
        return 0
    done
    return 1
}

# net_setup: bridge $BR at $NET.1, netns $NS (the container) at $NET.2 on
# it, netns $OUT (another host) at $ONET.2 behind a veth to the host at
# $ONET.1; nft table $TABLE; test-ports running as the coprocess TP.
net_setup() {
    local tag=pp$((RANDOM % 90000 + 10000))
    BR=${tag}b
    NS=pier-test-${tag}c
    OUT=pier-test-${tag}o
    TABLE=pier-ports-test-$tag
    NET=$(free_subnet) || fail "no free subnet"
    ONET=$(free_subnet) || fail "no free subnet"
    [ "$NET" != "$ONET" ] || fail "subnets collide"
    on_exit "nft delete table ip $TABLE"
    on_exit "ip link del $BR"
    on_exit "ip link del ${tag}h"
    on_exit "ip link del ${tag}x"
    on_exit "ip netns del $NS"
    on_exit "ip netns del $OUT"
    ip link add "$BR" type bridge
    ip addr add "$NET.1/24" dev "$BR"
    ip link set "$BR" up
    ip netns add "$NS"
    ip link add "${tag}h" type veth peer name eth0 netns "$NS"
    ip link set "${tag}h" master "$BR" up
    # what pier's bridge code does for a container's veth, as docker does
    # without its proxy: with br_netfilter, a DNAT back to the port a
    # packet came in by is bridged out of that same port
    echo 1 >"/sys/class/net/${tag}h/brport/hairpin_mode"
    ip -n "$NS" addr add "$NET.2/24" dev eth0
    ip -n "$NS" link set eth0 up
    ip -n "$NS" link set lo up
    ip -n "$NS" route add default via "$NET.1"
    ip netns add "$OUT"
    ip link add "${tag}x" type veth peer name eth0 netns "$OUT"
    ip addr add "$ONET.1/24" dev "${tag}x"
    ip link set "${tag}x" up
    ip -n "$OUT" addr add "$ONET.2/24" dev eth0
    ip -n "$OUT" link set eth0 up
    ip -n "$OUT" route add default via "$ONET.1"
    # the other host's packets are routed through this one
    local fwd
    fwd=$(sysctl -n net.ipv4.ip_forward)
    on_exit "sysctl -qw net.ipv4.ip_forward=$fwd"
    sysctl -qw net.ipv4.ip_forward=1
    # the host's own address, not one of this test's
    HOSTIP=$(ip -4 -o addr show scope global | awk -v br="$BR" -v x="${tag}x" \
        '$2 != br && $2 != x {sub("/.*", "", $4); print $4; exit}')
    [ -n "$HOSTIP" ] || fail "no global IPv4 address on the host"

    mkdir -p "$T/www"
    echo "hello from $NS" >"$T/www/index.html"
    ip netns exec "$NS" busybox httpd -f -p 80 -h "$T/www" &
    on_exit "kill $!"
    ip netns exec "$NS" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"echo " + d, a)
' &
    on_exit "kill $!"
    wait_for ip netns exec "$NS" curl -sf -m 2 --noproxy '*' -o /dev/null "http://127.0.0.1:80/"

    coproc TP { "$BUILD/test-ports" "$TABLE" 2>&1; }
    on_exit "kill $TP_PID"
}

# tp COMMAND...: one command to test-ports, its answer on stdout.
tp() {
    echo "$*" >&"${TP[1]}"
    local line
    IFS= read -r -t 10 line <&"${TP[0]}" || fail "test-ports did not answer [$*]"
    echo "$line"
}

# tp_ok COMMAND...: the answer must be "ok ...".
tp_ok() {
    local out
    out=$(tp "$@")
    case "$out" in ok*) echo "$out" ;; *) fail "test-ports [$*]: $out" ;; esac
}

# fetch [NETNS] URL: the page, or failure.
fetch() {
    if [ $# -eq 2 ]; then
        ip netns exec "$1" curl -sf -m 3 --noproxy '*' "$2"
    else
        curl -sf -m 3 --noproxy '*' "$1"
    fi
}

# udp [NETNS] ADDR PORT TEXT: the UDP echo's answer, or failure.
udp() {
    local pre=()
    if [ $# -eq 4 ]; then
        pre=(ip netns exec "$1")
        shift
    fi
    "${pre[@]}" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
print(s.recvfrom(2048)[0].decode())
' "$@"
}

test_ports_dnat_paths() {
    net_setup
    local p1 p2 pu want="hello from $NS"
    p1=$(free_port) && p2=$(free_port) && pu=$(free_port) || fail "no free port"
    tp_ok publish c1 "$BR" "$NET.2" ":$p1:80" "127.0.0.1:$p2:80" ":$pu:53/udp" >/dev/null
    expect_eq "$(cat "/proc/sys/net/ipv4/conf/$BR/route_localnet")" 1 "route_localnet of the bridge"
    # from the host itself
    expect_eq "$(fetch "http://127.0.0.1:$p1/")" "$want" "127.0.0.1:$p1"
    expect_eq "$(fetch "http://$HOSTIP:$p1/")" "$want" "the host's address $HOSTIP:$p1"
    expect_eq "$(fetch "http://$NET.1:$p1/")" "$want" "the bridge's address $NET.1:$p1"
    expect_eq "$(fetch "http://localhost:$p1/")" "$want" "localhost:$p1"
    # a binding to 127.0.0.1 is on 127.0.0.1 only
    expect_eq "$(fetch "http://127.0.0.1:$p2/")" "$want" "127.0.0.1:$p2"
    fetch "http://$HOSTIP:$p2/" >/dev/null 2>&1 && fail "127.0.0.1:$p2 answered on $HOSTIP"
    # from another host, through prerouting
    expect_eq "$(fetch "$OUT" "http://$ONET.1:$p1/")" "$want" "from another host"
    fetch "$OUT" "http://127.0.0.1:$p2/" >/dev/null 2>&1 && fail "another host reached 127.0.0.1:$p2"
    # the container reaching its own published port (hairpin)
    expect_eq "$(fetch "$NS" "http://$NET.1:$p1/")" "$want" "hairpin through the bridge address"
    expect_eq "$(fetch "$NS" "http://$HOSTIP:$p1/")" "$want" "hairpin through the host address"
    # UDP
    expect_eq "$(udp 127.0.0.1 "$pu" ping1)" "echo ping1" "udp on 127.0.0.1"
    expect_eq "$(udp "$HOSTIP" "$pu" ping2)" "echo ping2" "udp on the host address"
    expect_eq "$(udp "$OUT" "$ONET.1" "$pu" ping3)" "echo ping3" "udp from another host"
    # the rules are elements of the maps, not chains of their own
    local maps
    maps=$(nft list map ip "$TABLE" dnat_any)
    expect_contains "$maps" "tcp . $p1 : $NET.2 . 80" "dnat_any"
    expect_contains "$maps" "udp . $pu : $NET.2 . 53" "dnat_any"
    expect_contains "$(nft list map ip "$TABLE" dnat_ip)" "tcp . 127.0.0.1 . $p2 : $NET.2 . 80" "dnat_ip"

    # unpublished: unreachable, elements gone, the table too (its last use)
    tp_ok unpublish c1 >/dev/null
    fetch "http://127.0.0.1:$p1/" >/dev/null 2>&1 && fail "127.0.0.1:$p1 still answers after unpublish"
    udp 127.0.0.1 "$pu" ping >/dev/null 2>&1 && fail "udp $pu still answers after unpublish"
    nft list table ip "$TABLE" >/dev/null 2>&1 && fail "table $TABLE left after the last unpublish"
    # the direct path still works: nothing but the rules went away
    expect_eq "$(fetch "http://$NET.2:80/")" "$want" "direct to the container"
}

test_ports_allocation() {
    net_setup
    local p1 p2 pl out
    p1=$(free_port) && p2=$(free_port) && pl=$(free_port) || fail "no free port"
    # a free host port, from the ephemeral range
    out=$(tp_ok publish c1 "$BR" "$NET.2" ":$p1:80" "::80")
    local eph lo hi
    eph=$(echo "$out" | tr ' ' '\n' | grep '^80/tcp=0.0.0.0:' | grep -v ":$p1$" | sed 's/.*://')
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    [ -n "$eph" ] && [ "$eph" -ge "$lo" ] && [ "$eph" -le "$hi" ] || fail "ephemeral host port [$eph] of [$out]"
    expect_eq "$(fetch "http://127.0.0.1:$eph/")" "hello from $NS" "the picked port $eph"
    # the published port is held: a program cannot bind it
    "$PY" -c 'import socket,sys; socket.socket().bind(("0.0.0.0", int(sys.argv[1])))' "$p1" 2>/dev/null &&
        fail "a program could bind published port $p1"
    # another container on the same port: docker's error, nothing published
    out=$(tp publish c2 "$BR" "$NET.3" ":$p2:80" ":$p1:81")
    expect_eq "$out" "error: Bind for 0.0.0.0:$p1 failed: port is already allocated" "second container on $p1"
    fetch "http://127.0.0.1:$p2/" >/dev/null 2>&1 && fail "$p2 published by a start that failed"
    out=$(tp publish c2 "$BR" "$NET.3" "127.0.0.1:$p1:80")
    expect_eq "$out" "error: Bind for 127.0.0.1:$p1 failed: port is already allocated" "127.0.0.1:$p1 under 0.0.0.0:$p1"
    # a program listening on the port
    "$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(60)' "$pl" "$T/listening" &
    on_exit "kill $!"
    wait_for test -e "$T/listening"
    out=$(tp publish c2 "$BR" "$NET.3" ":$pl:80")
    expect_eq "$out" "error: failed to bind host port 0.0.0.0:$pl/tcp: address already in use" "port a program listens on"
    # a host range: a free one of it
    out=$(tp_ok publish c3 "$BR" "$NET.2" ":$p1-$((p1 + 1)):8080")
    expect_eq "$out" "ok 8080/tcp=0.0.0.0:$((p1 + 1))" "a free port of $p1-$((p1 + 1))"
    # flush: the table is gone, the ports free again
    tp_ok flush >/dev/null
    nft list table ip "$TABLE" >/dev/null 2>&1 && fail "table $TABLE left after flush"
    "$PY" -c 'import socket,sys; socket.socket().bind(("0.0.0.0", int(sys.argv[1])))' "$p1" ||
        fail "port $p1 still held after flush"
}

# A stale table of the same name (a pierd that died) is replaced whole, in
# one transaction, by the next pierd's restore; another daemon's table is
# never touched.
test_ports_restore_replaces_stale() {
    net_setup
    local p1 p2 other=${TABLE}x
    p1=$(free_port) && p2=$(free_port) || fail "no free port"
    on_exit "nft delete table ip $other"
    nft add table ip "$other"
    tp_ok publish old "$BR" "$NET.2" ":$p2:80" >/dev/null
    # the first test-ports dies without unpublishing
    kill "$TP_PID"
    wait "$TP_PID" 2>/dev/null || true
    coproc TP { "$BUILD/test-ports" "$TABLE" 2>&1; }
    on_exit "kill $TP_PID"
    expect_eq "$(fetch "http://127.0.0.1:$p2/")" "hello from $NS" "the stale rule, still there"
    tp_ok publish c1 "$BR" "$NET.2" ":$p1:80" >/dev/null
    expect_eq "$(fetch "http://127.0.0.1:$p1/")" "hello from $NS" "published after a stale table"
    fetch "http://127.0.0.1:$p2/" >/dev/null 2>&1 && fail "the stale table's port $p2 still answers"
    nft list table ip "$other" >/dev/null || fail "another daemon's table was touched"
    tp_ok flush >/dev/null
}

# Live restore: a new pierd takes up the running containers' ports as
# recorded; until it syncs, the old table keeps serving them, and its sync
# drops what no running container holds any more, in one transaction.
test_ports_live_restore() {
    net_setup
    local p1 p2 want="hello from $NS"
    p1=$(free_port) && p2=$(free_port) || fail "no free port"
    tp_ok publish c1 "$BR" "$NET.2" ":$p1:80" >/dev/null
    tp_ok publish c2 "$BR" "$NET.2" ":$p2:80" >/dev/null
    kill "$TP_PID"
    wait "$TP_PID" 2>/dev/null || true
    # c2 stopped while no pierd ran; c1 still runs
    coproc TP { "$BUILD/test-ports" "$TABLE" 2>&1; }
    on_exit "kill $TP_PID"
    expect_eq "$(tp_ok restore c1 "$BR" "$NET.2" ":$p1:80")" "ok 80/tcp=0.0.0.0:$p1" "restore of c1"
    expect_eq "$(fetch "http://127.0.0.1:$p1/")" "$want" "$p1 before the sync"
    expect_eq "$(fetch "http://127.0.0.1:$p2/")" "$want" "$p2 before the sync (the old table)"
    # the restored port is held again
    "$PY" -c 'import socket,sys; socket.socket().bind(("0.0.0.0", int(sys.argv[1])))' "$p1" 2>/dev/null &&
        fail "restored port $p1 not held"
    tp_ok sync >/dev/null
    expect_eq "$(fetch "http://127.0.0.1:$p1/")" "$want" "$p1 after the sync"
    fetch "http://127.0.0.1:$p2/" >/dev/null 2>&1 && fail "$p2 of a stopped container answers after the sync"
    expect_eq "$(nft list map ip "$TABLE" dnat_any | grep -c " : $NET.2 . 80")" 1 "elements after the sync"
    # a restored binding must name its host port
    expect_contains "$(tp restore c3 "$BR" "$NET.3" "::80")" "error: restored binding of c3 without its host port"
    tp_ok unpublish c1 >/dev/null
    nft list table ip "$TABLE" >/dev/null 2>&1 && fail "table $TABLE left after the last unpublish"
    true
}

# A large transfer through a published port arrives whole (its speed
# against docker's userland proxy is bench/network's to measure).
test_ports_large_transfer() {
    net_setup
    local p1
    p1=$(free_port) || fail "no free port"
    ip netns exec "$NS" "$PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000)); s.listen(4)
while True:
    c, _ = s.accept()
    n = 0
    buf = bytearray(1 << 20)
    while True:
        got = c.recv_into(buf)
        if not got: break
        n += got
    c.sendall(str(n).encode()); c.close()
' &
    on_exit "kill $!"
    wait_for ip netns exec "$NS" sh -c 'ss -Hltn "sport = :9000" | grep -q .'
    tp_ok publish c1 "$BR" "$NET.2" ":$p1:9000" >/dev/null
    expect_eq "$("$PY" -c '
import socket, sys
buf = b"x" * (1 << 20)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for _ in range(256): s.sendall(buf)
s.shutdown(socket.SHUT_WR)
print(int(s.recv(64)))' "$p1")" $((256 << 20)) "bytes through 127.0.0.1:$p1"
    tp_ok flush >/dev/null
}

# pierd at create: the port bindings as given, dockerd's errors for bad
# ones (400, nothing created); a container not running shows no ports.
test_ports_create_checks() {
    . "$TOP/tests/lib/engine.sh"
    engine_start
    busybox_image
    docker create --name web -p 8080:80 -p 127.0.0.1::53/udp -p 9000-9001:9000-9001 --expose 7000 \
        busybox true >/dev/null
    expect_eq "$(docker inspect -f '{{json .HostConfig.PortBindings}}' web)" \
        '{"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}],"80/tcp":[{"HostIp":"","HostPort":"8080"}],"9000/tcp":[{"HostIp":"","HostPort":"9000"}],"9001/tcp":[{"HostIp":"","HostPort":"9001"}]}' \
        "PortBindings"
    expect_eq "$(docker inspect -f '{{json .NetworkSettings.Ports}}' web)" '{}' "Ports of a created container"
    expect_eq "$(docker ps -a --format '{{.Ports}}' --filter name=web)" "" "PORTS of a created container"
    local out
    out=$(api POST /containers/create '{"Image": "busybox", "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "abc"}]}}}')
    expect_contains "$out" "HTTP/1.1 400" "status of a bad HostPort"
    expect_contains "$out" 'invalid port specification: \"abc\"' "error of a bad HostPort"
    out=$(api POST /containers/create '{"Image": "busybox", "HostConfig": {"PortBindings": {"x/tcp": []}}}')
    expect_contains "$out" "HTTP/1.1 400" "status of a bad container port"
    expect_contains "$out" 'invalid port specification: \"x\"' "error of a bad container port"
    out=$(api POST /containers/create '{"Image": "busybox", "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "1.2.3", "HostPort": "80"}]}}}')
    expect_contains "$out" "invalid IP address: 1.2.3" "error of a bad HostIp"
    expect_eq "$(docker ps -aq | wc -l)" 1 "containers after refused creates"
}
