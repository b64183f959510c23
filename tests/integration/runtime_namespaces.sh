# linux.namespaces: each new namespace as the container sees it, joining
# those of another container by path, and user namespaces with id maps.

. "$TOP/tests/lib/oci.sh"

# ns_of PID KIND: the namespace of a process, as readlink shows it.
ns_of() {
    readlink "/proc/$1/ns/$2"
}

test_pid_namespace() {
    make_bundle "$T/b" sh -c 'echo $$; ps -o pid,comm >/tmp/ps; awk "{printf \"%s %s;\", \$1, \$2}" /tmp/ps; echo; readlink /proc/self/ns/pid'
    local out
    out=$(run_out "$T/b" r1)
    expect_eq "$(echo "$out" | sed -n 1p)" 1 "pid of init"
    # only sh and its ps: nothing of the host's
    expect_eq "$(echo "$out" | sed -n 2p | sed 's/;[0-9]* ps;$/;N ps;/')" "PID COMMAND;1 sh;N ps;" "processes seen in the container"
    [ "$(echo "$out" | sed -n 3p)" != "$(ns_of $$ pid)" ] || fail "the container is in the host's pid namespace"
    no_ns "$T/b" pid
    out=$(run_out "$T/b" r2)
    [ "$(echo "$out" | sed -n 1p)" != 1 ] || fail "pid 1 without a pid namespace"
    expect_eq "$(echo "$out" | sed -n 3p)" "$(ns_of $$ pid)" "pid namespace when not asked for a new one"
}

test_network_namespace() {
    make_bundle "$T/b" sh -c 'ls /sys/class/net | tr "\n" " "; echo; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags'
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" "lo " "interfaces in /sys/class/net"
    expect_eq "$(echo "$out" | sed -n 2p)" lo "interfaces in /proc/net/dev"
    [ "$(echo "$out" | sed -n 3p)" != "$(ns_of $$ net)" ] || fail "the container is in the host's network namespace"
    # up, as runc and crun leave it (IFF_UP is bit 0 of the flags)
    expect_eq "$(echo "$out" | sed -n 4p)" unknown "lo's operstate"
    expect_eq "$(($(echo "$out" | sed -n 5p) & 1))" 1 "lo's IFF_UP"
}

test_ipc_namespace() {
    # a message queue on the host is not seen in the container
    local q
    q=$("$PY" -c 'import sysv_ipc' 2>/dev/null && echo skip || ipcmk -Q | awk '{print $NF}')
    on_exit ipcrm -q "$q"
    make_bundle "$T/b" sh -c 'ipcs -q | grep -c "^0x" ; readlink /proc/self/ns/ipc'
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" 0 "message queues seen in the container"
    [ "$(echo "$out" | sed -n 2p)" != "$(ns_of $$ ipc)" ] || fail "the container is in the host's ipc namespace"
    ipcs -q | grep -q "$q" || fail "the host's queue"
}

test_uts_namespace() {
    make_bundle "$T/b" sh -c 'hostname; hostname changed-inside 2>/dev/null; readlink /proc/self/ns/uts'
    bundle_edit "$T/b" "c['hostname']='inside'"
    local host out
    host=$(hostname)
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" inside "hostname"
    [ "$(echo "$out" | sed -n 2p)" != "$(ns_of $$ uts)" ] || fail "the container is in the host's uts namespace"
    expect_eq "$(hostname)" "$host" "host's hostname"
}

test_mount_namespace() {
    make_bundle "$T/b" sh -c 'grep -c " /scratch " /proc/self/mountinfo; readlink /proc/self/ns/mnt; sleep 1000'
    bundle_edit "$T/b" "c['mounts'].append({'destination':'/scratch','type':'tmpfs','source':'tmpfs'})"
    local id
    id=$(cid m)
    rt run -d -b "$T/b" "$id" >"$T/out"
    local pid
    pid=$(init_pid "$id")
    wait_for grep -q mnt "$T/out"
    expect_eq "$(sed -n 1p "$T/out")" 1 "the container's tmpfs in its mountinfo"
    [ "$(sed -n 2p "$T/out")" != "$(ns_of $$ mnt)" ] || fail "the container is in the host's mount namespace"
    expect_eq "$(awk '$5 ~ "/scratch$"' /proc/self/mountinfo)" "" "the container's tmpfs on the host"
    expect_eq "$(awk -v r="$T/b/rootfs" 'index($5, r) == 1' /proc/self/mountinfo)" "" "the container's mounts on the host"
}

test_cgroup_namespace() {
    make_bundle "$T/b" cat /proc/self/cgroup
    local out
    out=$(run_out "$T/b" r1)
    [ -n "$out" ] || fail "empty /proc/self/cgroup"
    expect_eq "$(echo "$out" | cut -d: -f3 | sort -u)" / "cgroup paths in a cgroup namespace"
    # without one, the container sees where it is on the host
    no_ns "$T/b" cgroup
    out=$(run_out "$T/b" r2)
    expect_contains "$(echo "$out" | grep ':pids:')" "/$(cid r2)" "pids cgroup without a cgroup namespace"
}

test_time_namespace_offsets() {
    [ -e /proc/self/ns/time ] || fail "this kernel has no time namespaces"
    local offset=$((400 * 86400))
    make_bundle "$T/b" sh -c 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time'
    bundle_edit "$T/b" "c['linux']['namespaces'].append({'type':'time'}); c['linux']['timeOffsets']={'boottime':{'secs':$offset,'nanosecs':0},'monotonic':{'secs':$offset,'nanosecs':0}}"
    local before out after host_ns
    host_ns=$(ns_of $$ time)
    before=$(cut -d' ' -f1 /proc/uptime)
    out=$(run_out "$T/b")
    after=$(cut -d' ' -f1 /proc/uptime)
    local inside=${out%%$'\n'*}
    "$PY" -c 'import sys; b,i,a,o=map(float,sys.argv[1:]); sys.exit(0 if b+o <= i <= a+o+1 else 1)' "$before" "$inside" "$after" "$offset" ||
        fail "uptime in the container: $inside, host: $before..$after, offset $offset"
    [ "$(echo "$out" | sed -n 2p)" != "$(ns_of $$ time)" ] || fail "the container is in the host's time namespace"
    # the caller's clocks were not moved
    expect_eq "$(ns_of $$ time)" "$host_ns" "the caller's time namespace"
    expect_eq "$(readlink /proc/self/ns/time_for_children)" "$host_ns" "the caller's time namespace for children"
    # offsets without a time namespace of its own are refused
    bundle_edit "$T/b" "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='time']"
    expect_fail "linux.timeOffsets: given without a new time namespace" rt run -b "$T/b" "$(cid r2)"
}

test_join_namespaces_by_path() {
    make_bundle "$T/a" sleep 1000
    bundle_edit "$T/a" "c['hostname']='first'"
    local a host_net
    host_net=$(ns_of $$ net)
    a=$(cid a)
    rt run -d -b "$T/a" "$a"
    local apid
    apid=$(init_pid "$a")
    make_bundle "$T/b" sh -c 'for n in net ipc uts pid mnt; do readlink /proc/self/ns/$n; done; hostname; echo $$; ps -o comm | grep -c sleep'
    bundle_edit "$T/b" "c['hostname']=''; c['linux']['namespaces']=[
        {'type':'network','path':'/proc/$apid/ns/net'},
        {'type':'ipc','path':'/proc/$apid/ns/ipc'},
        {'type':'uts','path':'/proc/$apid/ns/uts'},
        {'type':'pid','path':'/proc/$apid/ns/pid'},
        {'type':'mount'}]"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" "$(ns_of "$apid" net)" "network namespace"
    expect_eq "$(echo "$out" | sed -n 2p)" "$(ns_of "$apid" ipc)" "ipc namespace"
    expect_eq "$(echo "$out" | sed -n 3p)" "$(ns_of "$apid" uts)" "uts namespace"
    expect_eq "$(echo "$out" | sed -n 4p)" "$(ns_of "$apid" pid)" "pid namespace"
    [ "$(echo "$out" | sed -n 5p)" != "$(ns_of "$apid" mnt)" ] || fail "a new mount namespace was asked for"
    expect_eq "$(echo "$out" | sed -n 6p)" first "hostname of the joined uts namespace"
    [ "$(echo "$out" | sed -n 7p)" != 1 ] || fail "pid 1 in a joined pid namespace"
    expect_eq "$(echo "$out" | sed -n 8p)" 1 "the first container's process, seen from the second"
    # the runtime came back to its own namespaces
    expect_eq "$(ns_of $$ net)" "$host_net" "host network namespace"
    # a path that is not a namespace of that kind is refused
    bundle_edit "$T/b" "c['linux']['namespaces'][0]['path']='/proc/$apid/ns/ipc'"
    expect_create_fail "is not a network namespace" -b "$T/b" "$(cid c)"
    nothing_left "$(cid c)"
}

# A bundle with a user namespace mapping 0..65535 to 100000..165535.
make_userns_bundle() {
    local dir=$1
    shift
    make_bundle "$dir" "$@"
    # the container's root (host uid 100000) must reach its bundle
    chmod 711 "$T"
    chown -R 100000:100000 "$dir/rootfs"
    bundle_edit "$dir" "c['linux']['namespaces'].append({'type':'user'})
c['linux']['uidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]
c['linux']['gidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]"
}

test_user_namespace() {
    make_userns_bundle "$T/b" sh -c 'id; cat /proc/self/uid_map /proc/self/gid_map | tr -s " "; touch /tmp/created; mkdir /tmp/dir; chown 1000:1000 /tmp/dir; readlink /proc/self/ns/user'
    bundle_edit "$T/b" "for s in ('bounding','effective','permitted'): c['process']['capabilities'][s].append('CAP_CHOWN')"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" "uid=0(root) gid=0(root)" "id"
    expect_eq "$(echo "$out" | sed -n 2p)" " 0 100000 65536" "uid_map"
    expect_eq "$(echo "$out" | sed -n 3p)" " 0 100000 65536" "gid_map"
    [ "$(echo "$out" | sed -n 4p)" != "$(ns_of $$ user)" ] || fail "the container is in the host's user namespace"
    expect_eq "$(stat -c %u:%g "$T/b/rootfs/tmp/created")" 100000:100000 "owner on the host of a file the container made"
    expect_eq "$(stat -c %u:%g "$T/b/rootfs/tmp/dir")" 101000:101000 "owner on the host of uid 1000 in the container"
}

test_join_user_namespace_by_path() {
    make_userns_bundle "$T/a" sleep 1000
    local a
    a=$(cid a)
    rt run -d -b "$T/a" "$a"
    local apid
    apid=$(init_pid "$a")
    make_bundle "$T/b" sh -c 'id -u; cat /proc/self/uid_map | tr -s " "; readlink /proc/self/ns/user; readlink /proc/self/ns/mnt; touch /tmp/made-by-b'
    chmod 711 "$T"
    chown -R 100000:100000 "$T/b/rootfs"
    bundle_edit "$T/b" "c['linux']['namespaces'].append({'type':'user','path':'/proc/$apid/ns/user'})"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" 0 "uid in the joined user namespace"
    expect_eq "$(echo "$out" | sed -n 2p)" " 0 100000 65536" "uid_map"
    expect_eq "$(echo "$out" | sed -n 3p)" "$(ns_of "$apid" user)" "user namespace"
    [ "$(echo "$out" | sed -n 4p)" != "$(ns_of "$apid" mnt)" ] || fail "the new mount namespace of the second container"
    expect_eq "$(stat -c %u "$T/b/rootfs/tmp/made-by-b")" 100000 "owner on the host"
    # joining and mapping at once makes no sense
    bundle_edit "$T/b" "c['linux']['uidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]; c['linux']['gidMappings']=c['linux']['uidMappings']"
    expect_create_fail "uidMappings" -b "$T/b" "$(cid c)"
    nothing_left "$(cid c)"
}

# The bundle and a bind mount's source under directories only the host's
# root may enter (as podman's storage is): the container's root, host uid
# 100000, could not open them; the runtime opens them first.
test_user_namespace_private_paths() {
    make_bundle "$T/b" sh -c 'cat /data/file; id -u'
    chmod 700 "$T"
    chown -R 100000:100000 "$T/b/rootfs"
    mkdir -p "$T/private/shared"
    chmod 700 "$T/private"
    echo from-the-host >"$T/private/shared/file"
    chmod 755 "$T/private/shared"
    bundle_edit "$T/b" "c['linux']['namespaces'].append({'type':'user'})
c['linux']['uidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]
c['linux']['gidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]
c['mounts'].append({'destination':'/data','type':'bind','source':'$T/private/shared','options':['rbind','ro']})"
    local out
    out=$(run_out "$T/b")
    expect_eq "$(echo "$out" | sed -n 1p)" from-the-host "file through a bind from a private directory"
    expect_eq "$(echo "$out" | sed -n 2p)" 0 "uid in the container"
}
