# Local images: import (with --change and --message), images, tag, image
# inspect, rmi and its conflicts, as docker does them.
. "$TOP/tests/lib/engine.sh"

test_import_changes_and_image_inspect() {
    engine_start
    local root=${PIER_TEST_ROOTFS:-$T/busybox-root}
    [ -d "$root" ] || build_rootfs "$root"
    tar -C "$root" -cf "$T/rootfs.tar" .
    local id
    id=$(docker import -c 'CMD ["echo", "from-cmd"]' -c 'ENV A=b' -c 'LABEL l=v' -c 'WORKDIR /tmp' \
        -c 'STOPSIGNAL SIGUSR1' -m "the message" "$T/rootfs.tar" bb:1)
    [[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed [$id]"
    expect_eq "$(docker image inspect -f '{{.Id}}' bb:1)" "$id"
    expect_eq "$(docker image inspect -f '{{json .Config.Cmd}} {{.Config.Env}} {{.Config.Labels}}' bb:1)" \
        '["echo","from-cmd"] [A=b] map[l:v]'
    expect_eq "$(docker image inspect -f '{{.Config.WorkingDir}} {{.Config.StopSignal}} {{.Comment}}' bb:1)" \
        "/tmp SIGUSR1 the message"
    expect_eq "$(docker image inspect -f '{{.RootFS.Type}} {{len .RootFS.Layers}} {{.Os}}' bb:1)" "layers 1 linux"
    # the config reaches containers
    expect_eq "$(docker run --rm bb:1)" from-cmd
    expect_eq "$(docker run --rm bb:1 sh -c 'echo $A $PWD')" "b /tmp"
    expect_eq "$(docker inspect -f '{{.Config.StopSignal}}' "$(docker create bb:1)")" SIGUSR1
    # from stdin, and a bad change is refused with docker's words
    cat "$T/rootfs.tar" | docker import - bb:2 >/dev/null
    expect_eq "$(docker image inspect -f '{{.RootFS.Layers}}' bb:2)" \
        "$(docker image inspect -f '{{.RootFS.Layers}}' bb:1)" "the same rootfs, the same layer"
    expect_fail "NOPE is not a valid change command" docker import -c 'NOPE x' "$T/rootfs.tar" bb:3
    expect_fail "" sh -c "echo not-a-tar | docker import - bb:4"
    [ -z "$(docker images -q bb:4)" ] || fail "a failed import left an image"
}

# The tarball is unpacked as it arrives (a temporary layer while the body
# is still coming); a client that goes away mid-body leaves no image and
# no layer, even when what came is a tar whole but for its end blocks; the
# daemon serves the next import.
test_import_of_a_client_that_goes_away() {
    engine_start
    local root=${PIER_TEST_ROOTFS:-$T/busybox-root}
    [ -d "$root" ] || build_rootfs "$root"
    tar -C "$root" -cf "$T/rootfs.tar" .
    local size end
    size=$(stat -c %s "$T/rootfs.tar")
    end=$(tar_end "$T/rootfs.tar")
    [ "$end" -lt "$size" ] || fail "the tarball has no end blocks to leave out"
    post_cut "/v1.51/images/create?fromSrc=-&repo=cut" "$T/rootfs.tar" $((size / 2)) 3 &
    local client=$!
    on_exit "kill $client 2>/dev/null || true"
    wait_for sh -c "ls -A '$T/data/image/layers' | grep -q ."
    kill -0 "$client" || fail "the client had gone before the layer was being unpacked"
    wait "$client"
    wait_for store_empty
    post_cut "/v1.51/images/create?fromSrc=-&repo=cut" "$T/rootfs.tar" "$end"
    sleep 1 # an import that took the cut tarball for whole would store it by now
    wait_for store_empty
    expect_eq "$(docker images -aq | grep -c . || true)" 0 "images after imports cut short"
    local id
    id=$(docker import "$T/rootfs.tar" whole:1)
    expect_eq "$(docker image inspect -f '{{.Id}}' whole:1)" "$id"
    expect_eq "$(docker run --rm whole:1 echo whole)" whole
}

# POST /images/create's other forms, answered at once as ever (while the
# body, read as it comes, is dropped): a URL to import from, neither
# fromSrc nor fromImage, a tag that is no reference.
test_import_query_forms() {
    engine_start
    local out
    out=$(api POST "/v1.51/images/create?fromSrc=http://example.invalid/r.tar" "some body")
    expect_contains "$(echo "$out" | head -1)" " 400 "
    expect_contains "$out" "import from a URL (http://example.invalid/r.tar) is not supported"
    out=$(api POST "/v1.51/images/create")
    expect_contains "$(echo "$out" | head -1)" " 400 "
    expect_contains "$out" "fromImage or fromSrc is required"
    out=$(api POST "/v1.51/images/create?fromSrc=-&repo=Bad&tag=x" "not a tar")
    expect_contains "$(echo "$out" | head -1)" " 400 "
    expect_contains "$out" "invalid reference format: repository name (library/Bad) must be lowercase"
    out=$(api POST "/v1.51/images/create?fromSrc=-&repo=ok" "not a tar")
    expect_contains "$(echo "$out" | head -1)" " 500 "
    expect_contains "$out" "import: add layer"
    store_empty || fail "a refused import left something in the store"
    expect_eq "$(docker images -aq | grep -c . || true)" 0 "images after refused imports"
}

test_images_tag_and_rmi() {
    engine_start
    busybox_image
    local out
    out=$(docker images)
    expect_contains "$(echo "$out" | head -1)" "REPOSITORY   TAG       IMAGE ID       CREATED"
    expect_contains "$out" "busybox      latest"
    docker tag busybox mine:v1
    docker tag busybox:latest other/name
    expect_eq "$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
        "busybox:latest mine:v1 other/name:latest "
    expect_eq "$(docker images -q | sort -u | wc -l)" 1 "one image under three names"
    expect_eq "$(docker images --no-trunc -q | head -1)" "$(docker image inspect -f '{{.Id}}' busybox)"
    expect_eq "$(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' mine)" \
        "$(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' mine:v1)"
    expect_eq "$(docker images --format '{{.Tag}}' mine)" v1
    # rmi of one of several names only untags
    expect_eq "$(docker rmi mine:v1)" "Untagged: mine:v1"
    # refused while a container uses it, unless forced
    docker create --name user busybox true >/dev/null
    docker rmi other/name >/dev/null
    expect_fail "must force" docker rmi busybox
    expect_fail "No such image: nope:latest" docker rmi nope
    expect_fail "No such image" docker image inspect nope
    docker rm user >/dev/null
    out=$(docker rmi busybox)
    expect_contains "$out" "Untagged: busybox:latest"
    expect_contains "$out" "Deleted: sha256:"
    expect_eq "$(docker images -q)" ""
    # the layers went with the image
    expect_eq "$(ls "$T/data/image/layers" | wc -l)" 0
}
