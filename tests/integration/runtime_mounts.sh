# config.json's mounts and what builds the container's filesystem: binds
# and their options, tmpfs, propagation, /dev and its devices, masked and
# read-only paths, sysctls, symlinks in the image, and the cgroup mount.

. "$TOP/tests/lib/oci.sh"

# add_mount DIR DEST TYPE SOURCE [OPTION...]: append a mount to the bundle.
add_mount() {
    local dir=$1 dest=$2 type=$3 src=$4
    shift 4
    local opts
    opts=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
    bundle_edit "$dir" "c['mounts'].append({'destination':'$dest','type':'$type','source':'$src','options':$opts})"
}

# mount_line PID DEST: the line of /proc/PID/mountinfo whose mount point is DEST.
mount_line() {
    awk -v d="$2" '$5 == d' "/proc/$1/mountinfo"
}

test_bind_dir() {
    mkdir -p "$T/src"
    echo from-host >"$T/src/f"
    make_bundle "$T/b" sh -c 'cat /data/f; echo from-container > /data/g'
    add_mount "$T/b" /data bind "$T/src" rbind
    expect_eq "$(run_out "$T/b")" from-host "file read through the bind"
    expect_eq "$(cat "$T/src/g")" from-container "file written through the bind"
    [ ! -e "$T/b/rootfs/data/f" ] || fail "the bind left its files in the rootfs"
}

test_bind_file() {
    echo file-from-host >"$T/hostfile"
    make_bundle "$T/b" sh -c 'cat /etc/conf/app.conf; echo changed > /etc/conf/app.conf; [ -f /etc/conf/app.conf ] && echo is-file'
    add_mount "$T/b" /etc/conf/app.conf none "$T/hostfile" bind
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "file-from-host is-file " "file bind"
    expect_eq "$(cat "$T/hostfile")" changed "host file after a write through the bind"
    [ -f "$T/b/rootfs/etc/conf/app.conf" ] || fail "the mount point of a file bind should be a file"
}

test_bind_ro() {
    mkdir -p "$T/src"
    echo keep >"$T/src/f"
    make_bundle "$T/b" sh -c 'cat /data/f; echo x > /data/f 2>&1 || true; touch /data/new 2>&1 || true'
    add_mount "$T/b" /data bind "$T/src" bind ro
    local out
    out=$(run_out "$T/b")
    expect_contains "$out" keep "read"
    expect_contains "$out" "Read-only file system" "write"
    expect_eq "$(cat "$T/src/f")" keep "host file after a write to a ro bind"
    [ ! -e "$T/src/new" ] || fail "file created through a ro bind"
    # the host's own mount stays writable
    touch "$T/src/host-can-write"
}

# A source with a tmpfs mounted on a subdirectory.
make_source_with_submount() {
    mkdir -p "$T/src/sub"
    mount -t tmpfs -o size=1m tmpfs "$T/src/sub"
    on_exit umount -l "$T/src/sub"
    echo top >"$T/src/top"
    echo in-sub >"$T/src/sub/f"
}

test_bind_without_r_does_not_take_submounts() {
    make_source_with_submount
    make_bundle "$T/b" sh -c 'cat /data/top; ls /data/sub | wc -l'
    add_mount "$T/b" /data bind "$T/src" bind
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "top 0 " "bind (no submount)"
}

test_rbind_submount_ro_vs_rro() {
    make_source_with_submount
    make_bundle "$T/b" sh -c 'cat /data/sub/f; touch /data/x 2>/dev/null && echo top-rw || echo top-ro; touch /data/sub/x 2>/dev/null && echo sub-rw || echo sub-ro'
    add_mount "$T/b" /data bind "$T/src" rbind ro
    # "ro" is the top mount's only, as runc does
    expect_eq "$(run_out "$T/b" r1 | tr '\n' ' ')" "in-sub top-ro sub-rw " "rbind,ro"
    rm -f "$T/src/sub/x"
    bundle_edit "$T/b" "c['mounts'][-1]['options']=['rbind','rro']"
    expect_eq "$(run_out "$T/b" r2 | tr '\n' ' ')" "in-sub top-ro sub-ro " "rbind,rro"
    [ ! -e "$T/src/sub/x" ] || fail "written through rro"
    bundle_edit "$T/b" "c['mounts'][-1]['options']=['rbind']"
    expect_eq "$(run_out "$T/b" r3 | tr '\n' ' ')" "in-sub top-rw sub-rw " "rbind"
}

test_nosuid_nodev_noexec() {
    mkdir -p "$T/src"
    printf '#!/bin/sh\necho ran\n' >"$T/src/prog"
    chmod 755 "$T/src/prog"
    # a device node of a scratch directory of our own, not the host's /dev
    mknod -m 666 "$T/src/null" c 1 3
    make_bundle "$T/b" sh -c '/data/prog 2>/dev/null || echo no-exec; cat /data/null 2>/dev/null && echo dev-ok || echo no-dev; grep " /data " /proc/self/mountinfo'
    add_mount "$T/b" /data bind "$T/src" bind
    local out
    out=$(run_out "$T/b" r1)
    expect_contains "$out" ran "exec on a plain bind"
    expect_contains "$out" dev-ok "device on a plain bind"
    add_mount "$T/b" /data bind "$T/src" bind nosuid nodev noexec
    out=$(run_out "$T/b" r2)
    expect_contains "$out" no-exec "exec with noexec"
    expect_contains "$out" no-dev "device with nodev"
    local opts
    opts=$(echo "$out" | grep " /data " | tail -1 | awk '{print $6}')
    expect_contains ",$opts," ",nosuid," "mount options"
    expect_contains ",$opts," ",nodev," "mount options"
    expect_contains ",$opts," ",noexec," "mount options"
}

test_tmpfs_size_and_mode() {
    make_bundle "$T/b" sh -c 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>&1 | grep -o "No space left on device"; grep " /scratch " /proc/self/mountinfo | cut -d" " -f9'
    add_mount "$T/b" /scratch tmpfs tmpfs size=1m mode=1770 nosuid
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" 1770 "mode"
    expect_eq "$(echo "$out" | sed -n 2p)" 1024 "size in KiB"
    expect_eq "$(echo "$out" | sed -n 3p)" "No space left on device" "write beyond the size"
    expect_eq "$(echo "$out" | sed -n 4p)" tmpfs "filesystem"
    [ ! -e "$T/b/rootfs/scratch/big" ] || fail "tmpfs content landed in the rootfs"
}

test_tmpcopyup() {
    make_bundle "$T/b" sh -c 'cat /etc/app/a /etc/app/d/b; readlink /etc/app/l; stat -c "%a %u" /etc/app/a; echo new > /etc/app/n; cat /etc/app/n; grep " /etc/app " /proc/self/mountinfo | cut -d" " -f9'
    mkdir -p "$T/b/rootfs/etc/app/d"
    echo image-a >"$T/b/rootfs/etc/app/a"
    echo image-b >"$T/b/rootfs/etc/app/d/b"
    ln -s a "$T/b/rootfs/etc/app/l"
    chmod 640 "$T/b/rootfs/etc/app/a"
    chown 1000 "$T/b/rootfs/etc/app/a"
    add_mount "$T/b" /etc/app tmpfs tmpfs tmpcopyup
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "image-a image-b a 640 1000 new tmpfs " "tmpcopyup"
    [ ! -e "$T/b/rootfs/etc/app/n" ] || fail "a write to the tmpfs copy reached the image"
    # without tmpcopyup the tmpfs starts empty
    bundle_edit "$T/b" "c['mounts'][-1]['options']=[]; c['process']['args']=['sh','-c','ls -A /etc/app | wc -l']"
    expect_eq "$(run_out "$T/b" r2)" 0 "tmpfs without tmpcopyup"
}

# A shared mount of our own on the host, $T/shared, to watch propagation.
make_shared_source() {
    mkdir -p "$T/shared"
    mount --bind "$T/shared" "$T/shared"
    on_exit umount -l "$T/shared"
    mount --make-shared "$T/shared"
    mkdir -p "$T/shared/late"
}

# propagated DIR OPTION...: whether a mount made on the host under $T/shared
# after the container started shows in it, with the bind given these options.
propagated() {
    local name=$1
    shift
    make_bundle "$T/$name" sleep 1000
    add_mount "$T/$name" /data bind "$T/shared" "$@"
    local id
    id=$(cid "$name")
    rt run -d -b "$T/$name" "$id"
    local pid
    pid=$(init_pid "$id")
    mount -t tmpfs -o size=1m "late-$name" "$T/shared/late"
    local seen=no
    grep -q "late-$name" "/proc/$pid/mountinfo" && seen=yes
    umount -l "$T/shared/late"
    rt delete -f "$id"
    echo $seen
}

test_mount_propagation_options() {
    make_shared_source
    expect_eq "$(propagated p1 rbind rslave)" yes "host mount seen through an rslave bind"
    expect_eq "$(propagated p2 rbind rprivate)" no "host mount seen through an rprivate bind"
    expect_eq "$(propagated p3 rbind rshared)" yes "host mount seen through an rshared bind"
    # and the flags themselves, as mountinfo shows them
    make_bundle "$T/b" sh -c 'grep " /data " /proc/self/mountinfo'
    add_mount "$T/b" /data bind "$T/shared" rbind rshared
    expect_contains "$(run_out "$T/b" r1)" " shared:" "rshared bind in mountinfo"
    bundle_edit "$T/b" "c['mounts'][-1]['options']=['rbind','rprivate']"
    local line
    line=$(run_out "$T/b" r2)
    expect_not_contains "$line" "shared:" "rprivate bind in mountinfo"
    expect_not_contains "$line" "master:" "rprivate bind in mountinfo"
}

test_rootfs_propagation() {
    # the bundle on a shared mount, as a host whose / is shared
    mkdir -p "$T/sh"
    mount --bind "$T/sh" "$T/sh"
    on_exit umount -l "$T/sh"
    mount --make-shared "$T/sh"
    make_bundle "$T/sh/b" awk '$5 == "/"' /proc/self/mountinfo
    local line
    # runc's default: a slave of the host
    line=$(run_out "$T/sh/b" r1)
    expect_contains "$line" " master:" "/ with the default (rslave)"
    bundle_edit "$T/sh/b" "c['linux']['rootfsPropagation']='private'"
    line=$(run_out "$T/sh/b" r2)
    expect_not_contains "$line" "master:" "/ with rootfsPropagation private"
    expect_not_contains "$line" "shared:" "/ with rootfsPropagation private"
    bundle_edit "$T/sh/b" "c['linux']['rootfsPropagation']='rshared'"
    line=$(run_out "$T/sh/b" r3)
    expect_contains "$line" " shared:" "/ with rootfsPropagation rshared"
    # not recursive: the bundle's mount is still shared on the host, and the
    # root bound from it must not become its peer
    bundle_edit "$T/sh/b" "c['linux']['rootfsPropagation']='private'"
    bundle_edit "$T/sh/b" "c['process']['args']=['sleep','1000']"
    rt run -d -b "$T/sh/b" "$(cid r5)"
    expect_eq "$(awk -v r="$T/sh/b/rootfs" '$5 == r' /proc/self/mountinfo)" "" "the container's root showing on the host"
    rt delete -f "$(cid r5)"
    bundle_edit "$T/sh/b" "c['linux']['rootfsPropagation']='sideways'"
    expect_fail "linux.rootfsPropagation: unknown propagation \`sideways\`" rt run -b "$T/sh/b" "$(cid r4)"
}

test_rootfs_propagation_rshared_leaves_host_mounts() {
    # a shared mount of our own with a submount, as the host's / often is
    mkdir -p "$T/other"
    mount --bind "$T/other" "$T/other"
    on_exit umount -l "$T/other"
    mount --make-shared "$T/other"
    mkdir -p "$T/other/sub"
    mount -t tmpfs -o size=1m host-sub "$T/other/sub"
    on_exit umount -l "$T/other/sub"
    make_bundle "$T/b" sh -c 'grep " /data " /proc/self/mountinfo | grep -o "shared:[0-9]*" | head -1'
    add_mount "$T/b" /data tmpfs tmpfs size=1m rshared
    bundle_edit "$T/b" "c['linux']['rootfsPropagation']='rshared'"
    # the mount's own propagation survives the pivot
    expect_contains "$(run_out "$T/b")" "shared:" "an rshared mount in the container"
    # the container let go of its copy of the host's mounts; the host keeps them
    mountpoint -q "$T/other/sub" || fail "the host's mount under a shared mount went with the container's old root"
}

test_default_devices() {
    local host_null
    host_null=$(stat -c '%u:%g %a %t:%T' /dev/null)
    make_bundle "$T/b" sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done; echo x > /dev/null && head -c 4 /dev/zero | wc -c; echo x 2>&1 > /dev/full | grep -c "No space"'
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | head -6 | tr '\n' ';')" "/dev/null character special file 1:3 666 0:0;/dev/zero character special file 1:5 666 0:0;/dev/full character special file 1:7 666 0:0;/dev/random character special file 1:8 666 0:0;/dev/urandom character special file 1:9 666 0:0;/dev/tty character special file 5:0 666 0:0;" "default devices"
    expect_eq "$(echo "$out" | sed -n 7p)" 4 "read of /dev/zero"
    expect_eq "$(echo "$out" | sed -n 8p)" 1 "write to /dev/full"
    expect_eq "$(stat -c '%u:%g %a %t:%T' /dev/null)" "$host_null" "host's /dev/null"
}

test_dev_links_and_ptmx() {
    make_bundle "$T/b" sh -c 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; stat -L -c "%F %t:%T %a" /dev/ptmx; echo via-stdout > /dev/stdout; ls /dev/fd/ | grep -c "^[012]$"'
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | head -5 | tr '\n' ';')" "fd -> /proc/self/fd;stdin -> /proc/self/fd/0;stdout -> /proc/self/fd/1;stderr -> /proc/self/fd/2;ptmx -> pts/ptmx;" "links"
    # the container's own devpts instance, ptmxmode=0666 as the spec asks
    expect_eq "$(echo "$out" | sed -n 6p)" "character special file 5:2 666" "/dev/ptmx"
    expect_eq "$(echo "$out" | sed -n 7p)" via-stdout "write to /dev/stdout"
    expect_eq "$(echo "$out" | sed -n 8p)" 3 "/dev/fd lists 0 1 2"
}

test_linux_devices() {
    local host_null
    host_null=$(stat -c '%u:%g %a %t:%T' /dev/null)
    make_bundle "$T/b" sh -c 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/myzero /dev/myfifo; echo x > /dev/mynull && echo wrote; head -c 3 /dev/sub/myzero | wc -c; stat -c "%a %u:%g" /dev/null'
    bundle_edit "$T/b" "c['linux']['devices']=[
        {'path':'/dev/mynull','type':'c','major':1,'minor':3,'fileMode':0o622,'uid':1000,'gid':5},
        {'path':'/dev/sub/myzero','type':'c','major':1,'minor':5},
        {'path':'/dev/myfifo','type':'p','fileMode':0o600},
        {'path':'/dev/null','type':'c','major':1,'minor':3,'fileMode':0o640,'uid':1000,'gid':1000}]"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | head -3 | tr '\n' ';')" "/dev/mynull character special file 1:3 622 1000:5;/dev/sub/myzero character special file 1:5 666 0:0;/dev/myfifo fifo 0:0 600 0:0;" "linux.devices"
    expect_eq "$(echo "$out" | sed -n 4p)" wrote "write to /dev/mynull"
    expect_eq "$(echo "$out" | sed -n 5p)" 3 "read of /dev/sub/myzero"
    # a default device given in linux.devices takes its settings
    expect_eq "$(echo "$out" | sed -n 6p)" "640 1000:1000" "/dev/null of the container"
    expect_eq "$(stat -c '%u:%g %a %t:%T' /dev/null)" "$host_null" "host's /dev/null"
}

test_linux_devices_leave_a_bound_node_alone() {
    # a node of our own on the host (not the host's /dev), bound into the
    # container where linux.devices also names one: the runtime must not
    # chmod or chown the host's through the bind
    mknod -m 666 "$T/hostnull" c 1 3
    make_bundle "$T/b" sh -c 'stat -c "%t:%T" /dev/mynull; echo x > /dev/mynull && echo wrote'
    add_mount "$T/b" /dev/mynull bind "$T/hostnull" bind
    bundle_edit "$T/b" "c['linux']['devices']=[{'path':'/dev/mynull','type':'c','major':1,'minor':3,'fileMode':0o600,'uid':1000,'gid':1000}]"
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "1:3 wrote " "the bound node in the container"
    expect_eq "$(stat -c '%a %u:%g' "$T/hostnull")" "666 0:0" "mode and owner of the host's node"
}

test_masked_paths() {
    make_bundle "$T/b" sh -c 'cat /etc/secret | wc -c; ls -A /etc/secretdir | wc -l; touch /etc/secretdir/x 2>/dev/null && echo dir-writable || echo dir-ro; cat /proc/timer_list | wc -c; cat /proc/keys | wc -c; ls /etc/absent 2>&1 | grep -c "No such"'
    echo top-secret >"$T/b/rootfs/etc/secret"
    mkdir -p "$T/b/rootfs/etc/secretdir"
    echo hidden >"$T/b/rootfs/etc/secretdir/f"
    bundle_edit "$T/b" "c['linux']['maskedPaths']+=['/etc/secret','/etc/secretdir','/etc/absent']"
    # root inside, with the default capabilities
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "0 0 dir-ro 0 0 1 " "masked paths"
    expect_eq "$(cat "$T/b/rootfs/etc/secret")" top-secret "masked file on the host"
}

test_readonly_paths() {
    make_bundle "$T/b" sh -c 'cat /etc/rodir/f; touch /etc/rodir/x 2>&1 | grep -c "Read-only"; sh -c "echo 1 > /proc/sys/kernel/panic_on_oops" 2>&1 | grep -c "Read-only"; echo x > /etc/rodir/f || echo refused; touch /etc/other && echo rest-rw'
    mkdir -p "$T/b/rootfs/etc/rodir"
    echo readable >"$T/b/rootfs/etc/rodir/f"
    bundle_edit "$T/b" "c['linux']['readonlyPaths']+=['/etc/rodir']"
    local before
    before=$(cat /proc/sys/kernel/panic_on_oops)
    expect_eq "$(run_out "$T/b" | tr '\n' ' ')" "readable 1 1 refused rest-rw " "read-only paths"
    expect_eq "$(cat /proc/sys/kernel/panic_on_oops)" "$before" "host sysctl"
    expect_eq "$(cat "$T/b/rootfs/etc/rodir/f")" readable "read-only file on the host"
}

test_sysctl_in_new_net_namespace() {
    local host
    host=$(cat /proc/sys/net/ipv4/ip_forward)
    make_bundle "$T/b" cat /proc/sys/net/ipv4/ip_forward
    bundle_edit "$T/b" "c['linux']['sysctl']={'net.ipv4.ip_forward':'1'}"
    expect_eq "$(run_out "$T/b" r1)" 1 "ip_forward=1 in the container"
    bundle_edit "$T/b" "c['linux']['sysctl']={'net.ipv4.ip_forward':'0'}"
    expect_eq "$(run_out "$T/b" r2)" 0 "ip_forward=0 in the container"
    expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host" "host's ip_forward"
}

test_sysctl_in_new_ipc_namespace() {
    local host
    host=$(cat /proc/sys/kernel/shmmax)
    make_bundle "$T/b" cat /proc/sys/kernel/shmmax
    bundle_edit "$T/b" "c['linux']['sysctl']={'kernel.shmmax':'123456789'}"
    expect_eq "$(run_out "$T/b" r1)" 123456789 "shmmax in the container"
    bundle_edit "$T/b" "c['linux']['sysctl']={'kernel.shmmax':'987654321'}"
    expect_eq "$(run_out "$T/b" r2)" 987654321 "shmmax in the container"
    expect_eq "$(cat /proc/sys/kernel/shmmax)" "$host" "host's shmmax"
}

test_sysctl_without_its_namespace_is_refused() {
    # the host's own values: even a runtime that wrongly wrote them would
    # change nothing
    local fwd shm
    fwd=$(cat /proc/sys/net/ipv4/ip_forward)
    shm=$(cat /proc/sys/kernel/shmmax)
    make_bundle "$T/b" true
    no_ns "$T/b" network
    bundle_edit "$T/b" "c['linux']['sysctl']={'net.ipv4.ip_forward':'$fwd'}"
    local id
    id=$(cid s1)
    expect_create_fail "linux.sysctl.net.ipv4.ip_forward: the container has no network namespace, and this would set the host's" -b "$T/b" "$id"
    nothing_left "$id"
    make_bundle "$T/c" true
    no_ns "$T/c" ipc
    bundle_edit "$T/c" "c['linux']['sysctl']={'kernel.shmmax':'$shm'}"
    expect_create_fail "linux.sysctl.kernel.shmmax: the container has no ipc namespace, and this would set the host's" -b "$T/c" "$id"
    nothing_left "$id"
    # and one no namespace holds is the host's
    make_bundle "$T/d" true
    bundle_edit "$T/d" "c['linux']['sysctl']={'vm.swappiness':'$(cat /proc/sys/vm/swappiness)'}"
    expect_create_fail "linux.sysctl.vm.swappiness: not in a namespace of the container, and this would set the host's" -b "$T/d" "$id"
    nothing_left "$id"
}

test_mount_on_symlink_out_of_rootfs_lands_inside() {
    local host_etc_mounts
    host_etc_mounts=$(awk '$5 == "/etc" || $5 ~ "^/etc/"' /proc/self/mountinfo | wc -l)
    make_bundle "$T/b" sh -c 'grep -c " /etc " /proc/self/mountinfo; ls /etc/ | grep -c passwd; cat /etc/mark; ls /tmp/target | wc -l'
    mkdir -p "$T/src"
    echo bound >"$T/src/mark"
    # an absolute link and one that climbs: both resolve inside the rootfs
    ln -s /etc "$T/b/rootfs/mnt"
    mkdir -p "$T/b/rootfs/tmp/target"
    ln -s ../../../../../../../../tmp/target "$T/b/rootfs/up"
    add_mount "$T/b" /mnt bind "$T/src" bind
    add_mount "$T/b" /up/t tmpfs tmpfs size=1m
    local out
    out=$(run_out "$T/b")
    # /etc of the container got the bind (its passwd is hidden by it)
    expect_eq "$(echo "$out" | sed -n 1p)" 1 "mount on the container's /etc"
    expect_eq "$(echo "$out" | sed -n 2p)" 0 "passwd under the bind"
    expect_eq "$(echo "$out" | sed -n 3p)" bound "bind content at /etc"
    expect_eq "$(echo "$out" | sed -n 4p)" 1 "tmpfs at the container's /tmp/target/t"
    expect_eq "$(awk '$5 == "/etc" || $5 ~ "^/etc/"' /proc/self/mountinfo | wc -l)" "$host_etc_mounts" "mounts on the host's /etc"
    [ ! -e /tmp/target/t ] || fail "a directory was made on the host's /tmp/target"
    [ -f /etc/passwd ] || fail "host's /etc/passwd"
}

test_proc_symlink_is_refused() {
    make_bundle "$T/b" true
    rmdir "$T/b/rootfs/proc"
    mkdir -p "$T/b/rootfs/fakeproc"
    ln -s /fakeproc "$T/b/rootfs/proc"
    local id
    id=$(cid p)
    expect_create_fail "mount \`proc\` on \`/proc\`: the destination is a symlink" -b "$T/b" "$id"
    nothing_left "$id"
    # no proc was mounted where the link points either
    [ -z "$(ls -A "$T/b/rootfs/fakeproc")" ] || fail "something was mounted on or made in the link's target"
    # a dangling link: nothing made where it points
    rm "$T/b/rootfs/proc"
    ln -s /nowhere/proc "$T/b/rootfs/proc"
    expect_create_fail "the destination is a symlink" -b "$T/b" "$id"
    nothing_left "$id"
    [ ! -e "$T/b/rootfs/nowhere" ] || fail "the dangling link's target was made"
}

test_cgroup_mount() {
    make_bundle "$T/b" sh -c 'ls /sys/fs/cgroup | tr "\n" " "; echo; grep -qx 1 /sys/fs/cgroup/pids/cgroup.procs && echo has-init; mkdir /sys/fs/cgroup/pids/x 2>&1 | grep -c "Read-only"; grep " /sys/fs/cgroup/pids " /proc/self/mountinfo | cut -d" " -f4'
    local out
    out=$(run_out "$T/b" r1)
    local h
    for h in cpu memory pids freezer devices; do
        expect_contains " $(echo "$out" | sed -n 1p)" " $h " "hierarchies in /sys/fs/cgroup"
    done
    # in a cgroup namespace of its own: its cgroup is the root of the mount
    expect_eq "$(echo "$out" | sed -n 2p)" has-init "processes of the container's pids cgroup"
    expect_eq "$(echo "$out" | sed -n 3p)" 1 "mkdir in a read-only cgroup mount"
    expect_eq "$(echo "$out" | sed -n 4p)" / "root of the pids mount"
    # without one: its own cgroup bound there
    no_ns "$T/b" cgroup
    out=$(run_out "$T/b" r2)
    expect_eq "$(echo "$out" | sed -n 2p)" has-init "processes of the container's pids cgroup (no cgroupns)"
    expect_contains "$(echo "$out" | sed -n 4p)" "$(cid r2)" "root of the pids mount (no cgroupns)"
}
