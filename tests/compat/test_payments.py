"""stripe-python against kassa: confirming sessions, then PaymentIntents,
PaymentMethods and SetupIntents (retrieve and list)."""

import pytest
import requests
import stripe

SUCCESS = "https://shop.example/done?session={CHECKOUT_SESSION_ID}"
CARD = {"payment_method_data[type]": "card", "payment_method_data[card][number]": "4242424242424242",
        "payment_method_data[card][exp_month]": "12", "payment_method_data[card][exp_year]": "2031",
        "payment_method_data[card][cvc]": "123"}


def confirm(kassa, session_id, data):
    # Confirm is kassa's own endpoint: the SDK has no method for it, so it is
    # called directly, as a merchant's backend would.
    return requests.post(f"{kassa['base']}/v1/checkout/sessions/{session_id}/confirm",
                         auth=(kassa["secret_key"], ""), data=data, timeout=10)


def test_payment_intents_and_methods_after_a_payment(sk, kassa):
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 1200,
                                    "product_data": {"name": "Lamp"}}, "quantity": 1}])
    r = confirm(kassa, s.id, CARD)
    assert r.status_code == 200, r.text
    done = stripe.checkout.Session.retrieve(s.id, expand=["payment_intent"])
    assert done.status == "complete" and done.payment_status == "paid"
    pi = done.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert pi.status == "succeeded" and pi.amount_received == 1200
    again = stripe.PaymentIntent.retrieve(pi.id)
    assert again.id == pi.id
    assert pi.id in [p.id for p in stripe.PaymentIntent.list(limit=100).auto_paging_iter()]
    pm = stripe.PaymentMethod.retrieve(pi.payment_method)
    assert isinstance(pm, stripe.PaymentMethod)
    assert pm.card.last4 == "4242" and pm.card.brand == "visa"


def test_a_decline_comes_back_as_a_card_error_with_its_payment_intent(sk, kassa):
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 500,
                                    "product_data": {"name": "Cup"}}, "quantity": 1}])
    r = confirm(kassa, s.id, {"payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})
    assert r.status_code == 402
    err = r.json()["error"]
    assert err["type"] == "card_error" and err["decline_code"] == "insufficient_funds"
    pi = stripe.PaymentIntent.retrieve(err["payment_intent"]["id"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == "insufficient_funds"


def test_setup_intents_and_saved_methods(sk, kassa):
    s = stripe.checkout.Session.create(mode="setup", currency="usd", success_url=SUCCESS)
    r = confirm(kassa, s.id, {**CARD, "customer_details[email]": "saver@example.com"})
    assert r.status_code == 200, r.text
    done = stripe.checkout.Session.retrieve(s.id)
    seti = stripe.SetupIntent.retrieve(done.setup_intent)
    assert isinstance(seti, stripe.SetupIntent) and seti.status == "succeeded"
    assert seti.id in [x.id for x in stripe.SetupIntent.list(customer=done.customer).data]
    methods = stripe.PaymentMethod.list(customer=done.customer)
    assert [m.id for m in methods.data] == [seti.payment_method]
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentMethod.retrieve("pm_doesnotexist")
