# Bridge networks for tests: a bridge name and subnets of the test's own
# (so that tests run side by side), an "outside world" network namespace
# to prove the NAT path, and a cleanup of everything the test's pierd made
# on the host (its bridges, its nftables table) and of ip_forward.

# net_pick: BR (the default bridge's name) and NET_PFX ("10.A.B", its /24),
# free on the host; registers the cleanup (before engine_start, so that it
# runs after pierd is gone).  Start pierd with: engine_start $(net_flags)
net_pick() {
    BR="ptb${TEST_TAG//-/}"
    BR=${BR:0:15}
    NET_PFX=$(net_free_prefix) || fail "no free 10.200-250.x.0/24 subnet"
    NET_FWD=$(cat /proc/sys/net/ipv4/ip_forward)
    on_exit net_cleanup
}

net_flags() { echo "--bridge $BR --bip $NET_PFX.1/24"; }

# net_free_prefix: a "10.A.B" whose /24 no route of the host's overlaps,
# nor one handed out earlier in this test.
NET_USED=" "
net_free_prefix() {
    local i p
    for i in $(seq 1 100); do
        p="10.$((200 + RANDOM % 51)).$((RANDOM % 256))"
        case "$NET_USED" in *" $p "*) continue ;; esac
        ip -4 route show | grep -q "^$p\." && continue
        NET_USED="$NET_USED$p "
        echo "$p"
        return 0
    done
    return 1
}

# The test's pierd's table, as pierd names it (after its bridge).
net_table() { echo "pier_$BR"; }

net_cleanup() {
    local f br
    for f in "$T"/exec/netns/*; do
        [ -e "$f" ] && umount -l "$f"
    done
    # the bridges of its user-defined networks, as its records name them
    for f in "$T"/data/networks/*.json; do
        [ -f "$f" ] || continue
        br=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("Bridge", ""))' "$f")
        case "$br" in br-* | "$BR") ip link del "$br" 2>/dev/null ;; esac
    done
    ip link del "$BR" 2>/dev/null
    nft delete table ip "$(net_table)" 2>/dev/null
    nft delete table ip "$(net_table)_ports" 2>/dev/null
    [ -n "${NET_FWD:-}" ] && echo "$NET_FWD" >/proc/sys/net/ipv4/ip_forward
    true
}

# outside_world: a network namespace standing in for the world beyond the
# host, reached by a veth from the host (OUT_HOST_IP there, OUT_IP inside)
# and serving http://OUT_IP:8080/cgi-bin/peer, which answers the address
# the request came from.  It has no route to any container's subnet, so
# only masqueraded traffic gets an answer.
outside_world() {
    OUT_NS="pt-$TEST_TAG-out"
    local hv="pto${TEST_TAG//-/}" c i
    hv=${hv:0:15}
    for i in $(seq 1 50); do
        c=$((RANDOM % 256))
        ip -4 route show | grep -q "^198\.18\.$c\." || break
    done
    OUT_HOST_IP=198.18.$c.1
    OUT_IP=198.18.$c.2
    ip netns add "$OUT_NS" || fail "ip netns add"
    on_exit "ip netns del $OUT_NS"
    ip link add "$hv" type veth peer name eth0 netns "$OUT_NS" || fail "veth to the outside"
    on_exit "ip link del $hv"
    ip addr add "$OUT_HOST_IP/30" dev "$hv"
    ip link set "$hv" up
    ip -n "$OUT_NS" addr add "$OUT_IP/30" dev eth0
    ip -n "$OUT_NS" link set eth0 up
    ip -n "$OUT_NS" link set lo up
    mkdir -p "$T/www/cgi-bin"
    printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' \
        >"$T/www/cgi-bin/peer"
    chmod +x "$T/www/cgi-bin/peer"
    ip netns exec "$OUT_NS" "$BUSYBOX" httpd -f -p "$OUT_IP:8080" -h "$T/www" &
    OUT_PID=$!
    on_exit "kill $OUT_PID"
    wait_for ip netns exec "$OUT_NS" "$BUSYBOX" wget -q -O /dev/null "http://$OUT_IP:8080/cgi-bin/peer"
}
