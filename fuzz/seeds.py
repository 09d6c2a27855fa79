#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target from the project's test fixtures: the
documents and strings of the readers' unit tests, the files in
crates/switchyard-core/tests/fixtures, and (when given the path of a built
`switchyard-fleet`) the simulated fleet's own answers, fetched from a running fleet. The committed corpus is
this, minimized with `cargo fuzz cmin` and grown by the 10-minute runs."""
import os
import re
import select
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(ROOT, "crates", "switchyard-core")
SEP = b"\xff"

# Each profile's endpoints, in the order of its `endpoints()`.
ENDPOINTS = {
    "health_contract": ["/health"],
    "health_levels": ["/health", "/health/ready", "/health/detailed", "/internal/events/metrics"],
    "breaker_registry": [
        "/api/circuit-breakers/stats", "/api/cache/stats", "/api/metrics/current",
        "/api/metrics/health-score", "/api/metrics/alerts", "/api/metrics/alerts/thresholds",
        "/api/ws/stats",
    ],
    "single_breaker": ["/api/circuit-breaker/status", "/api/circuit-breaker/history"],
    "emergency_controls": ["/health", "/api/v1/admin/emergency/status"],
    "spring_actuator": ["/actuator/health", "/actuator/circuitbreakers", "/actuator/circuitbreakerevents"],
    "prometheus": ["/metrics"],
}

RAW = re.compile(r'r(#*)"(.*?)"\1', re.S)


def raw_strings(path):
    with open(path, encoding="utf-8") as f:
        return [m.group(2).encode() for m in RAW.finditer(f.read())]


def fixture(name):
    with open(os.path.join(CORE, "tests", "fixtures", name), "rb") as f:
        return f.read()


def write(target, seeds):
    out = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(out, exist_ok=True)
    for i, seed in enumerate(dict.fromkeys(seeds)):
        with open(os.path.join(out, f"seed-{i:03}"), "wb") as f:
            f.write(seed)


def families(exposition, end, size=4096):
    """The exposition's metric families, grouped into documents of about `size` bytes
    (the fixtures are 400 KB: too slow to mutate whole), each closed by `end`."""
    blocks = re.split(rb"(?m)^(?=# HELP )", exposition.replace(b"# EOF\n", b""))
    pieces = []
    for block in blocks:
        # A family larger than a document (one has 300 KB of histograms) is cut at
        # lines, each piece under the family's own HELP and TYPE lines.
        lines = block.splitlines(keepends=True)
        head = [line for line in lines if line.startswith(b"#")]
        piece = b""
        for line in lines[len(head):]:
            if len(piece) + len(line) > size:
                pieces.append(b"".join(head) + piece)
                piece = b""
            piece += line
        pieces.append(b"".join(head) + piece)
    out, current = [], b""
    for block in pieces:
        if current and len(current) + len(block) > size:
            out.append(current + end)
            current = b""
        current += block
    return out + ([current + end] if current else [])


def every_endpoint(profile, doc):
    return [bytes([i]) + doc for i in range(len(ENDPOINTS[profile]))]


def fleet_answers(binary):
    """Starts the fleet, reads its configuration, and fetches every endpoint of every
    service a few times (its script moves on between rounds): {profile: [(index, body)]},
    and the configuration text."""
    fleet = subprocess.Popen([binary, "--print-config"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        # The configuration comes in one write, then the fleet keeps serving.
        chunks, fd = [], fleet.stdout.fileno()
        while select.select([fd], [], [], 0.5 if chunks else 60)[0]:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        # Without the first line: it exports this run's random internal key.
        text = b"".join(chunks).split(b"\n", 1)[1]
        config = tomllib.loads(text.decode())
        answers = {}
        for _ in range(3):
            for service in config.get("service", []):
                profile = service.get("profile", "").replace("-", "_")
                for index, path in enumerate(ENDPOINTS.get(profile, [])):
                    try:
                        with urllib.request.urlopen(service["base_url"].rstrip("/") + path, timeout=5) as r:
                            body = r.read()
                    except urllib.error.HTTPError as e:
                        body = e.read()
                    except OSError:
                        continue
                    answers.setdefault(profile, []).append((index, body))
        return answers, text
    finally:
        fleet.terminate()
        fleet.wait()


def main():
    answers, fleet_config = fleet_answers(sys.argv[1]) if len(sys.argv) > 1 else ({}, None)
    for profile, endpoints in ENDPOINTS.items():
        seeds = []
        for doc in raw_strings(os.path.join(CORE, "src", "profiles", profile + ".rs")):
            seeds += every_endpoint(profile, doc)
        seeds += [bytes([index]) + body for index, body in answers.get(profile, [])]
        if profile == "prometheus":
            seeds += [b"\0" + chunk for chunk in families(fixture("prometheus_spring.txt"), b"")]
            seeds += [b"\0" + chunk for chunk in families(fixture("prometheus_spring.om"), b"# EOF\n")]
        if profile == "spring_actuator":
            seeds += [
                b"\0" + fixture("spring_health.json"),
                b"\1" + fixture("spring_circuitbreakers.json"),
                b"\2" + fixture("spring_circuitbreakerevents.json")
                + SEP + b"\2" + fixture("spring_circuitbreakerevents_next.json"),
            ]
        if profile == "single_breaker":
            history = [d for d in raw_strings(os.path.join(CORE, "src", "profiles", profile + ".rs")) if b"history" in d or b"transitions" in d]
            if len(history) >= 2:
                seeds.append(b"\1" + history[0] + SEP + b"\1" + history[1])
        write(profile, seeds)

    # json_mapping: the expressions (one a line, see fuzz_targets/json_mapping.rs), then documents.
    mappings = [
        ["$.state", "$.breakers[*]", "$.id", "$.cb_state", "$.queue.pending", "$.queue.max", "$.cache.ratio", "$.cache.hits", "$.cache.misses"],
        ["$.health.overall", "$.circuits.*", "", "", "", "", "$.hit_rate", "$.hits", "$.misses"],
        ["", "$.components[?@.kind == 'breaker' && length(@.name) > 0]", "", "", "$.queues[?search(@.name, '^main')].depth", "$.queue[", "", "", ""],
        ["$..status", "$.breakers[1:5:2]", "$['name']", "$.state", "$.q[-1]", "$.q[0]", "$.c", "", ""],
    ]
    docs = [fixture("json_mapping_status.json")] + [
        d for d in raw_strings(os.path.join(CORE, "src", "profiles", "json_mapping.rs")) if d.lstrip().startswith((b"{", b"["))
    ]
    write("json_mapping", ["\n".join(m).encode() + SEP + b"\0" + doc for m in mappings for doc in docs])

    write("ws_messages", raw_strings(os.path.join(CORE, "src", "sources", "ws", "messages.rs")) + [
        b'{"type": "data", "channel": "breakers", "data": {"name": "a", "state": "CLOSED", "failure_count": 0, "success_count": 12, "current_backoff_seconds": 1.5, "health_score": 98}}',
        b'{"type": "subscribed", "channel": "breakers"}',
    ])

    configs = raw_strings(os.path.join(CORE, "src", "config", "tests.rs"))
    with open(os.path.join(ROOT, "fuzz", "every-key.toml"), "rb") as f:
        configs.append(f.read())
    if fleet_config:
        configs.append(fleet_config)
    write("config", configs)


main()
