# Helpers shared by the tests of config.json (runtime_process.sh,
# runtime_mounts.sh, ...): sourced by those files after the harness.

# init_pid ID: the host pid of a container's init, from its state.
init_pid() {
    rt state "$1" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'
}

# run_out DIR [NAME]: the stdout of `run` of the bundle DIR (stderr passes).
run_out() {
    rt run -b "$1" "$(cid "${2:-r}")"
}

# nothing_left ID: no state, cgroup or process of a refused create.
nothing_left() {
    [ ! -e "$ROOT/$1" ] || fail "state directory of $1 left behind"
    # the caller's own cgroup may be deep (memory:/process_api/...)
    [ -z "$(find /sys/fs/cgroup -maxdepth 6 -name "$1" 2>/dev/null)" ] || fail "cgroup of $1 left behind"
    ! pgrep -f "pier-runtime --root $ROOT" >/dev/null || fail "a runtime process of $1 is left"
}

# status_field TEXT NAME: the value of "NAME:" in a /proc/PID/status text.
status_field() {
    echo "$1" | awk -v k="$2:" '$1 == k {print $2}'
}

# caps_hex NAME...: the /proc/PID/status mask of these capabilities.
caps_hex() {
    "$PY" -c '
import sys
bits = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6,
        "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13,
        "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29}
m = 0
for n in sys.argv[1:]:
    m |= 1 << bits[n]
print("%016x" % m)
' "$@"
}

# no_ns DIR TYPE...: drop these namespaces from the bundle's config.
no_ns() {
    local dir=$1
    shift
    local types
    types=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
    bundle_edit "$dir" "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type'] not in $types]"
}

# expect_create_fail NEEDLE CREATE-ARGS...: `rt create` must fail and say
# NEEDLE.  Its output goes through a file: a create that wrongly succeeds
# leaves a process holding a pipe, which $(...) would wait on forever.
expect_create_fail() {
    local needle=$1
    shift
    local rc=0
    rt create "$@" >"$T/create.out" 2>&1 </dev/null || rc=$?
    [ $rc -ne 0 ] || fail "expected failure of [create $*], it succeeded: $(cat "$T/create.out")"
    expect_contains "$(cat "$T/create.out")" "$needle" "error of [create $*]"
}

# have_cap NAME: whether this shell has capability NAME (e.g. 24 for
# CAP_SYS_RESOURCE) in its effective set.
have_cap() {
    local eff
    eff=$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)
    [ $(((0x$eff >> $1) & 1)) -eq 1 ]
}
CAP_SYS_RESOURCE=24
