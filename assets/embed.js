// Embedded checkout: Kassa.initEmbeddedCheckout({clientSecret, container})
// mounts a session's payment page in an iframe. Messages are accepted only
// from that iframe, on kassa's origin; the page sends them only to the
// session's embed_origin.
'use strict';
(function () {
  var script = document.currentScript;
  var kassa = new URL(script ? script.src : '/', location.href).origin;

  function initEmbeddedCheckout(opts) {
    opts = opts || {};
    var m = /^(cs_(?:test_|live_)?[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(opts.clientSecret || '');
    if (!m) { throw new Error('Kassa.initEmbeddedCheckout: clientSecret is not a Checkout Session client secret.'); }
    var container = typeof opts.container === 'string' ? document.querySelector(opts.container) : opts.container;
    if (!container) { throw new Error('Kassa.initEmbeddedCheckout: container not found.'); }
    var frame = document.createElement('iframe');
    frame.src = kassa + '/pay/' + encodeURIComponent(m[1]);
    frame.title = opts.title || 'Checkout';
    frame.setAttribute('allow', 'payment');
    frame.style.width = '100%';
    frame.style.minHeight = '640px';
    frame.style.border = '0';
    container.appendChild(frame);
    function onMessage(ev) {
      if (ev.origin !== kassa || ev.source !== frame.contentWindow) { return; }
      var data = ev.data || {};
      if (data.type === 'kassa:resize' && typeof data.height === 'number') {
        frame.style.height = Math.min(Math.max(data.height, 200), 10000) + 'px';
      } else if (data.type === 'kassa:checkout_complete') {
        if (typeof opts.onComplete === 'function') { opts.onComplete({ session: data.session }); }
        if (data.return_url && /^https?:\/\//.test(data.return_url)) { window.location.assign(data.return_url); }
      }
    }
    window.addEventListener('message', onMessage);
    return { destroy: function () { window.removeEventListener('message', onMessage); frame.remove(); } };
  }

  window.Kassa = window.Kassa || {};
  window.Kassa.initEmbeddedCheckout = initEmbeddedCheckout;
  Array.prototype.forEach.call(document.querySelectorAll('[data-kassa-client-secret]'), function (el) {
    initEmbeddedCheckout({ clientSecret: el.dataset.kassaClientSecret, container: el });
  });
}());
