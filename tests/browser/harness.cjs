// The browser tests' harness: a real `kassa serve` (KASSA_BIN, release build
// in CI) on a fresh database, its API through the merchant's secret key, and
// Debian's Chromium driven by playwright-core.
// Run: NODE_PATH=<dir with playwright-core> KASSA_BIN=target/release/kassa node --test tests/browser
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const SHOTS = process.env.KASSA_SCREENSHOT_DIR || path.join(os.tmpdir(), 'kassa-browser-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function encode(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x)); else u.append(k, String(v));
  }
  return u.toString();
}

// With KASSA_BROWSER_POSTGRES_URL (an admin URL), each server gets a
// PostgreSQL database of its own, dropped when it stops; else SQLite.
function database(dir) {
  const admin = process.env.KASSA_BROWSER_POSTGRES_URL;
  if (!admin) return { url: `sqlite:${dir}/kassa.db`, drop: () => {} };
  const name = `kassa_browser_${crypto.randomBytes(6).toString('hex')}`;
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${name}`]);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  return { url, drop: () => execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

async function startKassa() {
  const bin = process.env.KASSA_BIN || 'target/release/kassa';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const db = database(dir);
  const env = {
    ...process.env,
    KASSA_DATABASE_URL: db.url,
    KASSA_MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    KASSA_ADDR: `127.0.0.1:${port}`,
    KASSA_LOG: 'info',
  };
  const account = JSON.parse(execFileSync(bin, ['account', 'create', '--name', 'browser', '--json'], { env }).toString());
  const log = fs.openSync(path.join(dir, 'serve.log'), 'w');
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', log, log] });
  for (let i = 0; i < 400; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const api = async (method, p, params) => {
    const init = { method, headers: { Authorization: `Bearer ${account.secret_key}` } };
    let url = base + p;
    if (method === 'GET') { if (params) url += '?' + encode(params); } else {
      init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = encode(params);
    }
    const r = await fetch(url, init);
    return { status: r.status, body: await r.json() };
  };
  await api('POST', '/v1/account', { 'settings[dashboard][display_name]': 'Acme Coffee' });
  const stop = async () => {
    await new Promise((res) => { proc.once('exit', res); proc.kill('SIGTERM'); });
    db.drop();
  };
  const readLog = () => fs.readFileSync(path.join(dir, 'serve.log'), 'utf8');
  return { base, account, api, dir, stop, log: readLog };
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.KASSA_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A one-line-item session; `extra` adds or overrides parameters.
async function session(k, extra = {}) {
  const r = await k.api('POST', '/v1/checkout/sessions', {
    mode: 'payment',
    success_url: `${k.base}/demo/return?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${k.base}/demo`,
    'line_items[0][price_data][currency]': 'usd',
    'line_items[0][price_data][unit_amount]': 2500,
    'line_items[0][price_data][product_data][name]': 'Single-origin beans',
    'line_items[0][quantity]': 1,
    ...extra,
  });
  if (r.status !== 200) throw new Error(`session create failed: ${JSON.stringify(r.body)}`);
  return r.body;
}

// Fills the card fields the way a buyer types them.
async function fillCard(page, number, { email = 'buyer@example.com', name = 'Ada Buyer' } = {}) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Card number').fill('');
  await page.getByLabel('Card number').pressSequentially(number);
  await page.getByLabel('Expiration (MM / YY)').fill('');
  await page.getByLabel('Expiration (MM / YY)').pressSequentially('1234');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Name on card').fill(name);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// Text with the no-break spaces that currency formats use, made plain.
function plain(s) { return (s || '').replace(/[\u00a0\u202f]/g, ' ').trim(); }

module.exports = { startKassa, launch, session, fillCard, shot, plain, SHOTS };
