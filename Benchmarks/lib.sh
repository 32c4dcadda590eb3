# Shared by the benchmark scripts: start a server on a fresh folder, read its operator key,
# and set up a composer with a published track and a licensee with credit.
# Expects BIN, PORT and WORK to be set by the caller; sets SERVER_PID, ADMIN, COMPOSER,
# LICENSEE, LICENSEE_ID and ASSET.

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

start_server() {
  "$BIN" serve --port "$PORT" --storage "$WORK/Storage" --log-level error "$@" >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
  ADMIN=$(grep -o 'syn_[a-z0-9_]*' "$WORK/serve.log" | head -1)
  export SYNCLET_SERVER="http://127.0.0.1:$PORT" SYNCLET_CONFIG_DIR="$WORK/cli"
}

setup_licensing() {
  COMPOSER=$(SYNCLET_API_KEY="$ADMIN" "$BIN" admin create-party --kind composer --name Bench --json | json '["key"]["token"]')
  local licensee_json
  licensee_json=$(SYNCLET_API_KEY="$ADMIN" "$BIN" admin create-party --kind licensee --name Buyer --json)
  LICENSEE=$(echo "$licensee_json" | json '["key"]["token"]')
  LICENSEE_ID=$(echo "$licensee_json" | json '["party"]["id"]')
  "$BIN" tone --seconds 2 --format wav16 --output "$WORK/tone.wav" >/dev/null
  ASSET=$(SYNCLET_API_KEY="$COMPOSER" "$BIN" upload "$WORK/tone.wav" --title Bench --json | json '[0]["id"]')
  SYNCLET_API_KEY="$COMPOSER" "$BIN" assets publish "$ASSET" >/dev/null
  curl -sf -X POST "$SYNCLET_SERVER/v1/wallets/$LICENSEE_ID/grants" -H "Authorization: Bearer $ADMIN" \
    -H "Idempotency-Key: bench-grant" -H "Content-Type: application/json" -d '{"amount_micros": 900000000000}' >/dev/null
}
