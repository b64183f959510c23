# config.json's hooks: each kind runs at its moment of the lifecycle, in
# order, in the namespaces the OCI runtime spec gives it, with the state on
# stdin and its own args and env; failures and timeouts of the hooks that
# may stop a create.

. "$TOP/tests/lib/oci.sh"

# A hook that records, under the log directory it is given: its stdin (the
# state), the order it ran in, its mount namespace, env and args, and the
# command line of the container's process at that moment.  Written for
# any sh: the host's, or the container's busybox.
write_recording_hook() {
    cat >"$1" <<'SH'
#!/bin/sh
kind=$1
log=$2
cat >"$log/$kind.json"
echo "$kind" >>"$log/order"
readlink /proc/self/ns/mnt >"$log/$kind.mnt"
env | sort >"$log/$kind.env"
echo "$@" >"$log/$kind.args"
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$log/$kind.json")
tr '\0' ' ' <"/proc/$pid/cmdline" >"$log/$kind.cmdline" 2>/dev/null
exit 0
SH
    chmod 755 "$1"
}

# json_field FILE KEY: a top-level field of a JSON file.
json_field() {
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# hook_json PATH KIND [TIMEOUT]: a hook object that runs PATH for KIND.
hook_json() {
    echo "{'path':'$1','args':['hook','$2','$T/log','extra arg'],'env':['PATH=/usr/bin:/bin','HOOK_VAR=hello $2']${3:+,'timeout':$3}}"
}

test_hooks_run_in_order_at_their_moments() {
    mkdir -p "$T/log"
    write_recording_hook "$T/hook.sh"
    make_bundle "$T/b" sleep 1000
    # startContainer runs in the container: its path is the container's
    write_recording_hook "$T/b/rootfs/hook.sh"
    bundle_edit "$T/b" "c['mounts'].append({'destination':'$T/log','type':'bind','source':'$T/log','options':['rbind']})
c['hooks']={
  'prestart':[$(hook_json "$T/hook.sh" prestart)],
  'createRuntime':[$(hook_json "$T/hook.sh" createRuntime)],
  'createContainer':[$(hook_json "$T/hook.sh" createContainer)],
  'startContainer':[$(hook_json /hook.sh startContainer)],
  'poststart':[$(hook_json "$T/hook.sh" poststart)],
  'poststop':[$(hook_json "$T/hook.sh" poststop)]}"
    local id host_mnt
    id=$(cid h)
    host_mnt=$(readlink /proc/self/ns/mnt)
    rt create -b "$T/b" --pid-file "$T/pid" "$id"
    local pid
    pid=$(cat "$T/pid")
    expect_eq "$(tr '\n' ' ' <"$T/log/order")" "prestart createRuntime createContainer " "hooks after create"
    rt start "$id"
    expect_eq "$(tr '\n' ' ' <"$T/log/order")" "prestart createRuntime createContainer startContainer poststart " "hooks after start"
    rt kill "$id" KILL
    wait_for sh -c "! [ -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
    rt delete "$id"
    expect_eq "$(tr '\n' ' ' <"$T/log/order")" "prestart createRuntime createContainer startContainer poststart poststop " "hooks after delete"

    local k
    for k in prestart createRuntime createContainer startContainer poststart poststop; do
        expect_eq "$(json_field "$T/log/$k.json" id)" "$id" "$k: id in the state"
        # a stopped container has no process: pid 0, as `state` says
        expect_eq "$(json_field "$T/log/$k.json" pid)" "$([ $k = poststop ] && echo 0 || echo "$pid")" "$k: pid in the state"
        expect_eq "$(json_field "$T/log/$k.json" bundle)" "$T/b" "$k: bundle in the state"
        expect_contains "$(json_field "$T/log/$k.json" ociVersion)" "1." "$k: ociVersion in the state"
        expect_eq "$(cat "$T/log/$k.args")" "$k $T/log extra arg" "$k: args"
        expect_contains "$(cat "$T/log/$k.env")" "HOOK_VAR=hello $k" "$k: env"
        # only the env given: nothing of the runtime's
        expect_eq "$(grep -cv '^\(PATH\|HOOK_VAR\|PWD\|SHLVL\|OLDPWD\)=' "$T/log/$k.env")" 0 "$k: env has only what was given ($(cat "$T/log/$k.env"))"
    done
    expect_eq "$(json_field "$T/log/prestart.json" status)" creating "prestart: status"
    expect_eq "$(json_field "$T/log/createRuntime.json" status)" creating "createRuntime: status"
    expect_eq "$(json_field "$T/log/createContainer.json" status)" creating "createContainer: status"
    expect_eq "$(json_field "$T/log/startContainer.json" status)" created "startContainer: status"
    expect_eq "$(json_field "$T/log/poststart.json" status)" running "poststart: status"
    expect_eq "$(json_field "$T/log/poststop.json" status)" stopped "poststop: status"

    # where each ran: prestart, createRuntime, poststart and poststop in the
    # runtime's namespace; createContainer and startContainer in the container's
    local ctr_mnt
    ctr_mnt=$(cat "$T/log/startContainer.mnt")
    [ "$ctr_mnt" != "$host_mnt" ] || fail "startContainer ran in the host's mount namespace"
    expect_eq "$(cat "$T/log/createContainer.mnt")" "$ctr_mnt" "createContainer's mount namespace"
    for k in prestart createRuntime poststart poststop; do
        expect_eq "$(cat "$T/log/$k.mnt")" "$host_mnt" "$k's mount namespace"
    done
    # poststart: after the program's exec; startContainer: just before it
    expect_eq "$(cat "$T/log/poststart.cmdline")" "sleep 1000 " "the container's process at poststart"
    expect_not_contains "$(cat "$T/log/startContainer.cmdline")" "sleep" "the container's process at startContainer"
}

test_failing_create_runtime_hook_leaves_nothing() {
    printf '#!/bin/sh\necho "no room at the inn" >&2\nexit 3\n' >"$T/fail.sh"
    chmod 755 "$T/fail.sh"
    make_bundle "$T/b" sleep 1000
    bundle_edit "$T/b" "c['hooks']={'createRuntime':[{'path':'$T/fail.sh'}]}"
    local id
    id=$(cid f)
    expect_create_fail "hook createRuntime[0] \`$T/fail.sh\`: exit status 3: no room at the inn" -b "$T/b" "$id"
    nothing_left "$id"
    expect_eq "$(rt list -q)" "" "containers after the failed create"
    # and through run
    expect_fail "no room at the inn" rt run -b "$T/b" "$id"
    nothing_left "$id"
}

test_failing_prestart_and_create_container_hooks_fail_create() {
    printf '#!/bin/sh\necho "prestart refuses"\nexit 1\n' >"$T/fail.sh"
    chmod 755 "$T/fail.sh"
    make_bundle "$T/b" sleep 1000
    bundle_edit "$T/b" "c['hooks']={'prestart':[{'path':'$T/fail.sh'}]}"
    local id
    id=$(cid f)
    expect_create_fail "hook prestart[0] \`$T/fail.sh\`: exit status 1: prestart refuses" -b "$T/b" "$id"
    nothing_left "$id"
    bundle_edit "$T/b" "c['hooks']={'createContainer':[{'path':'$T/fail.sh'}]}"
    expect_create_fail "hook createContainer[0]" -b "$T/b" "$id"
    nothing_left "$id"
    # a hook that does not exist
    bundle_edit "$T/b" "c['hooks']={'createRuntime':[{'path':'$T/no-such-hook'}]}"
    expect_create_fail "no-such-hook" -b "$T/b" "$id"
    nothing_left "$id"
}

test_hook_timeout_kills_it_and_fails() {
    make_bundle "$T/b" sleep 1000
    # a sleep no other process has: it must be gone afterwards
    local nap="31.$$$RANDOM"
    bundle_edit "$T/b" "c['hooks']={'createRuntime':[{'path':'/bin/sleep','args':['sleep','$nap'],'timeout':1}]}"
    local id start
    id=$(cid t)
    start=$(date +%s)
    expect_create_fail "hook createRuntime[0] \`/bin/sleep\`: timed out after 1 seconds" -b "$T/b" "$id"
    [ $(($(date +%s) - start)) -le 5 ] || fail "the timeout did not cut the hook short"
    nothing_left "$id"
    ! pgrep -f "sleep $nap" >/dev/null || fail "the hook outlived its timeout"
}

test_failing_poststart_and_poststop_hooks_only_warn() {
    printf '#!/bin/sh\necho "$1 complains"\nexit 1\n' >"$T/fail.sh"
    chmod 755 "$T/fail.sh"
    make_bundle "$T/b" sh -c 'echo ran'
    bundle_edit "$T/b" "c['hooks']={'poststart':[{'path':'$T/fail.sh','args':['fail','poststart']}],'poststop':[{'path':'$T/fail.sh','args':['fail','poststop']}]}"
    local out
    out=$(rt run -b "$T/b" "$(cid w)" 2>&1)
    expect_contains "$out" ran "the program"
    expect_contains "$out" "poststart complains" "warning of poststart"
    expect_contains "$out" "poststop complains" "warning of poststop"
    expect_eq "$(rt list -q)" "" "containers after run"
}
