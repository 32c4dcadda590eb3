#!/usr/bin/env bash
# Statement latency (issue 5b): a composer's statement over HTTP with 100,000 and then
# 1,000,000 usage events in the open period (events sent through /v1/usage, 8 clients,
# batches of 1,000); p50/p99 of 200 sequential statement requests at each size.
#
#   Benchmarks/statements.sh                                   (make bench-statements)
#   BENCH_EVENTS_SMALL=2000 BENCH_EVENTS_LARGE=10000 SYNCLET_BIN=.build/debug/synclet Benchmarks/statements.sh   smoke
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${BENCH_EVENTS_SMALL:-100000}
LARGE=${BENCH_EVENTS_LARGE:-1000000}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-statements.XXXXXX")
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (make bench-statements does)"; exit 1; }
source "$(dirname "$0")/lib.sh"
start_server
setup_licensing
LICENSE=$(curl -sf -X POST "$SYNCLET_SERVER/v1/licenses" -H "Authorization: Bearer $LICENSEE" -H "Idempotency-Key: bench-license" \
  -H "Content-Type: application/json" \
  -d "{\"asset_id\":\"$ASSET\",\"template\":\"commercial-ads\",\"use\":{\"platform\":\"youtube\",\"media\":\"short_form\",\"clip_seconds\":30,\"expected_views\":1000,\"term_days\":30,\"territory\":\"US\",\"monetized\":true,\"paid_ads\":false}}" | json '["id"]')

python3 - "$SYNCLET_SERVER" "$LICENSEE" "$COMPOSER" "$LICENSE" "$SMALL" "$LARGE" <<'PY'
import concurrent.futures, datetime, http.client, json, sys, time, urllib.parse
base, licensee, composer, license, small, large = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
url = urllib.parse.urlparse(base)
now = datetime.datetime.now(datetime.timezone.utc)
period = now.strftime("%Y-%m")
stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
platforms = ["youtube", "tiktok", "instagram", "twitch"]
def send_range(first, last):
    def work(worker):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        for start in range(first + worker * 1000, last, 8000):
            body = "\n".join(json.dumps({"event_id": f"e{i}", "license": license, "kind": "view", "quantity": 1 + i % 5,
                                         "platform": platforms[i % 4], "occurred_at": stamp}) for i in range(start, min(start + 1000, last)))
            conn.request("POST", "/v1/usage", body=body.encode(), headers={"Authorization": f"Bearer {licensee}", "Content-Type": "application/x-ndjson"})
            reply = conn.getresponse(); reply.read()
            if reply.status != 200: sys.exit(f"HTTP {reply.status}")
    with concurrent.futures.ThreadPoolExecutor(8) as pool: list(pool.map(work, range(8)))
def latency():
    conn = http.client.HTTPConnection(url.hostname, url.port)
    times = []
    for i in range(220):
        start = time.perf_counter()
        conn.request("GET", f"/v1/statements?period={period}", headers={"Authorization": f"Bearer {composer}"})
        reply = conn.getresponse(); data = reply.read()
        if reply.status != 200: sys.exit(f"HTTP {reply.status} {data[:200]}")
        if i >= 20: times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)], json.loads(data)
send_range(0, small)
p50s, p99s, statement = latency()
print(f"{small:>9} events: statement p50 {p50s:.2f} ms, p99 {p99s:.2f} ms ({len(statement['lines'])} lines, usage {statement['usage_micros']} µ)")
send_range(small, large)
p50l, p99l, statement = latency()
print(f"{large:>9} events: statement p50 {p50l:.2f} ms, p99 {p99l:.2f} ms ({len(statement['lines'])} lines, usage {statement['usage_micros']} µ)")
print(f"p99 growth {p99l / p99s:.2f}x for {large / small:.0f}x the events (goal: p99 <= 50 ms and nearly flat)")
PY
