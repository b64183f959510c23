# docker save and docker load against pierd, with the docker CLI and pier's:
# round trips that end in a running container, several tags and untagged
# images in one archive, archives read and written by skopeo (its
# docker-archive: and oci: transports) and unpacked by umoci, and hostile
# archives, each refused with an error that names what is wrong and
# leaving no image behind.
. "$TOP/tests/lib/engine.sh"

# image_count: the images of the store, tagged or not.
image_count() { docker images -aq --no-trunc | sort -u | grep -c . || true; }

# layer_count: the layers the store holds.
layer_count() { ls "$T/data/image/layers" | grep -vc '^\.' || true; }

# a_tar DIR OUT: DIR's files (sorted, no owner) as a tar, for hand-made archives.
a_tar() { tar -C "$1" --owner=0 --group=0 --sort=name -cf "$2" .; }

# sha FILE: its sha256 hex.
sha() { sha256sum "$1" | cut -d' ' -f1; }

test_save_rmi_load_run() {
    engine_start
    busybox_image
    docker run --rm busybox sh -c 'echo built' >/dev/null
    local id
    id=$(docker image inspect -f '{{.Id}}' busybox)
    docker save -o "$T/bb.tar" busybox
    # docker 25+'s layout: an OCI layout that manifest.json also describes
    tar -tf "$T/bb.tar" | sort >"$T/list"
    for f in blobs/ blobs/sha256/ "blobs/sha256/${id#sha256:}" index.json manifest.json oci-layout \
        repositories; do
        grep -qxF "$f" "$T/list" || fail "the archive lacks $f: $(cat "$T/list")"
    done
    tar -xOf "$T/bb.tar" manifest.json >"$T/manifest.json"
    expect_eq "$("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(len(m), m[0]["Config"], m[0]["RepoTags"], len(m[0]["Layers"]))' "$T/manifest.json")" \
        "1 blobs/sha256/${id#sha256:} ['busybox:latest'] 1"
    expect_eq "$(tar -xOf "$T/bb.tar" oci-layout)" '{"imageLayoutVersion":"1.0.0"}'
    expect_contains "$(tar -xOf "$T/bb.tar" index.json)" \
        '"annotations":{"io.containerd.image.name":"docker.io/library/busybox:latest","org.opencontainers.image.ref.name":"latest"}'
    # the config blob is the image's config: its sha256 is the image id
    expect_eq "sha256:$(tar -xOf "$T/bb.tar" "blobs/sha256/${id#sha256:}" | sha256sum | cut -d' ' -f1)" "$id"

    docker rmi busybox >/dev/null
    expect_eq "$(image_count)" 0
    expect_eq "$(layer_count)" 0
    expect_eq "$(docker load -i "$T/bb.tar")" "Loaded image: busybox:latest"
    expect_eq "$(docker image inspect -f '{{.Id}}' busybox)" "$id" "the same image id after load"
    expect_eq "$(docker run --rm busybox sh -c 'echo hello from $(cat /etc/hostname | wc -c) loaded')" \
        "hello from 13 loaded"
    # load again: the same image, nothing new, the same words
    expect_eq "$(docker load <"$T/bb.tar")" "Loaded image: busybox:latest"
    expect_eq "$(image_count)" 1
    # save and load emit their events
    local events
    events=$(docker events --since 1 --until "$(($(date +%s) + 1))" --filter type=image \
        --format '{{.Action}} {{.Actor.ID}}')
    expect_contains "$events" "save $id"
    expect_contains "$events" "load $id"
}

test_several_tags_and_untagged() {
    engine_start
    busybox_image
    docker tag busybox busybox:other
    docker tag busybox bb:v2
    # an image of its own, untagged
    mkdir -p "$T/other"
    echo other >"$T/other/file"
    local id bare
    id=$(docker image inspect -f '{{.Id}}' busybox)
    bare=$(tar -C "$T/other" -c . | docker import - | tail -1)
    [[ $bare =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed [$bare]"
    # a bare name is every tag of its repository; an id saves the image untagged
    docker save busybox bb:v2 "${bare:7:12}" >"$T/all.tar"
    tar -xOf "$T/all.tar" manifest.json >"$T/manifest.json"
    expect_eq "$("$PY" -c '
import json, sys
for m in json.load(open(sys.argv[1])):
    print(m["Config"][13:25], m["RepoTags"], len(m["Layers"]))' "$T/manifest.json")" \
        "${id:7:12} ['busybox:latest', 'busybox:other', 'bb:v2'] 1
${bare:7:12} None 1"
    expect_eq "$(tar -xOf "$T/all.tar" repositories)" \
        "$(printf '{"busybox":{"latest":"%s","other":"%s"},"bb":{"v2":"%s"}}' \
            "$(docker image inspect -f '{{index .RootFS.Layers 0}}' busybox | cut -c8-)" \
            "$(docker image inspect -f '{{index .RootFS.Layers 0}}' busybox | cut -c8-)" \
            "$(docker image inspect -f '{{index .RootFS.Layers 0}}' busybox | cut -c8-)")"
    docker rmi busybox busybox:other bb:v2 "$bare" >/dev/null
    expect_eq "$(image_count)" 0
    # docker's words; the ids of all when the last image is untagged, as docker does
    expect_eq "$(docker load -i "$T/all.tar")" "Loaded image: busybox:latest
Loaded image: busybox:other
Loaded image: bb:v2
Loaded image ID: $id
Loaded image ID: $bare"
    expect_eq "$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
        "<none>:<none> bb:v2 busybox:latest busybox:other "
    expect_eq "$(docker run --rm bb:v2 echo tagged)" tagged
    # a tag that named another image moves, and docker says so
    docker tag "$bare" busybox:other
    docker save busybox:latest >"$T/one.tar"
    docker tag "$bare" busybox:latest
    expect_eq "$(docker load -q -i "$T/one.tar")" \
        "The image busybox:latest already exists, renaming the old one with ID $bare to empty string
Loaded image: busybox:latest"
    expect_eq "$(docker image inspect -f '{{.Id}}' busybox:latest)" "$id"
}

test_round_trips_between_clients() {
    engine_start
    busybox_image
    local id
    id=$(docker image inspect -f '{{.Id}}' busybox)
    # docker's CLI writes, pier's reads (from a pipe), and the other way round
    docker save busybox >"$T/d1.tar"
    docker rmi busybox >/dev/null
    expect_eq "$(cat "$T/d1.tar" | "$PIER" load)" "Loaded image: busybox:latest"
    "$PIER" save busybox >"$T/p1.tar"
    "$PIER" rmi busybox >/dev/null
    expect_eq "$(cat "$T/p1.tar" | docker load)" "Loaded image: busybox:latest"
    expect_eq "$(docker save busybox | "$PIER" load)" "Loaded image: busybox:latest"
    "$PIER" image save -o "$T/p.tar" busybox
    docker save -o "$T/d.tar" busybox
    cmp "$T/p.tar" "$T/d.tar" || fail "pier save and docker save differ"
    "$PIER" rmi busybox >/dev/null
    expect_eq "$("$PIER" image load -q -i "$T/p.tar")" "Loaded image: busybox:latest"
    expect_eq "$(docker image inspect -f '{{.Id}}' busybox)" "$id"
    # compressed archives, as `docker save | gzip` makes them
    gzip -c "$T/p.tar" >"$T/p.tar.gz"
    zstd -q -c "$T/p.tar" >"$T/p.tar.zst"
    "$PIER" rmi busybox >/dev/null
    expect_eq "$(docker load <"$T/p.tar.gz")" "Loaded image: busybox:latest"
    "$PIER" rmi busybox >/dev/null
    expect_eq "$("$PIER" load -i "$T/p.tar.zst")" "Loaded image: busybox:latest"
    expect_eq "$("$PIER" run --rm busybox echo ok)" ok
    # the CLI's refusals, in docker's words
    expect_fail "requires at least 1 argument" "$PIER" save
    expect_fail "No such image: nope:latest" "$PIER" save nope
    expect_fail "invalid output path" "$PIER" save -o "$T/no/such/dir/x.tar" busybox
    [ ! -e "$T/x.tar" ] || fail "a failed save left a file"
    expect_fail "open $T/none.tar: no such file or directory" "$PIER" load -i "$T/none.tar"
    # a save to a terminal is refused (script gives pier one)
    script -qec "$PIER save busybox" /dev/null >"$T/tty.out" 2>&1 || true
    expect_contains "$(cat "$T/tty.out")" \
        "cowardly refusing to save to a terminal. Use the -o flag or redirect"
}

test_skopeo_and_umoci_read_and_write_it() {
    engine_start
    busybox_image
    local layer
    layer=$(docker image inspect -f '{{index .RootFS.Layers 0}}' busybox)
    docker save -o "$T/bb.tar" busybox
    # skopeo reads pier's archive, layer for layer
    skopeo inspect docker-archive:"$T/bb.tar" >"$T/inspect.json"
    expect_eq "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Layers"])' \
        "$T/inspect.json")" "['$layer']"
    # and copies it out as an OCI layout, which umoci unpacks to the same files
    skopeo copy -q docker-archive:"$T/bb.tar" oci:"$T/oci:bb"
    umoci raw unpack --image "$T/oci:bb" "$T/unpacked" 2>"$T/umoci.err" ||
        fail "umoci: $(cat "$T/umoci.err")"
    local root=${PIER_TEST_ROOTFS:-$T/busybox-root}
    cmp "$root/bin/busybox" "$T/unpacked/bin/busybox" || fail "bin/busybox differs after the trip"
    cmp "$root/etc/passwd" "$T/unpacked/etc/passwd" || fail "etc/passwd differs after the trip"
    expect_eq "$(readlink "$T/unpacked/bin/sh")" busybox
    # an archive skopeo writes (from that OCI layout) loads into pier; once
    # with its layer gzip-compressed, which docker load takes too
    skopeo copy -q oci:"$T/oci:bb" docker-archive:"$T/sk.tar":skopeo/bb:v1
    tar -tf "$T/sk.tar" | grep -q '^manifest.json$' || fail "skopeo wrote no manifest.json"
    expect_eq "$(docker load -i "$T/sk.tar")" "Loaded image: skopeo/bb:v1"
    expect_eq "$(docker image inspect -f '{{index .RootFS.Layers 0}}' skopeo/bb:v1)" "$layer"
    expect_eq "$(docker run --rm skopeo/bb:v1 cat /etc/passwd)" "$(cat "$root/etc/passwd")"
    docker rmi skopeo/bb:v1 busybox >/dev/null
    expect_eq "$(layer_count)" 0
    skopeo copy -q --dest-compress-format gzip --dest-compress oci:"$T/oci:bb" oci:"$T/ocigz:bb"
    skopeo copy -q oci:"$T/ocigz:bb" docker-archive:"$T/skgz.tar":skopeo/bb:gz
    expect_eq "$(docker load -i "$T/skgz.tar")" "Loaded image: skopeo/bb:gz"
    expect_eq "$(docker image inspect -f '{{index .RootFS.Layers 0}}' skopeo/bb:gz)" "$layer"
    expect_eq "$(docker run --rm skopeo/bb:gz echo from-skopeo)" from-skopeo
}

# edit PYTHON: the busybox archive in $T/x, changed by PYTHON (d is its
# folder, m its manifest.json as read, written back after), tarred to $T/h.tar.
edit() {
    rm -rf "$T/y"
    cp -a "$T/x" "$T/y"
    "$PY" - "$T/y" <<PYEOF
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
$1
if m is not None:
    json.dump(m, open(os.path.join(d, "manifest.json"), "w"))
PYEOF
    a_tar "$T/y" "$T/h.tar"
}

# refused NEEDLE: both clients refuse $T/h.tar saying NEEDLE; nothing is left.
refused() {
    expect_fail "$1" docker load -i "$T/h.tar"
    expect_fail "$1" "$PIER" load -i "$T/h.tar"
    expect_eq "$(image_count)" 0 "images after a refused load"
    expect_eq "$(layer_count)" 0 "layers after a refused load"
    expect_eq "$(ls -A "$T/data/image/blobs/sha256" | wc -l)" 0 "blobs after a refused load"
}

# The layout docker wrote before 25 (and Debian's 20.10 still writes): a
# directory per layer with its layer.tar, the config as <hex>.json.
test_legacy_layout_loads() {
    engine_start
    local root=${PIER_TEST_ROOTFS:-}
    [ -n "$root" ] || { root=$T/busybox-root && build_rootfs "$root"; }
    mkdir -p "$T/l2/etc"
    echo "from layer two" >"$T/l2/etc/two"
    a_tar "$root" "$T/layer1.tar"
    a_tar "$T/l2" "$T/layer2.tar"
    "$PY" - "$T" <<'PYEOF'
import hashlib, io, json, os, platform, sys, tarfile
t = sys.argv[1]
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
layers = [open(f"{t}/layer{i}.tar", "rb").read() for i in (1, 2)]
diffs = ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]
config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
chex = hashlib.sha256(config).hexdigest()
v1 = [hashlib.sha256(f"v1-{i}".encode()).hexdigest() for i in range(2)]
def add(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
with tarfile.open(f"{t}/legacy.tar", "w") as tf:
    for i, b in enumerate(layers):
        add(tf, f"{v1[i]}/VERSION", b"1.0")
        add(tf, f"{v1[i]}/json", json.dumps({"id": v1[i]}).encode())
        add(tf, f"{v1[i]}/layer.tar", b)
    add(tf, f"{chex}.json", config)
    add(tf, "manifest.json", json.dumps([{"Config": f"{chex}.json", "RepoTags": ["legacy:1"],
                                          "Layers": [f"{v}/layer.tar" for v in v1]}]).encode())
    add(tf, "repositories", json.dumps({"legacy": {"1": v1[1]}}).encode())
PYEOF
    expect_eq "$(docker load -i "$T/legacy.tar")" "Loaded image: legacy:1"
    expect_eq "$(docker image inspect -f '{{len .RootFS.Layers}}' legacy:1)" 2
    expect_eq "$(docker run --rm legacy:1 sh -c 'cat /etc/two; test -x /bin/busybox && echo has-busybox')" \
        "from layer two
has-busybox"
}

test_hostile_archives_are_refused() {
    engine_start
    busybox_image
    docker save -o "$T/bb.tar" busybox
    docker rmi busybox >/dev/null
    mkdir "$T/x"
    tar -C "$T/x" -xf "$T/bb.tar"
    local cfg lay
    cfg=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$T/x/manifest.json")
    lay=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$T/x/manifest.json")

    edit 'm[0]["Layers"][0] = "../../etc/passwd"'
    refused 'invalid manifest.json: [0].Layers[0]: "../../etc/passwd" climbs out of the archive'
    edit 'm[0]["Layers"][0] = "blobs/../../x"'
    refused '"blobs/../../x" climbs out of the archive'
    edit 'm[0]["Config"] = "/etc/passwd"'
    refused 'invalid manifest.json: [0].Config: "/etc/passwd" is an absolute path'
    edit 'os.unlink(os.path.join(d, m[0]["Config"]))'
    refused "config $cfg: the archive has no file $cfg"
    edit 'del m[0]["Config"]'
    refused "[0].Config: missing"
    # a symlink may not lead out either
    edit 'os.unlink(os.path.join(d, m[0]["Layers"][0])); os.symlink("../../../etc/passwd", os.path.join(d, m[0]["Layers"][0]))'
    refused "climbs out of the archive"
    # a layer that is not the one the config names: refused before it is kept
    edit 'import tarfile
t = tarfile.open(os.path.join(d, m[0]["Layers"][0]), "w")
t.add("/etc/hostname", "evil")
t.close()'
    refused "the layer's digest is sha256:"
    # the same, gzip-compressed: its diff id is checked before it is kept
    edit 'import gzip, tarfile
p = os.path.join(d, m[0]["Layers"][0])
t = tarfile.open(p, "w:gz")
t.add("/etc/hostname", "evil")
t.close()'
    refused "its diff id is sha256:"
    edit 'open(os.path.join(d, m[0]["Config"]), "a").write("\n{}")'
    refused "config $cfg: invalid JSON"
    edit 'c = json.load(open(os.path.join(d, m[0]["Config"]))); c["rootfs"]["diff_ids"].append(c["rootfs"]["diff_ids"][0]); json.dump(c, open(os.path.join(d, m[0]["Config"]), "w"))'
    refused "invalid manifest, layers length mismatch: expected 1, got 2"
    edit 'm[0]["RepoTags"] = ["Bad:Name"]'
    refused 'invalid manifest.json: [0].RepoTags[0]'
    edit 'm[0]["RepoTags"] = ["busybox@sha256:'"$(printf 'a%.0s' {1..64})"'"]'
    refused 'invalid tag'
    edit 'open(os.path.join(d, "manifest.json"), "w").write("[{")
m = None'
    refused "invalid manifest.json: invalid JSON"
    edit 'open(os.path.join(d, "manifest.json"), "w").write("null")
m = None'
    refused "invalid manifest, manifest cannot be null (but can be [])"
    edit 'os.unlink(os.path.join(d, "manifest.json"))
m = None'
    refused "the archive has no manifest.json"
    # a broken second image: the first is not loaded either
    edit 'm.append(dict(m[0], Config="blobs/sha256/none", RepoTags=["second:v1"]))'
    refused "image 2 of 2: config blobs/sha256/none: the archive has no file"
    echo "not a tar at all, just some text that goes on for a while...................." >"$T/h.tar"
    refused "load: not a tar archive"
    : >"$T/h.tar"
    refused "the archive is empty"

    # what is odd but not wrong loads: ./ in names, a layer compressed with
    # zstd, a name given twice (the last one counts)
    edit 'import subprocess
p = os.path.join(d, m[0]["Layers"][0])
subprocess.check_call(["zstd", "-q", "--rm", p, "-o", p + ".zst"])
os.rename(p + ".zst", p)
m[0]["Layers"][0] = "./" + m[0]["Layers"][0]
m[0]["RepoTags"] = ["odd:v1"]'
    expect_eq "$(docker load -i "$T/h.tar")" "Loaded image: odd:v1"
    expect_eq "$(docker run --rm odd:v1 echo zstd)" zstd
}


# save and load --platform (docker 28's, a JSON platform in the query):
# an image of the platform asked for is saved or loaded, another is
# refused by name, or left out of a load.
test_save_and_load_platform() {
    engine_start
    busybox_image bb:1
    local arch
    arch=$(docker image inspect -f '{{.Architecture}}' bb:1)
    docker save --platform "linux/$arch" -o "$T/mine.tar" bb:1 || fail "docker save --platform linux/$arch"
    "$PIER" save --platform "linux/$arch" -o "$T/mine2.tar" bb:1 || fail "pier save --platform"
    expect_fail "image with reference bb:1 was found but its platform (linux/$arch) does not match the specified platform (linux/s390x)" \
        docker save --platform linux/s390x -o "$T/other.tar" bb:1
    expect_fail "does not match the specified platform (linux/s390x)" \
        "$PIER" save --platform linux/s390x -o "$T/other.tar" bb:1
    docker rmi bb:1 >/dev/null
    expect_fail "no image in the archive is of the platform linux/s390x" \
        "$PIER" load --platform linux/s390x -i "$T/mine.tar"
    expect_eq "$(image_count)" 0 "images after a load of another platform"
    expect_contains "$(docker load --platform "linux/$arch" -i "$T/mine.tar")" "Loaded image: bb:1"
    expect_eq "$(docker run --rm bb:1 echo loaded)" loaded
}

# send_cut BYTES: POST /images/load of the first BYTES of $T/bb.tar by a
# client that goes away without the last chunk.
send_cut() { post_cut "/v1.51/images/load?quiet=1" "$T/bb.tar" "$1"; }

# The archive is read as it arrives: a client that goes away mid-body
# ends the load with nothing stored, even when what came is a tar whole
# but for its end (all the files, not the two zero blocks after them);
# the daemon serves the next load.
test_load_of_a_client_that_goes_away() {
    engine_start
    busybox_image
    docker save -o "$T/bb.tar" busybox
    docker rmi busybox >/dev/null
    local size end
    size=$(stat -c %s "$T/bb.tar")
    end=$(tar_end "$T/bb.tar")
    [ "$end" -lt "$size" ] || fail "the archive has no end blocks to leave out"
    send_cut $((size / 2))
    wait_for store_empty
    send_cut "$end"
    sleep 1 # a load that took the cut archive for whole would store it by now
    wait_for store_empty
    expect_eq "$(image_count)" 0 "images after loads cut short"
    expect_eq "$(docker load -i "$T/bb.tar")" "Loaded image: busybox:latest"
    expect_eq "$(docker run --rm busybox echo whole)" whole
}

# One layer file that two images hold on different parents (a: [top],
# b: [root, top]): stored for a on no parent, then for b unpacked again from
# the store on b's root.  top is big enough to be unpacked as it arrives.
test_a_layer_on_two_parents() {
    engine_start
    local root=${PIER_TEST_ROOTFS:-}
    [ -n "$root" ] || { root=$T/busybox-root && build_rootfs "$root"; }
    mkdir -p "$T/top"
    head -c 3000000 /dev/urandom >"$T/top/big"
    a_tar "$root" "$T/root.tar"
    a_tar "$T/top" "$T/top.tar"
    "$PY" - "$T" <<'PYEOF'
import hashlib, io, json, platform, sys, tarfile
t = sys.argv[1]
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
blobs = {n: open(f"{t}/{n}.tar", "rb").read() for n in ("root", "top")}
hexes = {n: hashlib.sha256(b).hexdigest() for n, b in blobs.items()}
def config(names):
    return json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]},
                       "rootfs": {"type": "layers",
                                  "diff_ids": ["sha256:" + hexes[n] for n in names]}}).encode()
configs = {"a": config(["top"]), "b": config(["root", "top"])}
def add(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
with tarfile.open(f"{t}/two.tar", "w") as tf:
    for n, b in blobs.items():
        add(tf, f"blobs/sha256/{hexes[n]}", b)
    for c in configs.values():
        add(tf, f"blobs/sha256/{hashlib.sha256(c).hexdigest()}", c)
    add(tf, "manifest.json", json.dumps([
        {"Config": f"blobs/sha256/{hashlib.sha256(configs[i]).hexdigest()}",
         "RepoTags": [f"{i}:1"], "Layers": [f"blobs/sha256/{hexes[n]}" for n in names]}
        for i, names in (("a", ["top"]), ("b", ["root", "top"]))]).encode())
PYEOF
    expect_eq "$("$PIER" load -i "$T/two.tar")" "Loaded image: a:1
Loaded image: b:1"
    expect_eq "$(layer_count)" 3 "layers: top alone, root, top on root"
    expect_eq "$(docker run --rm b:1 sh -c 'wc -c </big')" 3000000
    docker rmi a:1 b:1 >/dev/null
    expect_eq "$(layer_count)" 0 "layers after both images went"
}
