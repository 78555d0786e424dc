#!/usr/bin/env bash
# How src/store/sqlite/dictionary_v1.zdict was made (kept for the record: that dictionary is part
# of the storage format and never changes). Drives a scratch kassa built before migration 0008
# (KASSA_BIN, whose documents are stored as text) through sessions, payments, refunds, customers,
# products and webhook deliveries, and writes all of its stored documents and idempotency bodies
# (750 of them with the requests below) as a JSON array to OUT, without anything sealed or secret.
# With ZDICT set, it also trains a 16 KiB dictionary on them, as dictionary_v1.zdict was trained
# (python-zstandard 0.25.0; a second run's samples, unseen, compressed to 12.8 % of their size).
# Needs: pip install lz4 zstandard.
set -euo pipefail
BIN=${KASSA_BIN:?a kassa binary from before migration 0008}
OUT=${OUT:?where to write the samples}
work=$(mktemp -d)
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export KASSA_DATABASE_URL="sqlite:$work/kassa.db" KASSA_KEY_FILE="$work/kassa.key"
KEY=$("$BIN" account create --name dict --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
if python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] < 8 else 1)' "$work/kassa.db"; then :; else
    echo "KASSA_BIN stores compressed documents (migration 0008 or later); use one from before" >&2; exit 2
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --addr "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$PORT" "$KEY" "$work/kassa.db" "$OUT" <<'PY'
import base64, http.client, json, sqlite3, sys, urllib.parse
port, key, db = int(sys.argv[1]), sys.argv[2], sys.argv[3]
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
def req(m, p, body=""):
    c = http.client.HTTPConnection("127.0.0.1", port)
    import uuid; c.request(m, p, body, {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded", **({"Idempotency-Key": str(uuid.uuid4())} if m == "POST" else {})})
    r = c.getresponse(); d = r.read()
    if r.status != 200: print(m, p, r.status, d[:300], file=sys.stderr)
    return json.loads(d)
req("POST", "/v1/webhook_endpoints", "url=https%3A%2F%2Fshop.example%2Fhooks&enabled_events[0]=*")
cus = req("POST", "/v1/customers", "email=jenny%40example.com&name=Jenny+Rosen&metadata[order]=1")
prod = req("POST", "/v1/products", "name=Gold+plan&description=Monthly")
price = req("POST", "/v1/prices", f"product={prod['id']}&unit_amount=2000&currency=usd")
req("POST", "/v1/coupons", "percent_off=25&duration=once")
req("POST", "/v1/tax_rates", "display_name=VAT&percentage=20&inclusive=false")
body = ("mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone"
        "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=1099"
        "&line_items[0][price_data][product_data][name]=T-shirt&line_items[0][quantity]=2"
        f"&line_items[1][price]={price['id']}&line_items[1][quantity]=1")
import random
for i in range(40):
    b = body if i % 2 else body.replace("line_items[1][price]", "allow_promotion_codes=true&line_items[1][price]")
    s = req("POST", "/v1/checkout/sessions", b + f"&metadata[order_id]={random.randint(1,99999)}")
    if i % 5 == 0:
        req("POST", f"/v1/checkout/sessions/{s['id']}/expire")
    req("POST", "/v1/customers", f"email=buyer{i}%40example.com&name=Buyer+{i}")
    req("POST", "/v1/products", f"name=Product+{i}")
for i in range(10):
    s3 = req("POST", "/v1/checkout/sessions", body + f"&customer={cus['id']}")
    req("POST", f"/v1/checkout/sessions/{s3['id']}/confirm", "payment_method=pm_card_visa")
s2 = req("POST", "/v1/checkout/sessions", body + f"&customer={cus['id']}")
req("POST", f"/v1/checkout/sessions/{s2['id']}/confirm", "payment_method=pm_card_visa")
s2 = req("GET", f"/v1/checkout/sessions/{s2['id']}")
req("POST", "/v1/refunds", f"payment_intent={s2['payment_intent']}&amount=1000")
con = sqlite3.connect(db)
for kind, n, avg in con.execute("select kind, count(*), avg(length(doc)) from objects group by kind order by 2"):
    print(kind, n, int(avg), file=sys.stderr)
import lz4.block
out = [doc for kind, doc in con.execute("select kind, doc from objects where kind not in ('vault_card', 'webhook_endpoint')")]
for (b,) in con.execute("select body from idempotency_keys"):
    out.append(lz4.block.decompress(b).decode() if isinstance(b, bytes) else b)
import re
out = [re.sub(r"_secret_[A-Za-z0-9]+", "_secret_", d) for d in out if "sealed" not in d and "whsec_" not in d]
json.dump(out, open(sys.argv[4], "w"))
print(len(out), file=sys.stderr)
PY
if [[ -n "${ZDICT:-}" ]]; then
    python3 - "$OUT" "$ZDICT" <<'PY'
import json, sys, zstandard
samples = [s.encode() for s in json.load(open(sys.argv[1]))]
d = zstandard.train_dictionary(16384, samples, level=1, threads=1)
open(sys.argv[2], "wb").write(d.as_bytes())
print(f"trained on {len(samples)} samples: {sys.argv[2]}", file=sys.stderr)
PY
fi
