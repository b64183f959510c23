# commit, history, image prune and logout against pierd, with the stock
# docker CLI and pier's: a container's changes (a file added, one changed,
# one deleted, a directory replaced) become a layer with docker's
# whiteouts, run again, stacked, pushed and pulled back; history as
# docker's CLI draws it; prune keeping what containers and other images
# still use; logout removing only the credentials it names.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/registry.sh"

# layer_tar IMAGE N OUT: the image's Nth layer tar (from 0), through docker save.
layer_tar() {
    docker save -o "$T/save.tar" "$1"
    "$PY" - "$T/save.tar" "$2" "$3" <<'EOF'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
open(sys.argv[3], "wb").write(t.extractfile(m[0]["Layers"][int(sys.argv[2])]).read())
EOF
}

# tar_list TAR: "name|type|mode|size" per entry, as python's tarfile reads
# them (which drops a directory's trailing slash).
tar_list() {
    "$PY" - "$1" <<'EOF'
import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    print(m.name, "dir" if m.isdir() else "reg" if m.isreg() else "sym" if m.issym() else m.type,
          oct(m.mode), m.size, sep="|")
EOF
}

# A base image with a tree to change: committed from a container itself.
make_base() {
    docker run --name "$(cid base)" busybox sh -c '
        mkdir -p /data/dir/sub && echo a >/data/dir/a && echo b >/data/dir/sub/b &&
        echo old >/data/old.txt && echo keep >/data/keep && echo spaced >"/data/with space"' \
        >/dev/null
    docker commit "$(cid base)" base:v1 >/dev/null
}

test_commit_changes_whiteouts_and_run() {
    engine_start
    busybox_image
    make_base
    local c id base_id
    base_id=$(docker image inspect -f '{{.Id}}' base:v1)
    expect_eq "$(docker run --rm base:v1 cat /data/keep /data/dir/sub/b)" "keep
b"
    c=$(cid c2)
    docker run --name "$c" base:v1 sh -c '
        echo new >/data/new.txt && echo changed >/data/keep && rm /data/old.txt "/data/with space" &&
        rm -rf /data/dir && mkdir /data/dir && echo fresh >/data/dir/only' >/dev/null
    # the docker CLI's commit, with its flags
    id=$(docker commit -a "Ann <ann@example.com>" -m "the second" \
        -c 'CMD ["cat", "/data/keep"]' -c 'ENV COMMITTED=yes' -c 'LABEL stage=two' \
        -c 'EXPOSE 8080' -c 'WORKDIR /data' "$c" base:v2)
    [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed [$id]"
    expect_eq "$(docker image inspect -f '{{.Id}}' base:v2)" "$id"
    # all four changes, seen from a container of the new image
    expect_eq "$(docker run --rm base:v2)" changed "the image's CMD"
    expect_eq "$(docker run --rm base:v2 sh -c 'cat new.txt; ls -A /data; ls -A /data/dir; echo $COMMITTED; pwd')" \
        "new
dir
keep
new.txt
only
yes
/data"
    # docker's image: parent, author, comment, config, container, layers
    expect_eq "$(docker image inspect -f '{{.Parent}}|{{.Author}}|{{.Comment}}|{{json .Config.Cmd}}|{{.Config.Labels}}|{{json .Config.ExposedPorts}}|{{len .RootFS.Layers}}' base:v2)" \
        "$base_id|Ann <ann@example.com>|the second|[\"cat\",\"/data/keep\"]|map[stage:two]|{\"8080/tcp\":{}}|3"
    # the layer tar: docker's whiteouts, the replaced directory opaque
    layer_tar base:v2 2 "$T/layer.tar"
    # the config as docker writes it: the container, its config, the history
    expect_eq "$("$PY" - "$T/save.tar" <<'EOF'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
c = json.load(t.extractfile(m[0]["Config"]))
h = c["history"][-1]
print(list(c) == sorted(c), c["container"], c["container_config"]["Image"], c["author"],
      h["author"], h["comment"], h["created_by"][:5], len(c["history"]))
EOF
)" "True $(docker inspect -f '{{.Id}}' "$c") base:v1 Ann <ann@example.com> Ann <ann@example.com> the second sh -c 3"
    tar_list "$T/layer.tar" >"$T/list"
    # (in the order of the names changed, as docker's walk writes them)
    expect_eq "$(cut -d'|' -f1,2 "$T/list")" "data|dir
data/dir|dir
data/dir/.wh..wh..opq|reg
data/dir/only|reg
data/keep|reg
data/new.txt|reg
data/.wh.old.txt|reg
data/.wh.with space|reg"
    expect_contains "$(cat "$T/list")" "data/.wh.old.txt|reg|0o600|0"
    # the blob is the layer's diff id
    expect_eq "sha256:$(sha256sum "$T/layer.tar" | cut -d' ' -f1)" \
        "$(docker image inspect -f '{{index .RootFS.Layers 2}}' base:v2)"
    # the container's event, with docker's attributes
    expect_contains "$(docker events --since 1 --until "$(($(date +%s) + 1))" --filter type=container \
        --filter event=commit --format '{{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}} {{.Actor.Attributes.comment}}')" \
        "$id base:v2 the second"
}

# commit_events CONTAINER: its pause, unpause and commit events so far.
commit_events() {
    docker events --since 1 --until "$(($(date +%s) + 1))" --filter container="$1" \
        --filter event=pause --filter event=unpause --filter event=commit --format '{{.Action}}' |
        tr '\n' ' '
}

test_commit_stacks_pauses_and_empty_layers() {
    engine_start
    busybox_image
    make_base
    # pier's commit of a commit's container: one more layer each time
    docker run --name "$(cid s1)" base:v1 sh -c 'echo 1 >/data/one' >/dev/null
    "$PIER" commit "$(cid s1)" stack:1 >/dev/null
    docker run --name "$(cid s2)" stack:1 sh -c 'echo 2 >/data/two; rm /data/one' >/dev/null
    "$PIER" container commit -c 'CMD ["ls", "/data"]' "$(cid s2)" stack:2 >/dev/null
    expect_eq "$(docker image inspect -f '{{len .RootFS.Layers}} {{.Parent}}' stack:2)" \
        "4 $(docker image inspect -f '{{.Id}}' stack:1)"
    expect_eq "$(docker run --rm stack:2 | tr '\n' ' ')" "dir keep old.txt two with space "
    # an unchanged container: no new layer, an empty one in the history
    docker create --name "$(cid same)" stack:2 >/dev/null
    "$PIER" commit -m "nothing" "$(cid same)" stack:same >/dev/null
    expect_eq "$(docker image inspect -f '{{len .RootFS.Layers}}' stack:same)" 4
    expect_eq "$(docker history --format '{{.Size}} {{.Comment}}' stack:same | head -1)" "0B nothing"
    # an image without /etc, /proc, /sys or /dev: the mountpoints a start
    # makes there are no change (docker keeps them in its init layer)
    mkdir -p "$T/min/bin"
    cp "$BUSYBOX" "$T/min/bin/busybox"
    ln -s busybox "$T/min/bin/sh"
    tar -C "$T/min" -c . | docker import - min:1 >/dev/null
    docker run --name "$(cid min1)" min:1 sh -c :
    docker commit "$(cid min1)" min:same >/dev/null
    expect_eq "$(docker image inspect -f '{{len .RootFS.Layers}}' min:same)" 1
    docker run --name "$(cid min2)" min:1 sh -c 'echo x >/x'
    docker commit "$(cid min2)" min:x >/dev/null
    layer_tar min:x 1 "$T/min.tar"
    expect_eq "$(tar_list "$T/min.tar")" "x|reg|0o644|2"

    local r
    r=$(cid run)
    docker run -d --name "$r" busybox sh -c 'echo up >/up; exec sleep 600' >/dev/null
    wait_for sh -c "docker exec $r cat /up 2>/dev/null | grep -q up"
    docker commit "$r" live:1 >/dev/null
    expect_eq "$(state "$r")" running
    expect_eq "$(docker run --rm live:1 cat /up)" up
    expect_eq "$(commit_events "$r")" "pause unpause commit "
    # --pause=false leaves it running throughout
    docker commit --pause=false "$r" live:2 >/dev/null
    expect_eq "$(commit_events "$r")" "pause unpause commit commit "
    # errors in docker's words
    expect_fail "No such container: nosuch" docker commit nosuch x:1
    expect_fail "NOPE is not a valid change command" docker commit -c 'NOPE x' "$r" x:1
    expect_fail "invalid reference format" "$PIER" commit "$r" 'Bad:Name'
    docker rm -f "$r" >/dev/null
}

test_commit_push_pull_round_trip() {
    engine_start
    registry_start
    busybox_image
    make_base
    docker run --name "$(cid p)" base:v1 sh -c 'rm /data/old.txt; echo pushed >/data/p' >/dev/null
    docker commit "$(cid p)" "$REG/committed:1" >/dev/null
    docker push -q "$REG/committed:1" >/dev/null || fail "push of a committed image"
    docker rm "$(cid p)" >/dev/null
    docker rmi "$REG/committed:1" base:v1 >/dev/null
    docker pull -q "$REG/committed:1" >/dev/null
    expect_eq "$(docker run --rm "$REG/committed:1" sh -c 'cat /data/p; ls /data | tr "\n" " "')" \
        "pushed
dir keep p with space "
}

# untime: relative times ("3 seconds ago") and the column widths they set
# made alike, for outputs taken a moment apart.
untime() {
    sed -E 's/[0-9]+ (seconds?|minutes?|hours?) ago|Less than a second ago|About (a minute|an hour) ago/T/g; s/ +/ /g'
}

# A docker save archive made by hand: one layer, a history with an empty
# layer and a long CREATED BY, as docker builds leave them.
test_history_loaded_imported_committed() {
    engine_start
    busybox_image
    mkdir -p "$T/arch/root"
    echo hi >"$T/arch/root/hello"
    tar -C "$T/arch/root" --owner=0 --group=0 --sort=name -cf "$T/arch/layer.tar" .
    "$PY" - "$T/arch" <<'EOF'
import hashlib, json, os, sys, tarfile
d = sys.argv[1]
layer = open(os.path.join(d, "layer.tar"), "rb").read()
diff = "sha256:" + hashlib.sha256(layer).hexdigest()
cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
       "config": {"Cmd": ["sh"]},
       "rootfs": {"type": "layers", "diff_ids": [diff]},
       "history": [
           {"created": "2024-01-02T03:04:00Z",
            "created_by": "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / "},
           {"created": "2024-01-02T03:04:05Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]",
            "empty_layer": True, "comment": "buildkit.dockerfile.v0"}]}
cb = json.dumps(cfg).encode()
ch = hashlib.sha256(cb).hexdigest()
with tarfile.open(os.path.join(d, "img.tar"), "w") as t:
    def add(name, data):
        i = tarfile.TarInfo(name); i.size = len(data)
        import io; t.addfile(i, io.BytesIO(data))
    add(ch + ".json", cb)
    add("l1/layer.tar", layer)
    add("manifest.json", json.dumps([{"Config": ch + ".json", "RepoTags": ["hist:1"],
                                       "Layers": ["l1/layer.tar"]}]).encode())
EOF
    docker load -i "$T/arch/img.tar" >/dev/null
    local id
    id=$(docker image inspect -f '{{.Id}}' hist:1)
    expect_eq "$("$PIER" history --human=false hist:1)" \
        "$(docker history --human=false hist:1)" "history -H=false"
    expect_eq "$("$PIER" history --no-trunc --format '{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}' hist:1)" \
        "$id|2024-01-02T03:04:05Z|/bin/sh -c #(nop)  CMD [\"sh\"]|0B|buildkit.dockerfile.v0
<missing>|2024-01-02T03:04:00Z|/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / |3B|"
    # the table: CREATED BY cut at 45 columns with docker's ellipsis
    expect_contains "$("$PIER" history hist:1)" "/bin/sh -c #(nop) ADD file:0123456789abcdef0…   3B"
    # imported and committed images, each client against the other
    tar -C "$T/arch/root" -c . | docker import -m "from a tar" - imp:1 >/dev/null
    docker run --name "$(cid h2)" busybox sh -c 'echo x >/x' >/dev/null
    docker commit -m "with x" "$(cid h2)" com:1 >/dev/null
    local img
    for img in hist:1 imp:1 com:1 busybox; do
        expect_eq "$("$PIER" history "$img" | untime)" "$(docker history "$img" | untime)" \
            "history $img"
        expect_eq "$("$PIER" history -q --no-trunc "$img")" "$(docker history -q --no-trunc "$img")"
        expect_eq "$("$PIER" history --format json "$img" | untime)" \
            "$(docker history --format json "$img" | untime)"
    done
    # the committed image's rows: its id and tags on top, the parent's below
    expect_eq "$(docker history --no-trunc --format '{{.ID}}' com:1 | tr '\n' ' ')" \
        "$(docker image inspect -f '{{.Id}}' com:1) $(docker image inspect -f '{{.Id}}' busybox) "
    expect_fail "No such image: nosuch:latest" "$PIER" history nosuch
    # --platform: the image's own, or docker's not-found
    expect_eq "$("$PIER" history -q --platform linux/amd64 hist:1 | wc -l)" 2
    expect_fail "image with reference hist:1 was found but does not match the specified platform: wanted linux/s390x, actual: linux/amd64" \
        docker history --platform linux/s390x hist:1
    expect_fail "wanted linux/s390x, actual: linux/amd64" "$PIER" history --platform linux/s390x hist:1
}

# ids IMAGE...: their full ids.
ids() { docker image inspect -f '{{.Id}}' "$@"; }

test_image_prune_dangling_all_and_shared_layers() {
    engine_start
    busybox_image
    mkdir -p "$T/p"
    echo one >"$T/p/one"
    tar -C "$T/p" --owner=0 --group=0 -cf "$T/one.tar" .
    # two images of one layer: one tagged, one dangling
    docker import -m a "$T/one.tar" kept:1 >/dev/null
    local dangling
    dangling=$(docker import -m b "$T/one.tar")
    # an image a (stopped) container uses
    docker import -m c -c 'LABEL prune=no' "$T/one.tar" used:1 >/dev/null
    docker create --name "$(cid u)" used:1 sh >/dev/null
    local used
    used=$(docker inspect -f '{{.Image}}' "$(cid u)")
    # asked first; no answer is no
    expect_eq "$(echo n | "$PIER" image prune)" \
        "WARNING! This will remove all dangling images.
Are you sure you want to continue? [y/N] "
    expect_eq "$(echo n | docker image prune)" "$(echo n | "$PIER" image prune)"
    # the dangling image goes; its layer, which kept:1 has, stays
    expect_eq "$("$PIER" image prune -f)" "Deleted Images:
deleted: $dangling

Total reclaimed space: 0B"
    expect_eq "$(docker image inspect -f '{{len .RootFS.Layers}}' kept:1)" 1
    expect_eq "$(ls "$T/data/image/layers" | grep -vc '^\.')" 2 "busybox's layer and the shared one"
    expect_eq "$(docker image prune -f)" "Total reclaimed space: 0B"
    # -a: every image no container uses; until and label keep some
    expect_eq "$(docker image prune -a -f --filter until=1h)" "Total reclaimed space: 0B"
    docker tag kept:1 kept:labelled
    expect_eq "$(docker image prune -a -f --filter label=nosuch)" "Total reclaimed space: 0B"
    local size kept busy
    kept=$(ids kept:1)
    busy=$(ids busybox)
    size=$(docker image inspect -f '{{.Size}}' kept:1)
    docker run --name "$(cid bb)" busybox true
    "$PIER" image prune -a -f >"$T/out"
    expect_eq "$(sed -n 1p "$T/out")" "Deleted Images:"
    expect_eq "$(grep -c '^untagged: ' "$T/out")" 2
    expect_contains "$(cat "$T/out")" "untagged: kept:1
untagged: kept:labelled
deleted: $kept"
    expect_eq "$(tail -1 "$T/out")" "Total reclaimed space: 0B"
    expect_eq "$(docker images -aq --no-trunc | sort | tr '\n' ' ')" \
        "$(printf '%s\n' "$busy" "$used" | sort | tr '\n' ' ')" "what containers use stays"
    # the last user of the layer gone: its bytes are reclaimed
    docker rm "$(cid u)" >/dev/null
    docker image prune -a -f >"$T/out"
    expect_contains "$(cat "$T/out")" "deleted: $used"
    [ "$size" -gt 0 ] || fail "size $size"
    expect_eq "$(tail -1 "$T/out")" "Total reclaimed space: ${size}B"
    expect_eq "$(ls "$T/data/image/layers" | grep -vc '^\.')" 1 "busybox's layer alone"
    expect_fail "invalid filter 'nosuch'" "$PIER" image prune -f --filter nosuch=1
}

# both INPUT ARGS...: `docker ARGS` and `pier ARGS`, each with a config
# directory of its own ($T/dc, $T/pc) and INPUT on stdin, give the same
# stdout, stderr (their directories aside) and status.
both() {
    local input=$1 side prog rc
    shift
    for side in d p; do
        prog=docker
        [ $side = d ] || prog=$PIER
        rc=0
        printf '%s' "$input" | DOCKER_CONFIG=$T/${side}c "$prog" "$@" >"$T/$side.out" 2>"$T/$side.err" ||
            rc=$?
        echo "rc=$rc" >>"$T/$side.out"
        sed -i -e "s|$T/${side}c|CONFIG|g" -e 's/^docker: /pier: /; s/docker \(login\|logout\)/pier \1/g' \
            "$T/$side.err"
    done
    expect_eq "$(cat "$T/p.out")" "$(cat "$T/d.out")" "stdout and status of $*"
    expect_eq "$(cat "$T/p.err")" "$(cat "$T/d.err")" "stderr of $*"
}

test_login_and_logout_as_docker_does() {
    engine_start
    htpasswd -Bbc "$T/htpasswd" alice s3cret 2>/dev/null || fail "htpasswd (apache2-utils) is missing"
    registry_start htpasswd "$T/htpasswd"
    mkdir -p "$T/dc" "$T/pc"
    # new credentials, the same again, wrong ones, the kept ones, and misuse
    both $'s3cret\n' login -u alice --password-stdin "$REG"
    expect_contains "$(cat "$T/p.err")" "WARNING! Your credentials are stored unencrypted in 'CONFIG/config.json'"
    both "" login -u alice -p s3cret "http://$REG/v2/"
    both $'wrong\n' login -u alice --password-stdin "$REG"
    expect_contains "$(cat "$T/p.err")" "401 Unauthorized"
    both "" login "$REG"
    both "" login -u alice "$REG"
    both "x" login --password-stdin "$REG"
    both "" login -p a --password-stdin "$REG"
    both "" login a b
    expect_eq "$(cat "$T/pc/config.json")" "$(cat "$T/dc/config.json")" "config.json after login"
    expect_eq "$(stat -c %a "$T/pc/config.json")" 600
    # pier's login is what pushes and pulls use
    export DOCKER_CONFIG=$T/pc
    busybox_image "$REG/private:1"
    "$PIER" push -q "$REG/private:1" >/dev/null || fail "push with pier login's credentials"
    # logout: other settings and other registries' credentials stay, and the mode
    "$PY" - "$DOCKER_CONFIG/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["auths"]["other.example:5000"] = {"auth": "dTpw"}
c["psFormat"] = "table {{.Names}}"
c["zzz"] = {"kept": True}
json.dump(c, open(sys.argv[1], "w"))
EOF
    chmod 640 "$DOCKER_CONFIG/config.json"
    expect_eq "$("$PIER" logout "http://$REG/v2/")" "Removing login credentials for $REG"
    expect_eq "$("$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(sorted(c["auths"]), c["psFormat"], c["zzz"])' "$DOCKER_CONFIG/config.json")" \
        "['other.example:5000'] table {{.Names}} {'kept': True}"
    expect_eq "$(stat -c %a "$DOCKER_CONFIG/config.json")" 640
    expect_fail "unauthorized" "$PIER" pull "$REG/private:1"
    # logged out already, Docker Hub, and the docker CLI's words
    both "" logout "$REG"
    both "" logout
    expect_eq "$(head -1 "$T/p.out")" "Removing login credentials for https://index.docker.io/v1/"
    both "" logout a b
}

# names CMD...: the Repository:Tag of each row, sorted, on one line.
names() { "$@" --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' '; }

test_images_filters_all_and_intermediates() {
    engine_start
    busybox_image
    make_base
    docker run --name "$(cid m)" base:v1 sh -c 'echo m >/m' >/dev/null
    docker commit "$(cid m)" mid:1 >/dev/null
    docker run --name "$(cid t)" mid:1 sh -c 'echo t >/t' >/dev/null
    docker commit "$(cid t)" top:1 >/dev/null
    local mid
    mid=$(docker image inspect -f '{{.Id}}' mid:1)
    # untagged with a child: only untagged, and an intermediate image now
    docker rm "$(cid t)" >/dev/null
    expect_eq "$(docker rmi mid:1)" "Untagged: mid:1"
    mkdir -p "$T/f"
    echo f >"$T/f/f"
    local dang
    dang=$(tar -C "$T/f" -c . | docker import -)
    tar -C "$T/f" -c . | docker import -c 'LABEL color=blue' - lab:1 >/dev/null
    docker tag busybox a/b:1
    expect_eq "$(names docker images)" "<none>:<none> a/b:1 base:v1 busybox:latest lab:1 top:1 "
    expect_eq "$(names docker images -a)" \
        "<none>:<none> <none>:<none> a/b:1 base:v1 busybox:latest lab:1 top:1 "
    expect_contains "$(docker images -aq --no-trunc)" "$mid"
    expect_not_contains "$(docker images -q --no-trunc)" "$mid"
    # dangling: untagged heads only, with -a too; false: the tagged ones
    expect_eq "$(docker images -q --no-trunc --filter dangling=true)" "$dang"
    expect_eq "$(docker images -aq --no-trunc --filter dangling=true)" "$dang"
    expect_eq "$(names docker images --filter dangling=false)" \
        "a/b:1 base:v1 busybox:latest lab:1 top:1 "
    expect_fail "invalid filter 'dangling=maybe'" docker images --filter dangling=maybe
    # labels
    expect_eq "$(names docker images --filter label=color=blue)" "lab:1 "
    expect_eq "$(names docker images --filter label=color)" "lab:1 "
    expect_eq "$(names docker images --filter label=color=red)" ""
    # before, since and until: creation times, to the nanosecond
    expect_eq "$(names docker images --filter before=top:1)" "a/b:1 base:v1 busybox:latest "
    expect_eq "$(names docker images -a --filter before=top:1)" \
        "<none>:<none> a/b:1 base:v1 busybox:latest "
    expect_eq "$(names docker images --filter since=top:1)" "<none>:<none> lab:1 "
    expect_eq "$(names docker images --filter since=busybox --filter before=top:1)" "base:v1 "
    expect_eq "$(names docker images --filter before=lab:1 --filter before=base:v1)" \
        "a/b:1 busybox:latest "
    expect_eq "$(names docker images --filter until="$(docker image inspect -f '{{.Created}}' top:1)")" \
        "a/b:1 base:v1 busybox:latest "
    expect_eq "$(names docker images --filter until=0s)" \
        "<none>:<none> a/b:1 base:v1 busybox:latest lab:1 top:1 "
    expect_eq "$(names docker images --filter until=1h)" ""
    expect_fail "No such image: nosuch:latest" docker images --filter before=nosuch
    # reference: path.Match, whose '*' stops at '/'
    expect_eq "$(names docker images --filter 'reference=*')" "base:v1 busybox:latest lab:1 top:1 "
    expect_eq "$(names docker images --filter 'reference=a/*')" "a/b:1 "
    expect_eq "$(names docker images --filter 'reference=b*' --filter 'reference=top')" \
        "base:v1 busybox:latest top:1 "
    expect_eq "$(names docker images busybox)" "busybox:latest "
    # pier's CLI draws the same lists (sorted: docker's CLI orders the
    # repositories of one image as a Go map iterates)
    local args
    for args in "-a" "--digests" "-a --digests --no-trunc" "--filter dangling=true" "-q -a"; do
        # shellcheck disable=SC2086
        expect_eq "$("$PIER" images $args | untime | sort)" "$(docker images $args | untime | sort)" \
            "images $args"
    done
}
