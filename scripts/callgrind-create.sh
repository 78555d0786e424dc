#!/usr/bin/env bash
# Instructions per request of `GET /healthz` and of `POST /v1/checkout/sessions`, under callgrind.
#
# Run from a tree's root:  scripts/callgrind-create.sh [N]        (N requests a phase, default 300)
# Environment: CARGO_TARGET_DIR (default ./target), CG_OUT_DIR (where the callgrind files are
# kept; default a fresh temp dir), NO_BUILD=1 (use the binary as it is).
#
# What it does: builds the release binary; makes an account on a fresh SQLite database in a
# temp dir (`kassa account create --json`, outside valgrind); starts
# `valgrind --tool=callgrind kassa serve` on a free port; waits for /healthz; zeroes the
# counters (`callgrind_control --zero`, so start-up is not counted); then
#   N x GET /healthz                           -> callgrind_control --dump=health
#   N x POST /v1/checkout/sessions (fresh Idempotency-Key, stripe-python's form body)
#                                              -> callgrind_control --dump=create
#   10 s idle                                  -> callgrind_control --dump=idle
# and stops the server.  Callgrind zeroes its counters at every dump, so each dump file holds
# only what ran since the one before (checked: the `totals:` line of each file).  All threads
# count (tokio workers and kassa's background loops), so a phase also holds the background
# work of its wall time: the idle phase shows how much that is a second.
# curl runs sequentially, one connection a request (as stripe-python without keep-alive).
set -euo pipefail

N=${1:-300}
[[ -f Cargo.toml && -d src ]] || { echo "run from a tree's root" >&2; exit 2; }
for t in valgrind callgrind_control curl python3; do
  command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 2; }
done

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  nice -n 19 cargo build --release >&2
fi
BIN="${CARGO_TARGET_DIR:-target}/release/kassa"
[[ -x "$BIN" ]] || { echo "no binary at $BIN" >&2; exit 2; }

work=$(mktemp -d)
CG_OUT_DIR=${CG_OUT_DIR:-$work}
mkdir -p "$CG_OUT_DIR"
OUT="$CG_OUT_DIR/callgrind.out"
rm -f "$OUT" "$OUT".*
VG_PID=""
cleanup() {
  if [[ -n "$VG_PID" ]] && kill -0 "$VG_PID" 2>/dev/null; then
    kill -TERM "$VG_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$VG_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$VG_PID" 2>/dev/null || true
  fi
  rm -rf "$work/db"
  if [[ "$CG_OUT_DIR" != "$work" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/db"
export KASSA_DATABASE_URL="sqlite:$work/db/kassa.db"
export KASSA_KEY_FILE="$work/db/kassa.db.key"
unset KASSA_MASTER_KEY
KEY=$("$BIN" account create --name callgrind --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

nice -n 19 valgrind --tool=callgrind --callgrind-out-file="$OUT" \
  "$BIN" serve --addr "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
VG_PID=$!

for i in $(seq 1 600); do
  if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then break; fi
  kill -0 "$VG_PID" 2>/dev/null || { echo "server died:" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
  sleep 1
  if [[ $i == 600 ]]; then echo "no /healthz after 600 s" >&2; exit 1; fi
done

# callgrind_control blocks until the dump is written; the server is idle but kassa's
# background loops wake it often enough for callgrind to see the request.
cg() { callgrind_control "$@" "$VG_PID" >/dev/null; }
cg --zero

now() { date +%s.%N; }
fail=0
t0=$(now)
for _ in $(seq 1 "$N"); do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/healthz") || code=000
  if [[ "$code" != 200 ]]; then fail=$((fail + 1)); fi
done
t1=$(now)
cg --dump=health

# stripe-python's body: form-encoded, brackets percent-encoded, line items in order.
BODY='mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone%3Fid%3D%7BCHECKOUT_SESSION_ID%7D'
BODY+='&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=1099'
BODY+='&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=T-shirt&line_items%5B0%5D%5Bquantity%5D=2'
BODY+='&line_items%5B1%5D%5Bprice_data%5D%5Bcurrency%5D=usd&line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=2500'
BODY+='&line_items%5B1%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Mug&line_items%5B1%5D%5Bquantity%5D=1'
cfail=0
t2=$(now)
for i in $(seq 1 "$N"); do
  code=$(curl -sS -o "$work/last.json" -w '%{http_code}' -u "$KEY:" \
    -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "$BODY" "$BASE/v1/checkout/sessions") || code=000
  if [[ "$code" != 200 ]]; then
    cfail=$((cfail + 1))
    if [[ $cfail == 1 ]]; then echo "create #$i: HTTP $code" >&2; head -c 400 "$work/last.json" >&2; echo >&2; fi
  fi
done
t3=$(now)
cg --dump=create
t4=$(now)
sleep 10
t5=$(now)
cg --dump=idle

kill -TERM "$VG_PID"
wait "$VG_PID" 2>/dev/null || true
VG_PID=""

ir() {  # Ir of the dump whose trigger is "dump $1": its summary: line (else totals:)
  local f
  f=$(grep -l "^desc: Trigger: .*dump $1\$" "$OUT".* | head -n1)
  if [[ -z "$f" ]]; then echo "no dump for $1" >&2; echo 0; return; fi
  awk '/^summary:/ { print $2; found = 1; exit } /^totals:/ { t = $2 } END { if (!found) print t + 0 }' "$f"
}
H=$(ir health); C=$(ir create); I=$(ir idle)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
python3 - "$rev" "$N" "$H" "$C" "$I" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$fail" "$cfail" <<'EOF'
import sys
rev, n, h, c, i = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[6:12])
fail, cfail = int(sys.argv[12]), int(sys.argv[13])
idle = i / (t5 - t4)
net = lambda total, wall: (total - idle * wall) / n   # minus the idle rate for the phase's wall time
hn, cn = net(h, t1 - t0), net(c, t3 - t2)
print(f"| callgrind ({rev}, N={n}) | instructions / request | same, minus idle rate (estimate) | phase total | wall s | non-200 |")
print("|---|---|---|---|---|---|")
print(f"| GET /healthz | {h / n:,.0f} | {hn:,.0f} | {h:,} | {t1 - t0:.1f} | {fail} |")
print(f"| POST /v1/checkout/sessions | {c / n:,.0f} | {cn:,.0f} | {c:,} | {t3 - t2:.1f} | {cfail} |")
print(f"| ratio create / healthz | {c / h if h else float('nan'):.1f} | {cn / hn if hn > 0 else float('nan'):.1f} | | | |")
print(f"| idle (background), per second | {idle:,.0f} | | {i:,} | {t5 - t4:.1f} | |")
EOF
echo "dumps: $OUT.*" >&2
