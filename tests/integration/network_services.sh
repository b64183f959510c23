# What pierd serves to containers on its networks, end to end with real
# containers and the stock docker CLI: names through the embedded DNS
# server at 127.0.0.11 on a user-defined network (name, alias,
# name.network, the host's resolvers for the rest), and published ports
# (-p, -P) reached from the host on 127.0.0.1, across a stop, a start and a
# pierd killed and started again, with nothing left after rm.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/net.sh"

# The page the test's web servers answer.
web() { # web NAME [docker run flags...]
    local name=$1
    shift
    docker run -d --name "$name" "$@" busybox sh -c \
        'mkdir -p /www && echo "hello from $(hostname)" >/www/index.html && exec httpd -f -p 80 -h /www' \
        >/dev/null
}

# fetch PORT: the page at 127.0.0.1:PORT, from the host.
fetch() {
    "$PY" -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).read().decode().strip())' "$1"
}

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

test_names_resolve_on_a_user_network() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    local p
    p=$(net_free_prefix)
    docker network create --subnet "$p.0/24" app >/dev/null
    web site --network app --network-alias www
    local id
    id=$(docker inspect -f '{{.Id}}' site | cut -c1-12)
    # docker's resolv.conf on a user-defined network
    local resolv
    resolv=$(docker run --rm --network app busybox cat /etc/resolv.conf)
    expect_contains "$resolv" "nameserver 127.0.0.11"
    expect_contains "$resolv" "options ndots:0"
    # by name, alias, short id and name.network, from another container
    local n
    for n in site www "$id" site.app; do
        expect_eq "$(docker run --rm --network app busybox wget -q -O - "http://$n/")" \
            "hello from $id" "http://$n/"
    done
    expect_contains "$(docker run --rm --network app busybox nslookup site 127.0.0.11)" \
        "Address: $(docker inspect -f '{{(index .NetworkSettings.Networks "app").IPAddress}}' site)"
    # a name no container has is not answered as one
    expect_fail "" docker run --rm --network app busybox nslookup nosuch-container.invalid 127.0.0.11
    # the default bridge resolves no names, as docker's
    expect_not_contains "$(docker run --rm busybox cat /etc/resolv.conf)" "127.0.0.11"
    expect_fail "" docker run --rm busybox wget -q -O - http://site/
    # a stopped container's name goes away
    docker stop -t 0 site >/dev/null
    expect_fail "" docker run --rm --network app busybox nslookup site 127.0.0.11
}

test_published_ports_from_the_host() {
    net_pick
    engine_start $(net_flags)
    busybox_image
    local port id out
    port=$(free_port)
    web pub -p "127.0.0.1:$port:80"
    id=$(docker inspect -f '{{.Id}}' pub | cut -c1-12)
    expect_eq "$(fetch "$port")" "hello from $id" "127.0.0.1:$port"
    expect_eq "$(docker port pub)" "80/tcp -> 127.0.0.1:$port"
    expect_eq "$("$PIER" port pub 80)" "127.0.0.1:$port"
    expect_eq "$(docker ps --format '{{.Ports}}' -f name=pub)" "127.0.0.1:$port->80/tcp"
    # -p 80: a free host port, on every address
    web any -p 80
    out=$(docker port any 80/tcp)
    expect_contains "$out" "0.0.0.0:"
    local anyid
    anyid=$(docker inspect -f '{{.Id}}' any | cut -c1-12)
    expect_eq "$(fetch "${out##*:}")" "hello from $anyid" "the port pierd chose"
    # the container reaches its own published port (its bridge port in hairpin mode)
    expect_contains "$(ip -d link show master "$BR")" "hairpin on"
    expect_eq "$(docker exec any wget -q -O - "http://$NET_PFX.1:${out##*:}/")" "hello from $anyid" \
        "its own published port, from inside"
    # the port a running container holds is refused to another
    expect_fail "port is already allocated" docker run -d --name clash -p "127.0.0.1:$port:80" busybox true
    docker rm -f clash >/dev/null 2>&1 || true
    # stopped: gone; started again: back
    docker stop -t 0 pub >/dev/null
    expect_fail "" fetch "$port"
    expect_eq "$(docker port pub)" "" "ports of a stopped container"
    docker start pub >/dev/null
    expect_eq "$(fetch "$port")" "hello from $id" "after a restart"
    # pierd killed and started again: the container keeps its port
    engine_kill9
    engine_restart $(net_flags)
    expect_eq "$(fetch "$port")" "hello from $id" "after pierd's restart"
    expect_eq "$(docker port pub)" "80/tcp -> 127.0.0.1:$port"
    # removed: nothing of it stays in the table
    expect_contains "$(nft list table ip "$(net_table)_ports")" " $port " "the table while published"
    docker rm -f pub any >/dev/null
    expect_fail "" fetch "$port"
    expect_not_contains "$(nft list table ip "$(net_table)_ports" 2>/dev/null)" " $port " \
        "the table after rm"
}
