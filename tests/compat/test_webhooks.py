"""stripe-python verifies kassa's webhook signatures: a delivered event is
accepted by `stripe.Webhook.construct_event`, a tampered one is rejected."""

import http.server
import json
import queue
import threading

import pytest
import stripe


class _Hook(http.server.BaseHTTPRequestHandler):
    got = queue.Queue()

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.got.put((body, dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_construct_event_accepts_a_delivery_and_rejects_a_tampered_one(sk, receiver):
    endpoint = stripe.WebhookEndpoint.create(url=receiver, enabled_events=["customer.created"])
    assert endpoint.secret.startswith("whsec_")
    assert getattr(stripe.WebhookEndpoint.retrieve(endpoint.id), "secret", None) is None
    customer = stripe.Customer.create(email="hook@example.com")
    body, headers = _Hook.got.get(timeout=15)
    headers = {k.lower(): v for k, v in headers.items()}
    event = stripe.Webhook.construct_event(body, headers["stripe-signature"], endpoint.secret)
    assert event.type == "customer.created" and event.data.object.id == customer.id
    tampered = json.dumps({**json.loads(body), "type": "customer.deleted"})
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, headers["stripe-signature"], endpoint.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], "whsec_wrong")
    listed = stripe.Event.list(type="customer.*")
    assert event.id in [e.id for e in listed.data]
    assert stripe.Event.retrieve(event.id).type == "customer.created"
    stripe.WebhookEndpoint.delete(endpoint.id)
