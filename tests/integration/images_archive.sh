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
    # docker's CLI writes, pier's reads, and the other way round
    docker save busybox | { docker rmi busybox >/dev/null && "$PIER" load; } >"$T/out"
    expect_eq "$(cat "$T/out")" "Loaded image: busybox:latest"
    "$PIER" save busybox | { "$PIER" rmi busybox >/dev/null && docker load; } >"$T/out"
    expect_eq "$(cat "$T/out")" "Loaded image: busybox:latest"
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
