"""stripe-python against kassa: customers, paging, errors, idempotency."""

import uuid

import pytest
import stripe


def test_customers_are_created_retrieved_updated_listed_and_deleted(sk):
    email = f"{uuid.uuid4().hex}@example.com"
    c = stripe.Customer.create(email=email, name="Ada", metadata={"plan": "gold"},
                               address={"city": "Oslo", "country": "NO"})
    assert isinstance(c, stripe.Customer)
    assert c.id.startswith("cus_")
    assert c.email == email and c.metadata["plan"] == "gold" and c.address.city == "Oslo"
    assert c.last_response.headers["Request-Id"].startswith("req_")

    got = stripe.Customer.retrieve(c.id)
    assert got.name == "Ada"

    up = stripe.Customer.modify(c.id, name="Ada L.", metadata={"plan": ""})
    assert up.name == "Ada L." and "plan" not in up.metadata

    listed = stripe.Customer.list(email=email)
    assert [x.id for x in listed.data] == [c.id]

    deleted = stripe.Customer.delete(c.id)
    assert deleted.deleted is True and deleted.id == c.id
    assert stripe.Customer.list(email=email).data == []


def test_the_stripe_client_works_too(client):
    c = client.v1.customers.create(params={"email": "client@example.com", "preferred_locales": ["en", "nb"]})
    assert c.preferred_locales == ["en", "nb"]
    assert client.v1.customers.retrieve(c.id).id == c.id
    client.v1.customers.update(c.id, params={"description": "vip"})
    assert client.v1.customers.retrieve(c.id).description == "vip"
    client.v1.customers.delete(c.id)


def test_auto_paging_iter_crosses_pages(sk):
    email = f"{uuid.uuid4().hex}@example.com"
    created = [stripe.Customer.create(email=email).id for _ in range(23)]
    first = stripe.Customer.list(email=email, limit=10)
    assert first.has_more is True and len(first.data) == 10
    seen = [c.id for c in first.auto_paging_iter()]
    assert seen == list(reversed(created))


def test_an_unknown_parameter_is_an_invalid_request_error_naming_it(sk):
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.create(nickname="x")
    assert e.value.param == "nickname"
    assert e.value.code == "parameter_unknown"
    assert e.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.create(shipping={"name": "n", "address": {"moon": "x"}})
    assert e.value.param == "shipping[address][moon]"


def test_a_missing_customer_is_an_invalid_request_error(sk):
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.Customer.retrieve("cus_doesnotexist")
    assert e.value.http_status == 404 and e.value.code == "resource_missing"


def test_a_bad_key_is_an_authentication_error(kassa):
    client = stripe.StripeClient("sk_test_notarealkey0000000000000000abcd", base_addresses={"api": kassa["base"]})
    with pytest.raises(stripe.AuthenticationError) as e:
        client.v1.customers.list()
    assert "sk_test_…abcd" in e.value.user_message
    assert "notarealkey" not in str(e.value)


def test_a_reused_idempotency_key_with_other_params_is_an_idempotency_error(sk):
    key = uuid.uuid4().hex
    a = stripe.Customer.create(email="one@example.com", idempotency_key=key)
    again = stripe.Customer.create(email="one@example.com", idempotency_key=key)
    assert again.id == a.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(email="two@example.com", idempotency_key=key)


def test_expand_works_through_the_sdk(sk):
    c = stripe.Customer.create(email="e@example.com", expand=["test_clock"])
    assert c.test_clock is None
    page = stripe.Customer.list(limit=1, expand=["data.test_clock"])
    assert len(page.data) == 1
