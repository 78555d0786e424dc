#!/usr/bin/env bash
# Server instructions per request of each bench scenario, under callgrind, as a ratio to
# `GET /healthz` in the same run. Instruction counts are deterministic for a given binary and
# input, so this is the figure to compare between commits on a noisy machine.
#
# Run from a tree's root:  scripts/callgrind-scenarios.sh [N]   (N requests a phase, default 200)
# Environment: KASSA_BIN (default $CARGO_TARGET_DIR/release/kassa, else target/release/kassa;
# not rebuilt), CG_OUT_DIR (where the callgrind dumps are kept; default a fresh temp dir).
#
# Phases, each N requests, sequential, one connection a request (curl), each followed by
# `callgrind_control --dump=<phase>` (a dump zeroes the counters, so a dump holds its phase):
#   health    GET /healthz
#   create    POST /v1/checkout/sessions, stripe-python's form body (two price_data lines),
#             a fresh Idempotency-Key each
#   retrieve  GET /v1/checkout/sessions/{id} of the sessions just created: each one's first
#             read, so the render cache misses (api::plumbing::rendered)
#   reread    the same GETs again: the render cache answers
#   list      GET /v1/checkout/sessions?limit=10
#   pay       POST /v1/checkout/sessions/{id}/confirm with pm_card_visa, on sessions made
#             outside the phase (so the figure is the confirm alone)
#   customer  POST /v1/customers with an email, a fresh Idempotency-Key each
#   idle      10 s of nothing: kassa's background loops, subtracted per second of each phase
# All server threads count: tokio workers, the SQLite writer and readers, the workers.
set -euo pipefail

N=${1:-200}
[[ -f Cargo.toml && -d src ]] || { echo "run from a tree's root" >&2; exit 2; }
for t in valgrind callgrind_control curl python3; do
  command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 2; }
done
BIN=${KASSA_BIN:-${CARGO_TARGET_DIR:-target}/release/kassa}
[[ -x "$BIN" ]] || { echo "no binary at $BIN (cargo build --release, or set KASSA_BIN)" >&2; exit 2; }

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

cg() { callgrind_control "$@" "$VG_PID" >/dev/null; }
now() { date +%s.%N; }
BODY='mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone%3Fid%3D%7BCHECKOUT_SESSION_ID%7D'
BODY+='&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=1099'
BODY+='&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=T-shirt&line_items%5B0%5D%5Bquantity%5D=2'
BODY+='&line_items%5B1%5D%5Bprice_data%5D%5Bcurrency%5D=usd&line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=2500'
BODY+='&line_items%5B1%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Mug&line_items%5B1%5D%5Bquantity%5D=1'

# One request; prints its HTTP status. Extra arguments go to curl.
req() { curl -sS -o "$work/last.json" -w '%{http_code}' -u "$KEY:" "$@" || echo 000; }
create() {
  req -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" --data-binary "$BODY" "$BASE/v1/checkout/sessions"
}
# Runs "$@" N times as phase $1's requests, then dumps; records wall time and failures.
declare -A WALL FAIL
phase() {
  local name=$1 fails=0 t0 code; shift
  t0=$(now)
  for i in $(seq 1 "$N"); do
    code=$("$@" "$i")
    if [[ "$code" != 200 ]]; then
      fails=$((fails + 1))
      [[ $fails == 1 ]] && { echo "$name #$i: HTTP $code" >&2; head -c 300 "$work/last.json" >&2; echo >&2; }
    fi
  done
  WALL[$name]=$(python3 -c "print($(now) - $t0)")
  FAIL[$name]=$fails
  cg --dump="$name"
}
health() { curl -sS -o /dev/null -w '%{http_code}' "$BASE/healthz" || echo 000; }
create_one() { local code; code=$(create); python3 -c 'import json;print(json.load(open("'"$work/last.json"'"))["id"])' >>"$work/ids" 2>/dev/null || true; echo "$code"; }
retrieve() { req "$BASE/v1/checkout/sessions/$(sed -n "${1}p" "$work/ids")"; }
list() { req "$BASE/v1/checkout/sessions?limit=10"; }
confirm() { req --data 'payment_method=pm_card_visa' "$BASE/v1/checkout/sessions/$(sed -n "${1}p" "$work/topay")/confirm"; }
customer() {
  req -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" --data "email=c$1%40example.com&name=Customer" "$BASE/v1/customers"
}

: >"$work/ids"
# The workers' first sweeps prepare their statements; let them run before
# counting, so that one-time cost is in no phase (it was in health's).
sleep 5
cg --zero
phase health health
phase create create_one
phase retrieve retrieve
phase reread retrieve
phase list list
# Sessions to pay, made outside any counted phase.
: >"$work/topay"
for _ in $(seq 1 "$N"); do
  create >/dev/null
  python3 -c 'import json;print(json.load(open("'"$work/last.json"'"))["id"])' >>"$work/topay"
done
cg --zero
phase pay confirm
phase customer customer
t0=$(now); sleep 10; WALL[idle]=$(python3 -c "print($(now) - $t0)"); cg --dump=idle

kill -TERM "$VG_PID"
wait "$VG_PID" 2>/dev/null || true
VG_PID=""

ir() {  # instructions of the dump whose trigger is "dump $1"
  local f
  f=$(grep -l "^desc: Trigger: .*dump $1\$" "$OUT".* | head -n1)
  [[ -n "$f" ]] || { echo "no dump for $1" >&2; echo 0; return; }
  awk '/^summary:/ { print $2; found = 1; exit } /^totals:/ { t = $2 } END { if (!found) print t + 0 }' "$f"
}
rev=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo "?")}
args=("$rev" "$N")
for p in health create retrieve reread list pay customer idle; do args+=("$p" "$(ir "$p")" "${WALL[$p]}" "${FAIL[$p]:-0}"); done
python3 - "${args[@]}" <<'EOF'
import sys
rev, n, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ph = {rest[i]: (int(rest[i + 1]), float(rest[i + 2]), int(rest[i + 3])) for i in range(0, len(rest), 4)}
idle = ph["idle"][0] / ph["idle"][1]
def per(name):
    total, wall, _ = ph[name]
    return total / n, (total - idle * wall) / n
h, hn = per("health")
print(f"| callgrind ({rev}, N={n}) | instructions / request | × health | minus idle rate (estimate) | × health | non-200 |")
print("|---|---|---|---|---|---|")
for name, label in [("health", "GET /healthz"), ("create", "create session"), ("retrieve", "retrieve session, first read"),
                    ("reread", "retrieve session, read again"),
                    ("list", "list sessions (limit 10)"), ("pay", "confirm (pm_card_visa)"), ("customer", "create customer")]:
    r, rn = per(name)
    print(f"| {label} | {r:,.0f} | {r / h:.1f} | {rn:,.0f} | {rn / hn:.1f} | {ph[name][2]} |")
print(f"| idle, per second | {idle:,.0f} | | | | |")
EOF
echo "dumps: $OUT.*" >&2
