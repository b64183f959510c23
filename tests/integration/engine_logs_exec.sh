# Logs (the json-file the shim writes, read back by pierd), attach and exec.
. "$TOP/tests/lib/engine.sh"

test_logs_streams_tail_timestamps() {
    engine_start
    busybox_image
    docker run --name l busybox sh -c 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done' \
        >/dev/null 2>&1
    expect_eq "$(docker logs l 2>/dev/null | tr '\n' ' ')" "out1 out2 out3 out4 out5 "
    expect_eq "$(docker logs l 2>&1 >/dev/null | tr '\n' ' ')" "err1 err2 err3 err4 err5 "
    # --tail counts the lines of both streams, as docker's does
    expect_eq "$(docker logs --tail 4 l 2>&1 | wc -l)" 4
    expect_eq "$(docker logs --tail 0 l 2>&1)" ""
    expect_eq "$(docker logs --tail all l 2>&1 | wc -l)" 10
    docker run --name t busybox seq 1 100 >/dev/null
    expect_eq "$(docker logs --tail 2 t | tr '\n' ' ')" "99 100 "
    local line
    line=$(docker logs -t --tail 1 t)
    [[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ 100$ ]] || fail "timestamp: $line"
    # the file is docker's json-file format
    local log
    log=$(docker inspect -f '{{.LogPath}}' l)
    expect_contains "$(head -1 "$log")" '{"log":"out1\n","stream":"stdout","time":"'
    # --since / --until
    expect_eq "$(docker logs --since 2000-01-01T00:00:00Z l 2>/dev/null | wc -l)" 5
    expect_eq "$(docker logs --until 2000-01-01T00:00:00Z l 2>&1 | wc -l)" 0
    expect_eq "$(docker logs --since "$(date -d '+1 hour' +%s)" l 2>&1 | wc -l)" 0
}

test_logs_follow_ends_with_the_container() {
    engine_start
    busybox_image
    docker run -d --name f busybox sh -c 'for i in 1 2 3; do echo n$i; sleep 0.3; done' >/dev/null
    local out
    out=$(timeout 10 docker logs -f f)
    expect_eq "$(echo "$out" | tr '\n' ' ')" "n1 n2 n3 "
    # a tty container's log is raw, \r\n as the terminal wrote it
    docker run -t --name tt busybox echo tty-line >/dev/null
    expect_eq "$(docker logs tt | od -c | head -1 | tr -s ' ')" "0000000 t t y - l i n e \\r \\n"
}

test_large_output_is_logged_whole() {
    engine_start
    busybox_image
    # 20 MB, lines of 1 KiB and one of 100 KiB (json-file splits at 16 KiB)
    docker run --name big busybox sh -c \
        'head -c 102400 /dev/zero | tr "\0" y; echo; yes "$(head -c 1023 /dev/zero | tr "\0" x)" | head -n 20000' \
        >"$T/direct"
    expect_eq "$(wc -c <"$T/direct")" $((102401 + 20000 * 1024))
    docker logs big >"$T/logged"
    cmp "$T/direct" "$T/logged" || fail "docker logs differs from the output"
}

# The log file byte for byte as moby's json-file writes it (its jsonlog
# escaping, its copier's cut at 16 KiB), the times left out.
test_log_file_bytes_as_docker_json_file() {
    engine_start
    busybox_image
    docker run --name j busybox sh -c '
        printf "tab\there <b>&amp;</b> \"q\" back\\\\slash\r\n"
        printf "bad \377 sep \342\200\250 ok \303\251 del \177 esc \033[0m nul \000.\n"
        head -c 16384 /dev/zero | tr "\0" x; echo
        head -c 16383 /dev/zero | tr "\0" y; echo
        printf "no newline"' >/dev/null
    "$PY" - "$(docker inspect -f '{{.LogPath}}' j)" <<'EOF' >"$T/got"
import re, sys
for line in open(sys.argv[1], "rb"):
    sys.stdout.buffer.write(re.sub(rb'"time":"[0-9T:.-]+Z"', b'"time":"T"', line))
EOF
    {
        printf '%s\n' '{"log":"tab\u0009here \u003cb\u003e\u0026amp;\u003c/b\u003e \"q\" back\\slash\r\n","stream":"stdout","time":"T"}'
        printf '{"log":"bad \\ufffd sep \\u2028 ok \303\251 del \177 esc \\u001b[0m nul \\u0000.\\n","stream":"stdout","time":"T"}\n'
        printf '{"log":"%s","stream":"stdout","time":"T"}\n' "$(head -c 16384 /dev/zero | tr '\0' x)"
        printf '%s\n' '{"log":"\n","stream":"stdout","time":"T"}'
        printf '{"log":"%s\\n","stream":"stdout","time":"T"}\n' "$(head -c 16383 /dev/zero | tr '\0' y)"
        printf '%s\n' '{"log":"no newline","stream":"stdout","time":"T"}'
    } >"$T/want"
    cmp "$T/got" "$T/want" || fail "log file: $(diff <(cut -c1-120 "$T/got") <(cut -c1-120 "$T/want"))"
    # the 16 KiB piece and the newline after it have one time, as docker's
    local times
    times=$(sed -n '3,4p' "$(docker inspect -f '{{.LogPath}}' j)" | grep -o '"time":"[^"]*"' | uniq | wc -l)
    expect_eq "$times" 1
}

# docker's "none" log driver: the output reaches attached clients and no
# file; `logs` is refused as dockerd refuses it (501).
test_log_driver_none_keeps_no_log() {
    engine_start
    busybox_image
    local out
    out=$(docker run --log-driver none --name n busybox sh -c 'echo out; echo err >&2' 2>&1)
    expect_eq "$(echo "$out" | sort | tr '\n' ' ')" "err out "
    expect_eq "$(docker inspect -f '{{.HostConfig.LogConfig.Type}}:{{.LogPath}}' n)" "none:"
    local id
    id=$(docker inspect -f '{{.Id}}' n)
    [ ! -e "$T/data/containers/$id/$id-json.log" ] || fail "a log file was written"
    expect_eq "$(docker logs n 2>&1)" \
        "Error response from daemon: configured logging driver does not support reading"
    expect_contains "$(api GET "/containers/n/logs?stdout=1" | head -1)" " 501 "
    # without the flag: json-file, named as dockerd names it
    docker create --name j busybox true >/dev/null
    expect_eq "$(docker inspect -f '{{json .HostConfig.LogConfig}}' j)" '{"Type":"json-file","Config":{}}'
    # started again, still attached output only
    expect_eq "$(docker start -a n 2>/dev/null)" "out"
    [ ! -e "$T/data/containers/$id/$id-json.log" ] || fail "a log file was written on restart"
}

test_attach_to_running_container() {
    engine_start
    busybox_image
    docker run -d -i --name a busybox \
        sh -c 'while read l; do echo "got $l"; [ "$l" != quit ] || exit 3; done' >/dev/null
    # attach waits for the container's exit and returns its status
    local out rc=0
    out=$( (printf 'hello\nquit\n'; sleep 2) | timeout -k 1 10 docker attach a) || rc=$?
    expect_eq "$rc" 3
    expect_eq "$out" "got hello
got quit"
    # stdin_once without a tty: closing stdin ends the program
    docker run -i --name once busybox cat <<<"through stdin" >"$T/once"
    expect_eq "$(cat "$T/once")" "through stdin"
    expect_eq "$(state once)" exited
}

test_exec_exit_codes_and_options() {
    engine_start
    busybox_image
    docker run -d --name e busybox sleep 1000 >/dev/null
    expect_eq "$(docker exec e echo hi)" hi
    local rc=0
    docker exec e sh -c 'exit 12' || rc=$?
    expect_eq "$rc" 12
    expect_eq "$(docker exec -e X=y -w /tmp e sh -c 'echo $X $PWD')" "y /tmp"
    expect_eq "$(docker exec -u nobody e id -u)" 65534
    expect_eq "$(docker exec -u 1000:1000 e id -g)" 1000
    rc=0
    # as dockerd: the reason on the exec's stdout, 127 or 126
    docker exec e nosuchcmd >"$T/err" || rc=$?
    expect_eq "$rc" 127
    expect_contains "$(cat "$T/err")" 'OCI runtime exec failed: '
    expect_contains "$(cat "$T/err")" 'exec: "nosuchcmd": executable file not found in $PATH'
    rc=0
    docker exec -t e /etc/passwd >"$T/err" || rc=$?
    expect_eq "$rc" 126
    expect_contains "$(cat "$T/err")" 'Permission denied'
    # privileged exec has every capability
    expect_eq "$(docker exec e grep CapEff /proc/self/status | cut -f2)" 00000000a80425fb
    [ "$(docker exec --privileged e grep CapEff /proc/self/status | cut -f2)" != 00000000a80425fb ] ||
        fail "--privileged exec kept the default capabilities"
    # detached: runs on after the client went
    docker exec -d e sh -c 'sleep 0.3; echo done > /tmp/d'
    wait_for docker exec e test -f /tmp/d
    # stdin through exec -i
    expect_eq "$(echo piped | docker exec -i e cat)" piped
    # an exec into a stopped container is refused
    docker stop -t 0 e >/dev/null
    expect_fail "is not running" docker exec e true
}

test_top_and_stats() {
    engine_start
    busybox_image
    docker run -d --name t busybox sh -c 'sleep 1000' >/dev/null
    local out
    out=$(docker top t)
    expect_contains "$out" "PID"
    expect_contains "$out" "sleep 1000"
    expect_eq "$(docker top t | wc -l)" 2 "only the container's processes"
    out=$(docker top t -o pid,comm)
    expect_contains "$out" "COMMAND"
    out=$(docker stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' t)
    [[ $out =~ ^t\ 1\ [0-9.]+[KMG]i?B\ /\ [0-9.]+[KMG]iB$ ]] || fail "stats: $out"
    out=$(api GET '/containers/t/stats?stream=false&one-shot=true')
    expect_contains "$out" '"pids_stats":{"current":1'
    expect_contains "$out" '"cpu_stats":{"cpu_usage":{"total_usage":'
    # the stream sends a sample a second
    timeout 2.5 "$PY" - "$SOCK" <<'EOF' >"$T/stream" || true
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /containers/t/stats HTTP/1.1\r\nHost: x\r\n\r\n")
while True:
    d = s.recv(65536)
    if not d: break
    sys.stdout.write(d.decode(errors="replace")); sys.stdout.flush()
EOF
    [ "$(grep -o '"read"' "$T/stream" | wc -l)" -ge 2 ] || fail "fewer than 2 samples in 2.5 s"
    expect_fail "is not running" docker top "$(docker create busybox true)"
}
