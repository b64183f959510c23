# pierd's embedded DNS server (src/network/dns*), run by build/test-dns-server
# on a loop of its own: it answers at 127.0.0.11 inside network namespaces
# the test makes, from the name table given on its command line, and
# forwards other names to a fake upstream (tests/tools/dns_upstream.py) on a
# loopback address of the test's own in the host's namespace.

DNS_TOOLS=$TOP/tests/tools

# dns_upstream [NAME [--refuse]]: the fake upstream on a random 127/8
# address, logging to $T/NAME.log (default upstream); sets UPSTREAM.
dns_upstream() {
    local name=${1:-upstream}
    UPSTREAM=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
    "$PY" "$DNS_TOOLS/dns_upstream.py" "$UPSTREAM" "$T/$name.log" "${@:2}" >"$T/$name.out" 2>&1 &
    on_exit kill $!
    wait_for grep -q ready "$T/$name.out"
    touch "$T/$name.log"
}

# dns_netns NAME: a network namespace of the test's own (lo down, as new).
dns_netns() {
    ip netns add "$TEST_PREFIX$1" || fail "ip netns add $TEST_PREFIX$1"
    on_exit ip netns del "$TEST_PREFIX$1"
}

# dns_server ARGS...: the server with resolv.conf $T/resolv.conf and ARGS
# (--name, --attach ID=NETNS_NAME, --timeout); waits until it is ready.
dns_server() {
    local args=() a
    for a in "$@"; do
        case "$a" in
        *=@*) args+=("${a%%=@*}=/run/netns/$TEST_PREFIX${a#*=@}") ;;
        *) args+=("$a") ;;
        esac
    done
    "$BUILD/test-dns-server" --resolv "$T/resolv.conf" "${args[@]}" >"$T/server.out" 2>"$T/server.err" &
    SERVER_PID=$!
    on_exit kill $SERVER_PID
    local i
    for i in $(seq 1 100); do
        grep -q ready "$T/server.out" && return 0
        kill -0 $SERVER_PID 2>/dev/null || fail "test-dns-server: $(cat "$T/server.err")"
        sleep 0.05
    done
    fail "test-dns-server is not ready"
}

# dns_stop: SIGTERM to the server, which frees all it holds and must exit 0
# (under PIER_BUILD=build/asan, without a leak or an error reported).
dns_stop() {
    kill -TERM $SERVER_PID
    local rc=0
    wait $SERVER_PID || rc=$?
    expect_eq "$rc" 0 "exit status of test-dns-server ($(cat "$T/server.err"))"
    expect_not_contains "$(cat "$T/server.err")" "Sanitizer"
}

# q NETNS ARGS...: tests/tools/dns_query.py inside the namespace, at 127.0.0.11.
q() {
    local ns=$1
    shift
    local opts=()
    while [[ "${1:-}" == --* ]]; do
        opts+=("$1")
        [[ "$1" == --tcp ]] || {
            opts+=("$2")
            shift
        }
        shift
    done
    ip netns exec "$TEST_PREFIX$ns" "$PY" "$DNS_TOOLS/dns_query.py" "${opts[@]}" 127.0.0.11 "$@"
}

test_dns_answers_names_and_aliases() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    expect_contains "$(ip -n "${TEST_PREFIX}a" link show lo)" "state DOWN" "lo of a new namespace"
    dns_server --name web=10.89.0.2 --name web.mynet=10.89.0.2 --name db=10.89.0.3,10.89.0.4 \
        --name cache-alias=10.89.0.5 --attach c1=@a
    # the server brought lo up to listen on 127.0.0.11
    expect_not_contains "$(ip -n "${TEST_PREFIX}a" link show lo)" "DOWN" "lo once attached"
    expect_eq "$(q a web A)" "rcode=NOERROR tc=0 id=ok
A 10.89.0.2"
    expect_eq "$(q a web.mynet A)" "rcode=NOERROR tc=0 id=ok
A 10.89.0.2" "a name with its network"
    expect_eq "$(q a CACHE-Alias. A)" "rcode=NOERROR tc=0 id=ok
A 10.89.0.5" "an alias, in capitals, with a trailing dot"
    expect_eq "$(q a db A | sort)" "A 10.89.0.3
A 10.89.0.4
rcode=NOERROR tc=0 id=ok" "a name with two addresses"
    expect_eq "$(q a web AAAA)" "rcode=NOERROR tc=0 id=ok" "AAAA of a known name"
    expect_eq "$(q a 2.0.89.10.in-addr.arpa PTR)" "rcode=NOERROR tc=0 id=ok
PTR web." "PTR of a known address"
    # none of these reached the upstream
    expect_eq "$(cat "$T/upstream.log")" "" "questions upstream"
    # busybox's nslookup, as a container would use it
    local out
    out=$(ip netns exec "${TEST_PREFIX}a" "$BUSYBOX" nslookup db 127.0.0.11)
    expect_contains "$out" "Address: 10.89.0.3"
    expect_contains "$out" "Address: 10.89.0.4"
}

test_dns_names_per_container() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_netns b
    dns_server --name c1:only-a=10.89.1.2 --name both=10.89.1.3 --attach c1=@a --attach c2=@b
    expect_eq "$(q a only-a A)" "rcode=NOERROR tc=0 id=ok
A 10.89.1.2"
    # b does not see it: the question goes upstream, which knows no such name
    expect_eq "$(q b only-a A)" "rcode=NXDOMAIN tc=0 id=ok" "a name of another container's network"
    expect_contains "$(cat "$T/upstream.log")" "udp" "the forwarded question"
    expect_contains "$(cat "$T/upstream.log")" " only-a" "the forwarded question"
    expect_eq "$(q b both A)" "rcode=NOERROR tc=0 id=ok
A 10.89.1.3"
}

test_dns_forwards_unknown_names() {
    dns_upstream
    # The first resolver has nothing listening (refused at once): the next
    # one is tried.
    local dead=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
    printf 'search example.org\nnameserver %s\nnameserver %s\noptions ndots:0\n' "$dead" "$UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_server --name web=10.89.2.2 --attach c1=@a
    expect_eq "$(q a ext-one.example A)" "rcode=NOERROR tc=0 id=ok
A 198.51.100.7"
    expect_eq "$(q a nope.example A)" "rcode=NXDOMAIN tc=0 id=ok"
    # the query went upstream under an ID of the server's own, the reply
    # came back under the client's (0xabcd)
    expect_eq "$(q a --raw abcd01000001000000000000076578742d74776f076578616d706c650000010001)" \
        "rcode=NOERROR id=abcd"
    local up_id
    up_id=$(awk '$3 == "ext-two.example" {print $2}' "$T/upstream.log")
    [ -n "$up_id" ] || fail "ext-two.example did not reach the upstream: $(cat "$T/upstream.log")"
    [ "$up_id" != $((0xabcd)) ] || fail "the client's query ID went upstream unchanged"
    # names of ours are not forwarded, whatever the order
    expect_eq "$(q a web A)" "rcode=NOERROR tc=0 id=ok
A 10.89.2.2"
    expect_not_contains "$(cat "$T/upstream.log")" " web"
}

test_dns_resolvers_per_container() {
    dns_upstream other
    local other=$UPSTREAM
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_netns b
    # b has resolvers of its own (docker's --dns): an address that is none
    # is skipped
    dns_server --attach c1=@a --attach c2=@b --dns "c2=not-an-address,$other"
    expect_eq "$(q a ext-a.example A)" "rcode=NOERROR tc=0 id=ok
A 198.51.100.7"
    expect_eq "$(q b ext-b.example A)" "rcode=NOERROR tc=0 id=ok
A 198.51.100.7"
    expect_contains "$(cat "$T/upstream.log")" "ext-a.example" "the host's resolver"
    expect_not_contains "$(cat "$T/upstream.log")" "ext-b.example" "the host's resolver"
    expect_contains "$(cat "$T/other.log")" "ext-b.example" "c2's resolver"
    expect_not_contains "$(cat "$T/other.log")" "ext-a.example" "c2's resolver"
}

test_dns_refused_tries_the_next_resolver() {
    dns_upstream refusing --refuse
    local refusing=$UPSTREAM
    dns_upstream
    printf 'nameserver %s\nnameserver %s\n' "$refusing" "$UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_netns b
    dns_server --attach c1=@a --attach c2=@b --dns "c2=$refusing"
    # as docker: REFUSED (or SERVFAIL) from one resolver, the next is asked
    expect_eq "$(q a ext-r.example A)" "rcode=NOERROR tc=0 id=ok
A 198.51.100.7"
    expect_contains "$(cat "$T/refusing.log")" "ext-r.example" "the refusing resolver"
    expect_contains "$(cat "$T/upstream.log")" "ext-r.example" "the next resolver"
    # and when none is left, SERVFAIL
    expect_eq "$(q b ext-r.example A)" "rcode=SERVFAIL tc=0 id=ok"
}

test_dns_internal_and_ndots_policies() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_netns b
    dns_server --name web=10.89.5.2 --attach c1=@a --attach c2=@b --internal c1 --ndots c2
    # a container only on internal networks asks no one outside
    expect_eq "$(q a ext-i.example A)" "rcode=SERVFAIL tc=0 id=ok" "an outside name, internal"
    expect_eq "$(q a web A)" "rcode=NOERROR tc=0 id=ok
A 10.89.5.2" "a container's name, internal"
    expect_not_contains "$(cat "$T/upstream.log")" "ext-i" "questions upstream"
    # with ndots set, an unknown name of one label is not asked upstream
    expect_eq "$(q b nope A)" "rcode=NOERROR tc=0 id=ok" "one label with ndots set"
    expect_eq "$(q b nope.example A)" "rcode=NXDOMAIN tc=0 id=ok" "two labels with ndots set"
    expect_eq "$(q a --tcp nope A)" "rcode=SERVFAIL tc=0 id=ok" "one label, internal, over TCP"
    expect_eq "$(awk '{print $3}' "$T/upstream.log")" "nope.example" "questions upstream"
}

test_dns_servfail_when_upstream_is_silent() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_server --timeout 800 --attach c1=@a
    local start end out
    start=$(date +%s%N)
    out=$(q a silent.example A)
    end=$(date +%s%N)
    expect_eq "$out" "rcode=SERVFAIL tc=0 id=ok"
    local ms=$(((end - start) / 1000000))
    [ $ms -ge 700 ] && [ $ms -lt 4000 ] || fail "SERVFAIL after $ms ms, the timeout is 800 ms"
    # the server still forwards what the upstream answers
    expect_eq "$(q a ext-after.example A)" "rcode=NOERROR tc=0 id=ok
A 198.51.100.7"
    # At most 256 questions wait upstream (each holds a socket): more are
    # REFUSED at once, as docker does past its limit.
    local counts
    counts=$(ip netns exec "${TEST_PREFIX}a" "$PY" -c '
import socket, struct, collections, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE
s.settimeout(5)
q = b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x0bsilent-many\x07example\x00\x00\x01\x00\x01"
for i in range(300):
    s.sendto(struct.pack(">H", i) + q, ("127.0.0.11", 53))
    if i % 20 == 19:
        time.sleep(0.005)  # paced, so that none is dropped on the way
rcodes = collections.Counter()
for i in range(300):
    rcodes[s.recv(512)[3] & 15] += 1
print(rcodes[5], rcodes[2])
')
    expect_eq "$counts" "44 256" "REFUSED and SERVFAIL replies to 300 questions at once"
    # stopped with a question upstream and a TCP client connected
    q a silent.example A >"$T/pending" &
    on_exit kill $!
    ip netns exec "${TEST_PREFIX}a" "$PY" -c '
import socket, time
s = socket.create_connection(("127.0.0.11", 53))
s.sendall(b"\0\5ab")
time.sleep(5)
' &
    on_exit kill $!
    wait_for grep -q silent "$T/upstream.log"
    sleep 0.2
    dns_stop
}

test_dns_tcp() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_server --name web=10.89.3.2 --attach c1=@a
    expect_eq "$(q a --tcp web A)" "rcode=NOERROR tc=0 id=ok
A 10.89.3.2" "a known name over TCP"
    # A reply too large for UDP comes truncated; over TCP the question goes
    # upstream over TCP and the whole reply comes back.
    expect_eq "$(q a big-x.example A)" "rcode=NOERROR tc=1 id=ok" "a large reply over UDP"
    local out
    out=$(q a --tcp big-x.example A)
    expect_eq "$(echo "$out" | head -1)" "rcode=NOERROR tc=0 id=ok" "a large reply over TCP"
    expect_eq "$(echo "$out" | grep -c '^A 203.0.113.')" 40 "records of the large reply"
    expect_contains "$(cat "$T/upstream.log")" "tcp" "the question upstream over TCP"
}

test_dns_garbage_gets_formerr() {
    dns_upstream
    echo "nameserver $UPSTREAM" >"$T/resolv.conf"
    dns_netns a
    dns_server --name web=10.89.4.2 --attach c1=@a
    # a header and a label that runs past the end
    expect_eq "$(q a --raw 1234010000010000000000003f616263)" "rcode=FORMERR id=1234"
    expect_eq "$(q a --tcp --raw 4321010000010000000000003f616263)" "rcode=FORMERR id=4321" "over TCP"
    # a compression loop in an additional record
    expect_eq "$(q a --raw 555501000001000000000001037765620000010001c01500010001000000000000)" "rcode=FORMERR id=5555"
    # too short for a header: no reply at all
    expect_eq "$(q a --raw 0102)" "no reply"
    # a flood of random bytes
    ip netns exec "${TEST_PREFIX}a" "$PY" -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(os.urandom(i % 600), ("127.0.0.11", 53))
'
    kill -0 $SERVER_PID || fail "the server died"
    expect_eq "$(q a web A)" "rcode=NOERROR tc=0 id=ok
A 10.89.4.2" "an answer after the garbage"
}
