#!/usr/bin/env bash
# Pack benchmark (issue 3): a ~1 GiB stem pack (zip, stored) of four WAVs and a pack.json,
# uploaded with `synclet upload-pack` to a release server. Prints the time and the
# server's RSS growth (peak during the pack minus idle before it; goal < 64 MiB).
#
#   Benchmarks/pack.sh                                               1 GiB (make bench-pack)
#   BENCH_PACK_MIB=16 SYNCLET_BIN=.build/debug/synclet Benchmarks/pack.sh     smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${BENCH_PACK_MIB:-1024}
BIN=${SYNCLET_BIN:-.build/release/synclet}
PORT=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-bench-pack.XXXXXX")
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (make bench-pack does)"; exit 1; }
rss_kib() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/status"; }

# Four WAVs of a quarter of the size each, and a pack.json naming the full mix.
SECONDS_EACH=$(( MIB * 1024 * 1024 / 4 / 176400 ))
mkdir -p "$WORK/pack"
for name in mix drums bass keys; do
  "$BIN" tone --seconds "$SECONDS_EACH" --format wav16 --output "$WORK/pack/$name.wav" >/dev/null
done
cat >"$WORK/pack/pack.json" <<'JSON'
{"title": "Benchmark Pack", "full_mix": "mix.wav",
 "files": {"drums.wav": {"role": "drums"}, "bass.wav": {"role": "bass"}, "keys.wav": {"role": "keys"}}}
JSON
python3 - "$WORK/pack" "$WORK/pack.zip" <<'PY'
import os, sys, zipfile
folder, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
    for name in sorted(os.listdir(folder)):
        archive.write(os.path.join(folder, name), name)
PY
rm -rf "$WORK/pack"
BYTES=$(stat -c %s "$WORK/pack.zip")

"$BIN" serve --port "$PORT" --storage "$WORK/Storage" --upload-max-bytes $(( BYTES + 1 )) --log-level warning >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
ADMIN=$(grep -o 'syn_[a-z0-9_]*' "$WORK/serve.log" | head -1)
export SYNCLET_SERVER="http://127.0.0.1:$PORT" SYNCLET_CONFIG_DIR="$WORK/cli"
COMPOSER=$(SYNCLET_API_KEY="$ADMIN" "$BIN" admin create-party --kind composer --name Bench --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["token"])')
IDLE_KIB=$(rss_kib "$SERVER_PID" VmRSS)
t0=$(date +%s.%N)
SYNCLET_API_KEY="$COMPOSER" "$BIN" upload-pack "$WORK/pack.zip" --json >"$WORK/result.json"
t1=$(date +%s.%N)
PEAK_KIB=$(rss_kib "$SERVER_PID" VmHWM)
python3 - "$BYTES" "$t0" "$t1" "$IDLE_KIB" "$PEAK_KIB" "$WORK/result.json" <<'PY'
import json, sys
size, t0, t1, idle, peak = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
result = json.load(open(sys.argv[6]))
print(f"pack            {size / 2**20:.0f} MiB zip: full mix + {len(result['stems'])} stems")
print(f"upload-pack     {t1 - t0:.2f} s = {size / (t1 - t0) / 2**20:.0f} MiB/s (upload, extract, probe, store)")
print(f"server RSS      idle {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, growth {(peak - idle) / 1024:.1f} MiB (goal < 64)")
PY
