"""stripe-python against kassa: manual capture (full, partial), cancel, and
Charges (retrieve, list, update, expand) with the SDK's own methods."""

import pytest
import requests
import stripe

SUCCESS = "https://shop.example/done?session={CHECKOUT_SESSION_ID}"


def authorized(kassa, amount=1500, capture_method="manual"):
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS,
        payment_intent_data={"capture_method": capture_method},
        line_items=[{"price_data": {"currency": "usd", "unit_amount": amount,
                                    "product_data": {"name": "Tent"}}, "quantity": 1}])
    r = requests.post(f"{kassa['base']}/v1/checkout/sessions/{s.id}/confirm",
                      auth=(kassa["secret_key"], ""), data={"payment_method": "pm_card_visa"}, timeout=10)
    assert r.status_code == 200, r.text
    return stripe.checkout.Session.retrieve(s.id, expand=["payment_intent"])


def test_manual_capture_in_part_with_the_sdk(sk, kassa):
    s = authorized(kassa)
    assert s.status == "complete" and s.payment_status == "unpaid"
    pi = s.payment_intent
    assert pi.status == "requires_capture" and pi.amount_capturable == 1500
    captured = stripe.PaymentIntent.capture(pi.id, amount_to_capture=1000)
    assert captured.status == "succeeded" and captured.amount_received == 1000
    charge = stripe.Charge.retrieve(captured.latest_charge)
    assert isinstance(charge, stripe.Charge)
    assert charge.captured is True and charge.amount_captured == 1000 and charge.amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.PaymentIntent.capture(pi.id)
    assert e.value.code == "payment_intent_unexpected_state"


def test_capturing_too_much_is_amount_too_large(sk, kassa):
    pi = authorized(kassa).payment_intent
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.PaymentIntent.capture(pi.id, amount_to_capture=1501)
    assert e.value.code == "amount_too_large" and e.value.param == "amount_to_capture"


def test_cancel_with_the_sdk(sk, kassa):
    pi = authorized(kassa).payment_intent
    canceled = stripe.PaymentIntent.cancel(pi.id, cancellation_reason="requested_by_customer")
    assert canceled.status == "canceled" and canceled.cancellation_reason == "requested_by_customer"
    charge = stripe.Charge.retrieve(canceled.latest_charge)
    assert charge.refunded is True and charge.captured is False
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.PaymentIntent.capture(pi.id)
    assert e.value.code == "payment_intent_unexpected_state"


def test_charges_retrieve_list_update_and_expand(sk, kassa):
    pi = authorized(kassa, amount=700, capture_method="automatic").payment_intent
    assert pi.status == "succeeded"
    charges = stripe.Charge.list(payment_intent=pi.id)
    assert [c.id for c in charges.data] == [pi.latest_charge]
    c = charges.data[0]
    assert c.paid and c.captured and c.amount == 700 and c.status == "succeeded"
    assert c.payment_method_details.card.last4 == "4242"
    assert pi.latest_charge in [x.id for x in stripe.Charge.list(limit=100).auto_paging_iter()]
    updated = stripe.Charge.modify(c.id, description="Order 9", metadata={"order": "9"})
    assert updated.description == "Order 9" and updated.metadata["order"] == "9"
    expanded = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert isinstance(expanded.latest_charge, stripe.Charge)
    assert expanded.latest_charge.description == "Order 9"


def test_the_client_api_captures_too(client, kassa):
    stripe.api_key = kassa["secret_key"]
    stripe.api_base = kassa["base"]
    pi = authorized(kassa).payment_intent
    captured = client.v1.payment_intents.capture(pi.id)
    assert captured.amount_received == 1500
    assert client.v1.charges.retrieve(captured.latest_charge).amount_captured == 1500
