#!/usr/bin/env bash
# License benchmark (issue 4): licenses issued per second over HTTP with 32 concurrent
# clients (wrk), and key verifications per second in-process, each beside
# `openssl speed ed25519` sign / verify in the same run.
#
#   Benchmarks/licensing.sh                     full run (make bench-licensing)
#   BENCH_SECONDS=2 SYNCLET_BIN=.build/debug/synclet Benchmarks/licensing.sh     smoke
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${BENCH_SECONDS:-10}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-licensing.XXXXXX")
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (make bench-licensing does)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

source "$(dirname "$0")/lib.sh"
start_server
setup_licensing

cat >"$WORK/issue.lua" <<LUA
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("id", thread_id) end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $LICENSEE"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"asset_id":"$ASSET","template":"social-clip","use":{"platform":"tiktok","media":"short_form","clip_seconds":30,"expected_views":1000,"term_days":30,"territory":"US","monetized":true,"paid_ads":false}}'
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. id .. "-" .. counter
  return wrk.format()
end
local errors = 0
response = function(status, headers, body) if status ~= 201 then errors = errors + 1 end end
done = function(summary, latency, requests) end
LUA
[ -n "${BENCH_PERF:-}" ] && (perf record -F 999 -g -p $SERVER_PID -o /tmp/lic.perf -- sleep 5 >/dev/null 2>&1 &)
wrk -t 2 -c 32 -d "${SECONDS_RUN}s" --latency -s "$WORK/issue.lua" "$SYNCLET_SERVER/v1/licenses" >"$WORK/wrk.txt"
ISSUED=$(sqlite3 "$WORK/Storage/synclet.sqlite" "SELECT count(*) FROM license")
OPENSSL=$(openssl speed -seconds "$((SECONDS_RUN > 3 ? 3 : SECONDS_RUN))" ed25519 2>/dev/null | awk '/Ed25519\)/ {print $(NF-1), $NF}' | tail -1)
OURS=$("$BIN" dev bench-keys --seconds "$((SECONDS_RUN > 3 ? 3 : SECONDS_RUN))")
python3 - "$WORK/wrk.txt" "$ISSUED" "$SECONDS_RUN" "$OPENSSL" "$OURS" <<'PY'
import re, sys
wrk = open(sys.argv[1]).read()
issued, seconds = int(sys.argv[2]), float(sys.argv[3])
sign_ssl, verify_ssl = map(float, sys.argv[4].split())
ours = dict(re.findall(r"(sign|verify) ([0-9.]+)/s", sys.argv[5]))
rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", wrk).group(1))
p99 = re.search(r"99%\s+(\S+)", wrk).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
print(f"issue over HTTP  {rate:.0f} licenses/s (32 connections, {issued} issued, p99 {p99}, non-2xx {non2xx.group(1) if non2xx else 0})")
print(f"openssl sign     {sign_ssl:.0f}/s   ratio {rate / sign_ssl:.3f} (goal >= 0.25)")
print(f"verify in-proc   {float(ours['verify']):.0f}/s   openssl verify {verify_ssl:.0f}/s   ratio {float(ours['verify']) / verify_ssl:.2f} (goal >= 0.9)")
print(f"sign in-proc     {float(ours['sign']):.0f}/s   ratio to openssl sign {float(ours['sign']) / sign_ssl:.2f}")
PY
