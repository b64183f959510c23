# tmux on a server of the test's own, for programs that need a terminal.
# Sourced by tests that use it; the test registers tmux_cleanup.

# tm ARGS...: tmux on this test's server.
tm() { tmux -L "pier-test-$TEST_TAG" -f /dev/null "$@"; }

tmux_cleanup() { tm kill-server 2>/dev/null || true; }

# screen_has TEXT [TARGET]: the tmux pane (default: window t) shows TEXT.
screen_has() {
    tm capture-pane -p -t "${2:-t}" | grep -qF -- "$1"
}
