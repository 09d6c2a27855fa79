#!/usr/bin/env bash
# Issue 14's window bench: the release app under Xvfb on N loopback Prometheus targets
# (the document bench-scrape.sh serves) polled every second. After a settle period it
# reports the CPU of the app and its WebKit processes (% of one core, from /proc), their
# PSS (smaps_rollup), the age of the oldest value on screen (read through WebDriver as
# the e2e test large_fleet reads it), and, for any N, the first paint with data (app
# start to the first frame with a value) and how long filter keystrokes take to answer.
# The machinery is the soak's (tests/examples/soak.rs, --mode window-bench). Results in
# BENCHMARKS.md ("A thousand services").
#
# usage: scripts/bench-window.sh [N=1000] [SETTLE_SECONDS=240] [WINDOW_SECONDS=60] [POLL=1s]
# env:   CARGO_TARGET_DIR (default ~/.cache/switchyard-target); SWITCHYARD_BIN to skip
#        building the app (make app)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000}
SETTLE=${2:-240}
WINDOW=${3:-60}
POLL=${4:-1s}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target}"
export PATH="$HOME/.cargo/bin:$PATH"

# Every target keeps a connection open to the app: N sockets on each side.
ulimit -n "$(ulimit -Hn)"

if [ -z "${SWITCHYARD_BIN:-}" ]; then
  make app tauri-driver >&2
  export SWITCHYARD_BIN="$CARGO_TARGET_DIR/release/switchyard"
fi
cargo build -q -p switchyard-tests --example soak
echo "$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); app $SWITCHYARD_BIN"
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  "$CARGO_TARGET_DIR/debug/examples/soak" --mode window-bench --services "$N" \
  --settle-seconds "$SETTLE" --window-seconds "$WINDOW" --poll-interval "$POLL"
