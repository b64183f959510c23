# The integration test harness.  Each test_* function runs in a subshell
# with a scratch directory $T of its own, a runtime state root $ROOT under
# it, and a trap that removes every container, mount, cgroup and process it
# made, whether it passed or not.

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${PIER_BUILD:-$TOP/build}
PIER_RUNTIME=$BUILD/pier-runtime
. "$TOP/tests/lib/bundle.sh"

# rt ARGS: pier-runtime on this test's root.
rt() { "$PIER_RUNTIME" --root "$ROOT" "$@"; }

fail() {
    echo "FAILED: $*" >&2
    exit 1
}

# expect_eq ACTUAL EXPECTED [WHAT]
expect_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: expected [$2], got [$1]"
}

# expect_contains HAYSTACK NEEDLE [WHAT]
expect_contains() {
    case "$1" in
    *"$2"*) ;;
    *) fail "${3:-output}: expected to contain [$2], got [$1]" ;;
    esac
}

expect_not_contains() {
    case "$1" in
    *"$2"*) fail "${3:-output}: expected not to contain [$2], got [$1]" ;;
    esac
}

# expect_fail NEEDLE CMD...: CMD must fail and say NEEDLE on stdout/stderr.
expect_fail() {
    local needle=$1
    shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "expected failure of [$*], it succeeded: $out"
    expect_contains "$out" "$needle" "error of [$*]"
}

# wait_for CMD...: retry CMD for up to 10 seconds.
wait_for() {
    local i
    for i in $(seq 1 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    fail "timed out waiting for: $*"
}

# Registered cleanups run in reverse order, then the standard ones: every
# container of $ROOT deleted, mounts under $T unmounted, cgroups named after
# the test's ids and /pier-test-$TEST_TAG removed, $T removed.
CLEANUPS=()
on_exit() { CLEANUPS+=("$*"); }

harness_cleanup() {
    # The test ran under set -e: a cleanup step that fails (a process
    # already gone) must not end the cleanup, nor the shell inside it.
    set +e
    local i
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUPS[$i]}" >/dev/null 2>&1
    done
    if [ -d "$ROOT" ]; then
        local c
        for c in $(ls "$ROOT" 2>/dev/null); do
            "$PIER_RUNTIME" --root "$ROOT" delete --force "$c" >/dev/null 2>&1
        done
    fi
    # Mounts under the scratch directory, deepest first.
    local m
    for m in $(awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    # Cgroups named after this test's containers.
    local d
    for d in $(find /sys/fs/cgroup -depth -type d -name "${TEST_PREFIX}*" 2>/dev/null); do
        rmdir "$d" 2>/dev/null
    done
    for d in $(find /sys/fs/cgroup -maxdepth 3 -depth -type d -name "pier-test-$TEST_TAG" 2>/dev/null); do
        rmdir "$d" 2>/dev/null
    done
    rm -rf "$T"
}

# harness_setup NAME: scratch space, unique prefix for ids.
harness_setup() {
    TEST_TAG="$$-$RANDOM"
    TEST_PREFIX="pt-$TEST_TAG-"
    T=$(mktemp -d "/tmp/pier-test.$1.XXXXXX")
    ROOT=$T/state
    trap harness_cleanup EXIT
}

# cid NAME: a container id unique to this test.
cid() { echo "${TEST_PREFIX}$1"; }
