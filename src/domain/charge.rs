//! Charges (`ch_…`): one per processor answer on a card — approved (an
//! authorization, captured or not) or declined — as Stripe records them.
//!
//! A charge is stored once, in the commit that settles its PaymentIntent.
//! What changes afterwards (captured, refunded) lives on the PaymentIntent
//! and its refunds, and `view` lays it over the stored charge on every read,
//! so the two can never disagree.

use serde_json::{json, Value};

pub const KIND: &str = "charge";
/// Stripe lets an uncaptured authorization live seven days.
pub const CAPTURE_WINDOW_SECS: i64 = 7 * 86_400;

/// The charge a settled PaymentIntent just made, if it made one: an
/// approval (`succeeded` or `requires_capture`) or a card decline.
pub fn from_settled(pi: &Value, pm: &Value, now: i64) -> Option<Value> {
    let id = pi["latest_charge"].as_str()?;
    let approved = matches!(pi["status"].as_str(), Some("succeeded" | "requires_capture"));
    let declined = pi["status"] == "requires_payment_method" && pi["last_payment_error"]["type"] == "card_error";
    if !approved && !declined {
        return None;
    }
    let err = &pi["last_payment_error"];
    let card = &pm["card"];
    let manual = pi["status"] == "requires_capture";
    let captured = pi["status"] == "succeeded";
    let outcome = if approved {
        json!({"network_status": "approved_by_network", "reason": null, "risk_level": "normal",
               "seller_message": "Payment complete.", "type": "authorized"})
    } else {
        json!({"network_status": "declined_by_network", "reason": err["decline_code"], "risk_level": "normal",
               "seller_message": "The bank did not return any further details with this decline.", "type": "issuer_declined"})
    };
    Some(json!({
        "id": id, "object": "charge", "amount": pi["amount"],
        "amount_captured": if captured { pi["amount_received"].clone() } else { json!(0) }, "amount_refunded": 0,
        "application": null, "application_fee": null, "application_fee_amount": null, "balance_transaction": null,
        "billing_details": pm["billing_details"], "calculated_statement_descriptor": pi["statement_descriptor"],
        "captured": captured, "created": now, "currency": pi["currency"], "customer": pi["customer"],
        "description": pi["description"], "disputed": false,
        "failure_code": if declined { err["code"].clone() } else { Value::Null },
        "failure_message": if declined { err["message"].clone() } else { Value::Null },
        "fraud_details": {}, "livemode": pi["livemode"], "metadata": pi["metadata"], "on_behalf_of": null,
        "outcome": outcome, "paid": approved, "payment_intent": pi["id"], "payment_method": pi["payment_method"],
        "payment_method_details": {"type": "card", "card": {
            "brand": card["brand"], "last4": card["last4"], "exp_month": card["exp_month"], "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"], "funding": card["funding"], "country": card["country"],
            "checks": card["checks"], "network": card["brand"],
            "capture_before": if manual { json!(now + CAPTURE_WINDOW_SECS) } else { Value::Null },
            "three_d_secure": pi["three_d_secure"]["status"].as_str().map(|s| json!({"result": s})),
        }},
        "receipt_email": pi["receipt_email"], "receipt_number": null, "receipt_url": null, "refunded": false,
        "refunds": {"object": "list", "data": [], "has_more": false, "total_count": 0, "url": format!("/v1/charges/{id}/refunds")},
        "review": null, "shipping": pi["shipping"], "source": null, "source_transfer": null,
        "statement_descriptor": pi["statement_descriptor"],
        "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
        "status": if approved { "succeeded" } else { "failed" }, "transfer_data": null, "transfer_group": null,
    }))
}

/// The charge as it is now: its PaymentIntent says what was captured and
/// refunded (only for the intent's own latest charge; a declined charge
/// never changes), and `refunds` are the refunds made against it.
pub fn view(charge: &Value, pi: Option<&Value>, refunds: &[Value]) -> Value {
    let mut out = charge.clone();
    let Some(pi) = pi.filter(|p| p["latest_charge"] == charge["id"] && charge["status"] == "succeeded") else {
        return out;
    };
    let amount = charge["amount"].as_i64().unwrap_or(0);
    let (captured, amount_captured, amount_refunded) = match pi["status"].as_str() {
        Some("succeeded") => {
            let got = pi["amount_received"].as_i64().unwrap_or(0);
            (true, got, pi["amount_refunded"].as_i64().unwrap_or(0))
        }
        // An authorization released before capture is refunded whole.
        Some("canceled") => (false, 0, amount),
        _ => (false, 0, 0),
    };
    out["captured"] = json!(captured);
    out["amount_captured"] = json!(amount_captured);
    out["amount_refunded"] = json!(amount_refunded);
    let base = if captured { amount_captured } else { amount };
    out["refunded"] = json!(base > 0 && amount_refunded >= base);
    out["refunds"]["data"] = json!(refunds);
    out["refunds"]["total_count"] = json!(refunds.len());
    out
}

pub fn tags(charge: &Value) -> Vec<(String, String)> {
    let mut t = vec![("payment_intent".to_owned(), charge["payment_intent"].as_str().unwrap_or_default().to_owned())];
    if let Some(c) = charge["customer"].as_str() {
        t.push(("customer".into(), c.to_owned()));
    }
    t
}

/// `charge.succeeded` or `charge.failed`.
pub fn created_event(charge: &Value) -> &'static str {
    if charge["status"] == "succeeded" {
        "charge.succeeded"
    } else {
        "charge.failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi(status: &str) -> Value {
        json!({"id": "pi_1", "latest_charge": "ch_1", "status": status, "amount": 1000, "amount_received": 0,
               "amount_refunded": 0, "currency": "usd", "livemode": false, "metadata": {},
               "last_payment_error": if status == "requires_payment_method" {
                   json!({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "No."})
               } else { Value::Null }})
    }

    #[test]
    fn an_approval_and_a_decline_each_make_a_charge_and_an_outage_makes_none() {
        let ok = from_settled(&pi("succeeded"), &json!({}), 5).unwrap();
        assert_eq!((ok["status"].as_str(), ok["paid"].as_bool()), (Some("succeeded"), Some(true)));
        let no = from_settled(&pi("requires_payment_method"), &json!({}), 5).unwrap();
        assert_eq!((no["status"].as_str(), no["failure_code"].as_str()), (Some("failed"), Some("card_declined")));
        let mut down = pi("requires_payment_method");
        down["last_payment_error"]["type"] = json!("api_error");
        assert!(from_settled(&down, &json!({}), 5).is_none());
        let manual = from_settled(&pi("requires_capture"), &json!({}), 5).unwrap();
        assert_eq!(manual["payment_method_details"]["card"]["capture_before"], 5 + CAPTURE_WINDOW_SECS);
    }

    #[test]
    fn the_view_follows_capture_refund_and_cancel() {
        let ch = from_settled(&pi("requires_capture"), &json!({}), 5).unwrap();
        let auth = view(&ch, Some(&pi("requires_capture")), &[]);
        assert_eq!((auth["captured"].as_bool(), auth["amount_captured"].as_i64()), (Some(false), Some(0)));
        let mut done = pi("succeeded");
        done["amount_received"] = json!(600);
        done["amount_refunded"] = json!(600);
        let v = view(&ch, Some(&done), &[json!({"id": "re_1"})]);
        assert_eq!((v["captured"].as_bool(), v["amount_captured"].as_i64()), (Some(true), Some(600)));
        assert_eq!((v["refunded"].as_bool(), v["refunds"]["total_count"].as_i64()), (Some(true), Some(1)));
        let voided = view(&ch, Some(&pi("canceled")), &[]);
        assert_eq!((voided["amount_refunded"].as_i64(), voided["refunded"].as_bool()), (Some(1000), Some(true)));
    }
}
