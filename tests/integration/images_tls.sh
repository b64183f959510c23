# Registries over https (Debian's docker-registry with a certificate from a
# CA the test makes with openssl): a loopback one is insecure, as docker
# has it (https without verification, then plain http); any other is
# verified, against the CA certificates of pierd's --registry-certs-dir
# (docker's certs.d) or the system's.  The verified registry listens in a
# network namespace of the test's own, on a veth, since a loopback address
# would never be verified.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/registry.sh"

# certs IP: a CA (ca.crt) and the registry's certificate for IP and 127.0.0.1.
certs() {
    command -v openssl >/dev/null || fail "openssl is missing (apt-get install openssl)"
    mkdir -p "$T/pki"
    (
        cd "$T/pki" &&
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 \
                -subj /CN=pier-test-ca &&
            openssl req -newkey rsa:2048 -nodes -keyout reg.key -out reg.csr -subj /CN=registry &&
            printf 'subjectAltName=IP:%s,IP:127.0.0.1\n' "$1" >ext &&
            openssl x509 -req -in reg.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out reg.crt \
                -days 1 -extfile ext
    ) >"$T/pki/log" 2>&1 || fail "openssl: $(cat "$T/pki/log")"
}

netns_down() {
    ip netns del "$NS" 2>/dev/null
    ip link del "$VETH" 2>/dev/null
    return 0
}

# remote_registry: a TLS registry at $RIP in the test's namespace $NS.
remote_registry() {
    NS=${TEST_PREFIX}reg
    VETH=ptv$$${RANDOM:0:3}
    local net=10.199.$((RANDOM % 250))
    RIP=$net.2
    on_exit netns_down
    ip netns add "$NS" || fail "ip netns add"
    ip link add "$VETH" type veth peer name eth0 netns "$NS" || fail "ip link add"
    ip addr add "$net.1/30" dev "$VETH" && ip link set "$VETH" up || fail "host end"
    ip -n "$NS" addr add "$RIP/30" dev eth0 && ip -n "$NS" link set eth0 up &&
        ip -n "$NS" link set lo up || fail "namespace end"
    certs "$RIP"
    REG_ADDR=$RIP REG_WRAP="ip netns exec $NS" registry_start tls "$T/pki/reg.crt" "$T/pki/reg.key"
}

test_loopback_registry_over_https_unverified() {
    engine_start
    certs 127.0.0.1
    registry_start tls "$T/pki/reg.crt" "$T/pki/reg.key"
    busybox_image "$REG/bb:1"
    local out
    out=$("$PIER" push "$REG/bb:1") || fail "push over https: $out"
    expect_contains "$out" "1: digest: sha256:"
    # the registry speaks only TLS: what came in, came over https
    skopeo inspect --tls-verify=false "docker://$REG/bb:1" >/dev/null || fail "skopeo inspect"
    docker rmi "$REG/bb:1" >/dev/null
    out=$(docker pull "$REG/bb:1") || fail "pull over https: $out"
    expect_contains "$out" "Status: Downloaded newer image for $REG/bb:1"
    expect_eq "$(docker run --rm "$REG/bb:1" echo over-tls)" over-tls
}

test_remote_registry_verified_against_certs_dir() {
    mkdir -p "$T/certs.d"
    engine_start --registry-certs-dir "$T/certs.d"
    remote_registry
    busybox_image "$REG/bb:1"
    expect_fail "certificate" "$PIER" push "$REG/bb:1"
    expect_fail "certificate" docker pull "$REG/bb:1"
    # the CA in certs.d/HOST:PORT: verified, and trusted
    mkdir -p "$T/certs.d/$REG"
    cp "$T/pki/ca.crt" "$T/certs.d/$REG/ca.crt"
    local out
    out=$("$PIER" push "$REG/bb:1") || fail "push: $out"
    expect_contains "$out" "1: digest: sha256:"
    docker rmi "$REG/bb:1" >/dev/null
    out=$(docker pull "$REG/bb:1") || fail "pull: $out"
    expect_contains "$out" "Status: Downloaded newer image for $REG/bb:1"
    # another CA's certificate there is not trusted
    (cd "$T/pki" && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt \
        -days 1 -subj /CN=other) >/dev/null 2>&1
    cp "$T/pki/other.crt" "$T/certs.d/$REG/ca.crt"
    expect_fail "certificate" "$PIER" pull "$REG/bb:1"
}

test_remote_registry_named_insecure() {
    remote_registry
    mkdir -p "$T/certs.d"
    engine_start --insecure-registry "$REG" --registry-certs-dir "$T/certs.d"
    busybox_image "$REG/bb:1"
    local out
    out=$("$PIER" push "$REG/bb:1") || fail "push: $out"
    expect_contains "$out" "1: digest: sha256:"
    docker rmi "$REG/bb:1" >/dev/null
    expect_contains "$(docker pull "$REG/bb:1")" "Status: Downloaded newer image for $REG/bb:1"
}
