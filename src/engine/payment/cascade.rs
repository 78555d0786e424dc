//! Cascade pricing (seed 000; rules in `domain::cascade`): a card decline
//! moves the session to its next tier.

use super::error::PaymentResult;
use crate::domain::cascade;
use crate::domain::checkout_session::Discount;
use crate::domain::coupon::Coupon;
use crate::domain::session::CheckoutSession;
use crate::engine::pricing::recompute;
use crate::store::Scope;
use crate::AppState;

/// After a card decline: the session moves to its next tier, with that
/// tier's route, discount and amounts. A tier's coupon that is no longer
/// valid is left off rather than blocking the fallback.
pub async fn after_decline(state: &AppState, scope: &Scope, doc: &mut CheckoutSession, now: i64) -> PaymentResult<()> {
    let Some(tier) = cascade::next_tier(doc) else { return Ok(()) };
    doc.processor_route = Some(tier.processor_route.clone());
    let coupon = match tier.coupon.as_deref() {
        Some(c) => match state.store.get_object(scope, c).await? {
            Some(o) if !o.deleted => o.decode::<Coupon>()?.filter(|c| c.is_valid(now)),
            _ => None,
        },
        None => None,
    };
    doc.discounts = match coupon {
        Some(c) => vec![Discount { coupon: Some(c.id), promotion_code: None }],
        None => Vec::new(),
    };
    recompute(state, scope, doc, now).await
}
