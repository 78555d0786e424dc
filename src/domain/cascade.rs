//! Cascade pricing (seed 000): an ordered list of offers a session falls
//! back through when the buyer's card is declined. Each tier names the
//! processor route that charges it and, optionally, a coupon.
//!
//! Tier 0 is the session's offer at create. A card decline under tier *n*
//! moves the session to tier *n + 1* (its route, its discount, its new
//! amount); a decline under the last tier marks the cascade `exhausted` and
//! the session stays on that tier, open for another card.

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::FieldError;
use super::session_params::{CreateParams, Mode};
use super::session_rules::{exclusive, missing};

/// Enough for any real fallback ladder; each tier may add a processor call.
pub const MAX_TIERS: usize = 5;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = CascadeTierParam)]
#[serde(deny_unknown_fields)]
pub struct TierParam {
    pub processor_route: Option<String>,
    pub coupon: Option<String>,
}

/// The rules that need only the parameters: 1 to 5 tiers, payment mode,
/// each with a route, and no session-wide route or discount beside them.
pub fn check(p: &CreateParams, mode: Mode) -> Result<(), FieldError> {
    let Some(tiers) = &p.cascade_tiers else { return Ok(()) };
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        return Err(FieldError::invalid("cascade_tiers", format!("Give 1 to {MAX_TIERS} cascade tiers.")));
    }
    if mode != Mode::Payment {
        return Err(FieldError::invalid("cascade_tiers", "`cascade_tiers` can only be used in `payment` mode."));
    }
    if p.processor_route.is_some() {
        return Err(exclusive("processor_route", "cascade_tiers"));
    }
    if p.discounts.is_some() {
        return Err(exclusive("discounts", "cascade_tiers"));
    }
    if p.allow_promotion_codes.is_some() {
        return Err(exclusive("allow_promotion_codes", "cascade_tiers"));
    }
    for (i, t) in tiers.iter().enumerate() {
        if t.processor_route.as_deref().is_none_or(str::is_empty) {
            return Err(missing(&format!("cascade_tiers[{i}][processor_route]")));
        }
    }
    Ok(())
}

/// One tier as stored and shown.
pub fn tier(index: usize, processor_route: &str, coupon: Option<&str>) -> Value {
    json!({"tier": index, "processor_route": processor_route, "coupon": coupon})
}

/// The status of a new cascade: on tier 0, nothing tried.
pub fn start() -> Value {
    json!({"current_tier": 0, "attempts": 0, "exhausted": false})
}

/// Whether the session has a cascade.
pub fn configured(session: &Value) -> bool {
    session["cascade_tiers"].as_array().is_some_and(|t| !t.is_empty())
}

/// Counts a payment attempt that reached an outcome.
pub fn count_attempt(session: &mut Value) {
    if configured(session) {
        let n = session["cascade_status"]["attempts"].as_i64().unwrap_or(0);
        session["cascade_status"]["attempts"] = json!(n.saturating_add(1));
    }
}

/// After a card decline: the tier the session moves to, or `None` when the
/// cascade was already on its last tier (it is then marked exhausted).
pub fn next_tier(session: &mut Value) -> Option<Value> {
    if !configured(session) {
        return None;
    }
    let tiers = session["cascade_tiers"].as_array().cloned().unwrap_or_default();
    let current = session["cascade_status"]["current_tier"].as_u64().unwrap_or(0);
    let next = usize::try_from(current).ok().and_then(|c| c.checked_add(1)).and_then(|n| tiers.get(n).cloned());
    match next {
        Some(t) => {
            session["cascade_status"]["current_tier"] = t["tier"].clone();
            Some(t)
        }
        None => {
            session["cascade_status"]["exhausted"] = json!(true);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(n: usize) -> Value {
        let tiers: Vec<Value> = (0..n).map(|i| tier(i, &format!("pr_{i}"), None)).collect();
        json!({"cascade_tiers": tiers, "cascade_status": start()})
    }

    #[test]
    fn declines_walk_the_tiers_then_exhaust() {
        let mut s = session(3);
        for want in [1, 2] {
            count_attempt(&mut s);
            let t = next_tier(&mut s).expect("a next tier");
            assert_eq!(t["processor_route"], format!("pr_{want}"));
            assert_eq!(s["cascade_status"]["current_tier"], want);
            assert_eq!(s["cascade_status"]["exhausted"], false);
        }
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s["cascade_status"], json!({"current_tier": 2, "attempts": 3, "exhausted": true}));
        // Another card on the last tier: still exhausted, still counted.
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s["cascade_status"]["attempts"], 4);
    }

    #[test]
    fn a_session_without_a_cascade_is_untouched() {
        let mut s = json!({"cascade_tiers": null, "cascade_status": null});
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s, json!({"cascade_tiers": null, "cascade_status": null}));
    }

    #[test]
    fn a_single_tier_exhausts_on_its_first_decline() {
        let mut s = session(1);
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s["cascade_status"]["exhausted"], true);
    }
}
