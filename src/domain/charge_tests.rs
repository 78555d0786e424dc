use serde_json::{json, Value};

use super::*;
use crate::domain::payment_intent::{LastPaymentError, PaymentIntent};
use crate::domain::payment_method::{self, NewMethod, PaymentMethod};

fn pi(status: &str) -> PaymentIntent {
    let mut pi = crate::domain::payment_intent::tests::sample("pi_1");
    pi.latest_charge = Some("ch_1".into());
    pi.status = serde_json::from_value(json!(status)).unwrap();
    pi.last_payment_error = (status == "requires_payment_method").then(|| LastPaymentError {
        kind: ErrorType::CardError,
        code: "card_declined".into(),
        decline_code: Some("insufficient_funds".into()),
        message: "No.".into(),
        doc_url: None,
        payment_method: None,
        param: None,
        detail: None,
    });
    pi
}

fn pm() -> PaymentMethod {
    let input = payment_method::CardInput {
        number: "4242424242424242".into(),
        exp_month: 12,
        exp_year: 2030,
        cvc: Some("123".into()),
    };
    let card = payment_method::check(&input, 1_700_000_000).unwrap();
    let billing = payment_method::BillingDetails { email: Some("a@b.c".into()), ..Default::default() };
    let new =
        NewMethod { id: "pm_1", livemode: false, now: 1, fingerprint: "fp", billing: Some(&billing), customer: None };
    payment_method::build(new, &card)
}

fn charge(status: &str) -> Charge {
    from_settled(&pi(status), Some(&pm()), 5).unwrap()
}

#[test]
fn an_approval_and_a_decline_each_make_a_charge_and_an_outage_makes_none() {
    let ok = charge("succeeded");
    assert_eq!((ok.status, ok.paid, ok.created_event()), (ChargeStatus::Succeeded, true, "charge.succeeded"));
    let no = charge("requires_payment_method");
    assert_eq!((no.status, no.failure_code.as_deref()), (ChargeStatus::Failed, Some("card_declined")));
    assert_eq!(no.outcome.reason.as_deref(), Some("insufficient_funds"));
    let mut down = pi("requires_payment_method");
    down.last_payment_error.as_mut().unwrap().kind = ErrorType::ApiError;
    assert!(from_settled(&down, None, 5).is_none());
    let manual = charge("requires_capture");
    assert_eq!(manual.payment_method_details.card.capture_before, Some(5 + CAPTURE_WINDOW_SECS));
}

#[test]
fn a_charge_round_trips_through_the_store_with_its_wire_shape() {
    let ch = charge("succeeded");
    let doc = serde_json::to_value(&ch).unwrap();
    assert_eq!(ch.tags(), vec![("payment_intent".to_owned(), "pi_1".to_owned())]);
    assert_eq!(doc["object"], "charge");
    assert_eq!(doc["payment_method_details"]["type"], "card");
    assert_eq!(doc["payment_method_details"]["card"]["network"], "visa");
    assert_eq!(doc["payment_method_details"]["card"]["three_d_secure"], Value::Null);
    assert_eq!(doc["outcome"]["type"], "authorized");
    assert_eq!(
        doc["refunds"],
        json!({"object": "list", "data": [], "has_more": false, "total_count": 0, "url": "/v1/charges/ch_1/refunds"})
    );
    assert_eq!((doc["fraud_details"].clone(), doc["source"].clone()), (json!({}), Value::Null));
    assert_eq!(serde_json::from_value::<Charge>(doc.clone()).unwrap(), ch);
    // Nothing is private: the API shows the stored form.
    assert_eq!(ch.wire(), doc);
}

#[test]
fn a_charge_of_another_shape_does_not_decode() {
    let mut v = serde_json::to_value(charge("succeeded")).unwrap();
    v["surprise"] = json!(1);
    assert!(serde_json::from_value::<Charge>(v).is_err());
    let mut v = serde_json::to_value(charge("succeeded")).unwrap();
    v["status"] = json!("lost");
    assert!(serde_json::from_value::<Charge>(v).is_err());
    let mut v = serde_json::to_value(charge("succeeded")).unwrap();
    v["application"] = json!("ca_1");
    assert!(serde_json::from_value::<Charge>(v).is_err());
}

#[test]
fn a_charge_rebuilt_from_its_intent_alone_has_no_card_details() {
    let ch = from_settled(&pi("succeeded"), None, 5).unwrap();
    assert_eq!((ch.billing_details, ch.payment_method_details.card.last4), (None, None));
}

#[test]
fn the_view_follows_capture_refund_and_cancel() {
    let ch = charge("requires_capture");
    let auth = view(&ch, Some(&pi("requires_capture")), Vec::new());
    assert_eq!((auth.captured, auth.amount_captured), (false, 0));
    let mut done = pi("succeeded");
    done.amount_received = 600;
    done.amount_refunded = 600;
    let re = crate::domain::refund::pending(
        "re_1",
        &done,
        crate::domain::refund::Request { amount: 600, reason: None, metadata: BTreeMap::new() },
        6,
    );
    let v = view(&ch, Some(&done), vec![re]);
    assert_eq!((v.captured, v.amount_captured), (true, 600));
    assert_eq!((v.refunded, v.refunds.total_count), (true, 1));
    let voided = view(&ch, Some(&pi("canceled")), Vec::new());
    assert_eq!((voided.amount_refunded, voided.refunded), (1000, true));
}
