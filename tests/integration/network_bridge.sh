# Bridge networks: containers on the default bridge and on user-defined
# networks reach each other and the gateway; --ip; the NAT path to a
# namespace standing in for the outside world; --internal; the /etc files.
# Each test's pierd has a bridge and subnets of its own (tests/lib/net.sh).
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/net.sh"

# ip_of NAME [NETWORK]: the container's address (on NETWORK, else its first)
ip_of() {
    if [ $# -gt 1 ]; then
        docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
    else
        docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
    fi
}

test_default_bridge_reaches_the_gateway() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    # pierd made the bridge with the gateway's address
    expect_contains "$(ip -4 -br addr show "$BR")" "$NET_PFX.1/24"
    docker run -d --name c1 busybox sleep 1000 >/dev/null
    local ip
    ip=$(ip_of c1 bridge)
    expect_eq "${ip%.*}" "$NET_PFX" "address on the bridge's subnet"
    expect_eq "$(docker inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}}' c1)" \
        "$ip $NET_PFX.1 24"
    # docker's MAC: 02:42 and the address
    local mac
    mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${ip//./ })
    expect_eq "$(docker inspect -f '{{.NetworkSettings.MacAddress}}' c1)" "$mac"
    expect_eq "$(docker exec c1 cat /sys/class/net/eth0/address)" "$mac"
    docker exec c1 ping -c1 -W2 "$NET_PFX.1" >/dev/null || fail "the gateway does not answer"
    expect_contains "$(docker exec c1 ip route)" "default via $NET_PFX.1 dev eth0"
    expect_contains "$(docker exec c1 ip link show lo)" "UP"
    expect_eq "$(docker ps --format '{{.Names}} {{.Networks}}')" "c1 bridge"
    # --network none: loopback only; host: the host's
    expect_eq "$(docker run --rm --network none busybox sh -c 'ls /sys/class/net' | tr '\n' ' ')" "lo "
    expect_eq "$(docker run --rm --network none busybox true; echo $?)" 0
    # container:NAME shares c1's
    expect_eq "$(docker run --rm --network container:c1 busybox cat /sys/class/net/eth0/address)" "$mac"
    # the network's view
    expect_eq "$(docker network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' bridge)" "c1 $ip/24"
    expect_eq "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}' bridge)" \
        "$NET_PFX.0/24 $NET_PFX.1"
}

test_user_network_containers_reach_each_other() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    local p
    p=$(net_free_prefix)
    docker network create --subnet "$p.0/24" --gateway "$p.254" app >/dev/null
    docker run -d --name web --network app --ip "$p.10" busybox httpd -f -p 80 -h /etc >/dev/null
    docker run -d --name cli --network app busybox sleep 1000 >/dev/null
    expect_eq "$(ip_of web app)" "$p.10" "--ip"
    expect_eq "$(ip_of cli app)" "$p.1" "the first free address (the gateway is .254)"
    expect_eq "$(docker inspect -f '{{(index .NetworkSettings.Networks "app").Gateway}}' cli)" "$p.254"
    expect_eq "$(docker inspect -f '{{json (index .NetworkSettings.Networks "app").DNSNames}}' cli)" \
        "[\"cli\",\"$(docker inspect -f '{{.Id}}' cli | cut -c1-12)\"]" "DNSNames"
    docker exec cli ping -c1 -W2 "$p.10" >/dev/null || fail "web does not answer ping"
    expect_eq "$(docker exec cli wget -q -O - "http://$p.10/hostname")" \
        "$(docker inspect -f '{{.Id}}' web | cut -c1-12)" "web's /etc/hostname fetched"
    docker run -d --name other busybox sleep 1000 >/dev/null
    expect_eq "$(docker inspect -f '{{len .NetworkSettings.Networks}}' other)" 1 "networks of other"
    # pier's own run sends --network, --ip and --network-alias as docker's does
    expect_contains "$("$PIER" run --rm --network app --ip "$p.33" --network-alias al busybox ip -4 addr show eth0)" \
        "inet $p.33/24"
    # --ip: outside the subnet, in use, on the default bridge
    expect_fail "no configured subnet or ip-range contain the IP address 10.1.2.3" \
        docker run --rm --network app --ip 10.1.2.3 busybox true
    expect_fail "Address already in use" docker run --rm --network app --ip "$p.10" busybox true
    expect_fail "user specified IP address is supported on user defined networks only" \
        docker run --rm --ip "$NET_PFX.99" busybox true
    # (the docker CLI takes a 404 of create for a missing image and pulls)
    local resp
    resp=$(api POST /containers/create '{"Image":"busybox","HostConfig":{"NetworkMode":"nosuch"}}')
    expect_contains "$resp" "HTTP/1.1 404"
    expect_contains "$resp" '"message":"network nosuch not found"'
    # connect, disconnect a running container: eth1 comes and goes
    docker network connect app other
    expect_eq "$(ip_of other app)" "$p.2"
    expect_contains "$(docker exec other ip -4 addr show eth1)" "inet $p.2/24"
    docker exec other wget -q -O /dev/null "http://$p.10/hostname" || fail "connected container cannot fetch"
    docker network disconnect app other
    expect_fail "" docker exec other ip addr show eth1
    expect_eq "$(docker inspect -f '{{len .NetworkSettings.Networks}}' other)" 1
    # a stopped container connected starts on both
    docker create --name later busybox sleep 1000 >/dev/null
    docker network connect --ip "$p.77" app later
    docker start later >/dev/null
    expect_eq "$(ip_of later app)" "$p.77"
    expect_eq "$(ip_of later bridge)" "$(docker inspect -f '{{.NetworkSettings.IPAddress}}' later)" \
        "later's default bridge address"
    # a stopped container shows no address (docker's), and gets one again
    docker stop -t 0 web >/dev/null
    expect_eq "$(ip_of web app)" "" "a stopped container's address"
    docker start web >/dev/null
    expect_eq "$(ip_of web app)" "$p.10"
}

test_nat_reaches_the_outside_world_masqueraded() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    outside_world
    expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "pierd turns on forwarding"
    local table
    table=$(nft list table ip "$(net_table)") || fail "pierd's table is missing"
    expect_contains "$table" "ip saddr $NET_PFX.0/24 oifname != \"$BR\" masquerade"
    # the outside sees the host's address, not the container's
    local seen
    seen=$(docker run --rm busybox wget -q -O - "http://$OUT_IP:8080/cgi-bin/peer") ||
        fail "the outside world cannot be reached from the default bridge"
    expect_eq "$seen" "$OUT_HOST_IP" "source address seen outside"
    # a user network too
    local p q
    p=$(net_free_prefix)
    docker network create --subnet "$p.0/24" pub >/dev/null
    seen=$(docker run --rm --network pub busybox wget -q -O - "http://$OUT_IP:8080/cgi-bin/peer") ||
        fail "the outside world cannot be reached from a user network"
    expect_eq "$seen" "$OUT_HOST_IP"
    # --internal: no masquerade, no way out, but its containers reach each other
    q=$(net_free_prefix)
    docker network create --internal --subnet "$q.0/24" priv >/dev/null
    expect_eq "$(docker network inspect -f '{{.Internal}}' priv)" true
    local br
    br=br-$(docker network inspect -f '{{.Id}}' priv | cut -c1-12)
    table=$(nft list table ip "$(net_table)")
    expect_not_contains "$table" "$q.0/24"
    expect_contains "$table" "iifname \"$br\" drop"
    expect_fail "" docker run --rm --network priv busybox wget -q -O - "http://$OUT_IP:8080/cgi-bin/peer"
    docker run -d --name inner --network priv busybox httpd -f -p 80 -h /etc >/dev/null
    docker run --rm --network priv busybox wget -q -O /dev/null "http://$(ip_of inner priv)/hostname" ||
        fail "containers of an internal network cannot reach each other"
    # removing a network removes its rules and its bridge
    docker rm -f inner >/dev/null
    docker network rm priv pub >/dev/null
    table=$(nft list table ip "$(net_table)")
    expect_not_contains "$table" "$br"
    expect_not_contains "$table" "$p.0/24"
    expect_fail "" ip link show "$br"
}

test_etc_files_as_docker_writes_them() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    docker run -d --name e1 --hostname box --add-host db.local:10.9.8.7 --add-host gw:host-gateway \
        busybox sleep 1000 >/dev/null
    local ip hosts
    ip=$(ip_of e1)
    hosts=$(docker exec e1 cat /etc/hosts)
    expect_eq "$(echo "$hosts" | tail -3)" "$(printf '10.9.8.7\tdb.local\n%s.1\tgw\n%s\tbox' "$NET_PFX" "$ip")"
    expect_contains "$hosts" "$(printf '127.0.0.1\tlocalhost')"
    expect_eq "$(docker exec e1 cat /etc/hostname)" box
    # the host's resolvers, less the loopback ones
    local want
    want=$(grep '^nameserver' /etc/resolv.conf | grep -v -e ' 127\.' -e ' ::1' || true)
    [ -n "$want" ] || want=$(printf 'nameserver 8.8.8.8\nnameserver 8.8.4.4')
    expect_eq "$(docker exec e1 grep '^nameserver' /etc/resolv.conf)" "$want"
    # --dns, --dns-search, --dns-option replace the host's
    local r
    r=$(docker run --rm --dns 10.0.0.53 --dns-search example.org --dns-option ndots:3 busybox cat /etc/resolv.conf)
    expect_contains "$r" "nameserver 10.0.0.53"
    expect_not_contains "$r" "$(echo "$want" | head -1)"
    expect_contains "$r" "search example.org"
    expect_contains "$r" "options ndots:3"
}
