// stripe-node against kassa: what the Python tests cannot show. Node encodes
// `null` as an empty value ("unset"), and sends its own idempotency keys.
// Run: NODE_PATH=<dir with stripe installed> KASSA_BIN=target/release/kassa node --test tests/compat/node
const test = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Stripe = require('stripe');

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startKassa() {
  const bin = process.env.KASSA_BIN || 'target/release/kassa';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-node-'));
  const port = await freePort();
  const env = {
    ...process.env,
    KASSA_DATABASE_URL: process.env.KASSA_COMPAT_DATABASE_URL || `sqlite:${dir}/kassa.db`,
    KASSA_MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    KASSA_ADDR: `127.0.0.1:${port}`,
    KASSA_LOG: 'warn',
  };
  const account = JSON.parse(execFileSync(bin, ['account', 'create', '--name', 'node', '--json'], { env }).toString());
  const proc = spawn(bin, ['serve'], { env, stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) break;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stripe = new Stripe(account.secret_key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
  return { proc, stripe };
}

test('stripe-node: null unsets, sessions round-trip', async (t) => {
  const { proc, stripe } = await startKassa();
  t.after(() => proc.kill('SIGTERM'));

  const c = await stripe.customers.create({ email: 'node@example.com', name: 'Node', metadata: { a: '1', b: '2' } });
  const up = await stripe.customers.update(c.id, { name: null, metadata: { a: null } });
  assert.strictEqual(up.name, null);
  assert.deepStrictEqual(up.metadata, { b: '2' });
  const cleared = await stripe.customers.update(c.id, { metadata: null });
  assert.deepStrictEqual(cleared.metadata, {});

  const s = await stripe.checkout.sessions.create({
    mode: 'payment',
    success_url: 'https://shop.example/done?id={CHECKOUT_SESSION_ID}',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 700, product_data: { name: 'Mug' } }, quantity: 2 }],
    metadata: { cart: '1' },
  });
  assert.strictEqual(s.amount_total, 1400);
  const items = await stripe.checkout.sessions.listLineItems(s.id);
  assert.strictEqual(items.data[0].description, 'Mug');
  const cleaned = await stripe.checkout.sessions.update(s.id, { metadata: null });
  assert.deepStrictEqual(cleaned.metadata, {});
  const expired = await stripe.checkout.sessions.expire(s.id);
  assert.strictEqual(expired.status, 'expired');
  await assert.rejects(stripe.checkout.sessions.expire(s.id), (e) => e.type === 'StripeInvalidRequestError');

  const seen = [];
  for await (const x of stripe.customers.list({ limit: 1 })) seen.push(x.id);
  assert.deepStrictEqual(seen, [c.id]);
});
