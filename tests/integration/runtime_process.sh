# config.json's process (and the few settings of the root and linux that
# shape it), as the container's program sees them: env, cwd, user, umask,
# rlimits, capabilities, no_new_privs, oomScoreAdj, HOME, $PATH lookup, a
# read-only root, hostname and domainname, the fds it is given
# (--preserve-fds, LISTEN_FDS), --no-pivot and the personality.

. "$TOP/tests/lib/oci.sh"

test_env_is_exactly_process_env() {
    make_bundle "$T/b" env
    bundle_edit "$T/b" "c['process']['env']=['PATH=/bin:/usr/bin','FOO=bar baz','EMPTY=','HOME=/h']"
    local out
    # nothing of the caller's environment reaches the container
    out=$(LEAKED_FROM_CALLER=1 run_out "$T/b")
    expect_eq "$(echo "$out" | sort | tr '\n' ';')" "EMPTY=;FOO=bar baz;HOME=/h;PATH=/bin:/usr/bin;" "environment"
}

test_cwd() {
    make_bundle "$T/b" pwd
    bundle_edit "$T/b" "c['process']['cwd']='/tmp'"
    expect_eq "$(run_out "$T/b")" /tmp "cwd"
}

test_missing_cwd_is_created() {
    make_bundle "$T/b" sh -c 'pwd; stat -c %a .'
    bundle_edit "$T/b" "c['process']['cwd']='/new/dir/deep'"
    [ ! -e "$T/b/rootfs/new" ] || fail "cwd there before the test"
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "/new/dir/deep 755 " "cwd made"
    [ -d "$T/b/rootfs/new/dir/deep" ] || fail "cwd not made in the rootfs"
}

test_user_uid_gid_additional_gids() {
    make_bundle "$T/b" sh -c 'id -u; id -g; id -G; id'
    bundle_edit "$T/b" "c['process']['user']={'uid':1000,'gid':1000,'additionalGids':[5,65534]}"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" 1000 "id -u"
    expect_eq "$(echo "$out" | sed -n 2p)" 1000 "id -g"
    expect_eq "$(echo "$out" | sed -n 3p | tr ' ' '\n' | sort -n | tr '\n' ' ')" "5 1000 65534 " "id -G"
    expect_eq "$(echo "$out" | sed -n 4p)" "uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)" "id"
    # and no supplementary group of the runtime's is kept
    bundle_edit "$T/b" "c['process']['user']={'uid':1000,'gid':1000}; c['process']['args']=['sh','-c','id -G']"
    expect_eq "$(run_out "$T/b" r2)" 1000 "id -G without additionalGids"
}

test_umask() {
    make_bundle "$T/b" sh -c 'umask; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d'
    bundle_edit "$T/b" "c['process']['user']['umask']=0o027"
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "0027 640 750 " "umask 027"
    # without one, runc's 0022
    rm -rf "$T/b/rootfs/tmp/f" "$T/b/rootfs/tmp/d"
    bundle_edit "$T/b" "del c['process']['user']['umask']"
    expect_eq "$(run_out "$T/b" r2 | tr '\n' ' ')" "0022 644 755 " "default umask"
}

test_rlimits() {
    make_bundle "$T/b" sh -c 'ulimit -n; ulimit -Hn; grep "Max open files" /proc/self/limits; grep "Max processes" /proc/self/limits'
    bundle_edit "$T/b" "c['process']['rlimits']=[{'type':'RLIMIT_NOFILE','soft':100,'hard':200},{'type':'RLIMIT_NPROC','soft':300,'hard':400}]"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" 100 "ulimit -n"
    expect_eq "$(echo "$out" | sed -n 2p)" 200 "ulimit -Hn"
    expect_eq "$(echo "$out" | sed -n 3p | tr -s ' ')" "Max open files 100 200 files " "/proc/self/limits"
    expect_eq "$(echo "$out" | sed -n 4p | tr -s ' ')" "Max processes 300 400 processes " "/proc/self/limits"
}

test_rlimit_above_runtime_hard_limit_fails() {
    local hard
    hard=$(ulimit -Hn)
    [ "$hard" != unlimited ] || fail "this test needs a finite nofile hard limit"
    make_bundle "$T/b" true
    local want=$((hard + 10000))
    bundle_edit "$T/b" "c['process']['rlimits']=[{'type':'RLIMIT_NOFILE','soft':100,'hard':$want}]"
    local id
    id=$(cid big)
    if have_cap $CAP_SYS_RESOURCE; then
        # with CAP_SYS_RESOURCE the runtime may raise it: then it must
        bundle_edit "$T/b" "c['process']['args']=['sh','-c','ulimit -Hn']"
        expect_eq "$(rt run -b "$T/b" "$id")" "$want" "raised hard limit"
        return 0
    fi
    # refused by create, not left for start to find
    expect_create_fail "process.rlimits: RLIMIT_NOFILE hard limit $want is above the runtime's own ($hard), and raising it needs CAP_SYS_RESOURCE" \
        -b "$T/b" "$id"
    nothing_left "$id"
    expect_fail "needs CAP_SYS_RESOURCE" rt run -b "$T/b" "$id"
    nothing_left "$id"
    # lowering the hard limit is always allowed
    bundle_edit "$T/b" "c['process']['rlimits']=[{'type':'RLIMIT_NOFILE','soft':10,'hard':$((hard - 1))}]; c['process']['args']=['sh','-c','ulimit -Hn']"
    expect_eq "$(rt run -b "$T/b" "$id")" "$((hard - 1))" "lowered hard limit"
}

test_capabilities_non_root_with_ambient() {
    make_bundle "$T/b" cat /proc/self/status
    bundle_edit "$T/b" "c['process']['user']={'uid':1000,'gid':1000}; c['process']['noNewPrivileges']=False; c['process']['capabilities']={
        'bounding':['CAP_CHOWN','CAP_KILL','CAP_NET_BIND_SERVICE','CAP_NET_RAW'],
        'effective':['CAP_KILL','CAP_NET_BIND_SERVICE'],
        'permitted':['CAP_KILL','CAP_NET_BIND_SERVICE','CAP_NET_RAW'],
        'inheritable':['CAP_KILL','CAP_NET_BIND_SERVICE'],
        'ambient':['CAP_KILL','CAP_NET_BIND_SERVICE']}"
    local st
    st=$(run_out "$T/b")
    expect_eq "$(status_field "$st" CapBnd)" "$(caps_hex CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_NET_RAW)" CapBnd
    expect_eq "$(status_field "$st" CapInh)" "$(caps_hex CAP_KILL CAP_NET_BIND_SERVICE)" CapInh
    expect_eq "$(status_field "$st" CapAmb)" "$(caps_hex CAP_KILL CAP_NET_BIND_SERVICE)" CapAmb
    # across execve a non-root user keeps what is ambient, in both sets
    expect_eq "$(status_field "$st" CapPrm)" "$(caps_hex CAP_KILL CAP_NET_BIND_SERVICE)" CapPrm
    expect_eq "$(status_field "$st" CapEff)" "$(caps_hex CAP_KILL CAP_NET_BIND_SERVICE)" CapEff
    expect_eq "$(status_field "$st" Uid | head -1)" 1000 Uid
}

test_capabilities_non_root_without_ambient() {
    make_bundle "$T/b" cat /proc/self/status
    bundle_edit "$T/b" "c['process']['user']={'uid':1000,'gid':1000}; c['process']['capabilities']={
        'bounding':['CAP_KILL','CAP_NET_BIND_SERVICE'],'effective':['CAP_KILL'],'permitted':['CAP_KILL']}"
    local st
    st=$(run_out "$T/b")
    expect_eq "$(status_field "$st" CapBnd)" "$(caps_hex CAP_KILL CAP_NET_BIND_SERVICE)" CapBnd
    expect_eq "$(status_field "$st" CapEff)" 0000000000000000 CapEff
    expect_eq "$(status_field "$st" CapPrm)" 0000000000000000 CapPrm
    expect_eq "$(status_field "$st" CapAmb)" 0000000000000000 CapAmb
}

test_capabilities_root() {
    make_bundle "$T/b" cat /proc/self/status
    bundle_edit "$T/b" "c['process']['noNewPrivileges']=False; c['process']['capabilities']={
        'bounding':['CAP_CHOWN','CAP_KILL','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT'],
        'effective':['CAP_CHOWN','CAP_KILL','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT'],
        'permitted':['CAP_CHOWN','CAP_KILL','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT'],
        'inheritable':['CAP_KILL'],
        'ambient':['CAP_KILL']}"
    local st all
    st=$(run_out "$T/b")
    all=$(caps_hex CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_SYS_CHROOT)
    expect_eq "$(status_field "$st" CapBnd)" "$all" CapBnd
    expect_eq "$(status_field "$st" CapPrm)" "$all" CapPrm
    expect_eq "$(status_field "$st" CapEff)" "$all" CapEff
    expect_eq "$(status_field "$st" CapInh)" "$(caps_hex CAP_KILL)" CapInh
    expect_eq "$(status_field "$st" CapAmb)" "$(caps_hex CAP_KILL)" CapAmb
    # and what is not in the bounding set is really gone: no chown to others
    bundle_edit "$T/b" "c['process']['capabilities']={'bounding':['CAP_KILL'],'effective':['CAP_KILL'],'permitted':['CAP_KILL']}; c['process']['args']=['sh','-c','touch /tmp/f; chown 1000 /tmp/f && echo chowned || echo refused']"
    expect_eq "$(run_out "$T/b" r2 2>/dev/null)" refused "chown without CAP_CHOWN"
}

test_no_new_privileges() {
    make_bundle "$T/b" grep NoNewPrivs /proc/self/status
    bundle_edit "$T/b" "c['process']['noNewPrivileges']=True"
    expect_eq "$(run_out "$T/b" | tr -d ' \t')" "NoNewPrivs:1" "with noNewPrivileges"
    bundle_edit "$T/b" "c['process']['noNewPrivileges']=False"
    expect_eq "$(run_out "$T/b" r2 | tr -d ' \t')" "NoNewPrivs:0" "without noNewPrivileges"
}

test_oom_score_adj() {
    make_bundle "$T/b" cat /proc/self/oom_score_adj
    bundle_edit "$T/b" "c['process']['oomScoreAdj']=500"
    expect_eq "$(run_out "$T/b")" 500 "oom_score_adj"
    bundle_edit "$T/b" "c['process']['oomScoreAdj']=1001"
    expect_fail "process.oomScoreAdj" rt run -b "$T/b" "$(cid r2)"
}

test_oom_score_adj_negative() {
    make_bundle "$T/b" cat /proc/self/oom_score_adj
    bundle_edit "$T/b" "c['process']['oomScoreAdj']=-17"
    if have_cap $CAP_SYS_RESOURCE; then
        expect_eq "$(run_out "$T/b")" -17 "negative oom_score_adj"
        return 0
    fi
    # lowering it needs CAP_SYS_RESOURCE, which this runtime lacks: create
    # says so and leaves nothing behind
    local id
    id=$(cid neg)
    expect_create_fail "process.oomScoreAdj: -17 is below what the runtime may set, and lowering it needs CAP_SYS_RESOURCE" -b "$T/b" "$id"
    nothing_left "$id"
}

test_home_from_passwd() {
    make_bundle "$T/b" sh -c 'echo "$HOME"'
    expect_eq "$(run_out "$T/b" r1)" /root "HOME of root"
    bundle_edit "$T/b" "c['process']['user']={'uid':1000,'gid':1000}"
    expect_eq "$(run_out "$T/b" r2)" /home/user "HOME of uid 1000"
    bundle_edit "$T/b" "c['process']['user']={'uid':4242,'gid':4242}"
    expect_eq "$(run_out "$T/b" r3)" / "HOME of a uid not in /etc/passwd"
    bundle_edit "$T/b" "c['process']['env'].append('HOME=/given')"
    expect_eq "$(run_out "$T/b" r4)" /given "HOME given in process.env"
}

test_args0_found_in_path() {
    make_bundle "$T/b" myprog arg1
    # without PATH in process.env, runc's default one
    bundle_edit "$T/b" "c['process']['env']=['X=1']; c['process']['args']=['busybox','echo','found']"
    expect_eq "$(run_out "$T/b" r0)" found "program found in the default \$PATH"
    mkdir -p "$T/b/rootfs/opt/a" "$T/b/rootfs/opt/b" "$T/b/rootfs/opt/c"
    printf '#!/bin/sh\necho a "$@"\n' >"$T/b/rootfs/opt/a/myprog" # not executable: skipped
    printf '#!/bin/sh\necho b "$@"\n' >"$T/b/rootfs/opt/b/myprog"
    printf '#!/bin/sh\necho c "$@"\n' >"$T/b/rootfs/opt/c/myprog"
    chmod 755 "$T/b/rootfs/opt/b/myprog" "$T/b/rootfs/opt/c/myprog"
    bundle_edit "$T/b" "c['process']['env']=['PATH=/opt/a:/opt/b:/opt/c:/bin']; c['process']['args']=['myprog','arg1']"
    expect_eq "$(run_out "$T/b" r1)" "b arg1" "program found in \$PATH"
    # the lookup is in the container, not on the host
    bundle_edit "$T/b" "c['process']['args']=['pier-runtime']; c['process']['env']=['PATH=$(dirname "$PIER_RUNTIME"):/bin']"
    expect_fail 'pier-runtime": executable file not found in $PATH' rt run -b "$T/b" "$(cid r2)"
    nothing_left "$(cid r2)"
}

test_root_readonly() {
    make_bundle "$T/b" sh -c 'touch /x 2>&1 || echo refused; touch /dev/x && echo dev-writable'
    bundle_edit "$T/b" "c['root']['readonly']=True"
    local out
    out=$(run_out "$T/b")
    expect_contains "$out" "Read-only file system" "write to /"
    expect_contains "$out" refused "write to /"
    # the mounts on it keep their own mode
    expect_contains "$out" dev-writable "write to /dev"
    [ ! -e "$T/b/rootfs/x" ] || fail "/x written on a read-only root"
    # and the host's view of the rootfs stays writable
    touch "$T/b/rootfs/host-write"
}

test_hostname_and_domainname() {
    local host_name host_domain
    host_name=$(hostname)
    host_domain=$(cat /proc/sys/kernel/domainname)
    make_bundle "$T/b" sh -c 'hostname; cat /proc/sys/kernel/domainname'
    bundle_edit "$T/b" "c['hostname']='box1'; c['domainname']='example.org'"
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "box1 example.org " "hostname and domainname"
    expect_eq "$(hostname)" "$host_name" "host's hostname after the run"
    expect_eq "$(cat /proc/sys/kernel/domainname)" "$host_domain" "host's domainname after the run"
    # they need a uts namespace of the container's own
    no_ns "$T/b" uts
    expect_fail "hostname: set without a new uts namespace" rt run -b "$T/b" "$(cid r2)"
}

test_preserve_fds() {
    make_bundle "$T/b" sh -c 'cat <&3; cat <&4; [ -e /proc/$$/fd/5 ] && echo fd5-leaked || echo no-fd5'
    echo three >"$T/f3"
    echo four >"$T/f4"
    echo five >"$T/f5"
    local out
    out=$(rt run --preserve-fds 2 -b "$T/b" "$(cid r)" 3<"$T/f3" 4<"$T/f4" 5<"$T/f5")
    expect_eq "$(echo "$out" | tr '\n' ' ')" "three four no-fd5 " "fds 3 and 4 passed, 5 not"
    # without --preserve-fds nothing above 2 goes in
    bundle_edit "$T/b" "c['process']['args']=['sh','-c','[ -e /proc/\$\$/fd/3 ] && echo fd3-leaked || echo no-fd3']"
    expect_eq "$(rt run -b "$T/b" "$(cid r2)" 3<"$T/f3")" no-fd3 "fd 3 without --preserve-fds"
    # create keeps them for the program that start runs
    bundle_edit "$T/b" "c['process']['args']=['sh','-c','cat <&3']"
    local id
    id=$(cid r3)
    rt create --preserve-fds 1 -b "$T/b" "$id" 3<"$T/f3" >"$T/out" 2>&1
    rt start "$id"
    wait_for grep -q three "$T/out"
}

# activated PID-SOURCE CMD...: CMD with a listening unix socket on fd 3 and
# LISTEN_FDS=1, as systemd starts a socket-activated service; LISTEN_PID is
# CMD's own pid ("self") or the given one.
activated() {
    local pid_source=$1
    shift
    "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid()) if sys.argv[2] == "self" else sys.argv[2]
os.execv(sys.argv[3], sys.argv[3:])
' "$T/listen-$RANDOM.sock" "$pid_source" "$@"
}

test_listen_fds_socket_activation() {
    make_bundle "$T/b" sh -c 'echo "${LISTEN_FDS:-none} ${LISTEN_PID:-none}"; readlink /proc/$$/fd/3 || echo no-fd3; [ -e /proc/$$/fd/4 ] && echo fd4-leaked || echo no-fd4'
    local out
    out=$(activated self "$PIER_RUNTIME" --root "$ROOT" run -b "$T/b" "$(cid r)")
    expect_eq "$(echo "$out" | sed -n 1p)" "1 1" "LISTEN_FDS and LISTEN_PID (the container's init)"
    expect_contains "$(echo "$out" | sed -n 2p)" "socket:[" "fd 3"
    expect_eq "$(echo "$out" | sed -n 3p)" no-fd4 "fd 4"
    # variables meant for another process (LISTEN_PID not ours) pass nothing
    out=$(activated $$ "$PIER_RUNTIME" --root "$ROOT" run -b "$T/b" "$(cid r2)" 2>/dev/null)
    expect_eq "$(echo "$out" | sed -n 1p)" "none none" "LISTEN_FDS for another pid"
    expect_eq "$(echo "$out" | sed -n 2p)" no-fd3 "fd 3 for another pid"
}

test_no_pivot() {
    make_bundle "$T/b" sh -c 'cat /marker; ls /work >/dev/null 2>&1 && echo host-visible; grep -c . /proc/self/mountinfo >/dev/null && echo ok'
    echo in-rootfs >"$T/b/rootfs/marker"
    expect_eq "$(rt run --no-pivot -b "$T/b" "$(cid r1)" | tr '\n' ' ')" "in-rootfs ok " "--no-pivot"
    expect_eq "$(rt run -b "$T/b" "$(cid r2)" | tr '\n' ' ')" "in-rootfs ok " "pivot_root"
}

test_personality_linux32() {
    make_bundle "$T/b" uname -m
    expect_eq "$(run_out "$T/b" r1)" "$(uname -m)" "machine without a personality"
    bundle_edit "$T/b" "c['linux']['personality']={'domain':'LINUX32'}"
    expect_eq "$(run_out "$T/b" r2)" i686 "machine with LINUX32"
    bundle_edit "$T/b" "c['linux']['personality']={'domain':'LINUX64'}"
    expect_fail "linux.personality.domain: unknown domain \`LINUX64\`" rt run -b "$T/b" "$(cid r3)"
}
