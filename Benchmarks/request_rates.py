#!/usr/bin/env python3
"""Request rates of the request path (issue 10), each beside its baseline in the same run.

A release server starts on a fresh folder, seeded as the load test seeds it (four composers,
twelve published loops, a licensee with twelve licenses). Then wrk asks, at 32 connections
and at 1, for:

  /health (event loop)   what probes get: answered by the event loop from the last check
  /health (router)       the same answer through the whole middleware chain (a key sent, so
                         the event loop passes it on): the baseline of every ratio below
  verify by code         public, no key           ratio to /health (router), goal >= 0.5
  assets list            20 per page, a key       ratio to /health (router), goal >= 0.5
  licenses list          20 per page, a key       ratio to /health (router), goal >= 0.5
  license issue          POST /v1/licenses        goal >= 2,500/s at 32 connections

Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS (default 5).

  Benchmarks/request_rates.py [--binary .build/release/synclet]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests/Load"))
import load_test  # noqa: E402  (the seeding and the server wrapper are shared)

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))


def wrk(base, path, connections, headers=(), script=None):
    rates, p50s, p99s = [], [], []
    for _ in range(RUNS):
        command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{SECONDS}s", "--latency"]
        for header in headers:
            command += ["-H", header]
        if script:
            command += ["-s", str(script)]
        output = subprocess.run(command + [base + path], capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if non2xx:
            raise SystemExit(f"{path}: {non2xx.group(1)} answers were not 2xx:\n{output}")
        rates.append(rate)
        p50s.append(latency_ms(output, "50%"))
        p99s.append(latency_ms(output, "99%"))
    return statistics.median(rates), statistics.median(p50s), statistics.median(p99s)


def latency_ms(output, percentile):
    match = re.search(rf"{re.escape(percentile)}\s+([0-9.]+)(us|ms|s)", output)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=REPO / ".build/release/synclet")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="synclet-bench-requests-"))
    server = load_test.Server(args.binary, work, ["--limit", "verify-burst-max-requests=100000000",
                                                  "--limit", "verify-requests-per-minute=100000000"])
    server.binary = args.binary
    try:
        admin = server.start()
        catalog = load_test.seed(server, admin, args.binary, work)
        base = server.base
        key = f"Authorization: Bearer {catalog.licensee}"
        code = catalog.licenses[0][1]
        issue = work / "issue.lua"
        issue.write_text(f"""
local counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {catalog.licensee}"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{json.dumps({"asset_id": catalog.assets[0][0], "template": "social-clip", "use": load_test.USE})}'
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. math.random(1000000000) .. "-" .. counter
  return wrk.format()
end
""")
        routes = [
            ("/health (event loop)", "/health", ()),
            ("/health (router)", "/health", (key,)),
            ("verify by code", f"/v1/verify/{code}", ()),
            ("assets list", "/v1/assets?limit=20", (key,)),
            ("licenses list", "/v1/licenses?limit=20", (key,)),
        ]
        print(f"{'route':<22} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'baseline':>10} {'ratio':>6}")
        results = {}
        for connections in (32, 1):
            baseline = None
            for name, path, headers in routes:
                rate, p50, p99 = wrk(base, path, connections, headers)
                results[(name, connections)] = rate
                if name == "/health (router)":
                    baseline = rate
                shown = f"{baseline:>10.0f} {rate / baseline:>6.2f}" if baseline and name not in ("/health (router)",) else f"{'':>10} {'':>6}"
                if name == "/health (event loop)":
                    shown = f"{'':>10} {'':>6}"
                print(f"{name:<22} {connections:>5} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f} {shown}")
            rate, p50, p99 = wrk(base, "/v1/licenses", connections, script=issue)
            goal = "goal 2500/s" if connections == 32 else ""
            print(f"{'license issue':<22} {connections:>5} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f} {goal:>17}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
