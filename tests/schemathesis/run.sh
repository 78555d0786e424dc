#!/usr/bin/env bash
# Schemathesis against a running `kassa serve` on a fresh SQLite database:
# requests generated from the served OpenAPI document (valid and invalid),
# failing on any 5xx, any answer that does not match its documented schema,
# status or content type. Bounded by a case count per operation and a time
# budget (about two minutes).
#
#   KASSA_BIN              the binary (default target/release/kassa)
#   SCHEMATHESIS           the `st` command (default: st on the PATH)
#   KASSA_ST_MAX_EXAMPLES  cases per operation and phase (default 25)
#   KASSA_ST_MAX_TIME      time budget in seconds (default 100)
#   KASSA_ST_SEED          a seed, to replay a run
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${KASSA_BIN:-target/release/kassa}"
ST="${SCHEMATHESIS:-st}"
tmp="$(mktemp -d -t kassa-schemathesis-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

export KASSA_DATABASE_URL="sqlite:$tmp/kassa.db"
KASSA_MASTER_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export KASSA_MASTER_KEY
export KASSA_ADDR="127.0.0.1:$port"
export KASSA_LOG=warn

key="$("$BIN" account create --name schemathesis --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret_key"])')"

"$BIN" serve >"$tmp/serve.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap stop EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null

seed=()
[ -n "${KASSA_ST_SEED:-}" ] && seed=(--seed "$KASSA_ST_SEED")
status=0
# Run in the temporary directory: schemathesis keeps state in ./.schemathesis.
(cd "$tmp" && "$ST" run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --phases examples,fuzzing \
  --max-examples "${KASSA_ST_MAX_EXAMPLES:-25}" \
  --max-time "${KASSA_ST_MAX_TIME:-100}" \
  --request-timeout 10 \
  --generation-database none \
  --workers 2 \
  --no-color \
  "${seed[@]}") || status=$?
if [ "$status" != 0 ]; then
  echo "-- kassa serve log (last 50 lines)"
  tail -n 50 "$tmp/serve.log"
fi
exit "$status"
