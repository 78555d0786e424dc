"""stripe-python against kassa: coupons and tax rates, and a session using both."""

import uuid

import pytest
import requests
import stripe

SUCCESS = "https://shop.example/done?session={CHECKOUT_SESSION_ID}"


def test_coupons(sk):
    cid = "C" + uuid.uuid4().hex[:10].upper()
    c = stripe.Coupon.create(id=cid, percent_off=25, duration="once", name="Quarter")
    assert isinstance(c, stripe.Coupon) and c.percent_off == 25 and c.valid is True
    assert stripe.Coupon.retrieve(cid).name == "Quarter"
    assert stripe.Coupon.modify(cid, name="Q").name == "Q"
    assert cid in [x.id for x in stripe.Coupon.list(limit=100).auto_paging_iter()]
    assert stripe.Coupon.delete(cid).deleted is True
    fixed = stripe.Coupon.create(amount_off=500, currency="usd")
    assert fixed.amount_off == 500 and fixed.currency == "usd"


def test_tax_rates_and_a_discounted_taxed_session(sk):
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=False, country="DE")
    assert isinstance(rate, stripe.TaxRate) and rate.percentage == 20
    assert stripe.TaxRate.retrieve(rate.id).display_name == "VAT"
    assert stripe.TaxRate.modify(rate.id, description="German VAT").description == "German VAT"
    assert rate.id in [r.id for r in stripe.TaxRate.list(limit=100).data]
    coupon = stripe.Coupon.create(percent_off=10)
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS, discounts=[{"coupon": coupon.id}],
        line_items=[{"price_data": {"currency": "eur", "unit_amount": 1000, "product_data": {"name": "Book"}},
                     "quantity": 1, "tax_rates": [rate.id]}],
        expand=["total_details.breakdown"])
    assert s.amount_subtotal == 1000 and s.amount_total == 1080
    assert s.total_details.amount_discount == 100 and s.total_details.amount_tax == 180
    assert s.total_details.breakdown.taxes[0].rate.id == rate.id


def test_promotion_codes(sk):
    coupon = stripe.Coupon.create(percent_off=15)
    code = "PY-" + uuid.uuid4().hex[:8].upper()
    promo = stripe.PromotionCode.create(code=code, promotion={"type": "coupon", "coupon": coupon.id}, max_redemptions=3)
    assert isinstance(promo, stripe.PromotionCode) and promo.code == code and promo.active is True
    assert stripe.PromotionCode.retrieve(promo.id).promotion.coupon == coupon.id
    assert [p.id for p in stripe.PromotionCode.list(code=code).data] == [promo.id]
    assert stripe.PromotionCode.modify(promo.id, active=False).active is False
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.PromotionCode.create(code="no spaces allowed", promotion={"type": "coupon", "coupon": coupon.id})
    assert e.value.param == "code"


def test_the_buyer_enters_a_code_with_the_publishable_key_and_client_secret(sk, kassa):
    coupon = stripe.Coupon.create(amount_off=300, currency="usd")
    code = "BUY-" + uuid.uuid4().hex[:8].upper()
    stripe.PromotionCode.create(code=code, promotion={"type": "coupon", "coupon": coupon.id})
    s = stripe.checkout.Session.create(
        mode="payment", ui_mode="embedded_page", return_url="https://shop.example/back", allow_promotion_codes=True,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 1000, "product_data": {"name": "Pen"}},
                     "quantity": 1}])
    # What a browser holding only the publishable key and the secret can do.
    updated = stripe.checkout.Session.modify(s.id, api_key=kassa["publishable_key"],
                                             client_secret=s.client_secret, promotion_code=code.lower())
    assert updated.amount_total == 700 and updated.discounts[0].promotion_code is not None
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.modify(s.id, api_key=kassa["publishable_key"], client_secret=s.client_secret,
                                       metadata={"a": "b"})
    assert e.value.param == "metadata"


def test_a_cascade_session_through_the_sdk(sk, kassa):
    # Processor routes are kassa's own resource: no SDK method, so plain HTTP.
    r = requests.post(f"{kassa['base']}/v1/processor_routes", auth=(kassa["secret_key"], ""),
                      data={"processors[0][type]": "test"}, timeout=10)
    assert r.status_code == 200, r.text
    coupon = stripe.Coupon.create(percent_off=20)
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 5000, "product_data": {"name": "Plan"}},
                     "quantity": 1}],
        cascade_tiers=[{"processor_route": r.json()["id"]}, {"processor_route": "test", "coupon": coupon.id}])
    assert s.cascade_status.current_tier == 0 and s.amount_total == 5000
    declined = requests.post(f"{kassa['base']}/v1/checkout/sessions/{s.id}/confirm", auth=(kassa["secret_key"], ""),
                             data={"payment_method": "pm_card_visa_chargeDeclined"}, timeout=10)
    assert declined.status_code == 402
    now = stripe.checkout.Session.retrieve(s.id)
    assert now.cascade_status.current_tier == 1 and now.cascade_status.attempts == 1
    assert now.amount_total == 4000 and now.cascade_tiers[1].coupon == coupon.id
