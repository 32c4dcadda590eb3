#!/usr/bin/env bash
# Fuzzes a running Synclet against its own API document with schemathesis:
# no 5xx, and no answer whose status, content type, headers or body breaks the document.
#
#   Tests/Fuzz/run_fuzz.sh [BINARY] [extra `st run` options...]
#
# Starts BINARY (default .build/debug/synclet) on a free loopback port with a temporary
# storage folder, reads the operator key from the first-start banner, seeds parties, a
# published track with stems, a pack, licenses, a drop, usage and a closed period
# (seed.py, which checks every answer on the way), then runs schemathesis against
# http://127.0.0.1:PORT/openapi.json with the operator key (it passes every role check,
# so the fuzzer reaches every handler). The seeded ids are fed to the fuzzer through a
# schemathesis config, so most cases hit real objects. Then probes.py sends what a
# generator does not (chunked oversize bodies, raw HTTP, odd methods, huge headers, edge
# values that once crashed the server) and checks each answer is a clean RFC 9457
# problem. Stops the server at the end. Exits non-zero on any failure, on a seed answer
# that breaks the document, on a failed probe, or if the server died or logged an
# internal error.
#
# Environment:
#   SYNCLET_FUZZ_SEED      generation seed (default 20261122): a failure reproduces with the same seed
#   SYNCLET_FUZZ_EXAMPLES  examples per operation and phase (default 25); the run takes ~1-2 min on 2 cores
#   SYNCLET_FUZZ_WORKERS   concurrent workers (default 2; 1 replays a run exactly, as the order of
#                          requests then no longer depends on timing)
#   SYNCLET_FUZZ_VENV      virtualenv with schemathesis (default .build/fuzz-venv, made by `make setup`;
#                          without it, `st` and `python3` from PATH are used)
#   SYNCLET_FUZZ_SCHEMA    check against this file instead of the server's /openapi.json
#   SYNCLET_FUZZ_REPORT    folder for the JUnit report and the server log (default: a temporary folder)
#   SYNCLET_FUZZ_HOOKS     schemathesis hooks file instead of Tests/Fuzz/hooks.py (import that one from
#                          it), e.g. to steer around a known crash while looking for the next bug
#
# Exclusions, and why:
#   GET /v1/earnings/stream  Server-Sent Events that never end: every case would wait for the
#                            request timeout. seed.py opens it, reads the first event and checks it.
#   DELETE /v1/keys/{id}     fuzzed alone in a second, short run at the end: the fuzzer harvests key
#                            ids from answers and would otherwise revoke its own key mid-run.
# Phases: examples, coverage and fuzzing. The stateful phase is off: the document has no
# links, and inferred links could revoke the key the run authenticates with.
# The payment webhook is fuzzed without a valid signature (every case must be a clean 401);
# seed.py sends correctly signed notices with the secret it starts the server with.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=.build/debug/synclet
if [[ $# -gt 0 && $1 != -* ]]; then BIN=$1; shift; fi
[[ $BIN = /* ]] || BIN="$ROOT/$BIN"
[[ -x $BIN ]] || { echo "run_fuzz: no executable at $BIN; run \`swift build\` first." >&2; exit 2; }

VENV=${SYNCLET_FUZZ_VENV:-$ROOT/.build/fuzz-venv}
[[ $VENV = /* ]] || VENV="$PWD/$VENV"
if [[ -x $VENV/bin/st ]]; then
    ST=$VENV/bin/st
    PYTHON=$VENV/bin/python
else
    ST=$(command -v st || true)
    PYTHON=python3
fi
[[ -n $ST ]] || { echo "run_fuzz: schemathesis is not installed; run \`make setup\`." >&2; exit 2; }

SEED=${SYNCLET_FUZZ_SEED:-20261122}
EXAMPLES=${SYNCLET_FUZZ_EXAMPLES:-25}
WORKERS=${SYNCLET_FUZZ_WORKERS:-2}
WEBHOOK_SECRET=fuzz-webhook-secret
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synclet-fuzz.XXXXXX")
REPORT=${SYNCLET_FUZZ_REPORT:-$WORK/report}
mkdir -p "$REPORT"
LOG=$REPORT/server.log
SERVER_PID=

cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n ${SYNCLET_FUZZ_REPORT:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

SYNCLET_PAYMENT_WEBHOOK_SECRET=$WEBHOOK_SECRET "$BIN" serve --host 127.0.0.1 --port 0 \
    --storage "$WORK/storage" --licenses "$ROOT/Licenses" --log-level warning >"$LOG" 2>&1 &
SERVER_PID=$!

PORT=
for _ in $(seq 300); do
    PORT=$(sed -n 's|^Synclet is listening on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$LOG" | head -1)
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $PORT ]]; then
    echo "run_fuzz: the server did not start:" >&2
    cat "$LOG" >&2
    exit 1
fi
KEY=$(grep -o 'syn_[0-9a-z]*_[0-9a-z]*' "$LOG" | head -1)
[[ -n $KEY ]] || { echo "run_fuzz: no operator key in the first-start banner" >&2; cat "$LOG" >&2; exit 1; }
BASE=http://127.0.0.1:$PORT
echo "run_fuzz: $BIN on $BASE (schemathesis $("$ST" --version | awk '{print $NF}'), seed $SEED, $EXAMPLES examples)"

SCHEMA_ARGS=("$BASE/openapi.json")
SEED_SCHEMA=()
if [[ -n ${SYNCLET_FUZZ_SCHEMA:-} ]]; then
    SCHEMA_ARGS=("$SYNCLET_FUZZ_SCHEMA" --url "$BASE")
    SEED_SCHEMA=(--schema "$SYNCLET_FUZZ_SCHEMA")
fi

status=0
started=$SECONDS
"$PYTHON" "$ROOT/Tests/Fuzz/seed.py" --base "$BASE" --admin-key "$KEY" --webhook-secret "$WEBHOOK_SECRET" \
    --config "$WORK/schemathesis.toml" --state "$WORK/seed-state.json" "${SEED_SCHEMA[@]}" || status=1

# schemathesis keeps a cache of failures in ./.schemathesis: run it in the work folder.
fuzz() {
    (cd "$WORK" && SCHEMATHESIS_HOOKS="${SYNCLET_FUZZ_HOOKS:-$ROOT/Tests/Fuzz/hooks.py}" "$ST" --config-file "$WORK/schemathesis.toml" \
        run "${SCHEMA_ARGS[@]}" \
        --header "Authorization: Bearer ${FUZZ_KEY:-$KEY}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$EXAMPLES" --seed "$SEED" --workers "$WORKERS" \
        --request-timeout 30 --no-color "$@")
}
if [[ -f $WORK/schemathesis.toml ]]; then
    # Every operation but the endless event stream, and key revocation: the fuzzer learns
    # key ids from answers and would revoke the very key it authenticates with.
    fuzz --exclude-operation-id earningsStream --exclude-operation-id revokeKey \
        --report junit --report-junit-path "$REPORT/junit.xml" "$@" || status=1
fi
# The hand-written probes of the error contract: raw HTTP the generator does not send,
# and inputs that once crashed the server (those last).
if [[ -f $WORK/seed-state.json ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    "$PYTHON" "$ROOT/Tests/Fuzz/probes.py" --base "$BASE" --state "$WORK/seed-state.json" \
        --webhook-secret "$WEBHOOK_SECRET" || status=1
fi
# Again as a composer and as a licensee, fewer examples (after the probes, which need the
# seeded objects as they were: these runs withdraw, edit and delete them): the operator passes every role
# check, so only these reach the owner-only paths (uploads, asset edits, purchases, usage).
if [[ -f $WORK/seed-state.json ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    for role in composer licensee; do
        role_key=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['${role}_key'])" "$WORK/seed-state.json")
        FUZZ_KEY=$role_key fuzz --exclude-operation-id earningsStream --exclude-operation-id revokeKey \
            --max-examples "${SYNCLET_FUZZ_ROLE_EXAMPLES:-10}" \
            --report junit --report-junit-path "$REPORT/junit-$role.xml" "$@" || status=1
    done
fi
# Key revocation alone, at the very end, when losing the key harms nothing.
if [[ -f $WORK/schemathesis.toml ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    fuzz --include-operation-id revokeKey --report junit --report-junit-path "$REPORT/junit-revoke.xml" "$@" || status=1
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run_fuzz: the server died during the run; its last words:" >&2
    grep -m1 -B2 -A40 -E 'Fatal error|Program crashed' "$LOG" >&2 || tail -n 60 "$LOG" >&2
    status=1
elif grep -q 'request failed' "$LOG"; then
    echo "run_fuzz: the server logged internal errors:" >&2
    grep 'request failed' "$LOG" | head -n 20 >&2
    status=1
fi
echo "run_fuzz: $((SECONDS - started)) s, $([[ $status = 0 ]] && echo passed || echo FAILED)"
exit $status
