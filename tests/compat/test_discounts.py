"""stripe-python against kassa: coupons and tax rates, and a session using both."""

import uuid

import pytest
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
