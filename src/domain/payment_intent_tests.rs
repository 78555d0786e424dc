use serde_json::{json, Value};

use super::*;
use crate::domain::fields::time_tag;

/// A new intent, as `build` makes it.
pub fn sample(id: &str) -> PaymentIntent {
    build(NewIntent {
        id,
        livemode: false,
        now: 100,
        amount: 1000,
        currency: "usd",
        customer: None,
        description: None,
        session: "cs_1",
        client_secret: format!("{id}_secret_x"),
        metadata: BTreeMap::new(),
    })
}

/// A new intent as the code wrote it before the type existed.
fn new_doc() -> Value {
    json!({
        "id": "pi_1", "object": "payment_intent", "amount": 1000, "amount_capturable": 0,
        "amount_details": {"tip": {}}, "amount_received": 0, "amount_refunded": 0, "application": null,
        "application_fee_amount": null, "automatic_payment_methods": null, "canceled_at": null,
        "cancellation_reason": null, "capture_method": "automatic_async", "client_secret": "pi_1_secret_x",
        "confirmation_method": "automatic", "created": 100, "currency": "usd", "customer": null,
        "description": null, "last_payment_error": null, "latest_charge": null, "livemode": false,
        "metadata": {}, "next_action": null, "on_behalf_of": null, "payment_method": null,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "processing": null, "receipt_email": null, "review": null,
        "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
        "statement_descriptor_suffix": null, "status": "requires_payment_method", "transfer_data": null,
        "transfer_group": null, "checkout_session": "cs_1", "attempts": [],
    })
}

fn pm_doc() -> Value {
    json!({
        "id": "pm_1", "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": {"address": {"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null},
                            "email": null, "name": "Ada", "phone": null},
        "card": {"brand": "visa", "display_brand": "visa",
                 "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
                 "country": "US", "exp_month": 12, "exp_year": 2030, "fingerprint": "fp", "funding": "credit",
                 "generated_from": null, "last4": "4242", "networks": {"available": ["visa"], "preferred": null},
                 "three_d_secure_usage": {"supported": true}, "wallet": null},
        "created": 100, "customer": null, "livemode": false, "metadata": {}, "type": "card",
    })
}

fn attempt(outcome: &str) -> Value {
    json!({"processor": "test", "idempotency_key": "pi_1-0", "outcome": outcome, "detail": "d",
           "processor_message": null, "started_at": 100, "duration_ms": 3})
}

/// Every state the code writes, as it wrote them (private fields included).
fn states() -> Vec<Value> {
    let with = |changes: Value| {
        let mut d = new_doc();
        for (k, v) in changes.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    };
    let action = json!({"type": "three_d_secure",
        "three_d_secure": {"flow": "challenge", "idempotency_key": "k", "status_url": "http://x/3ds/pi_1/status?client_secret=s",
                           "return_url": null, "challenge_url": "http://x/3ds/pi_1/challenge?key=k"},
        "redirect_to_url": {"url": "http://x/3ds/pi_1/challenge?key=k", "return_url": null}});
    let tds = json!({"flow": "challenge", "status": "pending", "key": "k", "due_at": 100, "return_url": null});
    vec![
        new_doc(),
        with(json!({"status": "processing", "payment_method": "pm_1",
                    "pending_attempt": {"processor": "test", "idempotency_key": "pi_1-0-0", "started_at": 100, "lookup_at": 160},
                    "confirm_request": {"idempotency_key": "ik", "fingerprint": "fp"}})),
        with(json!({"status": "succeeded", "payment_method": "pm_1", "amount_received": 1000, "latest_charge": "ch_1",
                    "attempts": [attempt("approved")], "amount_refunded": 300})),
        with(json!({"status": "requires_capture", "capture_method": "manual", "amount_capturable": 1000,
                    "latest_charge": "ch_1", "capture_before": 604_900, "attempts": [attempt("approved")],
                    "pending_capture": {"amount": 500, "idempotency_key": "pi_1-capture"}})),
        with(
            json!({"status": "canceled", "canceled_at": 200, "cancellation_reason": "automatic", "latest_charge": "ch_1"}),
        ),
        with(json!({"status": "requires_payment_method", "latest_charge": "ch_1", "attempts": [attempt("declined")],
                    "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                        "message": "Your card was declined.", "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                        "payment_method": pm_doc(), "param": null}})),
        with(json!({"status": "requires_payment_method", "attempts": [attempt("unavailable")],
                    "last_payment_error": {"type": "api_error", "code": "processor_unavailable", "decline_code": null,
                        "message": "No payment processor could take the payment. Please try again.",
                        "payment_method": null, "param": null, "detail": "refused"}})),
        with(json!({"status": "processing", "attempts": [attempt("unknown")], "lookup_asks": 2, "lookup_after": 300})),
        with(json!({"status": "requires_action", "attempts": [attempt("requires_action")],
                    "next_action": {"type": "redirect_to_url", "redirect_to_url": {"url": "https://acs", "return_url": null}}})),
        with(
            json!({"status": "requires_action", "payment_method": "pm_1", "three_d_secure": tds, "next_action": action,
                    "shipping": {"address": {"city": "Paris", "country": "FR", "line1": "1 rue", "line2": null, "postal_code": "75001", "state": null},
                                 "carrier": null, "name": "Ada", "phone": null, "tracking_number": null},
                    "metadata": {"contract": "ctr_1"}, "setup_future_usage": "off_session", "receipt_email": "a@b.c"}),
        ),
        with(json!({"status": "requires_payment_method", "payment_method": "pm_1",
                    "three_d_secure": {"flow": "method", "status": "failed", "key": "k", "due_at": 100, "return_url": "https://r"},
                    "last_payment_error": {"type": "card_error", "code": "payment_intent_authentication_failure",
                        "decline_code": null, "message": "m", "payment_method": "pm_1", "param": null}})),
        with(json!({"status": "processing", "payment_method": "pm_1",
                    "three_d_secure": {"flow": "frictionless", "status": "method_completed", "key": "k", "due_at": 150, "return_url": null}})),
        // A claim written before it recorded its lookup time.
        with(json!({"status": "processing", "payment_method": "pm_1",
                    "three_d_secure": {"flow": "method", "status": "authenticated", "key": "k", "due_at": 150, "return_url": null},
                    "pending_attempt": {"processor": "test", "idempotency_key": "pi_1-0-0", "started_at": 100}})),
    ]
}

#[test]
fn every_state_the_code_writes_decodes_and_shows_as_before() {
    for doc in states() {
        let pi: PaymentIntent = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{e}: {doc}"));
        assert_eq!(serde_json::to_value(&pi).unwrap(), doc, "round trip");
        let mut shown = doc.clone();
        for k in PaymentIntent::PRIVATE {
            shown.as_object_mut().unwrap().remove(*k);
        }
        assert_eq!(pi.wire(), shown);
        for k in PaymentIntent::PRIVATE {
            assert!(pi.wire().get(*k).is_none(), "{k} is never shown");
        }
    }
}

#[test]
fn build_makes_todays_new_intent_and_odd_documents_do_not_decode() {
    assert_eq!(sample("pi_1").wire(), new_doc());
    let mut odd = new_doc();
    odd["surprise"] = json!(1);
    assert!(serde_json::from_value::<PaymentIntent>(odd).is_err());
    let mut odd = new_doc();
    odd["status"] = json!("lost");
    assert!(serde_json::from_value::<PaymentIntent>(odd).is_err());
}

#[test]
fn a_claimed_try_is_asked_about_after_the_grace_period() {
    let mut pi = sample("pi_1");
    pi.status = PaymentIntentStatus::Processing;
    pi.pending_attempt =
        Some(PendingAttempt { processor: "gw".into(), idempotency_key: "k".into(), started_at: 100, lookup_at: None });
    assert!(pi.tags().contains(&(LOOKUP_TAG.to_owned(), time_tag(100 + CLAIM_GRACE))));
    let mut backed = pi.clone();
    backed.lookup_after = Some(5000);
    assert!(backed.tags().contains(&(LOOKUP_TAG.to_owned(), time_tag(5000))));
    let mut done = sample("pi_1");
    done.status = PaymentIntentStatus::Succeeded;
    let a: Attempt = serde_json::from_value(attempt("approved")).unwrap();
    done.attempts.push(a);
    assert!(!done.tags().iter().any(|(k, _)| k == LOOKUP_TAG));
}

#[test]
fn a_step_without_the_buyer_is_due_only_while_it_waits() {
    let waiting: PaymentIntent = serde_json::from_value(states()[11].clone()).unwrap();
    assert_eq!(waiting.three_ds_due(), Some(150));
    let authenticated: PaymentIntent = serde_json::from_value(states()[12].clone()).unwrap();
    assert_eq!(authenticated.three_ds_due(), None);
    assert_eq!(authenticated.lookup_due(), Some(100 + CLAIM_GRACE));
}

#[test]
fn tags_name_status_customer_and_the_capture_lapse() {
    let mut pi = sample("pi_1");
    pi.customer = Some("cus_1".into());
    pi.status = PaymentIntentStatus::RequiresCapture;
    pi.capture_before = Some(900);
    assert_eq!(
        pi.tags(),
        vec![
            ("status".to_owned(), "requires_capture".to_owned()),
            ("customer".to_owned(), "cus_1".to_owned()),
            (CAPTURE_DUE_TAG.to_owned(), time_tag(900)),
        ]
    );
}

#[test]
fn settling_records_the_outcome_as_before() {
    let pm: PaymentMethod = serde_json::from_value(pm_doc()).unwrap();
    let declined = Outcome::declined("card_declined", "generic_decline", "Your card was declined.");
    let a: Attempt = serde_json::from_value(attempt("declined")).unwrap();
    let pi = sample("pi_1").processing("pm_1").settle(&declined, &[a], Some(&pm), "ch_1");
    let want = &states()[5];
    let mut got = pi.wire();
    got["payment_method"] = Value::Null;
    assert_eq!(got, *want);
    let down = Outcome::Unavailable { reason: "refused".into() };
    let a: Attempt = serde_json::from_value(attempt("unavailable")).unwrap();
    let mut pi = sample("pi_1").settle(&down, &[a], None, "ch_1");
    pi.payment_method = None;
    assert_eq!(pi.wire(), states()[6]);
}

/// A stored session (the first of the session tests' fixtures) with
/// `fields` set.
fn session_with(fields: Value) -> CheckoutSession {
    let all: Vec<Value> =
        serde_json::from_str(include_str!("testdata/checkout_sessions.json")).expect("the fixture parses");
    let mut doc = all[0].clone();
    for (k, v) in fields.as_object().expect("an object") {
        doc[k] = v.clone();
    }
    serde_json::from_value(doc).expect("a session")
}

#[test]
fn session_data_passes_on_as_before() {
    let session = session_with(json!({
        "payment_intent_data": {"capture_method": "manual", "description": "d", "metadata": {"a": "1", "b": "2"},
            "receipt_email": null, "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
            "statement_descriptor_suffix": "SFX"},
        "collected_information": {"shipping_details": {"name": "Ada", "address": {"city": "Paris", "country": "FR",
            "line1": "1 rue", "line2": null, "postal_code": "75001", "state": null}}},
    }));
    let mut pi = sample("pi_1");
    pi.metadata = BTreeMap::from([("b".to_owned(), "own".to_owned())]);
    pi.apply_session_data(&session).unwrap();
    assert!(pi.manual_capture());
    assert_eq!((pi.description.as_deref(), pi.statement_descriptor_suffix.as_deref()), (Some("d"), Some("SFX")));
    assert_eq!(pi.metadata, BTreeMap::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "own".to_owned())]));
    assert_eq!(pi.wire()["shipping"], states()[9]["shipping"]);
    pi.apply_session_update(&session_with(json!({"payment_intent_data": null}))).unwrap();
    assert_eq!((pi.description.clone(), pi.metadata.clone()), (None, BTreeMap::new()));
}

#[test]
fn the_session_mirrors_the_next_action_only_while_the_buyer_must_act() {
    let pi: PaymentIntent = serde_json::from_value(states()[9].clone()).unwrap();
    let mut s = session_with(json!({}));
    mirror_next_action(&mut s, &pi);
    assert_eq!(json!(s.next_action), states()[9]["next_action"]);
    let mut done = pi;
    done.status = PaymentIntentStatus::Processing;
    mirror_next_action(&mut s, &done);
    assert!(s.next_action.is_none());
}
