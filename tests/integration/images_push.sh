# Pushes to a real registry (Debian's docker-registry, run by each test on
# a free loopback port, tests/lib/registry.sh): what pier pushes is read
# back by skopeo and umoci, and pulled by the stock docker CLI.
. "$TOP/tests/lib/engine.sh"
. "$TOP/tests/lib/registry.sh"

rootfs() { echo "${PIER_TEST_ROOTFS:-$T/busybox-root}"; }

test_push_busybox_read_back_and_pulled() {
    engine_start
    registry_start
    busybox_image "$REG/bb:1"
    local out digest size t0
    t0=$(date +%s)
    out=$("$PIER" push "$REG/bb:1")
    expect_contains "$out" "The push refers to repository [$REG/bb]"
    expect_contains "$out" ": Pushed"
    expect_not_contains "$out" "Layer already exists"
    digest=$(echo "$out" | sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p')
    size=$(echo "$out" | sed -n 's/^1: digest: sha256:[0-9a-f]* size: \([0-9]*\)$/\1/p')
    [ -n "$digest" ] && [ -n "$size" ] || fail "no digest line: $out"
    # the registry has the manifest pier printed, a Docker schema 2 one
    local raw
    raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/bb:1") || fail "skopeo inspect --raw"
    expect_eq "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "$digest" "the manifest's digest"
    expect_eq "${#raw}" "$size" "the manifest's size"
    expect_eq "$(printf '%s' "$raw" | "$PY" -c 'import json, sys; m = json.load(sys.stdin); print(m["mediaType"], m["config"]["mediaType"], [l["mediaType"] for l in m["layers"]])')" \
        "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json ['application/vnd.docker.image.rootfs.diff.tar.gzip']"
    expect_contains "$(skopeo inspect --tls-verify=false "docker://$REG/bb:1")" "\"Digest\": \"$digest\""
    # skopeo and umoci read the same files back
    skopeo copy -q --src-tls-verify=false "docker://$REG/bb:1" "oci:$T/back:bb" || fail "skopeo copy"
    umoci raw unpack --image "$T/back:bb" "$T/unpacked" || fail "umoci raw unpack"
    cmp "$T/unpacked/bin/busybox" "$(rootfs)/bin/busybox" || fail "bin/busybox differs"
    # the push is recorded: RepoDigests, and an event
    expect_eq "$(docker image inspect -f '{{.RepoDigests}}' "$REG/bb:1")" "[$REG/bb@$digest]"
    local until=$(($(date +%s) + 1))
    expect_eq "$(docker events --since "$t0" --until "$until" -f type=image -f event=push \
        --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}')" "push $REG/bb:1 $REG/bb:1"
    # again: the layer is there, the manifest the same
    out=$("$PIER" push "$REG/bb:1")
    expect_contains "$out" ": Layer already exists"
    expect_not_contains "$out" "Pushed"
    expect_contains "$out" "1: digest: $digest size: $size"
    expect_eq "$("$PIER" push -q "$REG/bb:1")" "$REG/bb:1"
    # pulled back by docker after rmi, and it runs
    docker rmi "$REG/bb:1" >/dev/null
    out=$(docker pull "$REG/bb:1")
    expect_contains "$out" "Digest: $digest"
    expect_eq "$(docker run --rm "$REG/bb:1" sh -c 'echo pushed')" pushed
}

test_push_tags_with_docker_cli() {
    engine_start
    registry_start
    busybox_image "$REG/multi:a"
    docker tag "$REG/multi:a" "$REG/multi:b"
    # no tag: latest, which this repository does not have
    expect_fail "An image does not exist locally with the tag: $REG/multi" "$PIER" push "$REG/multi"
    local out
    out=$("$PIER" push -a "$REG/multi")
    expect_contains "$out" "a: digest: sha256:"
    expect_contains "$out" "b: digest: sha256:"
    expect_fail "tag can't be used with --all-tags/-a" "$PIER" push -a "$REG/multi:a"
    # the stock CLI drives the same endpoint
    docker tag "$REG/multi:a" "$REG/multi:latest"
    out=$(docker push "$REG/multi")
    expect_contains "$out" "Using default tag: latest"
    expect_contains "$out" "Layer already exists"
    expect_contains "$out" "latest: digest: sha256:"
    expect_eq "$(skopeo list-tags --tls-verify=false "docker://$REG/multi" | "$PY" -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["Tags"])))')" "a b latest"
}

test_push_with_basic_auth() {
    engine_start
    htpasswd -Bbc "$T/htpasswd" alice s3cret 2>/dev/null || fail "htpasswd (apache2-utils) is missing"
    registry_start htpasswd "$T/htpasswd"
    busybox_image "$REG/private"
    expect_fail "no basic auth credentials" "$PIER" push "$REG/private"
    expect_fail "no basic auth credentials" docker push "$REG/private"
    echo s3cret | docker login -u alice --password-stdin "$REG" >/dev/null || fail "docker login"
    expect_contains "$("$PIER" push "$REG/private")" "latest: digest: sha256:"
    expect_contains "$(skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$REG/private")" "\"Digest\": \"sha256:"
    docker logout "$REG" >/dev/null
}

test_push_unknown_image() {
    engine_start
    expect_fail "An image does not exist locally with the tag: 127.0.0.1:1/nothing" \
        "$PIER" push 127.0.0.1:1/nothing:1
    expect_fail "An image does not exist locally with the tag: 127.0.0.1:1/nothing" \
        docker push 127.0.0.1:1/nothing
    expect_contains "$(api POST "/images/127.0.0.1:1/nothing/push?tag=1" | sed -n 1p)" "404"
    expect_fail "invalid reference format" "$PIER" push "127.0.0.1:1/Bad"
}

# A pulled image pushed to another repository of the same registry: its
# layers are mounted, not sent, and keep their blobs; pushed again they are
# found; to another registry they are compressed and sent, several at once.
test_push_mounts_pulled_layers() {
    engine_start
    registry_start
    local root=${PIER_TEST_ROOTFS:-$T/busybox-root}
    mkdir -p "$T/l1/etc" "$T/l2/srv" "$T/l3/srv"
    echo one >"$T/l1/etc/one"
    head -c 300000 /dev/urandom >"$T/l2/srv/blob"
    seq 1 50000 >"$T/l3/srv/numbers"
    "$PY" "$TOP/tests/lib/oci_layout.py" "$T/oci" app --rootfs "$root" --layer "$T/l1" \
        --layer "$T/l2" --layer "$T/l3" >/dev/null
    skopeo copy -q --dest-tls-verify=false "oci:$T/oci:app" "docker://$REG/src/app:1" || fail "skopeo copy"
    "$PIER" pull -q "$REG/src/app:1" >/dev/null || fail "pull"
    layers() { skopeo inspect --tls-verify=false "docker://$1" | "$PY" -c 'import json, sys; print(" ".join(json.load(sys.stdin)["Layers"]))'; }
    local src out
    src=$(layers "$REG/src/app:1")
    "$PIER" tag "$REG/src/app:1" "$REG/dst/app:1"
    out=$("$PIER" push "$REG/dst/app:1")
    expect_eq "$(echo "$out" | grep -c ': Mounted from src/app$')" 5 "layers mounted: $out"
    expect_not_contains "$out" "Pushed"
    expect_eq "$(layers "$REG/dst/app:1")" "$src" "the mounted layers"
    out=$("$PIER" push "$REG/dst/app:1")
    expect_eq "$(echo "$out" | grep -c ': Layer already exists$')" 5 "layers found: $out"
    # another registry has none of them: all five compressed and sent
    local first=$REG
    registry_stop || true # the registry killed: its status is not ours
    T=$T/second registry_start
    "$PIER" tag "$first/src/app:1" "$REG/app:1"
    out=$("$PIER" push "$REG/app:1")
    expect_eq "$(echo "$out" | grep -c ': Pushed$')" 5 "layers pushed: $out"
    skopeo copy -q --src-tls-verify=false "docker://$REG/app:1" "oci:$T/back:app" || fail "skopeo copy back"
    umoci raw unpack --image "$T/back:app" "$T/unpacked" || fail "umoci raw unpack"
    cmp "$T/unpacked/srv/blob" "$T/l2/srv/blob" || fail "srv/blob differs"
    cmp "$T/unpacked/srv/numbers" "$T/l3/srv/numbers" || fail "srv/numbers differs"
    expect_eq "$(cat "$T/unpacked/etc/one")" one
    cmp "$T/unpacked/bin/busybox" "$root/bin/busybox" || fail "bin/busybox differs"
}

token_server_stop() {
    [ -n "${TOKEN_PID:-}" ] && kill "$TOKEN_PID" 2>/dev/null
    wait "$TOKEN_PID" 2>/dev/null
    return 0
}

# A registry with Bearer tokens, as Docker Hub has it (tests/tools/
# token_server.py): anonymous clients may pull, alice may push.  Pushes
# after docker login, pulls without, a push refused without, and a mount
# whose token names both repositories.
test_push_and_pull_with_bearer_tokens() {
    engine_start
    mkdir -p "$T/token"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/token/key.pem" -out "$T/token/cert.pem" \
        -days 1 -subj /CN=pier-test-token >/dev/null 2>&1 || fail "openssl"
    "$PY" "$TOP/tests/tools/token_server.py" "$T/token" alice:s3cret 2>>"$T/token.log" &
    TOKEN_PID=$!
    on_exit token_server_stop
    wait_for test -s "$T/token/port"
    registry_start token "http://127.0.0.1:$(cat "$T/token/port")/token" "$T/token/cert.pem"
    busybox_image "$REG/team/app:1"
    expect_fail "unauthorized: authentication required" "$PIER" push "$REG/team/app:1"
    echo s3cret | docker login -u alice --password-stdin "$REG" >/dev/null || fail "docker login"
    local out
    out=$("$PIER" push "$REG/team/app:1") || fail "push: $out"
    expect_contains "$out" "1: digest: sha256:"
    expect_contains "$(cat "$T/token/requests")" "alice repository:team/app:pull,push"
    # a mount: the token asks for the other repository too
    "$PIER" tag "$REG/team/app:1" "$REG/team/copy:1"
    out=$("$PIER" push "$REG/team/copy:1") || fail "push: $out"
    expect_contains "$out" ": Mounted from team/app"
    expect_contains "$(cat "$T/token/requests")" "repository:team/app:pull"
    docker logout "$REG" >/dev/null
    # anonymous pulls are allowed
    docker rmi "$REG/team/app:1" "$REG/team/copy:1" >/dev/null
    out=$("$PIER" pull "$REG/team/app:1") || fail "anonymous pull: $out"
    expect_contains "$out" "Status: Downloaded newer image for $REG/team/app:1"
    expect_contains "$(cat "$T/token/requests")" "- repository:team/app:pull"
    expect_eq "$(docker run --rm "$REG/team/app:1" echo token)" token
}

# A layer larger than a chunk (16 MiB, random so that gzip keeps it so)
# goes up in PATCHes; the registry, skopeo and umoci take it.
test_push_chunked_upload() {
    engine_start
    REG_LOG=info registry_start
    mkdir -p "$T/big"
    head -c $((40 << 20)) /dev/urandom >"$T/big/blob"
    tar -C "$T/big" -c . | docker import - "$REG/big:1" >/dev/null
    local out
    out=$("$PIER" push "$REG/big:1") || fail "push: $out"
    expect_contains "$out" ": Pushed"
    # 40 MiB in chunks of 16: three PATCHes
    expect_eq "$(grep -c 'http.request.method=PATCH.*http.request.uri="/v2/big/blobs/uploads/' "$T/registry.log")" 3 \
        "PATCH requests"
    skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/back:big" || fail "skopeo copy back"
    umoci raw unpack --image "$T/back:big" "$T/unpacked" || fail "umoci raw unpack"
    cmp "$T/unpacked/blob" "$T/big/blob" || fail "the blob differs"
}

# A layer whose files changed on disk since it was stored (the same size,
# other bytes) no longer gives back the tar its diff id names: the push
# fails, and the registry gets no manifest.
test_push_refuses_a_layer_changed_on_disk() {
    engine_start
    REG_LOG=info registry_start
    busybox_image "$REG/changed:1"
    local passwd
    passwd=$(find "$T/data/image/layers" -path '*/diff/etc/passwd' | head -1)
    [ -f "$passwd" ] || fail "no etc/passwd in the stored layer"
    sed -i 's/root/ROOT/' "$passwd"
    local out
    out=$("$PIER" push "$REG/changed:1" 2>&1) && fail "push of a changed layer succeeded: $out"
    expect_contains "$out" "the layer was changed on disk"
    expect_eq "$(grep -c 'http.request.method=PUT.*/manifests/' "$T/registry.log")" 0 "manifest PUTs"
}
