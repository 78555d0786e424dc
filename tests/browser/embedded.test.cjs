// Embedded checkout: the demo merchant page creates a session on its
// server, mounts it with /embed.js, and the buyer ends on return_url.
const test = require('node:test');
const assert = require('node:assert');
const { startKassa, launch, fillCard, shot } = require('./harness.cjs');

let k; let browser;
test.before(async () => { k = await startKassa(); browser = await launch(); });
test.after(async () => { await browser?.close(); await k?.stop(); });

test('the demo page embeds checkout and reaches return_url', async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${k.base}/demo`);
  await page.getByLabel('Test secret key').fill(k.account.secret_key);
  await page.getByRole('button', { name: /Buy a T-shirt/ }).click();
  const frame = page.frameLocator('#checkout iframe');
  await frame.getByLabel('Card number').waitFor();
  await fillCard(frame, '4242424242424242');
  await shot(page, 'embedded-filled');
  await frame.getByRole('button', { name: 'Pay $25.00' }).click();
  await page.waitForURL(/\/demo\/return\?session_id=cs_test_/);
  assert.match(await page.locator('h1').textContent(), /Thank you/);
  await shot(page, 'embedded-returned');
  const id = new URL(page.url()).searchParams.get('session_id');
  const s = await k.api('GET', `/v1/checkout/sessions/${id}`);
  assert.equal(s.body.status, 'complete');
  assert.equal(s.body.ui_mode, 'embedded_page');
  await context.close();
});

test('an embedded page refuses to be framed by another origin', async () => {
  const r = await k.api('POST', '/v1/checkout/sessions', {
    mode: 'payment', ui_mode: 'embedded_page', return_url: 'https://shop.example/done',
    'line_items[0][price_data][currency]': 'usd', 'line_items[0][price_data][unit_amount]': 500,
    'line_items[0][price_data][product_data][name]': 'Tea', 'line_items[0][quantity]': 1,
  });
  assert.equal(r.body.embed_origin, 'https://shop.example');
  const id = r.body.id;
  const res = await fetch(`${k.base}/pay/${id}`);
  assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'self' https:\/\/shop\.example$/);
  assert.equal(res.headers.get('x-frame-options'), null);
  // Framed by another origin, Chromium refuses to show it.
  const context = await browser.newContext();
  const page = await context.newPage();
  // A page of no origin of the session's: about:blank, with no policy of its own.
  await page.setContent(`<iframe id="f" src="${k.base}/pay/${id}"></iframe>`);
  await page.waitForTimeout(500);
  const framed = page.frames().find((f) => f.url().includes(`/pay/${id}`));
  const shown = framed ? await framed.locator('#pay').count().catch(() => 0) : 0;
  assert.equal(shown, 0, 'the payment form did not load inside a foreign frame');
  await shot(page, 'embedded-foreign-frame-refused');
  await context.close();
});
