//! Cascade pricing (seed 000): an ordered list of offers a session falls
//! back through when the buyer's card is declined. Each tier names the
//! processor route that charges it and, optionally, a coupon.
//!
//! Tier 0 is the session's offer at create. A card decline under tier *n*
//! moves the session to tier *n + 1* (its route, its discount, its new
//! amount); a decline under the last tier marks the cascade `exhausted` and
//! the session stays on that tier, open for another card.

use serde::Deserialize;

use super::checkout_session::{CascadeStatus, CascadeTier, CheckoutSession};
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
pub fn tier(index: usize, processor_route: &str, coupon: Option<&str>) -> CascadeTier {
    CascadeTier { tier: index, processor_route: processor_route.to_owned(), coupon: coupon.map(str::to_owned) }
}

/// The status of a new cascade: on tier 0, nothing tried.
pub fn start() -> CascadeStatus {
    CascadeStatus { current_tier: 0, attempts: 0, exhausted: false }
}

/// Whether the session has a cascade.
pub fn configured(session: &CheckoutSession) -> bool {
    session.cascade_tiers.as_ref().is_some_and(|t| !t.is_empty())
}

/// Counts a payment attempt that reached an outcome.
pub fn count_attempt(session: &mut CheckoutSession) {
    if configured(session) {
        let status = session.cascade_status.get_or_insert_with(start);
        status.attempts = status.attempts.saturating_add(1);
    }
}

/// After a card decline: the tier the session moves to, or `None` when the
/// cascade was already on its last tier (it is then marked exhausted).
pub fn next_tier(session: &mut CheckoutSession) -> Option<CascadeTier> {
    if !configured(session) {
        return None;
    }
    let tiers = session.cascade_tiers.clone().unwrap_or_default();
    let status = session.cascade_status.get_or_insert_with(start);
    match status.current_tier.checked_add(1).and_then(|n| tiers.get(n)) {
        Some(t) => {
            status.current_tier = t.tier;
            Some(t.clone())
        }
        None => {
            status.exhausted = true;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(n: usize) -> CheckoutSession {
        let docs: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("testdata/checkout_sessions.json")).unwrap();
        let mut s: CheckoutSession = serde_json::from_value(docs[0].clone()).unwrap();
        s.cascade_tiers = (n > 0).then(|| (0..n).map(|i| tier(i, &format!("pr_{i}"), None)).collect());
        s.cascade_status = (n > 0).then(start);
        s
    }

    #[test]
    fn declines_walk_the_tiers_then_exhaust() {
        let mut s = session(3);
        for want in [1, 2] {
            count_attempt(&mut s);
            let t = next_tier(&mut s).expect("a next tier");
            assert_eq!(t.processor_route, format!("pr_{want}"));
            assert_eq!(s.cascade_status.as_ref().map(|c| (c.current_tier, c.exhausted)), Some((want, false)));
        }
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s.cascade_status, Some(CascadeStatus { current_tier: 2, attempts: 3, exhausted: true }));
        // Another card on the last tier: still exhausted, still counted.
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s.cascade_status.map(|c| c.attempts), Some(4));
    }

    #[test]
    fn a_session_without_a_cascade_is_untouched() {
        let mut s = session(0);
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!((s.cascade_tiers, s.cascade_status), (None, None));
    }

    #[test]
    fn a_single_tier_exhausts_on_its_first_decline() {
        let mut s = session(1);
        count_attempt(&mut s);
        assert!(next_tier(&mut s).is_none());
        assert_eq!(s.cascade_status.map(|c| c.exhausted), Some(true));
    }
}
