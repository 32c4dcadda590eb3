#!/usr/bin/env bash
# Search benchmark (issue 3): a generated catalog of BENCH_SEARCH_ASSETS assets (default
# 1,000,000), five representative searches over HTTP against a release server, beside the
# same SQL in the sqlite3 CLI on the same database, in the same run.
#
#   Benchmarks/search.sh                                 full run (make bench-search)
#   BENCH_SEARCH_ASSETS=20000 BENCH_ITERATIONS=30 SYNCLET_BIN=.build/debug/synclet Benchmarks/search.sh   smoke
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${BENCH_SEARCH_ASSETS:-1000000}
ITERATIONS=${BENCH_ITERATIONS:-300}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-search.XXXXXX")
SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
trap 'stop_server; rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (make bench-search does)"; exit 1; }

STARTS=0
start_server() {
  # A log per start: the listening line of an earlier start must not pass for this one's.
  STARTS=$((STARTS + 1))
  LOG="$WORK/serve-$STARTS.log"
  "$BIN" serve --port "$PORT" --storage "$WORK/Storage" --log-level warning >"$LOG" 2>&1 &
  SERVER_PID=$!
  # A first start on a freshly generated catalog refreshes the planner's statistics: allow a while.
  for _ in $(seq 1 1200); do grep -q "listening on" "$LOG" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$LOG" || { echo "the server did not start:"; tail -20 "$LOG"; exit 1; }
}

start_server
ADMIN=$(grep -o 'syn_[a-z0-9_]*' "$LOG" | head -1)
export SYNCLET_SERVER="http://127.0.0.1:$PORT" SYNCLET_CONFIG_DIR="$WORK/cli" SYNCLET_API_KEY="$ADMIN"
COMPOSERS=()
for name in "Ada Lovelace" "Bob Moog" "Clara Rockmore" "Delia Derbyshire"; do
  id=$("$BIN" admin create-party --kind composer --name "$name" --no-key --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["party"]["id"])')
  COMPOSERS+=("$id:$name")
done
LICENSEE=$("$BIN" admin create-party --kind licensee --name "Searcher" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["token"])')
stop_server

python3 Benchmarks/generate_catalog.py "$WORK/Storage/synclet.sqlite" "$COUNT" "${COMPOSERS[@]}" | tee "$WORK/gen.txt"
WORD=$(sed -n 's/.*mid: \([a-z]*\).*/\1/p' "$WORK/gen.txt")
# A deep page: the position 60% of the way down the newest-first order.
DEEP_ID=$(sqlite3 "$WORK/Storage/synclet.sqlite" "SELECT id FROM asset WHERE status = 'published' ORDER BY id DESC LIMIT 1 OFFSET $((COUNT * 6 / 10))")
CURSOR=$("$BIN" dev mint-cursor --storage "$WORK/Storage" "newest|$DEEP_ID|")
start_server

python3 Benchmarks/search_latency.py "http://127.0.0.1:$PORT" "$LICENSEE" "$WORK/Storage/synclet.sqlite" "$BIN" "$ITERATIONS" \
  "text=q=$WORD&limit=20" \
  "text+bpm=q=$WORD&bpm_min=90&bpm_max=120&limit=20" \
  "harmonic=compatible_with=8A&limit=20" \
  "kind+duration=kind=loop&duration_min=20&duration_max=40&sort=duration&limit=20" \
  "deep-page=limit=20&cursor=$CURSOR&position=newest|$DEEP_ID|"
