use serde_json::{json, Value};

use super::*;
use crate::domain::fields::time_tag;

/// Sessions as the current code stores them, in every state the API tests
/// reach (open, expired, complete; 3-D Secure, cascades, discounts, taxes,
/// shipping, custom fields, kept intent data, failures).
fn stored() -> Vec<Value> {
    serde_json::from_str(include_str!("testdata/checkout_sessions.json")).expect("the fixture parses")
}

fn decode(doc: &Value) -> CheckoutSession {
    serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

/// The wire as `render` made it before the session was typed: the stored
/// document without its private fields, the cascade and 3-D Secure fields
/// `null` when absent, and the derived flags.
fn old_wire(doc: &Value, s: &CheckoutSession) -> Value {
    let mut out = doc.clone();
    let m = out.as_object_mut().expect("an object");
    for k in CheckoutSession::PRIVATE {
        m.remove(*k);
    }
    for k in ["cascade_tiers", "cascade_status", "next_action"] {
        m.entry(k).or_insert(Value::Null);
    }
    for (k, v) in flags(s) {
        m.insert(k.into(), json!(v));
    }
    if m["ui_mode"] == "hosted_page" {
        m.insert("client_secret".into(), Value::Null);
    }
    if m["status"] != "open" {
        m.insert("next_action".into(), Value::Null);
    }
    out
}

#[test]
fn every_stored_state_decodes_and_reads_as_before() {
    let docs = stored();
    assert!(docs.len() > 10);
    for doc in &docs {
        let s = decode(doc);
        let mut back = serde_json::to_value(&s).expect("encodes");
        // A session gets `next_action` once a confirm mirrors one; a setup
        // session keeps no breakdown.
        let m = back.as_object_mut().expect("an object");
        if doc.get("next_action").is_none() {
            assert_eq!(m.remove("next_action"), Some(Value::Null));
        }
        if doc.get("total_details_breakdown") == Some(&Value::Null) {
            m.insert("total_details_breakdown".into(), Value::Null);
        }
        assert_eq!(&back, doc);
        let at = s.created;
        assert_eq!(render(&s, at, &ApiVersion::latest(), false), old_wire(doc, &s), "{}", s.id);
        let with_lines = render(&s, at, &ApiVersion::latest(), true);
        assert_eq!(with_lines["line_items"], doc["line_items"]);
    }
}

/// The text written straight from the session says what the tree says, in
/// every stored state, before and after expiry, in old and new API versions,
/// with and without its line items.
#[test]
fn the_text_rendering_is_the_tree_rendering() {
    let old = ApiVersion::parse("2025-03-31.basil").expect("a known version");
    for doc in &stored() {
        let s = decode(doc);
        for at in [s.created, s.expires_at] {
            for version in [&ApiVersion::latest(), &old] {
                for lines in [false, true] {
                    let text = render_text(&s, at, version, lines).expect("renders");
                    let parsed: Value = serde_json::from_str(&text).expect("parses");
                    assert_eq!(parsed, render(&s, at, version, lines), "{} at {at}", s.id);
                }
            }
        }
    }
}

/// A rendering is the same at every time of its span, at both ends and
/// around the expiry, for every stored state.
#[test]
fn a_rendering_holds_over_its_span() {
    let v = ApiVersion::latest();
    let mut sessions: Vec<CheckoutSession> = stored().iter().map(decode).collect();
    sessions.push(open(100));
    for s in &sessions {
        for now in [s.created, s.expires_at - 1, s.expires_at, s.expires_at + 1] {
            let (from, until) = rendering_span(s, now);
            assert!(from <= now && now < until, "{} at {now}", s.id);
            let at_now = render_text(s, now, &v, false).expect("renders");
            for t in [from, until.saturating_sub(1), s.expires_at - 1, s.expires_at, s.expires_at + 1] {
                if from <= t && t < until {
                    assert_eq!(render_text(s, t, &v, false).expect("renders"), at_now, "{} at {t}", s.id);
                }
            }
        }
    }
}

#[test]
fn the_stored_states_cover_the_closed_sets() {
    let docs: Vec<CheckoutSession> = stored().iter().map(decode).collect();
    for st in [SessionStatus::Open, SessionStatus::Complete, SessionStatus::Expired] {
        assert!(docs.iter().any(|s| s.status == st), "{st:?}");
    }
    assert!(docs.iter().any(|s| s.next_action.is_some()));
    assert!(docs.iter().any(|s| s.cascade_status.is_some()));
    assert!(docs.iter().any(|s| s.line_items.data.iter().any(|l| !l.taxes.is_empty())));
    assert!(docs.iter().any(|s| s.line_items.data.iter().any(|l| !l.discounts.is_empty())));
    assert!(docs.iter().any(|s| s.collected_information.is_some()));
}

fn open(expires_at: i64) -> CheckoutSession {
    let mut s = stored().iter().map(decode).find(|s| s.status == SessionStatus::Open).expect("an open session");
    s.expires_at = expires_at;
    s.ui_mode = UiMode::EmbeddedPage;
    s.url = Some("http://x/pay/cs_1".into());
    s.confirming_until = None;
    s.payment_intent_status = None;
    s
}

#[test]
fn a_session_past_its_expiry_reads_as_expired() {
    let v = ApiVersion::latest();
    assert_eq!(render(&open(100), 99, &v, false)["status"], "open");
    let r = render(&open(100), 100, &v, false);
    assert_eq!(r["status"], "expired");
    assert_eq!(r["url"], Value::Null);
    assert!(r.get("line_items").is_none());
    assert!(render(&open(100), 1, &v, true).get("line_items").is_some());
}

#[test]
fn derived_flags_follow_the_amounts_and_the_mode() {
    let flag = |s: &CheckoutSession| -> std::collections::HashMap<_, _> { flags(s).into_iter().collect() };
    let mut paid = open(100);
    paid.mode = Mode::Payment;
    paid.amount_subtotal = Some(500);
    paid.amount_total = Some(500);
    paid.line_items.data.truncate(1);
    paid.line_items.data[0].amount_subtotal = 500;
    paid.line_items.data[0].price.custom_unit_amount = None;
    let f = flag(&paid);
    assert!(f["is_payment_required"] && f["is_payment_form_required"] && f["is_discount_applicable"]);
    assert!(!f["is_free"] && !f["is_payment_setup_required"]);
    let mut free = paid.clone();
    free.amount_subtotal = Some(0);
    free.amount_total = Some(0);
    free.line_items.data.clear();
    let f = flag(&free);
    assert!(f["is_free"] && !f["is_payment_required"] && !f["is_payment_form_required"]);
    let mut setup = free.clone();
    setup.mode = Mode::Setup;
    setup.amount_subtotal = None;
    setup.amount_total = None;
    let f = flag(&setup);
    assert!(f["is_payment_setup_required"] && f["is_payment_form_required"] && !f["is_free"]);
    // A buyer-chosen amount is never discounted.
    let mut custom = paid.clone();
    custom.amount_subtotal = Some(900);
    custom.amount_total = Some(900);
    custom.line_items.data[0].amount_subtotal = 900;
    custom.line_items.data[0].price.custom_unit_amount =
        Some(crate::domain::price::PriceCustomUnitAmount { maximum: None, minimum: Some(50), preset: None });
    assert!(!flag(&custom)["is_discount_applicable"]);
}

#[test]
fn a_session_stored_before_vault_tokenization_decodes_as_direct() {
    let mut doc = stored()[0].clone();
    doc.as_object_mut().expect("an object").remove("card_tokenization_mode");
    assert_eq!(decode(&doc).card_tokenization_mode, crate::domain::checkout_session::CardTokenizationMode::Direct);
}

#[test]
fn failures_count_for_an_hour_and_keep_at_most_the_limit() {
    let mut s = open(100);
    for t in 0..15 {
        record_failure(&mut s, 100 + t);
    }
    assert_eq!(recent_failures(&s, 120), MAX_FAILURES);
    assert_eq!(s.failed_payments.len(), MAX_FAILURES);
    assert_eq!(recent_failures(&s, 100 + 3600 + 10), 4);
    assert!(render(&s, 0, &ApiVersion::latest(), false).get("failed_payments").is_none());
}

#[test]
fn ui_mode_is_spelled_by_api_version() {
    let old = ApiVersion::parse("2025-03-31.basil").unwrap();
    assert_eq!(render(&open(100), 1, &old, false)["ui_mode"], "embedded");
    assert_eq!(render(&open(100), 1, &ApiVersion::latest(), false)["ui_mode"], "embedded_page");
}

#[test]
fn only_open_sessions_expire_and_terminal_states_stay() {
    let e = expire(&open(100), 5).unwrap();
    assert_eq!(e.status, SessionStatus::Expired);
    assert_eq!(e.url, None);
    assert_eq!(expire(&e, 6).unwrap_err().status, "expired");
    let mut done = open(100);
    done.status = SessionStatus::Complete;
    assert!(expire(&done, 1).is_err());
    assert!(require_open(&done, 1, "updated").is_err());
    assert!(require_open(&open(100), 100, "updated").is_err());
    let mut held = open(100);
    held.confirming_until = Some(10);
    assert!(expire(&held, 5).is_err());
}

#[test]
fn open_sessions_carry_their_expiry_tag_and_closed_ones_do_not() {
    assert!(open(100).tags().contains(&(OPEN_UNTIL.to_owned(), time_tag(100))));
    let e = expire(&open(100), 5).unwrap();
    assert!(!e.tags().iter().any(|(k, _)| k == OPEN_UNTIL));
    assert!(e.tags().contains(&("status".to_owned(), "expired".to_owned())));
}

#[test]
fn an_unknown_field_does_not_decode() {
    let mut doc = stored()[0].clone();
    doc["surprise"] = json!(1);
    assert!(serde_json::from_value::<CheckoutSession>(doc).is_err());
}
