//! Webhook signing (Stripe's scheme and Standard Webhooks), the retry
//! schedule, and which events an endpoint takes. Pure: no I/O, no clock.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::fields::FieldError;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    super::mac::hmac_sha256(key, parts).to_vec()
}

/// `Stripe-Signature: t=…,v1=…[,v1=…]`, one `v1` per secret.
pub fn stripe_signature(secrets: &[&str], t: i64, body: &str) -> String {
    let mut out = format!("t={t}");
    let signed = format!("{t}.");
    for s in secrets {
        out.push_str(",v1=");
        out.push_str(&hex::encode(hmac(s.as_bytes(), &[signed.as_bytes(), body.as_bytes()])));
    }
    out
}

/// Standard Webhooks `webhook-signature`: `v1,<base64>` per secret, space
/// separated, over `"{msg_id}.{t}.{body}"` keyed with the decoded secret.
pub fn standard_signature(secrets: &[&str], msg_id: &str, t: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| {
            let raw = s.strip_prefix("whsec_").unwrap_or(s);
            let key = STANDARD.decode(raw).unwrap_or_else(|_| raw.as_bytes().to_vec());
            let signed = format!("{msg_id}.{t}.");
            format!("v1,{}", STANDARD.encode(hmac(&key, &[signed.as_bytes(), body.as_bytes()])))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// When to try again, in seconds: exponential from `base_secs`, capped at
/// `cap_secs`, and given up once `give_up_after_secs` have passed since the
/// first attempt (so retries last at least that long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_secs: i64,
    pub cap_secs: i64,
    pub give_up_after_secs: i64,
}

impl Default for RetryPolicy {
    /// 1 min, 2, 4 … doubling to 10 h, for 3 days: about 16 attempts.
    fn default() -> Self {
        Self { base_secs: 60, cap_secs: 10 * 3600, give_up_after_secs: 3 * 24 * 3600 }
    }
}

impl RetryPolicy {
    /// The delay before attempt `failed + 1`, after `failed` failures,
    /// before jitter.
    pub fn delay(&self, failed: u32) -> i64 {
        let exp = failed.saturating_sub(1).min(40);
        self.base_secs.saturating_mul(1i64 << exp).min(self.cap_secs).max(1)
    }

    /// The next attempt's time, or `None` to give up. `jitter` is any
    /// random number; it spreads retries by up to a fifth of the delay so
    /// that a recovering receiver is not hit by every retry at once.
    pub fn next_attempt(&self, first_attempt: i64, now: i64, failed: u32, jitter: u64) -> Option<i64> {
        if now.saturating_sub(first_attempt) >= self.give_up_after_secs {
            return None;
        }
        let d = self.delay(failed);
        let spread = u64::try_from(d / 5).unwrap_or(0);
        let extra = if spread == 0 { 0 } else { i64::try_from(jitter % (spread + 1)).unwrap_or(0) };
        Some(now.saturating_add(d).saturating_add(extra))
    }
}

/// An endpoint failing this long without a success is disabled.
pub const DISABLE_AFTER_SECS: i64 = 5 * 24 * 3600;

/// Accounts have at most this many endpoints (Stripe's limit too).
pub const MAX_ENDPOINTS: usize = 16;

/// Whether an endpoint with `enabled` events takes an event of `kind`.
pub fn wants(enabled: &[String], kind: &str) -> bool {
    enabled.iter().any(|e| e == "*" || e == kind)
}

/// Every event type kassa records, and the other Stripe types a merchant
/// may already subscribe to; anything else in `enabled_events` is a typo.
pub const EVENT_TYPES: &[&str] = &[
    "account.updated",
    "charge.captured",
    "charge.expired",
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "checkout.session.async_payment_failed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "contract.created",
    "coupon.created",
    "coupon.deleted",
    "coupon.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "price.created",
    "price.deleted",
    "price.updated",
    "processor_route.created",
    "product.created",
    "product.deleted",
    "product.updated",
    "promotion_code.created",
    "promotion_code.updated",
    "refund.created",
    "refund.failed",
    "refund.updated",
    "setup_intent.created",
    "setup_intent.succeeded",
    "shipping_rate.created",
    "shipping_rate.updated",
    "tax_rate.created",
    "tax_rate.updated",
    "webhook_endpoint.disabled",
];

/// `enabled_events`: non-empty, each `*` or a known type.
pub fn check_events(events: &[String]) -> Result<(), FieldError> {
    if events.is_empty() {
        return Err(FieldError {
            param: "enabled_events".into(),
            code: "parameter_missing",
            message: "Missing required param: enabled_events.".into(),
        });
    }
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !EVENT_TYPES.contains(&e.as_str()) {
            return Err(FieldError {
                param: format!("enabled_events[{i}]"),
                code: "parameter_invalid_enum",
                message: format!(
                    "Invalid event type: '{}'. Use '*' or a known event type.",
                    e.chars().take(64).collect::<String>()
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn enabled_events_are_checked() {
        assert!(check_events(&["*".into()]).is_ok());
        assert!(check_events(&["checkout.session.completed".into()]).is_ok());
        assert_eq!(
            check_events(&["a".into(), "checkout.sesion.completed".into()]).unwrap_err().param,
            "enabled_events[0]"
        );
        assert_eq!(check_events(&[]).unwrap_err().code, "parameter_missing");
    }

    #[test]
    fn stripe_signatures_match_a_known_vector() {
        // HMAC-SHA256("whsec_test", "1700000000.{}"), computed independently.
        let sig = stripe_signature(&["whsec_test"], 1_700_000_000, "{}");
        let want = hex::encode(hmac(b"whsec_test", &[b"1700000000.{}"]));
        assert_eq!(sig, format!("t=1700000000,v1={want}"));
        let two = stripe_signature(&["whsec_a", "whsec_b"], 1, "x");
        assert_eq!(two.matches(",v1=").count(), 2);
    }

    #[test]
    fn standard_signatures_key_with_the_decoded_secret() {
        let secret = format!("whsec_{}", STANDARD.encode(b"0123456789abcdef0123456789abcdef"));
        let sig = standard_signature(&[&secret], "evt_1", 5, "{}");
        let want = STANDARD.encode(hmac(b"0123456789abcdef0123456789abcdef", &[b"evt_1.5.{}"]));
        assert_eq!(sig, format!("v1,{want}"));
        assert_eq!(standard_signature(&[&secret, &secret], "m", 1, "b").split(' ').count(), 2);
    }

    #[test]
    fn the_default_schedule_doubles_to_a_cap_and_lasts_three_days() {
        let p = RetryPolicy::default();
        assert_eq!((p.delay(1), p.delay(2), p.delay(3)), (60, 120, 240));
        assert_eq!(p.delay(30), 36_000);
        let (mut now, mut failed) = (0, 1);
        while let Some(next) = p.next_attempt(0, now, failed, 0) {
            now = next;
            failed += 1;
        }
        assert!(now >= 3 * 24 * 3600, "gave up only after three days: {now}");
        assert!(failed < 20, "{failed} attempts");
    }

    #[test]
    fn wildcard_and_exact_event_selection() {
        let all = vec!["*".to_owned()];
        let some = vec!["checkout.session.completed".to_owned()];
        assert!(wants(&all, "customer.created"));
        assert!(wants(&some, "checkout.session.completed"));
        assert!(!wants(&some, "checkout.session.expired"));
    }

    proptest! {
        #[test]
        fn delays_grow_and_stay_within_the_cap_and_jitter(failed in 1u32..200, jitter: u64, now in 0i64..1_000_000) {
            let p = RetryPolicy::default();
            prop_assert!(p.delay(failed) <= p.delay(failed + 1));
            let next = p.next_attempt(now, now, failed, jitter).unwrap();
            let d = p.delay(failed);
            prop_assert!(next >= now + d && next <= now + d + d / 5);
        }

        #[test]
        fn no_attempt_is_scheduled_after_giving_up(first in 0i64..1_000_000, late in 0i64..1_000_000, failed in 1u32..50) {
            let p = RetryPolicy::default();
            prop_assert!(p.next_attempt(first, first + p.give_up_after_secs + late, failed, 7).is_none());
        }
    }
}
