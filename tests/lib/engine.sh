# A pierd of the test's own: its roots, socket and cgroup parent under the
# test's names, and a cleanup that ends it, its shims and their containers,
# whatever state the test left them in.  Sourced by tests that use it.

PIERD=$BUILD/pierd
PIER=$BUILD/pier
export DOCKER_CLI_HINTS=false

# engine_start [PIERD ARGS...]: start pierd; DOCKER_HOST points at it.
# Without a default bridge network (--bridge none), so that tests stay
# apart from each other and from the host's networks; network tests pass a
# --bridge and --bip of their own (net_pick in tests/lib/net.sh), which
# engine_restart passes again.
engine_start() {
    ENGINE_ARGS=("$@")
    SOCK=$T/pier.sock
    export DOCKER_HOST=unix://$SOCK PIER_HOST=unix://$SOCK
    # the docker CLI's own files stay out of $HOME
    export DOCKER_CONFIG=$T/docker-config
    mkdir -p "$DOCKER_CONFIG"
    if [ ${#CLEANUPS[@]} -eq 0 ] || [[ " ${CLEANUPS[*]} " != *engine_cleanup* ]]; then
        on_exit engine_cleanup
    fi
    engine_restart "$@"
}

# engine_restart: start pierd again on the same roots (after it was killed).
engine_restart() {
    "$PIERD" --data-root "$T/data" --exec-root "$T/exec" -H "unix://$SOCK" \
        --cgroup-parent "/pier-test-$TEST_TAG" --shim "$BUILD/pier-shim" --bridge none \
        "${ENGINE_ARGS[@]}" "$@" \
        >>"$T/pierd.log" 2>&1 &
    PIERD_PID=$!
    local i
    for i in $(seq 1 200); do
        # pierd writes its pid once it listens; a killed one's file is stale
        [ -S "$SOCK" ] && [ "$(cat "$T/exec/pierd.pid" 2>/dev/null)" = "$PIERD_PID" ] && return 0
        kill -0 "$PIERD_PID" 2>/dev/null || break
        sleep 0.02
    done
    cat "$T/pierd.log" >&2
    fail "pierd did not start"
}

# engine_kill9: kill pierd at once, as a crash would.
engine_kill9() {
    kill -9 "$PIERD_PID"
    wait "$PIERD_PID" 2>/dev/null || true
}

# The pid in FILE if that process still runs PROGRAM (pids are reused).
pid_of() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$2" || return 1
    echo "$pid"
}

engine_cleanup() {
    local pid d
    if [ -n "${PIERD_PID:-}" ]; then
        kill -9 "$PIERD_PID" 2>/dev/null
        wait "$PIERD_PID" 2>/dev/null
    fi
    # each container's shim, then what the runtime still holds
    for d in "$T"/exec/containers/*/; do
        [ -d "$d" ] || continue
        pid=$(pid_of "$d/shim.pid" pier-shim) && kill -9 "$pid"
    done
    if [ -d "$T/exec/runtime" ]; then
        for d in $(ls "$T/exec/runtime"); do
            "$PIER_RUNTIME" --root "$T/exec/runtime" delete --force "$d" >/dev/null 2>&1
        done
    fi
    # the containers' cgroups, deepest first
    find /sys/fs/cgroup -depth -type d -path "*/pier-test-$TEST_TAG*" -exec rmdir {} \; 2>/dev/null
    true
}

# busybox_image [NAME]: the test rootfs imported as NAME (busybox:latest).
busybox_image() {
    local root=${PIER_TEST_ROOTFS:-}
    if [ -z "$root" ]; then
        root=$T/busybox-root
        [ -d "$root" ] || build_rootfs "$root"
    fi
    tar -C "$root" -c . | docker import - "${1:-busybox:latest}" >/dev/null
}

# api METHOD PATH [BODY]: a raw request to pierd; prints the status line,
# the headers, an empty line and the body.
api() {
    "$PY" - "$SOCK" "$@" <<'PYEOF'
import socket, sys
sock, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else b""
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
req = "%s %s HTTP/1.1\r\nHost: pier\r\nConnection: close\r\n" % (method, path)
if body:
    req += "Content-Type: application/json\r\n"
req += "Content-Length: %d\r\n\r\n" % len(body)
s.sendall(req.encode() + body)
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
head, _, rest = out.partition(b"\r\n\r\n")
if b"chunked" in head.lower():
    body = b""
    while rest:
        n, _, rest = rest.partition(b"\r\n")
        n = int(n, 16)
        if n == 0:
            break
        body += rest[:n]
        rest = rest[n + 2:]
    rest = body
sys.stdout.write(head.decode().replace("\r\n", "\n") + "\n\n" + rest.decode(errors="replace"))
PYEOF
}

# post_cut PATH FILE BYTES [WAIT]: POST PATH with the first BYTES of FILE,
# chunked as the docker CLI sends a body, by a client that then waits WAIT
# seconds (1) and goes away without the last chunk.
post_cut() {
    "$PY" - "$SOCK" "$@" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
data = open(sys.argv[3], "rb").read()[: int(sys.argv[4])]
s.sendall(b"POST %s HTTP/1.1\r\nHost: d\r\n" % sys.argv[2].encode()
          + b"Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n")
for i in range(0, len(data), 65536):
    chunk = data[i : i + 65536]
    s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 1)  # all of it taken in before the client leaves
s.close()
PYEOF
}

# store_empty: no layer, no blob, no temporary of one is left.
store_empty() {
    [ -z "$(ls -A "$T/data/image/layers")" ] && [ -z "$(ls -A "$T/data/image/blobs/sha256")" ]
}

# tar_end TAR: the offset where TAR's last member ends, before its end blocks.
tar_end() {
    "$PY" -c 'import sys, tarfile
m = tarfile.open(sys.argv[1]).getmembers()[-1]
print(m.offset_data + (m.size + 511) // 512 * 512)' "$1"
}

# state NAME: the container's State.Status
state() { docker inspect -f '{{.State.Status}}' "$1"; }
