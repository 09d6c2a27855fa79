#!/usr/bin/env bash
# What it costs to scrape N Prometheus targets at 1 s: Prometheus (the Debian package)
# and `switchyard-cli watch` (release build), one after the other on the same N loopback
# targets in the same run, each for a settling period and then a measured window.
# Prints, for both, CPU-ms per scrape (utime+stime from /proc/PID/stat over the window,
# divided by the scrapes the targets answered in it, counted the same way for both at
# the targets), the ratio, and peak RSS (VmHWM). Issue 14; results in BENCHMARKS.md.
#
# usage: scripts/bench-scrape.sh [N=1000] [SETTLE_SECONDS=20] [WINDOW_SECONDS=60]
# env:   CARGO_TARGET_DIR (default ~/.cache/switchyard-target-bench)
#        ONLY=prometheus|switchyard   run one of the two
#        KEEP=1                       keep the temporary folder (configs, logs, history)
set -euo pipefail

N=${1:-1000}
SETTLE=${2:-20}
WINDOW=${3:-60}
ONLY=${ONLY:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target-bench}
DOCUMENT=$ROOT/scripts/bench/spring-actuator.prom
TICK=$(getconf CLK_TCK)

# Every target keeps a connection open to each scraper, and each scraper one to each.
ulimit -n "$(ulimit -Hn)"

if ! command -v prometheus >/dev/null; then
    echo "installing prometheus (Debian package)…" >&2
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y --no-install-recommends prometheus >&2
fi

PACKAGES=(-p switchyard-fleet)
[ "$ONLY" = prometheus ] || PACKAGES+=(-p switchyard-cli)
echo "building ${PACKAGES[*]} (release)…" >&2
(cd "$ROOT" && cargo build --release --quiet "${PACKAGES[@]}")
BIN=$CARGO_TARGET_DIR/release

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Polls a condition every 100 ms until it holds, or gives up after $1 seconds.
await() {
    local limit=$1; shift
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "gave up waiting for: $*" >&2; return 1; }
        sleep 0.1
    done
}

# Created before the fleet starts, so the wait below never reads a file not yet there.
: >"$WORK/targets"
"$BIN/switchyard-fleet" --serve-static "$N" "$DOCUMENT" >"$WORK/targets" 2>"$WORK/targets.log" &
PIDS+=($!)
targets_listed() { [ "$(wc -l <"$WORK/targets")" -ge "$N" ]; }
await 60 targets_listed
FIRST=$(head -1 "$WORK/targets")
scrapes() { curl -fsS "http://$FIRST/_bench/requests"; }
await 10 scrapes >/dev/null

# utime + stime of a process, in clock ticks (fields 14 and 15, after the `(comm)`).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
scraped_all_once() { [ $(($(scrapes) - $1)) -ge "$N" ]; }

# measure NAME PID: waits for one whole round of scrapes, settles, measures a window.
measure() {
    local name=$1 pid=$2 start
    start=$(scrapes)
    await 120 scraped_all_once "$start"
    sleep "$SETTLE"
    local c0 t0 l0 c1 t1
    c0=$(scrapes); t0=$(cpu_ticks "$pid"); l0=$(load)
    sleep "$WINDOW"
    c1=$(scrapes); t1=$(cpu_ticks "$pid")
    kill -0 "$pid" || { echo "$name died during the window" >&2; return 1; }
    local rss; rss=$(peak_rss_kib "$pid")
    awk -v name="$name" -v c="$((c1 - c0))" -v t="$((t1 - t0))" -v tick="$TICK" \
        -v w="$WINDOW" -v rss="$rss" -v l0="$l0" -v l1="$(load)" 'BEGIN {
        ms = t * 1000 / tick
        printf "%-11s scrapes %7d (%.0f/s)  CPU %8.0f ms (%5.1f %% of a core)  %.4f CPU-ms/scrape  peak RSS %6.1f MB  load %s -> %s\n",
            name, c, c / w, ms, ms / w / 10, (c ? ms / c : 0), rss / 1024, l0, l1
        print name, (c ? ms / c : 0), rss > "/dev/stderr"
    }' 2>>"$WORK/results"
}

echo "N=$N targets serving $(grep -vc '^#' "$DOCUMENT") samples ($(wc -c <"$DOCUMENT") bytes); settle ${SETTLE}s, window ${WINDOW}s; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ "$ONLY" != switchyard ]; then
    {
        echo "global: { scrape_interval: 1s, scrape_timeout: 800ms }"
        echo "scrape_configs:"
        echo "  - job_name: bench"
        echo "    static_configs:"
        echo "      - targets:"
        sed 's/^/          - /' "$WORK/targets"
    } >"$WORK/prometheus.yml"
    PROM_PORT=$(free_port)
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
        --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
    PROM=$!; PIDS+=("$PROM")
    prometheus_ready() { curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; }
    await 60 prometheus_ready
    measure prometheus "$PROM"
    kill "$PROM"; wait "$PROM" 2>/dev/null || true
fi

if [ "$ONLY" != prometheus ]; then
    {
        printf '[storage]\npath = "%s"\n\n[defaults]\npoll_interval = "1s"\ntimeout = "800ms"\n' "$WORK/history.db"
        awk '{ printf "\n[[service]]\nname = \"svc%d\"\nbase_url = \"http://%s\"\nprofile = \"prometheus\"\n", NR, $0 }' "$WORK/targets"
    } >"$WORK/switchyard.toml"
    "$BIN/switchyard-cli" watch --config "$WORK/switchyard.toml" >"$WORK/watch.log" 2>&1 &
    WATCH=$!; PIDS+=("$WATCH")
    echo "$WATCH" >"$WORK/watch.pid"
    measure switchyard "$WATCH"
    kill "$WATCH"; wait "$WATCH" 2>/dev/null || true
fi

if [ -z "$ONLY" ]; then
    awk '{ ms[$1] = $2; rss[$1] = $3 } END {
        printf "switchyard / prometheus: CPU per scrape %.2fx (target <= 1.0x), peak RSS %.2fx (target <= 0.5x)\n",
            ms["switchyard"] / ms["prometheus"], rss["switchyard"] / rss["prometheus"]
    }' "$WORK/results"
fi
