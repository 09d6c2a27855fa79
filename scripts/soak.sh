#!/usr/bin/env bash
# The soak of issue 17: the release app under Xvfb for a long run, its memory (PSS of the
# app and its WebKit processes) sampled every minute while the window switches views.
# Usage: scripts/soak.sh [--minutes 120] [--services 300] [--poll-interval 2s] [--out soak-300.csv]
# Exits 1 when memory grew more than 10 % after the first ten minutes. Not part of
# `make test` (it takes hours): run it and record the figures in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target}"
export PATH="$HOME/.cargo/bin:$PATH"
if [ -z "${SWITCHYARD_BIN:-}" ]; then
  make app tauri-driver >&2
  export SWITCHYARD_BIN="$CARGO_TARGET_DIR/release/switchyard"
fi
cargo build -q -p switchyard-tests --example soak
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  "$CARGO_TARGET_DIR/debug/examples/soak" "$@"
