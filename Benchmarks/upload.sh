#!/usr/bin/env bash
# Upload benchmark (issue 2): a big WAV uploaded with the CLI to a local server, against
# `sha256sum` + `cp` (+ fsync of the copy) of the same file, in the same run.
#
#   Benchmarks/upload.sh                  1 GiB, release build (make bench-upload)
#   BENCH_UPLOAD_MIB=16 SYNCLET_BIN=.build/debug/synclet Benchmarks/upload.sh   smoke run
#
# Prints both throughputs, their ratio (goal >= 0.5) and the server's RSS growth
# (peak during the upload minus idle before it; goal < 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."

MIB=${BENCH_UPLOAD_MIB:-1024}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-upload.XXXXXX")
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$BIN" ] || { echo "no $BIN: run 'swift build -c release --product synclet' first (make bench-upload does)"; exit 1; }

now() { date +%s.%N; }
rss_kib() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/status"; }

# A 16-bit stereo 44.1 kHz sine of the requested size (176,400 bytes a second).
SECONDS_OF_AUDIO=$(( MIB * 1024 * 1024 / 176400 ))
"$BIN" tone --seconds "$SECONDS_OF_AUDIO" --format wav16 --output "$WORK/big.wav" >/dev/null
BYTES=$(stat -c %s "$WORK/big.wav")
sync

# Baseline: hash and copy the same file, and make the copy durable like the server does.
t0=$(now)
sha256sum "$WORK/big.wav" >/dev/null
cp "$WORK/big.wav" "$WORK/copy.wav"
sync "$WORK/copy.wav"
t1=$(now)
rm -f "$WORK/copy.wav"

# The server on a fresh folder, a composer, and the upload through the CLI.
"$BIN" serve --port "$PORT" --storage "$WORK/Storage" --upload-max-bytes $(( BYTES + 1 )) --log-level warning >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ADMIN=$(grep -o 'syn_[a-z0-9_]*' "$WORK/serve.log" | head -1)
export SYNCLET_SERVER="http://127.0.0.1:$PORT" SYNCLET_CONFIG_DIR="$WORK/cli"
COMPOSER=$(SYNCLET_API_KEY="$ADMIN" "$BIN" admin create-party --kind composer --name Bench --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["token"])')
IDLE_KIB=$(rss_kib "$SERVER_PID" VmRSS)

t2=$(now)
SYNCLET_API_KEY="$COMPOSER" "$BIN" upload "$WORK/big.wav" --kind track --title Bench --json >"$WORK/asset.json"
t3=$(now)
PEAK_KIB=$(rss_kib "$SERVER_PID" VmHWM)

python3 - "$BYTES" "$t0" "$t1" "$t2" "$t3" "$IDLE_KIB" "$PEAK_KIB" "$WORK/asset.json" "$WORK/big.wav" <<'PY'
import hashlib, json, sys
size, t0, t1, t2, t3, idle, peak = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6]), int(sys.argv[7])
asset = json.load(open(sys.argv[8]))[0]
assert asset["file"]["byte_count"] == size, "server stored a different size"
base = size / (t1 - t0) / 2**20
ours = size / (t3 - t2) / 2**20
growth = (peak - idle) / 1024
print(f"file            {size / 2**20:.0f} MiB WAV ({asset['audio']['frames']} frames)")
print(f"baseline        sha256sum + cp + sync: {t1 - t0:.2f} s = {base:.0f} MiB/s")
print(f"synclet upload  CLI -> tus -> probe -> blob: {t3 - t2:.2f} s = {ours:.0f} MiB/s")
print(f"ratio           {ours / base:.2f} (goal >= 0.5)")
print(f"server RSS      idle {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, growth {growth:.1f} MiB (goal < 64)")
PY
