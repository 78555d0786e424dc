//! Counting redemptions of coupons and promotion codes.

use serde_json::{json, Value};

/// The coupon (or code) with one more redemption, or `None` if it has none
/// left. The caller commits it with a version check, so of two sessions
/// racing for the last redemption only one can win.
pub fn redeem(doc: &Value) -> Option<Value> {
    let used = doc["times_redeemed"].as_i64().unwrap_or(0);
    if doc["max_redemptions"].as_i64().is_some_and(|m| used >= m) {
        return None;
    }
    let mut out = doc.clone();
    out["times_redeemed"] = json!(used + 1);
    Some(out)
}

/// Gives a redemption back (a payment that did not happen).
pub fn release(doc: &Value) -> Value {
    let mut out = doc.clone();
    out["times_redeemed"] = json!((doc["times_redeemed"].as_i64().unwrap_or(0) - 1).max(0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redemptions_stop_at_the_limit_and_come_back_on_release() {
        let c = json!({"times_redeemed": 1, "max_redemptions": 2});
        let c = redeem(&c).unwrap();
        assert_eq!(c["times_redeemed"], 2);
        assert!(redeem(&c).is_none());
        assert_eq!(release(&c)["times_redeemed"], 1);
        assert_eq!(release(&json!({"times_redeemed": 0}))["times_redeemed"], 0);
        assert_eq!(redeem(&json!({"times_redeemed": 5})).unwrap()["times_redeemed"], 6);
    }
}
