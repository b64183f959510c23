# pierd's HTTP API as clients see it: the ping headers, versions, errors,
# the socket's mode; and the stock docker CLI talking to it.
. "$TOP/tests/lib/engine.sh"

test_ping_headers_and_versioned_paths() {
    engine_start
    local out
    out=$(api GET /_ping)
    expect_contains "$out" "HTTP/1.1 200"
    expect_contains "$out" "Api-Version: 1.51"
    expect_contains "$out" "Ostype: linux"
    expect_contains "$out" "Docker-Experimental: false"
    expect_contains "$out" "Builder-Version: 1"
    expect_contains "$out" "Swarm: inactive"
    expect_contains "$out" "OK"
    out=$(api HEAD /_ping)
    expect_contains "$out" "HTTP/1.1 200"
    expect_contains "$out" "Api-Version: 1.51"
    # the same route with and without a version prefix
    for p in /version /v1.24/version /v1.44/version /v1.51/version; do
        out=$(api GET $p)
        expect_contains "$out" '"ApiVersion":"1.51"' "$p"
        expect_contains "$out" '"MinAPIVersion":"1.24"' "$p"
        expect_contains "$out" '"Components":[{"Name":"Engine"' "$p"
    done
}

test_errors_are_json_with_docker_status_codes() {
    engine_start
    local out
    out=$(api GET /containers/nosuch/json)
    expect_contains "$out" "HTTP/1.1 404"
    expect_contains "$out" '{"message":"No such container: nosuch"}'
    out=$(api GET /no/such/route)
    expect_contains "$out" "HTTP/1.1 404"
    expect_contains "$out" '"message"'
    out=$(api POST /containers/create '{not json')
    expect_contains "$out" "HTTP/1.1 400"
    expect_contains "$out" "invalid JSON"
    out=$(api GET '/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D')
    expect_contains "$out" "HTTP/1.1 400"
    expect_contains "$out" "invalid filter 'bogus'"
    out=$(api PUT /containers/json)
    expect_contains "$out" "HTTP/1.1 405"
}

test_socket_is_0660_and_never_world_writable() {
    engine_start
    expect_eq "$(stat -c '%a %U %G' "$SOCK")" "660 root root"
    # a group can be named
    kill "$PIERD_PID"
    wait "$PIERD_PID" 2>/dev/null || true
    engine_restart --group 5
    expect_eq "$(stat -c '%a %g' "$SOCK")" "660 5"
}

test_second_pierd_on_the_same_roots_is_refused() {
    engine_start
    expect_fail "another pierd uses" "$PIERD" --data-root "$T/data" --exec-root "$T/exec" \
        -H "unix://$T/other.sock"
    expect_eq "$(docker version -f '{{.Server.Version}}')" "0.1.0"
}

test_docker_cli_version_and_info() {
    engine_start
    busybox_image
    local out
    out=$(docker version)
    expect_contains "$out" "API version:      1.51 (minimum version 1.24)"
    out=$(docker info -f '{{.Images}} {{.Containers}} {{.Driver}} {{.LoggingDriver}} {{.OSType}}')
    expect_eq "$out" "1 0 overlay2 json-file linux"
    expect_eq "$(docker info -f '{{.DockerRootDir}}')" "$T/data"
    expect_eq "$(docker info -f '{{.LiveRestoreEnabled}}')" "true"
}

test_sigterm_leaves_containers_running() {
    engine_start
    busybox_image
    docker run -d --name keep busybox sleep 1000 >/dev/null
    kill -TERM "$PIERD_PID"
    wait "$PIERD_PID" 2>/dev/null || true
    [ ! -S "$SOCK" ] || fail "the socket outlived pierd"
    local shim
    shim=$(pid_of "$T"/exec/containers/*/shim.pid pier-shim) || fail "the shim went with pierd"
    engine_restart
    expect_eq "$(state keep)" running
}
