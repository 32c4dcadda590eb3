#!/usr/bin/env bash
# Ingest benchmark (issue 5a): batches of 1,000 usage events from 8 concurrent clients over
# HTTP to a release server (synchronous=FULL, group commits), beside the sqlite3 CLI
# inserting the same rows into a table of the same shape, synchronous=FULL, 1,000 per
# transaction, in the same run.
#
#   Benchmarks/ingest.sh                          200 batches (make bench-ingest)
#   BENCH_BATCHES=16 SYNCLET_BIN=.build/debug/synclet Benchmarks/ingest.sh     smoke
set -euo pipefail
cd "$(dirname "$0")/.."
BATCHES=${BENCH_BATCHES:-200}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-ingest.XXXXXX")
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (make bench-ingest does)"; exit 1; }

source "$(dirname "$0")/lib.sh"
start_server
setup_licensing
# commercial-ads: unlimited views, 0.50 per 1,000.
LICENSE=$(curl -sf -X POST "$SYNCLET_SERVER/v1/licenses" -H "Authorization: Bearer $LICENSEE" -H "Idempotency-Key: bench-license" \
  -H "Content-Type: application/json" \
  -d "{\"asset_id\":\"$ASSET\",\"template\":\"commercial-ads\",\"use\":{\"platform\":\"youtube\",\"media\":\"short_form\",\"clip_seconds\":30,\"expected_views\":1000,\"term_days\":30,\"territory\":\"US\",\"monetized\":true,\"paid_ads\":false}}" | json '["id"]')

python3 - "$SYNCLET_SERVER" "$LICENSEE" "$LICENSE" "$BATCHES" "$WORK" <<'PY'
import concurrent.futures, datetime, http.client, json, sqlite3, subprocess, sys, time, urllib.parse
base, token, license, batches, work = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
url = urllib.parse.urlparse(base)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
def batch(n):
    return "\n".join(json.dumps({"event_id": f"e{n}-{i}", "license": license, "kind": "view", "quantity": 1 + (i % 7),
                                 "platform": "youtube", "channel_id": "UC1", "video_id": f"v{i % 50}", "country": "US",
                                 "occurred_at": now}) for i in range(1000)).encode()
bodies = [batch(n) for n in range(batches)]
def send(worker):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    accepted = 0
    for n in range(worker, batches, 8):
        conn.request("POST", "/v1/usage", body=bodies[n], headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
        reply = conn.getresponse()
        data = json.loads(reply.read())
        if reply.status != 200: sys.exit(f"HTTP {reply.status}: {data}")
        accepted += data["accepted"]
    return accepted
start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    accepted = sum(pool.map(send, range(8)))
ours = time.perf_counter() - start

# Baseline: the same rows, a table of the same shape, sqlite3 CLI, WAL, synchronous=FULL, 1,000 per transaction.
sql = [ "PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;",
  "CREATE TABLE usage_event (seq INTEGER PRIMARY KEY AUTOINCREMENT, reporter_id TEXT NOT NULL, event_id TEXT NOT NULL, license_id TEXT NOT NULL, kind TEXT NOT NULL, quantity INTEGER NOT NULL, platform TEXT NOT NULL, channel_id TEXT, video_id TEXT, country TEXT, occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, period TEXT NOT NULL, status TEXT NOT NULL, charged_micros INTEGER NOT NULL DEFAULT 0, UNIQUE (reporter_id, event_id));" ]
for n in range(batches):
    sql.append("BEGIN;")
    for i in range(1000):
        sql.append(f"INSERT INTO usage_event (reporter_id, event_id, license_id, kind, quantity, platform, channel_id, video_id, country, occurred_at, received_at, period, status, charged_micros) VALUES ('pty_x', 'e{n}-{i}', '{license}', 'view', {1 + i % 7}, 'youtube', 'UC1', 'v{i % 50}', 'US', 0, 0, '2026-11', 'accepted', 1);")
    sql.append("COMMIT;")
script = f"{work}/baseline.sql"
open(script, "w").write("\n".join(sql))
start = time.perf_counter()
subprocess.run(["sqlite3", f"{work}/baseline.sqlite", f".read {script}"], check=True, capture_output=True)
base_time = time.perf_counter() - start
events = batches * 1000
print(f"ingest over HTTP   {events} events in {ours:.2f} s = {events / ours:.0f} events/s ({accepted} accepted; 8 clients, 1,000 per batch)")
print(f"sqlite3 CLI        {events} rows in {base_time:.2f} s = {events / base_time:.0f} rows/s (FULL, 1,000 per transaction)")
print(f"ratio              {(events / ours) / (events / base_time):.2f} (goal >= 0.5)")
PY
