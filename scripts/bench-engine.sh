#!/usr/bin/env bash
# The team's engine at 10,000 services (issue 15's targets, figures in BENCHMARKS.md):
# fills a VictoriaMetrics (Debian's package, on loopback, in a temporary folder) with the
# series of SERVICES services through its import API (up, four Resilience4j breakers in
# the 1.x form, their failure rates, cache gets; every 50th service with a breaker open)
# and 30 days of one series at a 15 s scrape, then runs `switchyard-cli debug-engine-bench`
# on it: one refresh of the whole fleet answered and applied into a console's live state
# (target: at most 10 queries, at most 2 s), and a 30-day chart read with query_range
# (target: at most 500 ms). Each measurement is taken RUNS times.
#
#   scripts/bench-engine.sh            # 10,000 services, 3 runs, the release CLI
#   SERVICES=1000 RUNS=1 CLI=target/debug/switchyard-cli scripts/bench-engine.sh
set -euo pipefail

SERVICES=${SERVICES:-10000}
RUNS=${RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target}
CLI=${CLI:-$TARGET/release/switchyard-cli}
if [ ! -x "$CLI" ]; then
  cargo build --release -p switchyard-cli
fi
command -v victoria-metrics >/dev/null || { echo "victoria-metrics is not installed (scripts/install-system-deps.sh)"; exit 2; }

DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
victoria-metrics -storageDataPath="$DIR/data" -httpListenAddr="127.0.0.1:$PORT" \
  -search.latencyOffset=0s -retentionPeriod=1y -search.maxUniqueTimeseries=2000000 \
  >"$DIR/vm.log" 2>&1 &
VM=$!
trap 'kill $VM 2>/dev/null; wait $VM 2>/dev/null; rm -rf "$DIR"' EXIT
URL="http://127.0.0.1:$PORT"
until curl -sf "$URL/health" >/dev/null; do sleep 0.1; done

echo "generating $SERVICES services' series" >&2
python3 - "$SERVICES" "$DIR" <<'PY'
import json, sys, time
services, folder = int(sys.argv[1]), sys.argv[2]
now = int(time.time() * 1000)
states = ["closed", "open", "half_open", "forced_open", "disabled", "metrics_only"]
breakers = ["exchange_api", "market_data_feed", "database", "redis"]
with open(f"{folder}/fleet.prom", "w") as out:
    for t in (now - 60_000, now):
        for i in range(services):
            job = f'job="svc-{i:05d}",instance="10.{i // 65536}.{i // 256 % 256}.{i % 256}:8080"'
            out.write(f"up{{{job}}} 1 {t}\n")
            for b in breakers:
                state = "open" if (i % 50 == 0 and b == "exchange_api") else "closed"
                for s in states:
                    out.write(f'resilience4j_circuitbreaker_state{{{job},name="{b}",state="{s}"}} {int(s == state)} {t}\n')
                out.write(f'resilience4j_circuitbreaker_failure_rate{{{job},name="{b}"}} {50.0 if state == "open" else 1.5} {t}\n')
            hits = 1000 + (t - now + 60_000) // 1000 * 90
            misses = 100 + (t - now + 60_000) // 1000 * 10
            out.write(f'cache_gets_total{{{job},result="hit"}} {hits} {t}\n')
            out.write(f'cache_gets_total{{{job},result="miss"}} {misses} {t}\n')
# 30 days of one series at a 15 s scrape.
step = 15_000
start = now - 30 * 86_400_000
stamps = list(range(start, now + 1, step))
with open(f"{folder}/history.jsonl", "w") as out:
    out.write(json.dumps({
        "metric": {"__name__": "cache_hit_ratio", "job": "svc-00001"},
        "values": [0.8 + 0.1 * ((k // 240) % 2) for k in range(len(stamps))],
        "timestamps": stamps,
    }) + "\n")
PY
echo "importing ($(wc -l <"$DIR/fleet.prom") lines)" >&2
curl -sf --data-binary "@$DIR/fleet.prom" "$URL/api/v1/import/prometheus"
curl -sf --data-binary "@$DIR/history.jsonl" "$URL/api/v1/import"
curl -sf "$URL/internal/force_flush" >/dev/null
# The imported points are searchable once the engine has indexed them.
until [ "$(curl -sf "$URL/api/v1/query" --data-urlencode 'query=count(up)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')" = "$SERVICES" ]; do sleep 0.5; done

for run in $(seq 1 "$RUNS"); do
  "$CLI" debug-engine-bench --url "$URL" --expect "$SERVICES" \
    --chart 'cache_hit_ratio{job="svc-00001"}' --range 30d --pixels 1000
done
