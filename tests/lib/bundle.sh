# Busybox root filesystems and OCI bundles for tests, from Debian's
# busybox-static (a static binary: it runs in any root).

BUSYBOX=${BUSYBOX:-/bin/busybox}
# Debian's python3, not a version manager's shim (which costs 300 ms a start).
PY=${PY:-$(command -v /usr/bin/python3 || command -v python3)}

# build_rootfs DIR: a minimal root: busybox and its applets in /bin, the
# directories a container expects, /etc/passwd and /etc/group.
build_rootfs() {
    local dir=$1
    local ldd_out
    ldd_out=$(ldd "$BUSYBOX" 2>&1 || true)
    case "$ldd_out" in
    *"not a dynamic executable"*) ;;
    *)
        echo "build_rootfs: $BUSYBOX is not a static busybox (install busybox-static)" >&2
        return 1
        ;;
    esac
    mkdir -p "$dir"/{bin,proc,sys,dev,tmp,etc,root,home/user,var,run}
    cp "$BUSYBOX" "$dir/bin/busybox"
    "$BUSYBOX" --list | "$PY" -c '
import os, sys
d = sys.argv[1]
for a in sys.stdin.read().split():
    if a != "busybox":
        os.symlink("busybox", os.path.join(d, a))
' "$dir/bin"
    chmod 1777 "$dir/tmp"
    cat > "$dir/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
PW
    cat > "$dir/etc/group" <<'GR'
root:x:0:
tty:x:5:
nogroup:x:65534:
user:x:1000:
GR
}

# make_rootfs DIR: a copy of the busybox root (built once per test run, in
# PIER_TEST_ROOTFS when the runner set it).
make_rootfs() {
    if [ -n "${PIER_TEST_ROOTFS:-}" ] && [ -x "$PIER_TEST_ROOTFS/bin/busybox" ]; then
        mkdir -p "$(dirname "$1")"
        cp -a "$PIER_TEST_ROOTFS" "$1"
    else
        build_rootfs "$1"
    fi
}

# make_bundle DIR [ARG...]: DIR/rootfs and DIR/config.json from
# `pier-runtime spec`, with no terminal, a writable root and the given
# program (default: sh).
make_bundle() {
    local dir=$1
    shift
    mkdir -p "$dir"
    make_rootfs "$dir/rootfs" || return 1
    (cd "$dir" && "$PIER_RUNTIME" spec) || return 1
    local args_json
    args_json=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:] or ["sh"]))' "$@")
    bundle_edit "$dir" "c['process']['terminal']=False; c['root']['readonly']=False; c['process']['args']=$args_json"
}

# bundle_edit DIR 'PYTHON': change DIR/config.json, loaded as `c`.
bundle_edit() {
    "$PY" - "$1/config.json" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"), indent=1)
PY
}
