# A registry of a test's own: Debian's docker-registry on a free loopback
# port, its storage under $T, killed by pid at the end (registry_start).
# Sourced after engine.sh.

REGISTRY=/usr/bin/docker-registry
case $(uname -m) in
x86_64) HOST_ARCH=amd64 OTHER_ARCH=arm64 ;;
aarch64) HOST_ARCH=arm64 OTHER_ARCH=amd64 ;;
*) HOST_ARCH=$(uname -m) OTHER_ARCH=s390x ;;
esac

registry_stop() {
    [ -n "${REG_PID:-}" ] || return 0
    kill "$REG_PID" 2>/dev/null
    wait "$REG_PID" 2>/dev/null
    REG_PID=
}

# registry_start [htpasswd FILE] [tls CERT KEY] [token REALM CERT]: a
# registry of the test's own (Basic auth from an htpasswd file, https,
# Bearer tokens from REALM signed by CERT's key); REG is ADDR:PORT (REG_ADDR, default 127.0.0.1, on a free port), REG_DATA
# its storage.  REG_WRAP (e.g. "ip netns exec NS") runs it elsewhere;
# REG_LOG=info logs every request.
registry_start() {
    [ -x "$REGISTRY" ] || fail "$REGISTRY is missing (apt-get install docker-registry)"
    local port htpasswd= cert= key= scheme=http realm= bundle=
    while [ $# -gt 0 ]; do
        case $1 in
        htpasswd) htpasswd=$2 && shift 2 ;;
        tls) cert=$2 key=$3 scheme=https && shift 3 ;;
        token) realm=$2 bundle=$3 && shift 3 ;;
        *) fail "registry_start: unknown argument $1" ;;
        esac
    done
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    REG=${REG_ADDR:-127.0.0.1}:$port
    REG_DATA=$T/registry/data
    mkdir -p "$REG_DATA"
    {
        echo "version: 0.1"
        echo "log: {level: ${REG_LOG:-warn}}"
        echo "storage: {filesystem: {rootdirectory: $REG_DATA}}"
        if [ -n "$cert" ]; then
            echo "http: {addr: \"$REG\", tls: {certificate: $cert, key: $key}}"
        else
            echo "http: {addr: \"$REG\"}"
        fi
        if [ -n "$htpasswd" ]; then
            echo "auth: {htpasswd: {realm: pier-test, path: $htpasswd}}"
        elif [ -n "$realm" ]; then
            echo "auth: {token: {realm: \"$realm\", service: pier-test-registry, issuer: pier-test, rootcertbundle: $bundle}}"
        fi
    } >"$T/registry/config.yml"
    # shellcheck disable=SC2086
    ${REG_WRAP:-} "$REGISTRY" serve "$T/registry/config.yml" >>"$T/registry.log" 2>&1 &
    REG_PID=$!
    on_exit registry_stop
    local i
    for i in $(seq 1 200); do
        "$PY" -c 'import ssl, sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("%s://%s/v2/" % (sys.argv[2], sys.argv[1]), timeout=1,
                           context=ssl._create_unverified_context())
except urllib.error.HTTPError:
    pass' "$REG" "$scheme" 2>/dev/null && return 0
        kill -0 "$REG_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$T/registry.log" >&2
    fail "the registry did not start"
}
