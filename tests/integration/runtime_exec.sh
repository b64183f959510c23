# exec: another process in a running container, in all its namespaces and
# its cgroup, with the container's process settings or those the flags and
# --process give; its exit status; and what exec refuses.

. "$TOP/tests/lib/oci.sh"

# start_sleeper DIR NAME [PYTHON]: a running container (sleep) from a fresh
# bundle, its config changed by PYTHON; prints its id, sets SLEEPER_PID.
start_sleeper() {
    make_bundle "$1" sleep 1000
    [ -z "${3:-}" ] || bundle_edit "$1" "$3"
    local id
    id=$(cid "$2")
    rt run -d -b "$1" "$id" >/dev/null
    SLEEPER_PID=$(init_pid "$id")
    echo "$id"
}

ALL_NS="cgroup ipc mnt net pid time uts user"

test_exec_joins_every_namespace_and_the_cgroup() {
    local id
    id=$(start_sleeper "$T/b" c "c['linux']['namespaces'].append({'type':'time'})")
    local init
    init=$(init_pid "$id")
    # seen from inside: the exec'd process and init agree
    local out
    out=$(rt exec "$id" sh -c 'for n in '"$ALL_NS"'; do echo "$n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n)"; done; cat /proc/self/cgroup | md5sum; cat /proc/1/cgroup | md5sum')
    local n line
    for n in $ALL_NS; do
        line=$(echo "$out" | grep "^$n ")
        set -- $line
        [ -n "${2:-}" ] || fail "no $n namespace read in the exec'd process: $out"
        expect_eq "$2" "$3" "$n namespace of exec and init (inside)"
    done
    expect_eq "$(echo "$out" | tail -2 | head -1)" "$(echo "$out" | tail -1)" "/proc/self/cgroup of exec and init (inside)"
    # seen from the host, for a detached exec
    rt exec -d --pid-file "$T/epid" "$id" sleep 999
    local epid
    epid=$(cat "$T/epid")
    for n in $ALL_NS; do
        expect_eq "$(readlink "/proc/$epid/ns/$n")" "$(readlink "/proc/$init/ns/$n")" "$n namespace of exec and init (host)"
    done
    expect_eq "$(cat "/proc/$epid/cgroup")" "$(cat "/proc/$init/cgroup")" "cgroup of exec and init (host)"
    expect_contains "$(cat "/proc/$epid/cgroup")" "$id" "the container's cgroup"
    # the new namespaces really are not the host's
    [ "$(readlink "/proc/$epid/ns/net")" != "$(readlink /proc/self/ns/net)" ] || fail "exec in the host's network namespace"
    [ "$(readlink "/proc/$epid/ns/time")" != "$(readlink /proc/self/ns/time)" ] || fail "exec in the host's time namespace"
}

test_exec_in_user_namespace() {
    chmod 711 "$T"
    make_bundle "$T/b" sleep 1000
    chown -R 100000:100000 "$T/b/rootfs"
    bundle_edit "$T/b" "c['linux']['namespaces'].append({'type':'user'})
c['linux']['uidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]
c['linux']['gidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]"
    local id
    id=$(cid u)
    rt run -d -b "$T/b" "$id"
    local out
    out=$(rt exec "$id" sh -c 'id -u; readlink /proc/self/ns/user; readlink /proc/1/ns/user; touch /tmp/by-exec')
    expect_eq "$(echo "$out" | sed -n 1p)" 0 "uid of exec in the user namespace"
    expect_eq "$(echo "$out" | sed -n 2p)" "$(echo "$out" | sed -n 3p)" "user namespace of exec and init"
    expect_eq "$(stat -c %u "$T/b/rootfs/tmp/by-exec")" 100000 "owner on the host of a file exec made"
}

test_exec_exit_status() {
    local id
    id=$(start_sleeper "$T/b" c)
    local rc=0
    rt exec "$id" sh -c 'exit 42' || rc=$?
    expect_eq "$rc" 42 "exit status"
    rc=0
    rt exec "$id" sh -c 'kill -9 $$' || rc=$?
    expect_eq "$rc" 137 "exit status of a process killed by SIGKILL"
    rt exec "$id" true
    # output and stdin pass
    expect_eq "$(echo in | rt exec "$id" sh -c 'read x; echo "out:$x"; echo err >&2' 2>/dev/null)" out:in "stdio"
}

test_exec_env_overrides() {
    local id
    id=$(start_sleeper "$T/b" c "c['process']['env']+=['FROM_SPEC=spec','KEEP=kept']")
    local out
    out=$(rt exec -e FROM_SPEC=flag --env NEW=new -e TERM=dumb "$id" env)
    expect_contains "$out" "FROM_SPEC=flag" "-e replaces the container's"
    expect_not_contains "$out" "FROM_SPEC=spec" "the container's value"
    expect_contains "$out" "NEW=new" "-e adds"
    expect_contains "$out" "KEEP=kept" "the container's env"
    expect_contains "$out" "TERM=dumb" "-e TERM"
    expect_eq "$(echo "$out" | grep -c '^FROM_SPEC=')" 1 "FROM_SPEC entries"
}

test_exec_cwd() {
    local id
    id=$(start_sleeper "$T/b" c "c['process']['cwd']='/tmp'")
    expect_eq "$(rt exec "$id" pwd)" /tmp "cwd of the container's process"
    expect_eq "$(rt exec --cwd /etc "$id" pwd)" /etc "--cwd"
    expect_fail "not an absolute path" rt exec --cwd etc "$id" pwd
    expect_fail "process.cwd \`/no/such/dir\`" rt exec --cwd /no/such/dir "$id" pwd
}

test_exec_user_and_additional_gids() {
    local id
    id=$(start_sleeper "$T/b" c)
    expect_eq "$(rt exec "$id" id -u)" 0 "uid of the container's process"
    local out
    out=$(rt exec --user 1000:1000 "$id" sh -c 'id -u; id -g; id -G; echo $HOME')
    # and HOME is the user's, from the container's /etc/passwd
    expect_eq "$(echo "$out" | tr '\n' ' ')" "1000 1000 1000 /home/user " "--user 1000:1000"
    out=$(rt exec -u 1000:1000 --additional-gids 5 -g 65534 "$id" id -G)
    expect_eq "$(echo "$out" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "5 1000 65534 " "--additional-gids"
    expect_eq "$(rt exec -u 65534 "$id" id -u)" 65534 "--user with a uid only"
    expect_fail "not uid[:gid]" rt exec -u nobody "$id" true
}

test_exec_cap_adds_a_capability() {
    local id
    id=$(start_sleeper "$T/b" c "c['process']['noNewPrivileges']=False")
    local chown_bit
    chown_bit=$(caps_hex CAP_CHOWN)
    local eff
    eff=$(rt exec "$id" grep CapEff /proc/self/status | awk '{print $2}')
    expect_eq "$(((0x$eff & 0x$chown_bit) != 0))" 0 "CAP_CHOWN without --cap"
    expect_fail "Operation not permitted" rt exec "$id" sh -c 'touch /tmp/f && chown 1000 /tmp/f'
    eff=$(rt exec --cap CAP_CHOWN "$id" grep CapEff /proc/self/status | awk '{print $2}')
    expect_eq "$(((0x$eff & 0x$chown_bit) != 0))" 1 "CAP_CHOWN with --cap"
    rt exec --cap CAP_CHOWN "$id" sh -c 'touch /tmp/f && chown 1000 /tmp/f'
    expect_eq "$(stat -c %u "$T/b/rootfs/tmp/f")" 1000 "owner after chown with --cap"
    expect_fail "unknown capability \`CAP_NOPE\`" rt exec --cap CAP_NOPE "$id" true
}

test_exec_no_new_privs() {
    local id
    id=$(start_sleeper "$T/b" c "c['process']['noNewPrivileges']=False")
    expect_eq "$(rt exec "$id" grep NoNewPrivs /proc/self/status | tr -d ' \t')" NoNewPrivs:0 "without --no-new-privs"
    expect_eq "$(rt exec --no-new-privs "$id" grep NoNewPrivs /proc/self/status | tr -d ' \t')" NoNewPrivs:1 "with --no-new-privs"
}

test_exec_process_json() {
    local id
    id=$(start_sleeper "$T/b" c)
    cat >"$T/process.json" <<'JSON'
{
  "terminal": false,
  "user": {"uid": 1000, "gid": 1000, "additionalGids": [5], "umask": 63},
  "args": ["sh", "-c", "echo $FROM_JSON; pwd; id -u; id -G | tr ' ' '\\n' | sort -n | tr '\\n' ' '; echo; umask"],
  "env": ["PATH=/bin", "FROM_JSON=yes"],
  "cwd": "/home/user",
  "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
  "noNewPrivileges": true
}
JSON
    expect_eq "$(rt exec --process "$T/process.json" "$id" | tr '\n' ' ')" "yes /home/user 1000 5 1000  0077 " "--process"
    echo '{"args": []}' >"$T/bad.json"
    expect_fail "--process \`$T/bad.json\`: process.args: must name the program" rt exec -p "$T/bad.json" "$id"
}

test_exec_detach_pid_file() {
    local id
    id=$(start_sleeper "$T/b" c)
    rt exec --detach --pid-file "$T/epid" "$id" sh -c 'echo $$ > /tmp/inner; exec sleep 998'
    local epid
    epid=$(cat "$T/epid")
    [ -n "$epid" ] && [ -d "/proc/$epid" ] || fail "pid file: [$epid]"
    wait_for test -s "$T/b/rootfs/tmp/inner"
    expect_eq "$(tr '\0' ' ' <"/proc/$epid/cmdline")" "sleep 998 " "the process of the pid file"
    # the host's pid, not the container's
    [ "$(cat "$T/b/rootfs/tmp/inner")" != "$epid" ] || fail "pid file holds the pid in the container's namespace"
    expect_contains "$(rt ps --format json "$id")" "$epid" "ps lists the detached process"
}

test_exec_into_stopped_container_fails() {
    make_bundle "$T/b" true
    local id
    id=$(cid s)
    rt run -d -b "$T/b" "$id"
    wait_for sh -c "'$PIER_RUNTIME' --root '$ROOT' state $id | grep -q stopped"
    expect_fail "cannot exec in container \`$id\`: it is stopped" rt exec "$id" true
    expect_fail "container \`nosuch\` does not exist" rt exec nosuch true
}

test_exec_missing_program_fails() {
    local id
    id=$(start_sleeper "$T/b" c)
    local rc=0 out
    out=$(rt exec "$id" /no/such/prog 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "exec of a missing program succeeded"
    expect_contains "$out" "/no/such/prog" "error"
    expect_contains "$out" "No such file or directory" "error"
    rc=0
    out=$(rt exec "$id" nosuchprog 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "exec of a program not in \$PATH succeeded"
    expect_contains "$out" "\"nosuchprog\": executable file not found in \$PATH" "error"
    # the container is unharmed
    expect_contains "$(rt state "$id")" '"status": "running"'
}
