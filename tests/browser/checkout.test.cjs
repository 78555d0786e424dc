// The hosted payment page in a real Chromium: paying, declines, 3-D Secure,
// promotion codes, custom fields, locales, expiry, double clicks, keyboard.
const test = require('node:test');
const assert = require('node:assert');
const { startKassa, launch, session, fillCard, shot, plain } = require('./harness.cjs');

let k; let browser;
test.before(async () => { k = await startKassa(); browser = await launch(); });
test.after(async () => { await browser?.close(); await k?.stop(); });

async function open(url, opts = {}) {
  const context = await browser.newContext({ viewport: { width: opts.width || 1000, height: 900 }, locale: opts.locale || 'en-US' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  return { page, context, errors };
}

async function paid(s) {
  const r = await k.api('GET', `/v1/checkout/sessions/${s.id}`, { 'expand[]': 'payment_intent' });
  return r.body;
}

test('pays with 4242 and lands on success_url with the session id', async () => {
  const s = await session(k);
  const { page, context, errors } = await open(s.url);
  assert.equal(await page.locator('#merchant').textContent(), 'Acme Coffee');
  assert.equal(await page.getByRole('button', { name: 'Pay $25.00' }).count(), 1);
  await fillCard(page, '4242424242424242');
  assert.equal(await page.getByLabel('Card number').inputValue(), '4242 4242 4242 4242');
  assert.equal(await page.locator('#card-brand').textContent(), 'Visa');
  await shot(page, 'pay-filled');
  await page.getByRole('button', { name: 'Pay $25.00' }).click();
  await page.waitForURL(/\/demo\/return\?session_id=/);
  assert.ok(page.url().endsWith(`session_id=${s.id}`), page.url());
  await shot(page, 'pay-success');
  const after = await paid(s);
  assert.equal(after.status, 'complete');
  assert.equal(after.payment_intent.amount_received, 2500);
  const html = await page.content();
  assert.ok(!html.includes('4242424242424242'));
  assert.ok(!k.log().includes('4242424242424242'), 'no card number in the server log');
  assert.ok(!k.log().includes(k.account.secret_key), 'no key in the server log');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a decline shows under the card field, then another card pays', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url);
  await fillCard(page, '4000000000000002');
  await page.getByRole('button', { name: /^Pay/ }).click();
  const err = page.locator('#card-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /declined/i);
  assert.equal(await page.getByLabel('Card number').getAttribute('aria-invalid'), 'true');
  await shot(page, 'decline');
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/demo\/return/);
  assert.equal((await paid(s)).status, 'complete');
  await context.close();
});

test('a 3-D Secure challenge passed completes the payment', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url);
  await fillCard(page, '4000000000003220');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/3ds\/pi_.*\/challenge/);
  await shot(page, '3ds-challenge');
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/demo\/return/);
  assert.equal((await paid(s)).status, 'complete');
  await context.close();
});

test('a 3-D Secure challenge failed comes back with the error and the form', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url);
  await fillCard(page, '4000000000003220');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/challenge/);
  await page.getByRole('button', { name: 'Fail authentication' }).click();
  await page.waitForURL(/\/pay\/cs_.*from=3ds/);
  const err = page.locator('#card-error');
  assert.ok(await err.isVisible());
  assert.match(await err.textContent(), /failed authentication/);
  await shot(page, '3ds-failed');
  assert.equal((await paid(s)).status, 'open');
  await context.close();
});

test('a promotion code changes the total without a reload', async () => {
  const c = await k.api('POST', '/v1/coupons', { percent_off: 20, duration: 'once' });
  const code = 'SAVE' + Date.now();
  await k.api('POST', '/v1/promotion_codes', { 'promotion[type]': 'coupon', 'promotion[coupon]': c.body.id, code });
  const s = await session(k, { allow_promotion_codes: 'true' });
  const { page, context } = await open(s.url);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.getByLabel('Promotion code').fill('NOPE');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#promo-error').waitFor({ state: 'visible' });
  await page.getByLabel('Promotion code').fill(code);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('button', { name: 'Pay $20.00' }).waitFor();
  assert.equal(plain(await page.locator('#amount-total').textContent()), '$20.00');
  assert.equal(plain(await page.locator('#amount-discount').textContent()), '-$5.00');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  await shot(page, 'promotion-code');
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: 'Pay $20.00' }).click();
  await page.waitForURL(/\/demo\/return/);
  assert.equal((await paid(s)).payment_intent.amount_received, 2000);
  await context.close();
});

test('a required custom field is asked for by its label', async () => {
  const s = await session(k, {
    'custom_fields[0][key]': 'engraving',
    'custom_fields[0][label][type]': 'custom',
    'custom_fields[0][label][custom]': 'Engraving <i>text</i>',
    'custom_fields[0][type]': 'text',
  });
  const { page, context } = await open(s.url);
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  const err = page.locator('#cf-engraving-error');
  await err.waitFor({ state: 'visible' });
  await shot(page, 'custom-field-missing');
  await page.getByLabel('Engraving <i>text</i>').fill('For Ada');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/demo\/return/);
  const after = await paid(s);
  assert.equal(after.custom_fields[0].text.value, 'For Ada');
  await context.close();
});

test('locale de formats 25,00 € and labels the fields in German', async () => {
  const s = await session(k, { locale: 'de', 'line_items[0][price_data][currency]': 'eur' });
  const { page, context } = await open(s.url);
  assert.equal(plain(await page.locator('#amount-total').textContent()), '25,00 €');
  assert.equal(await page.getByLabel('Kartennummer').count(), 1);
  assert.equal(await page.getByRole('button', { name: /Bezahlen 25,00/ }).count(), 1);
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  await shot(page, 'locale-de');
  await context.close();
});

test('auto reads Accept-Language; JPY has no decimals and KWD three', async () => {
  const jpy = await session(k, { locale: 'auto', 'line_items[0][price_data][currency]': 'jpy' });
  const ja = await open(jpy.url, { locale: 'ja-JP' });
  assert.equal(plain(await ja.page.locator('#amount-total').textContent()), '￥2,500');
  assert.equal(await ja.page.getByLabel('カード番号').count(), 1);
  await shot(ja.page, 'locale-ja-jpy');
  await ja.context.close();
  const kwd = await session(k, { 'line_items[0][price_data][currency]': 'kwd', 'line_items[0][price_data][unit_amount]': 12345 });
  const en = await open(kwd.url);
  assert.equal(plain(await en.page.locator('#amount-total').textContent()), 'KWD 12.345');
  await en.context.close();
});

test('an expired session shows a clear page, not the form', async () => {
  const s = await session(k);
  await k.api('POST', `/v1/checkout/sessions/${s.id}/expire`);
  const { page, context } = await open(s.url);
  assert.equal(await page.getByRole('heading', { name: 'This checkout has expired' }).count(), 1);
  assert.equal(await page.locator('form#pay').count(), 0);
  assert.equal(await page.getByRole('link', { name: /Back/ }).getAttribute('href'), `${k.base}/demo`);
  await shot(page, 'expired');
  await context.close();
});

test('a made-up session id gets a friendly 404', async () => {
  const { page, context } = await open(`${k.base}/pay/cs_test_doesnotexist`);
  assert.equal(await page.getByRole('heading', { name: 'Checkout not found' }).count(), 1);
  await shot(page, 'not-found');
  await context.close();
});

test('double-clicking Pay charges once', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url);
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: /^Pay/ }).dblclick();
  await page.waitForURL(/\/demo\/return/);
  await shot(page, 'double-click-paid-once');
  const pis = await k.api('GET', '/v1/payment_intents', { limit: 100 });
  const mine = pis.body.data.filter((p) => p.checkout_session === s.id || p.id === (s.payment_intent || ''));
  const after = await paid(s);
  assert.equal(after.payment_intent.attempts.length, 1, JSON.stringify(after.payment_intent.attempts));
  assert.ok(mine.length <= 1);
  await context.close();
});

test('keyboard only: Tab through the form and pay with Enter, focus visible', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url, { width: 360 });
  const focusOn = async (label) => {
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
      const target = await page.getByLabel(label).getAttribute('id');
      if (id === target) return;
    }
    throw new Error(`never reached ${label} with Tab`);
  };
  await focusOn('Email');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.type('keys@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('4242424242424242');
  await page.keyboard.press('Tab');
  await page.keyboard.type('1234');
  await page.keyboard.press('Tab');
  await page.keyboard.type('123');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Key Board');
  await shot(page, 'keyboard-360px');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 360, `no horizontal scroll at 360 px (${scrollWidth})`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/demo\/return/);
  assert.equal((await paid(s)).status, 'complete');
  await context.close();
});

test('hosted confirmation shows the merchant message instead of redirecting', async () => {
  const s = await session(k, {
    success_url: '',
    'after_completion[type]': 'hosted_confirmation',
    'after_completion[hosted_confirmation][custom_message]': 'Your beans ship tomorrow.',
  });
  const { page, context } = await open(s.url);
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.getByText('Your beans ship tomorrow.').waitFor();
  assert.ok(page.url().startsWith(s.url));
  await shot(page, 'hosted-confirmation');
  await context.close();
});

test('an adjustable quantity and a shipping rate recompute the total', async () => {
  const s = await session(k, {
    'line_items[0][adjustable_quantity][enabled]': 'true',
    'line_items[0][adjustable_quantity][maximum]': 5,
    'shipping_address_collection[allowed_countries][0]': 'US',
    'shipping_options[0][shipping_rate_data][display_name]': 'Ground',
    'shipping_options[0][shipping_rate_data][type]': 'fixed_amount',
    'shipping_options[0][shipping_rate_data][fixed_amount][amount]': 500,
    'shipping_options[0][shipping_rate_data][fixed_amount][currency]': 'usd',
    'shipping_options[1][shipping_rate_data][display_name]': 'Express',
    'shipping_options[1][shipping_rate_data][type]': 'fixed_amount',
    'shipping_options[1][shipping_rate_data][fixed_amount][amount]': 1500,
    'shipping_options[1][shipping_rate_data][fixed_amount][currency]': 'usd',
  });
  const { page, context } = await open(s.url);
  assert.equal(plain(await page.locator('#amount-total').textContent()), '$30.00');
  await page.getByLabel('Quantity').fill('2');
  await page.getByLabel('Quantity').press('Tab');
  await page.getByRole('button', { name: 'Pay $55.00' }).waitFor();
  await page.getByLabel(/Express/).check();
  await page.getByRole('button', { name: 'Pay $65.00' }).waitFor();
  await page.getByLabel('Full name').fill('Ada Buyer');
  await page.getByLabel('Address line 1').fill('1 Main St');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  await shot(page, 'quantity-shipping');
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: 'Pay $65.00' }).click();
  await page.waitForURL(/\/demo\/return/);
  const after = await paid(s);
  assert.equal(after.payment_intent.amount_received, 6500);
  assert.equal(after.collected_information.shipping_details.address.line1, '1 Main St');
  await context.close();
});

test('text meets WCAG AA contrast against its background', async () => {
  const s = await session(k, { allow_promotion_codes: 'true' });
  const { page, context } = await open(s.url);
  await fillCard(page, '4000000000000002');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.locator('#card-error').waitFor({ state: 'visible' });
  const failures = await page.evaluate(() => {
    const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelectorAll('label, legend, dt, dd, p, span, button, a, h1, h2, input')) {
      if (!el.offsetParent || !(el.textContent.trim() || el.value)) continue;
      const fg = lum(parse(getComputedStyle(el).color).slice(0, 3));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const size = parseFloat(getComputedStyle(el).fontSize);
      const weight = Number(getComputedStyle(el).fontWeight);
      const large = size >= 24 || (size >= 18.66 && weight >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName}#${el.id} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return out;
  });
  await shot(page, 'contrast-with-error');
  assert.deepEqual(failures, []);
  await context.close();
});

test('a device check (3-D Secure method flow) runs hidden and the payment completes', async () => {
  const s = await session(k);
  const { page, context } = await open(s.url);
  await fillCard(page, '4000000000003063');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/demo\/return/, { timeout: 20000 });
  await shot(page, '3ds-device-check-paid');
  assert.equal((await paid(s)).status, 'complete');
  await context.close();
});
