#!/usr/bin/env bash
# One run of `kassa bench` against kassa on SQLite, kassa on PostgreSQL and the peers, on the
# same scenarios where a peer supports them, with the server on CPU 0 and the load on CPU 1.
# Prints one markdown table (req/s, p50, p99, share of the same server's /healthz).
#
# Run from a tree's root:  scripts/peers-bench.sh [SECONDS]     (per scenario, default 10)
# Environment:
#   KASSA_BIN      the kassa binary (default target/release/kassa; kassa-bench must be beside it)
#   PG_URL         PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   LOCALSTRIPE    a localstripe executable (`pip install localstripe`); skipped when unset
#   STRIPE_MOCK    a stripe-mock executable (built from its release with Go); skipped when unset
#   OUT            where the JSON reports go (default a temp dir, printed)
set -euo pipefail

SECS=${1:-10}
BIN=${KASSA_BIN:-target/release/kassa}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OUT=${OUT:-$(mktemp -d)}
CONC=64
[[ -x "$BIN" ]] || { echo "no kassa binary at $BIN" >&2; exit 2; }
mkdir -p "$OUT"
PEER_PID=""
cleanup() { [[ -n "$PEER_PID" ]] && kill "$PEER_PID" 2>/dev/null || true; }
trap cleanup EXIT

bench() { taskset -c 1 "$BIN" bench --server-cpus 0 --concurrency "$CONC" --seconds "$SECS" "$@" >&2; }
wait_port() {
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "nothing listens on port $1" >&2
  return 1
}

all=create-session,retrieve,list,pay,create-customer
bench --scenarios "$all" --json "$OUT/kassa-sqlite.json"
bench --target postgres --postgres-url "$PG_URL" --scenarios "$all" --json "$OUT/kassa-postgres.json"

if [[ -n "${LOCALSTRIPE:-}" ]]; then
  # localstripe has no /healthz (its health row fails by design) and no Checkout Sessions.
  # It pickles its store to /tmp/localstripe.pickle and will not start from one cut short
  # by the kill that ended an earlier run: start it empty.
  rm -f /tmp/localstripe.pickle
  taskset -c 0 "$LOCALSTRIPE" --port 8420 >"$OUT/localstripe.log" 2>&1 &
  PEER_PID=$!
  wait_port 8420
  bench --target url --url http://127.0.0.1:8420 --api-key sk_test_12345 --scenarios create-customer \
    --json "$OUT/localstripe.json" || true
  kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true; PEER_PID=""
fi
if [[ -n "${STRIPE_MOCK:-}" ]]; then
  taskset -c 0 "$STRIPE_MOCK" -http-port 12111 >"$OUT/stripe-mock.log" 2>&1 &
  PEER_PID=$!
  wait_port 12111
  bench --target url --url http://127.0.0.1:12111 --api-key sk_test_123 --scenarios create-session,create-customer \
    --json "$OUT/stripe-mock.json" || true
  kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true; PEER_PID=""
fi

python3 - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
names = [("kassa-sqlite", "kassa, SQLite"), ("kassa-postgres", "kassa, PostgreSQL"),
         ("stripe-mock", "stripe-mock"), ("localstripe", "localstripe")]
print("| server | scenario | req/s | p50 ms | p99 ms | errors | × its health |")
print("|---|---|---|---|---|---|---|")
for file, label in names:
    path = os.path.join(out, file + ".json")
    if not os.path.exists(path):
        continue
    rep = json.load(open(path))
    for r in rep["results"]:
        if r["scenario"] == "health" and r["per_second"] == 0 and r["errors"] > 0:
            print(f"| {label} | health | — (no /healthz) | | | | |")
            continue
        ratio = r.get("ratio_to_health")
        ratio = f"{ratio * 100:.1f} %" if ratio is not None else ""
        print(f"| {label} | {r['scenario']} | {r['per_second']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.1f} | {r['errors']} | {ratio} |")
    if rep.get("server_peak_rss_mib"):
        print(f"| {label} | peak RSS | {rep['server_peak_rss_mib']:.1f} MiB | | | | |")
EOF
echo "reports: $OUT" >&2
