"""stripe-python against kassa: products, prices and checkout sessions."""

import uuid

import pytest
import stripe

SUCCESS = "https://shop.example/done?session={CHECKOUT_SESSION_ID}"


def test_a_session_from_price_data(sk):
    s = stripe.checkout.Session.create(
        mode="payment",
        success_url=SUCCESS,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 1099,
                                    "product_data": {"name": "T-shirt"}}, "quantity": 2}],
        metadata={"order": "42"},
    )
    assert isinstance(s, stripe.checkout.Session)
    assert s.id.startswith("cs_test_")
    assert s.amount_total == 2198 and s.currency == "usd"
    assert s.status == "open" and s.payment_status == "unpaid"
    assert s.success_url == SUCCESS
    assert s.url.endswith("/pay/" + s.id)


def test_a_session_from_a_price_retrieved_with_expand(sk):
    product = stripe.Product.create(name="Plan")
    price = stripe.Price.create(product=product.id, currency="eur", unit_amount_decimal="1250.5")
    assert str(price.unit_amount_decimal) == "1250.5"
    s = stripe.checkout.Session.create(mode="payment", success_url=SUCCESS,
                                       line_items=[{"price": price.id, "quantity": 3}])
    assert s.amount_total == 3752  # 3751.5 rounds half away from zero
    got = stripe.checkout.Session.retrieve(s.id, expand=["line_items", "line_items.data.price.product"])
    item = got.line_items.data[0]
    assert item.price.id == price.id
    assert item.price.product.name == "Plan"
    assert item.quantity == 3


def test_the_stripe_client_lists_line_items_and_pages(client):
    tag = uuid.uuid4().hex
    created = []
    for i in range(12):
        s = client.v1.checkout.sessions.create(params={
            "mode": "payment", "success_url": SUCCESS, "client_reference_id": tag,
            "line_items": [{"price_data": {"currency": "usd", "unit_amount": 100 + i,
                                           "product_data": {"name": f"item {i}"}}, "quantity": 1},
                           {"price_data": {"currency": "usd", "unit_amount": 5,
                                           "product_data": {"name": "extra"}}, "quantity": 1}],
        })
        created.append(s.id)
    page = client.v1.checkout.sessions.list(params={"limit": 5})
    seen = [s.id for s in page.auto_paging_iter()]
    assert seen[:12] == list(reversed(created))
    items = client.v1.checkout.sessions.line_items.list(created[0], params={"limit": 1})
    assert items.has_more is True
    names = [i.description for i in items.auto_paging_iter()]
    assert names == ["item 0", "extra"]


def test_update_and_expire(sk):
    s = stripe.checkout.Session.create(
        mode="payment", success_url=SUCCESS,
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 500,
                                    "product_data": {"name": "A"}}, "quantity": 1}])
    items = stripe.checkout.Session.list_line_items(s.id)
    up = stripe.checkout.Session.modify(s.id, metadata={"cart": "2"},
                                        line_items=[{"id": items.data[0].id, "quantity": 3}])
    assert up.metadata["cart"] == "2" and up.amount_total == 1500
    expired = stripe.checkout.Session.expire(s.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.expire(s.id)
    assert "can be expired" in e.value.user_message


def test_errors_are_the_right_exceptions_with_the_right_param(sk):
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="payment", success_url=SUCCESS,
                                       line_items=[{"price": "price_missing", "quantity": 1}])
    assert e.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="payment", success_url=SUCCESS, customer="cus_x",
                                       customer_email="a@b.co",
                                       line_items=[{"price_data": {"currency": "usd", "unit_amount": 1,
                                                                   "product_data": {"name": "x"}}, "quantity": 1}])
    assert e.value.param == "customer_email" and e.value.code == "parameters_exclusive"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.create(mode="payment", success_url="/relative",
                                       line_items=[{"price_data": {"currency": "usd", "unit_amount": 1,
                                                                   "product_data": {"name": "x"}}, "quantity": 1}])
    assert e.value.param == "success_url"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.checkout.Session.retrieve("cs_test_nothing")
    assert e.value.http_status == 404


def test_embedded_sessions_carry_a_client_secret(sk):
    s = stripe.checkout.Session.create(
        mode="payment", ui_mode="embedded_page", return_url="https://shop.example/r",
        line_items=[{"price_data": {"currency": "jpy", "unit_amount": 500,
                                    "product_data": {"name": "Tea"}}, "quantity": 2}])
    assert s.client_secret.startswith(s.id + "_secret_")
    assert s.url is None and s.amount_total == 1000
