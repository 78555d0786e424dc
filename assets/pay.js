// kassa's payment page. It calls kassa's public API like any client, with
// the account's publishable key and the session's client secret. Amounts
// are never sent: the server computes them. Card fields have no `name`, so
// no card number can end up in a URL even if this script never runs.
'use strict';
(function () {
  function $(id) { return document.getElementById(id); }

  // An embedded session's confirmation tells its embedding page, and only it.
  var done = $('message');
  if (done) {
    var origin = done.dataset.embedOrigin;
    if (origin && window.parent !== window && done.dataset.state === 'complete') {
      window.parent.postMessage({ type: 'kassa:checkout_complete', session: done.dataset.session,
        return_url: done.dataset.returnUrl || null }, origin);
    }
    return;
  }

  var form = $('pay');
  if (!form) { return; }
  var d = form.dataset;
  var btn = $('submit');
  var busy = false;
  var base = '/v1/checkout/sessions/' + encodeURIComponent(d.session);

  function val(id) { var e = $(id); return e ? e.value.trim() : ''; }
  function digits(s) { return s.replace(/\D/g, ''); }

  function encode(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== undefined && params[k] !== ''; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return 'kassa-page-' + crypto.randomUUID(); }
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return 'kassa-page-' + Array.prototype.map.call(a, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }

  function api(path, params, idem) {
    var headers = { 'Authorization': 'Bearer ' + d.pk, 'Content-Type': 'application/x-www-form-urlencoded' };
    if (idem) { headers['Idempotency-Key'] = idem; }
    return fetch(path, { method: 'POST', headers: headers, body: encode(params), credentials: 'omit', cache: 'no-store' })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (body) { return { status: res.status, body: body }; });
      }, function () { return { status: 0, body: null }; });
  }

  // Where an API error belongs on the page.
  function slotFor(err) {
    var p = (err && err.param) || '';
    var m = /^custom_fields\[(.+)\]$/.exec(p);
    if (m && $('cf-' + m[1] + '-error')) { return 'cf-' + m[1] + '-error'; }
    if (err && err.type === 'card_error') { return 'card-error'; }
    if (p.indexOf('payment_method_data[card]') === 0) { return 'card-error'; }
    if (p === 'customer_details[email]' || p.indexOf('[email]') >= 0) { return 'email-error'; }
    if (p === 'customer_details[phone]' && $('phone-error')) { return 'phone-error'; }
    if (p.indexOf('shipping_details') === 0 && $('ship-error')) { return 'ship-error'; }
    if ((p.indexOf('customer_details[address]') === 0 || p.indexOf('[billing_details][address]') >= 0) && $('bill-error')) { return 'bill-error'; }
    if ((p === 'promotion_code' || p === 'discount_code') && $('promo-error')) { return 'promo-error'; }
    if (p === 'shipping_rate' && $('rate-error')) { return 'rate-error'; }
    return 'form-error';
  }

  // The field an error's param names, when it is more precise than its slot.
  var fieldFor = {
    'shipping_details[name]': 'ship-name', 'shipping_details[address][line1]': 'ship-line1',
    'shipping_details[address][country]': 'ship-country', 'customer_details[phone]': 'phone',
    'customer_details[email]': 'email', 'customer_details[address]': 'bill-line1', 'promotion_code': 'promo'
  };

  function showError(err, slot) {
    var id = slot || slotFor(err);
    var el = $(id);
    el.textContent = (err && err.message) || 'Something went wrong. Please try again.';
    el.hidden = false;
    var field = (err && $(fieldFor[err.param])) || document.querySelector('[aria-describedby~="' + id + '"]');
    if (field) { field.setAttribute('aria-invalid', 'true'); if (id !== 'card-error') { field.focus(); } }
  }

  function clearErrors() {
    Array.prototype.forEach.call(document.querySelectorAll('.field-error, #form-error'), function (e) { e.hidden = true; e.textContent = ''; });
    Array.prototype.forEach.call(document.querySelectorAll('[aria-invalid]'), function (e) { e.removeAttribute('aria-invalid'); });
  }

  // Card number: grouped as typed, brand shown.
  var brands = [[/^4/, 'Visa'], [/^(5[1-5]|2[2-7])/, 'Mastercard'], [/^3[47]/, 'American Express'],
    [/^6(011|5)/, 'Discover'], [/^35/, 'JCB'], [/^3(0[0-5]|[689])/, 'Diners Club'], [/^62/, 'UnionPay']];
  var number = $('card-number');
  number.addEventListener('input', function () {
    var n = digits(number.value).slice(0, 19);
    var brand = '';
    brands.forEach(function (b) { if (!brand && b[0].test(n)) { brand = b[1]; } });
    var groups = brand === 'American Express' ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var out = [], i = 0;
    groups.forEach(function (g) { if (i < n.length) { out.push(n.slice(i, i + g)); i += g; } });
    number.value = out.join(' ');
    $('card-brand').textContent = brand;
  });
  var exp = $('card-exp');
  exp.addEventListener('input', function (e) {
    var n = digits(exp.value).slice(0, 4);
    if (e.inputType === 'deleteContentBackward') { exp.value = n.length > 2 ? n.slice(0, 2) + ' / ' + n.slice(2) : n; return; }
    exp.value = n.length >= 2 ? n.slice(0, 2) + ' / ' + n.slice(2) : n;
  });

  function refreshSummary() {
    return fetch('/pay/' + encodeURIComponent(d.session) + '/summary', { credentials: 'omit', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var t = document.createElement('template');
        t.innerHTML = html;
        var fresh = t.content.querySelector('#summary');
        if (!fresh) { return; }
        // Keyboard users keep their place in a re-rendered summary.
        var active = document.activeElement;
        var line = active && $('summary').contains(active) ? active.dataset.line : null;
        $('summary').replaceWith(fresh);
        btn.textContent = fresh.dataset.submit;
        bindQuantities();
        var again = line && document.querySelector('.qty-input[data-line="' + line + '"]');
        if (again) { again.focus(); }
      });
  }

  function update(params, slot) {
    clearErrors();
    params.client_secret = d.secret;
    return api(base, params).then(function (r) {
      if (r.status === 200) { return refreshSummary(); }
      // The server's values come back, so no refused value stays shown.
      return refreshSummary().then(function () { showError(r.body && r.body.error, slot); });
    });
  }

  var apply = $('promo-apply');
  if (apply) {
    apply.addEventListener('click', function () { update({ promotion_code: val('promo') }, 'promo-error'); });
    $('promo').addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); apply.click(); } });
  }
  Array.prototype.forEach.call(document.querySelectorAll('input[name="shipping_rate"]'), function (r) {
    r.addEventListener('change', function () { update({ shipping_rate: r.value }, 'rate-error'); });
  });
  function bindQuantities() {
    Array.prototype.forEach.call(document.querySelectorAll('.qty-input'), function (q) {
      q.addEventListener('change', function () {
        var p = {};
        p['line_items[0][id]'] = q.dataset.line;
        p['line_items[0][quantity]'] = q.value;
        update(p, 'form-error');
      });
    });
  }
  bindQuantities();

  function collect() {
    var e = digits(val('card-exp'));
    var p = {
      client_secret: d.secret,
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': digits(val('card-number')),
      'payment_method_data[card][exp_month]': e.slice(0, 2),
      'payment_method_data[card][exp_year]': e.length === 4 ? '20' + e.slice(2) : '',
      'payment_method_data[card][cvc]': val('card-cvc'),
      'payment_method_data[billing_details][name]': val('card-name'),
      'payment_method_data[billing_details][email]': val('email'),
      'customer_details[email]': val('email'),
      'customer_details[name]': val('card-name'),
      'return_url': location.origin + '/pay/' + encodeURIComponent(d.session) + '?from=3ds',
      'expand[]': 'payment_intent'
    };
    if ($('phone')) { p['customer_details[phone]'] = val('phone'); }
    if ($('bill-line1')) {
      [['line1', 'bill-line1'], ['line2', 'bill-line2'], ['postal_code', 'bill-postal'], ['city', 'bill-city'], ['country', 'bill-country']]
        .forEach(function (f) { p['customer_details[address][' + f[0] + ']'] = f[0] === 'country' ? val(f[1]).toUpperCase() : val(f[1]); });
    }
    if ($('ship-line1')) {
      p['shipping_details[name]'] = val('ship-name');
      [['line1', 'ship-line1'], ['line2', 'ship-line2'], ['postal_code', 'ship-postal'], ['city', 'ship-city'], ['state', 'ship-state'], ['country', 'ship-country']]
        .forEach(function (f) { p['shipping_details[address][' + f[0] + ']'] = val(f[1]); });
    }
    var rate = document.querySelector('input[name="shipping_rate"]:checked');
    if (rate) { p.shipping_rate = rate.value; }
    Array.prototype.forEach.call(document.querySelectorAll('[data-custom]'), function (c) {
      if (c.value.trim() !== '') { p['custom_fields[' + c.dataset.custom + ']'] = c.value.trim(); }
    });
    return p;
  }

  // The server decides what a finished session shows: the merchant's
  // success_url, kassa's confirmation, or (embedded) the message to the parent.
  function finished() { location.assign('/pay/' + encodeURIComponent(d.session)); }

  function poll(url, tries) {
    fetch(url, { credentials: 'omit', cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (pi) {
      if ((pi.status === 'processing' || pi.status === 'requires_action') && tries > 0) {
        setTimeout(function () { poll(url, tries - 1); }, 1000);
      } else { location.assign('/pay/' + encodeURIComponent(d.session) + '?from=3ds'); }
    }, function () { finished(); });
  }

  function nextAction(pi) {
    var na = pi && pi.next_action;
    if (!na) { return false; }
    var tds = na.three_d_secure || {};
    if (tds.flow === 'method' && tds.method_url) {
      var f = document.createElement('iframe');
      f.hidden = true; f.title = '3-D Secure'; f.src = tds.method_url;
      f.addEventListener('load', function () { poll(tds.status_url, 30); });
      document.body.appendChild(f);
      return true;
    }
    if (tds.flow === 'frictionless' && tds.status_url) { poll(tds.status_url, 30); return true; }
    var url = (na.redirect_to_url && na.redirect_to_url.url) || tds.challenge_url;
    if (url) { location.assign(url); return true; }
    return false;
  }

  function idle() { busy = false; btn.disabled = false; btn.removeAttribute('aria-busy'); btn.textContent = $('summary').dataset.submit; }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (busy) { return; }
    busy = true;
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    btn.textContent = d.processing;
    clearErrors();
    api(base + '/confirm', collect(), newKey()).then(function (r) {
      var b = r.body || {};
      if (r.status === 200 && b.status === 'complete') { finished(); return; }
      if (r.status === 200 && nextAction(b.payment_intent)) { return; }
      if (r.status === 200) { setTimeout(finished, 1000); return; }
      idle();
      showError(b.error);
      if (b.error && b.error.type === 'card_error') { number.focus(); }
    });
  });

  // An embedded page tells its parent how tall it is.
  if (d.embedded === 'true' && window.parent !== window && d.embedOrigin) {
    var last = 0;
    var tell = function () {
      var h = document.documentElement.scrollHeight;
      if (h !== last) { last = h; window.parent.postMessage({ type: 'kassa:resize', height: h }, d.embedOrigin); }
    };
    new ResizeObserver(tell).observe(document.body);
    tell();
  }
}());
