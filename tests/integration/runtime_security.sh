# seccomp, and a test for each known escape from runc-like runtimes.

seccomp_bundle() {
    make_bundle "$T/s" "$@"
    bundle_edit "$T/s" "c['process']['noNewPrivileges']=True"
}

test_seccomp_errno_for_one_syscall() {
    seccomp_bundle sh -c 'touch /tmp/ok && echo touch-ok; mkdir /tmp/d 2>&1; echo mkdir=$?'
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],'syscalls':[{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':13}]}"
    local out
    out=$(rt run -b "$T/s" "$(cid s)" 2>&1)
    expect_contains "$out" touch-ok
    expect_contains "$out" "Permission denied" "mkdir under a filter returning EACCES"
    expect_contains "$out" "mkdir=1"
}

test_seccomp_default_errno_and_allow_list() {
    # everything not listed fails with ENOSYS (38): what busybox needs to
    # echo is allowed, mkdir is not
    seccomp_bundle sh -c 'echo hi; mkdir /tmp/d; echo mkdir=$?'
    local allow="read write readv writev open openat close fstat newfstatat stat lstat statx mmap munmap mprotect brk rt_sigaction rt_sigprocmask rt_sigreturn ioctl execve execveat exit exit_group getpid getppid gettid getuid geteuid getgid getegid getresuid getresgid fcntl dup dup2 dup3 wait4 waitid clone clone3 fork vfork arch_prctl set_tid_address set_robust_list rseq prlimit64 getrlimit uname getcwd chdir fchdir access faccessat faccessat2 readlink readlinkat lseek pipe pipe2 sigaltstack futex getrandom poll ppoll select pselect6 kill tgkill nanosleep clock_nanosleep clock_gettime umask getdents64 close_range"
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,'architectures':['SCMP_ARCH_X86_64'],'syscalls':[{'names':'$allow'.split(),'action':'SCMP_ACT_ALLOW'}]}"
    local out
    out=$(rt run -b "$T/s" "$(cid d)" 2>&1)
    expect_contains "$out" hi
    expect_contains "$out" "Function not implemented" "mkdir refused with the default errno"
    expect_contains "$out" "mkdir=1"
}

test_seccomp_argument_conditions() {
    seccomp_bundle sh -c 'kill -0 $$ && echo kill0-ok; kill -USR1 $$ 2>&1; echo usr1=$?'
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['kill'],'action':'SCMP_ACT_ERRNO','errnoRet':1,'args':[{'index':1,'value':10,'op':'SCMP_CMP_EQ'}]}]}"
    local out
    out=$(rt run -b "$T/s" "$(cid a)" 2>&1)
    expect_contains "$out" kill0-ok
    expect_contains "$out" "usr1=1" "kill -USR1 refused by an argument condition"
}

test_seccomp_kill_process() {
    seccomp_bundle sh -c 'echo before; exec mkdir /tmp/x'
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_KILL_PROCESS'}]}"
    local out rc=0
    out=$(rt run -b "$T/s" "$(cid k)" 2>&1) || rc=$?
    expect_contains "$out" before
    expect_eq "$rc" 159 "exit status of a process killed by SIGSYS (128+31)"
    [ ! -d "$T/s/rootfs/tmp/x" ] || fail "mkdir ran despite the filter"
}

test_seccomp_bad_profile() {
    seccomp_bundle true
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_EXPLODE'}]}"
    expect_fail "linux.seccomp.syscalls[0].action: unknown action" rt run -b "$T/s" "$(cid b)"
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_VAX']}"
    expect_fail "linux.seccomp.architectures[0]" rt run -b "$T/s" "$(cid b)"
    expect_eq "$(ls "$ROOT" 2>/dev/null)" "" "state left by refused profiles"
}

# CVE-2019-5736: a container that gets hold of the runtime's binary through
# /proc/PID/exe must not be able to write to it once the runtime is gone.
test_cve_2019_5736_runtime_binary_is_read_only() {
    make_bundle "$T/b" sleep 1000
    local id sum_before
    id=$(cid exe)
    sum_before=$(sha256sum "$PIER_RUNTIME" | cut -d' ' -f1)
    rt create -b "$T/b" "$id"
    local pid
    pid=$(rt state "$id" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    # The created container's process is still the runtime: hold its exe,
    # as a process in the container could, and let it go away.
    exec 7<"/proc/$pid/exe"
    rt delete "$id"
    local out rc=0
    out=$( (echo overwritten >/proc/self/fd/7) 2>&1) || rc=$?
    exec 7<&-
    [ "$rc" -ne 0 ] || fail "the runtime's binary was writable through /proc/PID/exe"
    expect_contains "$out" "Read-only file system"
    expect_eq "$(sha256sum "$PIER_RUNTIME" | cut -d' ' -f1)" "$sum_before" "runtime binary checksum"
}

# CVE-2019-5736, the other way in: the container's program is a script whose
# interpreter is /proc/self/exe, so that the runtime executes itself.
test_cve_2019_5736_self_exe_interpreter() {
    make_bundle "$T/b" /evil
    printf '#!/proc/self/exe\n' >"$T/b/rootfs/evil"
    chmod 755 "$T/b/rootfs/evil"
    bundle_edit "$T/b" "c['process']['args']=['sh','-c','/evil >/dev/null 2>&1; for f in /proc/self/fd/*; do :; done; echo x > /proc/self/exe 2>&1; exec 3</proc/self/exe; echo still-here']"
    local sum_before
    sum_before=$(sha256sum "$PIER_RUNTIME" | cut -d' ' -f1)
    rt run -b "$T/b" "$(cid evil)" >/dev/null 2>&1 || true
    expect_eq "$(sha256sum "$PIER_RUNTIME" | cut -d' ' -f1)" "$sum_before" "runtime binary checksum"
}

# CVE-2024-21626: no descriptor of the host reaches the container, and a cwd
# of /proc/self/fd/N cannot lead out through one.
test_cve_2024_21626_no_leaked_fds_and_cwd() {
    make_bundle "$T/b" sleep 1000
    local id
    id=$(cid fd)
    exec 5</dev/null 6>"$T/leak"
    rt run -d -b "$T/b" "$id" </dev/null >/dev/null 2>&1
    exec 5<&- 6>&-
    local pid
    pid=$(rt state "$id" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
    expect_eq "$(ls /proc/$pid/fd | sort -n | tr '\n' ' ')" "0 1 2 " "fds of the container's init"
    # whatever this shell has open beyond stdio must not reach the container
    exec 5</dev/null 6>"$T/leak"
    rt exec -d --pid-file "$T/epid" "$id" sleep 1000 </dev/null >/dev/null 2>&1
    exec 5<&- 6>&-
    expect_eq "$(ls /proc/$(cat "$T/epid")/fd | sort -n | tr '\n' ' ')" "0 1 2 " "fds of an exec'd process"
    local n
    make_bundle "$T/c" true
    for n in 3 4 5 6 7 8 9 10; do
        bundle_edit "$T/c" "c['process']['cwd']='/proc/self/fd/$n'"
        expect_fail "process.cwd" rt run -b "$T/c" "$(cid c$n)"
        expect_fail "cwd" rt exec --cwd "/proc/self/fd/$n" "$id" true
    done
}

# CVE-2019-16884 and CVE-2023-28642: /proc must be a real procfs before
# masks are put on it; a symlink /proc or a fake one is refused.
test_cve_2019_16884_fake_proc() {
    # a directory of ours in place of procfs, with the files masks aim at
    make_bundle "$T/b" true
    mkdir -p "$T/fakeproc/sys"
    touch "$T/fakeproc/kcore" "$T/fakeproc/keys"
    bundle_edit "$T/b" "c['mounts']=[m if m['destination']!='/proc' else {'destination':'/proc','type':'bind','source':'$T/fakeproc','options':['rbind']} for m in c['mounts']]"
    expect_fail "not on procfs" rt run -b "$T/b" "$(cid fake)"
    make_bundle "$T/c" true
    rmdir "$T/c/rootfs/proc"
    mkdir -p "$T/c/rootfs/fakeproc"
    ln -s /fakeproc "$T/c/rootfs/proc"
    expect_fail "symlink" rt run -b "$T/c" "$(cid link)"
}

# CVE-2021-30465 and CVE-2023-27561: a mount destination that is, or turns
# into at any moment, a symlink pointing out of the root lands inside it.
test_cve_2021_30465_symlink_destinations_stay_inside() {
    mkdir -p "$T/outside"
    make_bundle "$T/b" true
    ln -s "$T/outside" "$T/b/rootfs/data"
    bundle_edit "$T/b" "c['mounts'].append({'destination':'/data','type':'tmpfs','source':'tmpfs'}); c['process']['args']=['sh','-c','touch /data/written']"
    rt run -b "$T/b" "$(cid s1)"
    [ ! -e "$T/outside/written" ] || fail "a write through a symlinked mount landed on the host"
    ! grep -q " $T/outside " /proc/self/mountinfo || fail "a mount landed on the host"
    # and while the symlink is swapped back and forth
    make_bundle "$T/r" true
    bundle_edit "$T/r" "c['mounts'].append({'destination':'/data/sub','type':'tmpfs','source':'tmpfs'})"
    rm -rf "$T/r/rootfs/data"
    (
        set +e # the swaps race each other: their failures are expected
        while :; do
            rm -rf "$T/r/rootfs/data" 2>/dev/null
            mkdir -p "$T/r/rootfs/data/sub" 2>/dev/null
            rm -rf "$T/r/rootfs/data" 2>/dev/null
            ln -s "$T/outside" "$T/r/rootfs/data" 2>/dev/null
        done
    ) &
    local swapper=$!
    on_exit "kill $swapper"
    local i
    for i in $(seq 1 40); do
        rt run -b "$T/r" "$(cid r$i)" >/dev/null 2>&1 || true
        grep -q " $T/outside" /proc/self/mountinfo && fail "a mount landed on the host on try $i"
        kill -0 $swapper || fail "the symlink swapper stopped"
    done
    kill $swapper
    wait $swapper 2>/dev/null || true
    [ -z "$(ls -A "$T/outside")" ] || fail "files appeared outside the root: $(ls -A "$T/outside")"
}

# listenerPath: the runtime hands the notify fd and the container's state
# to a listener; a listener that closes the fd makes the syscalls it was
# asked about fail with ENOSYS.
test_seccomp_notify_listener() {
    seccomp_bundle sh -c 'mkdir /tmp/x 2>&1; echo mkdir=$?; touch /tmp/y && echo touch-ok'
    local sock=$T/listener.sock
    bundle_edit "$T/s" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'$sock','listenerMetadata':'meta-42','syscalls':[{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_NOTIFY'}]}"
    "$PY" - "$sock" "$T/got.json" <<'PY' &
import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
open(sys.argv[2], "w").write(json.dumps({"msg": msg.decode(), "fds": len(fds)}))
for fd in fds:
    __import__("os").close(fd)
PY
    local listener=$!
    on_exit "kill $listener"
    wait_for test -S "$sock"
    local out
    out=$(rt run -b "$T/s" "$(cid n)" 2>&1)
    expect_contains "$out" "Function not implemented" "mkdir answered by a closed listener"
    expect_contains "$out" touch-ok
    "$PY" - "$T/got.json" "$(cid n)" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
assert g["fds"] == 1, g
m = json.loads(g["msg"])
assert m["fds"] == ["seccompFd"], m
assert m["metadata"] == "meta-42", m
assert m["state"]["id"] == sys.argv[2], m
PY
}
