#!/usr/bin/env bash
# Bytes on disk per checkout session on SQLite: creates N sessions with stripe-python's body
# (two price_data lines, a fresh Idempotency-Key each, so each also stores its product, price
# and idempotency record), checkpoints the WAL, and divides the growth of the database file,
# and each table's share of it (SQLite's dbstat), by N.
#
# Run from a tree's root:  scripts/disk-per-session.sh [N]   (default 2000)
# Environment: KASSA_BIN (default target/release/kassa).
set -euo pipefail
N=${1:-2000}
BIN=${KASSA_BIN:-target/release/kassa}
[[ -x "$BIN" ]] || { echo "no kassa binary at $BIN" >&2; exit 2; }
work=$(mktemp -d)
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export KASSA_DATABASE_URL="sqlite:$work/kassa.db" KASSA_KEY_FILE="$work/kassa.key"
unset KASSA_MASTER_KEY
KEY=$("$BIN" account create --name disk --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --addr "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
PID=$!
python3 - "$PORT" "$KEY" "$N" "$work/kassa.db" <<'EOF'
import base64, http.client, json, sqlite3, sys, time, uuid
port, key, n, db = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
for _ in range(100):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", "/healthz"); c.getresponse().read(); break
    except OSError:
        time.sleep(0.1)
def sizes():
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = con.execute("PRAGMA page_count").fetchone()[0] * con.execute("PRAGMA page_size").fetchone()[0]
    try:
        per = dict(con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
    except sqlite3.OperationalError:
        per = {}
    con.close()
    return total, per
body = ("mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone"
        "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=1099"
        "&line_items[0][price_data][product_data][name]=T-shirt&line_items[0][quantity]=2"
        "&line_items[1][price_data][currency]=usd&line_items[1][price_data][unit_amount]=2500"
        "&line_items[1][price_data][product_data][name]=Mug&line_items[1][quantity]=1")
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
before, per_before = sizes()
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    c.request("POST", "/v1/checkout/sessions", body, {"Authorization": auth, "Idempotency-Key": str(uuid.uuid4()),
              "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
after, per_after = sizes()
print(f"| sessions | database growth | bytes per session |")
print(f"|---|---|---|")
print(f"| {n} | {after - before:,} B | {(after - before) / n:,.0f} |")
for name in sorted(per_after, key=lambda k: -(per_after[k] - per_before.get(k, 0))):
    grew = per_after[name] - per_before.get(name, 0)
    if grew > 0:
        print(f"| {name} | {grew:,} B | {grew / n:,.0f} |")
EOF
