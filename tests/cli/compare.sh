#!/usr/bin/env bash
# pier against the docker CLI, byte for byte: start a dockerd on scratch
# roots (Debian's, as root), make a busybox image, run each command below with
# docker and with pier, and report any difference in stdout, stderr or exit
# status.  Ends with "N same, N differ"; the daemon and its roots are gone
# afterwards.
#
#   tests/cli/compare.sh [PIER]     (default build/cli/pier, else build/pier)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PIER=${1:-$TOP/build/cli/pier}
[ -x "$PIER" ] || PIER=$TOP/build/pier
. "$TOP/tests/lib/bundle.sh"

W=$(mktemp -d /tmp/pier-compare.XXXXXX)
SOCK=$W/docker.sock
dockerd --data-root "$W/data" --exec-root "$W/exec" -H "unix://$SOCK" --pidfile "$W/dockerd.pid" \
    --iptables=false --bridge=none >"$W/dockerd.log" 2>&1 &
DPID=$!
cleanup() {
    DOCKER_HOST=unix://$SOCK docker rm -f $(DOCKER_HOST=unix://$SOCK docker ps -aq) >/dev/null 2>&1
    kill "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    # whatever the daemon left mounted under its roots
    grep -o " $W[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$W"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
export DOCKER_HOST=unix://$SOCK
build_rootfs "$W/rootfs" || exit 1
tar -C "$W/rootfs" -c . | docker import - busybox:latest >/dev/null || exit 1
docker run -d --name web -l app=web busybox sh -c 'echo hello; echo oops >&2; sleep 1000' >/dev/null
docker create --name idle busybox true >/dev/null
sleep 1

same=0
differ=0
# The docker CLI names itself in usage messages; pier names itself.
normalize() {
    sed -i "s/^docker:/pier:/; s/'docker /'pier /g; s/  docker /  pier /g; s/, docker /, pier /g;
            s/unknown command: docker/unknown command: pier/" "$@"
}
check() {
    docker "$@" >"$W/d.out" 2>"$W/d.err" </dev/null
    local drc=$?
    "$PIER" "$@" >"$W/p.out" 2>"$W/p.err" </dev/null
    local prc=$?
    normalize "$W/d.out" "$W/d.err"
    if cmp -s "$W/d.out" "$W/p.out" && cmp -s "$W/d.err" "$W/p.err" && [ $drc = $prc ]; then
        same=$((same + 1))
        return
    fi
    differ=$((differ + 1))
    echo "--- differs: $*  (exit docker $drc, pier $prc)"
    diff "$W/d.out" "$W/p.out" | head -10
    diff "$W/d.err" "$W/p.err" | head -10
}

check ps
check ps -a
check ps -a --no-trunc
check ps -aq
check ps -a -s
check ps -a --format json
check ps -a --format 'table {{.ID}}\t{{upper .Names}}\t{{.Label "app"}}\t{{pad .State 1 1}}'
check ps -a --filter name=web
check ps -n 1
check ps -x
check ps --last
check ps -n x
check ps a
check images -q
check images --no-trunc
check images --format json
check inspect web
check inspect web nosuch busybox
check inspect -f '{{.Name}} {{.State.Status}} {{json .Config.Labels}}' web idle
check inspect --type foo web
check container inspect nosuch
check image inspect nosuch
check logs web
check logs -t --tail 1 web
check logs nosuch
check exec web sh -c 'echo in; echo err >&2; exit 5'
check exec -d web true
check exec nosuch true
check top web -o pid,comm
check port web
check port web 80
check run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
check run --rm busybox nosuchcmd
check run --rm busybox /etc/passwd
check run -p abc busybox
check run --restart always --rm busybox
check run -d -a stdout busybox
check run --pull foo busybox
check run Busybox
check run -e =x busybox
check run --cpus abc busybox
check run --memory abc busybox
check run --ulimit foo busybox
check run --rm -e A -e B=2 -w /tmp -u 1000:1000 busybox sh -c 'echo $B; pwd; id'
check run --rm --entrypoint echo busybox hi there
check run --rm --read-only busybox touch /x
check run -it busybox
check create --name web busybox
check start nosuch1 nosuch2
check stop nosuch
check kill -s FOO nosuch
check rm nosuch
check rm web
check rename nosuch x
check wait nosuch
check pause nosuch
check rmi nosuch
check rmi -f nosuch
check tag busybox Foo
check stats --no-stream web
check stats --no-stream --format json web
check events --since 1h --until 1s --filter type=image
check container prune --help
check version -f '{{.Server.Version}} {{.Server.APIVersion}}'
check info -f '{{.ServerVersion}} {{.Driver}}'
for c in run create start stop restart kill rm ps inspect logs attach exec top wait rename pause \
    unpause stats port images rmi import tag events info version "container ls" "container list" \
    "image ls" "image rm" "image inspect" "container prune" "system events" "system info"; do
    check $c --help
done
echo "$same same, $differ differ"
