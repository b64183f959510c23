# Pulls from a real registry (Debian's docker-registry, run by each test on
# a free loopback port with its storage under $T, killed by pid at the
# end): images written as OCI layouts (tests/lib/oci_layout.py, from the
# busybox test root) and pushed with skopeo; pulled with the stock docker
# CLI and with pier.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/registry.sh"

# layout TAG [oci_layout.py ARGS...]: an image of the busybox root in the
# test's OCI layout; prints its manifest's (or index's) digest.
layout() {
    local root=${PIER_TEST_ROOTFS:-$T/busybox-root}
    [ -d "$root" ] || build_rootfs "$root"
    "$PY" "$TOP/tests/lib/oci_layout.py" "$T/oci" "$@" --rootfs "$root"
}

# push TAG NAME[:TAG] [skopeo ARGS...]: the layout's TAG into the registry.
push() {
    local tag=$1 dest=$2
    shift 2
    skopeo copy -q --all --dest-tls-verify=false "$@" "oci:$T/oci:$tag" "docker://$REG/$dest" ||
        fail "skopeo could not push $tag"
}

# The registry's file of a blob (to tamper with it).
blob_file() { echo "$REG_DATA/docker/registry/v2/blobs/sha256/${1:7:2}/${1#sha256:}/data"; }

# What the store holds: layers and leftover temporaries.
store_state() {
    ls -A "$T/data/image/layers" | sort | tr '\n' ' '
    find "$T/data/image" -name '.tmp-*' | wc -l
}

test_pull_gzip_image_run_and_up_to_date() {
    engine_start
    registry_start
    local digest out t0
    t0=$(date +%s)
    digest=$(layout bb --file hello=world)
    push bb bb:1
    out=$(docker pull "$REG/bb:1")
    expect_contains "$out" "1: Pulling from bb"
    expect_contains "$out" "Pull complete"
    expect_contains "$out" "Digest: $digest"
    expect_contains "$out" "Status: Downloaded newer image for $REG/bb:1"
    expect_eq "$(echo "$out" | tail -1)" "$REG/bb:1" "the last line"
    expect_eq "$(echo "$out" | grep -c 'Pull complete')" 2 "two layers"
    expect_eq "$(docker run --rm "$REG/bb:1" cat /etc/arch /hello)" "$HOST_ARCH"$'\n'world
    expect_eq "$(docker image inspect -f '{{.RepoTags}} {{.RepoDigests}} {{.Architecture}} {{len .RootFS.Layers}}' "$REG/bb:1")" \
        "[$REG/bb:1] [$REG/bb@$digest] $HOST_ARCH 2"
    # again: nothing is downloaded
    out=$("$PIER" pull "$REG/bb:1")
    expect_contains "$out" "Status: Image is up to date for $REG/bb:1"
    expect_not_contains "$out" "Pull complete"
    expect_not_contains "$out" "Already exists"
    expect_eq "$("$PIER" pull -q "$REG/bb:1")" "$REG/bb:1"
    # the pulls were events
    local until=$(($(date +%s) + 1))
    expect_eq "$(docker events --since "$t0" --until "$until" -f type=image -f event=pull \
        --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}' | sort -u)" "pull $REG/bb:1 $REG/bb:1"
    # a layer the store has is not downloaded again
    layout bb2 --file hello=again >/dev/null
    push bb2 bb:2
    out=$(docker pull "$REG/bb:2")
    expect_eq "$(echo "$out" | grep -c 'Already exists')" 1 "the busybox layer: $out"
    expect_eq "$(echo "$out" | grep -c 'Pull complete')" 1 "the new layer: $out"
    expect_eq "$(docker run --rm "$REG/bb:2" cat /hello)" again
    # what the registry does not have
    expect_fail "manifest for $REG/bb:nope not found: manifest unknown" docker pull "$REG/bb:nope"
    expect_fail "manifest for $REG/nothing:latest not found" "$PIER" pull "$REG/nothing"
    expect_fail "invalid reference format" docker pull "$REG/Bad"
}

test_pull_index_picks_the_platform() {
    engine_start
    registry_start
    local digest out
    digest=$(layout multi --arch "amd64,arm64")
    push multi multi
    out=$(docker pull "$REG/multi")
    expect_contains "$out" "Digest: $digest"
    expect_eq "$(docker run --rm "$REG/multi" cat /etc/arch)" "$HOST_ARCH"
    expect_eq "$(docker image inspect -f '{{.Architecture}} {{.RepoDigests}}' "$REG/multi")" \
        "$HOST_ARCH [$REG/multi@$digest]"
    # --platform picks the other one (its busybox layer is the same)
    out=$("$PIER" pull --platform "linux/$OTHER_ARCH" "$REG/multi")
    expect_contains "$out" "Already exists"
    expect_contains "$out" "Status: Downloaded newer image for $REG/multi:latest"
    expect_eq "$(docker image inspect -f '{{.Architecture}}' "$REG/multi")" "$OTHER_ARCH"
    expect_eq "$(docker run --rm "$REG/multi" cat /etc/arch)" "$OTHER_ARCH"
    expect_fail "no matching manifest for linux/s390x in the manifest list entries" \
        docker pull --platform linux/s390x "$REG/multi"
    expect_fail "invalid platform" "$PIER" pull --platform "linux//x" "$REG/multi"
    # a single-platform image pulled for another platform is refused
    layout single >/dev/null
    push single single
    expect_fail "does not match the specified platform (linux/$OTHER_ARCH)" \
        "$PIER" pull --platform "linux/$OTHER_ARCH" "$REG/single"
}

test_pull_zstd_and_plain_layers() {
    engine_start
    registry_start
    layout zst --compress zstd --file hello=zstd >/dev/null
    push zst zst
    layout plain --compress none --file hello=plain >/dev/null
    push plain plain
    local out
    out=$("$PIER" pull "$REG/zst")
    expect_contains "$out" "Status: Downloaded newer image for $REG/zst:latest"
    expect_eq "$(docker run --rm "$REG/zst" cat /hello)" zstd
    docker pull -q "$REG/plain" >/dev/null
    expect_eq "$(docker run --rm "$REG/plain" cat /hello)" plain
    # three blobs of one busybox root: one layer in the store
    expect_eq "$(docker image inspect -f '{{index .RootFS.Layers 0}}' "$REG/zst")" \
        "$(docker image inspect -f '{{index .RootFS.Layers 0}}' "$REG/plain")"
}

test_pull_by_digest() {
    engine_start
    registry_start
    local digest out
    digest=$(layout pinned --file hello=pinned)
    push pinned pinned:v1
    out=$(docker pull "$REG/pinned@$digest")
    expect_contains "$out" "$digest: Pulling from pinned"
    expect_contains "$out" "Status: Downloaded newer image for $REG/pinned@$digest"
    expect_eq "$(echo "$out" | tail -1)" "$REG/pinned@$digest"
    # no tag, only the digest
    expect_eq "$(docker image inspect -f '{{.RepoTags}} {{.RepoDigests}}' "$REG/pinned@$digest")" \
        "[] [$REG/pinned@$digest]"
    expect_eq "$(docker run --rm "$REG/pinned@$digest" cat /hello)" pinned
    expect_contains "$("$PIER" pull "$REG/pinned@$digest")" "Image is up to date for $REG/pinned@$digest"
    expect_fail "manifest for $REG/pinned@sha256:0000000000000000000000000000000000000000000000000000000000000000 not found" \
        docker pull "$REG/pinned@sha256:0000000000000000000000000000000000000000000000000000000000000000"
}

test_pull_with_basic_auth() {
    engine_start
    htpasswd -Bbc "$T/htpasswd" alice s3cret 2>/dev/null || fail "htpasswd (apache2-utils) is missing"
    registry_start htpasswd "$T/htpasswd"
    layout private --file hello=private >/dev/null
    push private private --dest-creds alice:s3cret
    # anonymous: refused in docker's words, and nothing is left
    expect_fail "unauthorized: authentication required" docker pull "$REG/private"
    expect_fail "unauthorized: authentication required" "$PIER" pull "$REG/private"
    # X-Registry-Auth made by hand
    local auth
    auth=$(printf '{"username":"alice","password":"s3cret","serveraddress":"%s"}' "$REG" | base64 -w0 | tr '+/' '-_')
    expect_contains "$(api POST "/images/create?fromImage=$REG/private&tag=latest" | sed -n 1p)" "500"
    expect_eq "$(docker images -q "$REG/private")" "" "no image after a refused pull"
    expect_fail "login attempt to http://$REG/v2/ failed with status: 401 Unauthorized" \
        sh -c "echo wrong | docker login -u alice --password-stdin $REG"
    expect_contains "$(echo s3cret | docker login -u alice --password-stdin "$REG" 2>/dev/null)" "Login Succeeded"
    # the docker CLI sends what it keeps in $DOCKER_CONFIG, and so does pier
    docker pull -q "$REG/private" >/dev/null
    expect_eq "$(docker run --rm "$REG/private" cat /hello)" private
    docker rmi -f "$REG/private" >/dev/null
    "$PIER" pull -q "$REG/private" >/dev/null
    expect_eq "$(docker run --rm "$REG/private" cat /hello)" private
    docker logout "$REG" >/dev/null
    expect_fail "unauthorized" "$PIER" pull "$REG/private"
    # a bad header is the client's error
    "$PY" - "$SOCK" "$REG" "$auth" <<'PYEOF' || fail "X-Registry-Auth from a raw request"
import socket, sys
sock, reg, auth = sys.argv[1:4]
def pull(header):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(("POST /images/create?fromImage=%s/private&tag=latest HTTP/1.1\r\nHost: pier\r\n"
               "X-Registry-Auth: %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
               % (reg, header)).encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out.decode(errors="replace")
        out += d
good = pull(auth)
assert " 200 " in good.split("\r\n")[0] and "Image is up to date" in good, good
bad = pull("not-base64!")
assert " 400 " in bad.split("\r\n")[0] and "invalid X-Registry-Auth header" in bad, bad
PYEOF
}

test_pull_refuses_tampered_content() {
    engine_start
    registry_start
    local before digest
    before=$(store_state)
    # a layer whose bytes changed in the registry's storage
    layout tl --file hello=layer >/dev/null
    push tl tl
    local layer
    layer=$(skopeo inspect --raw --tls-verify=false "docker://$REG/tl" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["layers"][-1]["digest"])')
    cp "$(blob_file "$layer")" "$T/good-layer"
    "$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xff; open(p, "wb").write(b)' "$(blob_file "$layer")"
    expect_fail "filesystem layer verification failed for digest $layer" docker pull "$REG/tl"
    expect_eq "$(docker images -q "$REG/tl")" "" "no image"
    # the busybox layer below it was whole and verified: kept, and no temporary
    expect_eq "$(ls "$T/data/image/layers" | wc -l) $(find "$T/data/image" -name '.tmp-*' | wc -l)" "1 0" \
        "one layer, no temporary"
    # pulled again once the registry has it right: only what failed is fetched
    cp "$T/good-layer" "$(blob_file "$layer")"
    local out
    out=$(docker pull "$REG/tl")
    expect_eq "$(echo "$out" | grep -c 'Already exists') $(echo "$out" | grep -c 'Pull complete')" "1 1" \
        "resumed: $out"
    docker rmi "$REG/tl" >/dev/null
    # a failed pull's layers that no pull takes up go with image prune
    "$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xff; open(p, "wb").write(b)' "$(blob_file "$layer")"
    expect_fail "filesystem layer verification failed" "$PIER" pull "$REG/tl"
    expect_eq "$(ls "$T/data/image/layers" | wc -l)" 1 "the layer the failed pull kept"
    expect_contains "$("$PIER" image prune -f)" "Total reclaimed space:"
    expect_eq "$(ls "$T/data/image/layers" | wc -l)" 0 "layers after prune"
    # a manifest whose bytes are not its digest, by tag and by digest
    digest=$(layout tm --file hello=manifest)
    push tm tm
    printf ' ' >>"$(blob_file "$digest")"
    expect_fail "manifest verification failed for digest $digest" "$PIER" pull "$REG/tm"
    expect_fail "manifest verification failed for digest $digest" docker pull "$REG/tm@$digest"
    # a config that is not what the manifest names
    layout tc --file hello=config >/dev/null
    push tc tc
    local config
    config=$(skopeo inspect --raw --tls-verify=false "docker://$REG/tc" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["config"]["digest"])')
    sed -i 's/"os": "linux"/"os": "linUx"/' "$(blob_file "$config")"
    expect_fail "image config verification failed for digest $config" docker pull "$REG/tc"
    expect_eq "$(docker images -q)" "" "no image at all"
    expect_eq "$(store_state)" "$before" "no layer, no temporary left"
}

test_run_pulls_a_missing_image() {
    engine_start
    registry_start
    layout app --file hello=app >/dev/null
    push app app
    local out err
    out=$("$PIER" run --rm "$REG/app" cat /hello 2>"$T/err")
    err=$(cat "$T/err")
    expect_eq "$out" app
    expect_contains "$err" "Unable to find image '$REG/app:latest' locally"
    expect_contains "$err" "Status: Downloaded newer image for $REG/app:latest"
    docker rmi "$REG/app" >/dev/null
    out=$(docker create --name c1 "$REG/app" 2>"$T/err")
    expect_contains "$(cat "$T/err")" "Unable to find image '$REG/app:latest' locally"
    expect_eq "$(docker inspect -f '{{.Config.Image}}' c1)" "$REG/app"
    expect_fail "manifest for $REG/none:latest not found" "$PIER" run --rm "$REG/none" true
}

# pull -a: every tag of the repository (the API's pull without a tag),
# by pier and by the stock CLI; a tag beside -a is refused.
test_pull_all_tags() {
    engine_start
    registry_start
    layout one --file hello=one >/dev/null
    layout two --file hello=two >/dev/null
    push one many:1
    push two many:2
    push two many:latest
    local out
    out=$("$PIER" pull -a "$REG/many")
    expect_contains "$out" "1: Pulling from many"
    expect_contains "$out" "2: Pulling from many"
    expect_contains "$out" "latest: Pulling from many"
    expect_eq "$(echo "$out" | grep -c '^Digest: sha256:')" 3 "a digest per tag: $out"
    expect_contains "$out" "Status: Downloaded newer image for $REG/many"$'\n'"$REG/many"
    expect_eq "$(docker images --format '{{.Tag}}' "$REG/many" | sort | tr '\n' ' ')" "1 2 latest "
    expect_eq "$(docker run --rm "$REG/many:1" cat /hello)" one
    expect_eq "$(docker run --rm "$REG/many:2" cat /hello)" two
    out=$(docker pull -a "$REG/many")
    expect_contains "$out" "Status: Image is up to date for $REG/many"
    expect_eq "$(echo "$out" | tail -1)" "$REG/many" "the last line"
    expect_eq "$("$PIER" pull -a -q "$REG/many")" "$REG/many"
    expect_fail "tag can't be used with --all-tags/-a" "$PIER" pull -a "$REG/many:1"
    expect_fail "tag can't be used with --all-tags/-a" docker pull -a "$REG/many:1"
    expect_fail "pull access denied for $REG/nothing, repository does not exist" "$PIER" pull -a "$REG/nothing"
}

# A layer with whiteouts, as registries carry them (.wh.NAME, and
# .wh..wh..opq for a directory made opaque): pulled, the container sees
# what the top layer left.
test_pull_layer_with_whiteouts() {
    engine_start
    registry_start
    mkdir -p "$T/lower/d" "$T/lower/keep" "$T/upper/d" "$T/upper/keep"
    echo a >"$T/lower/gone"
    echo x >"$T/lower/d/x"
    echo k >"$T/lower/keep/k"
    : >"$T/upper/.wh.gone"
    : >"$T/upper/d/.wh..wh..opq"
    echo y >"$T/upper/d/y"
    : >"$T/upper/keep/.wh.k"
    echo k2 >"$T/upper/keep/k2"
    layout wh --layer "$T/lower" --layer "$T/upper" >/dev/null
    push wh wh
    "$PIER" pull -q "$REG/wh" >/dev/null || fail "pull"
    expect_eq "$(docker run --rm "$REG/wh" sh -c 'ls -a /d /keep; test -e /gone && echo gone-is-there; echo end')" \
        "/d:"$'\n'"."$'\n'".."$'\n'"y"$'\n\n'"/keep:"$'\n'"."$'\n'".."$'\n'"k2"$'\n'"end"
}
