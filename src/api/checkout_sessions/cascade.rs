//! Cascade pricing on a session (seed 000; rules in `domain::cascade`):
//! the tiers are checked at create, tier 0 becomes the session's offer, and
//! a card decline moves the session to the next tier.

use crate::api::checkout_sessions::discounts;
use crate::api::plumbing::extract::Call;
use crate::domain::cascade::{self, TierParam};
use crate::domain::checkout_session::{CascadeTier, Discount};
use crate::domain::coupon::Coupon;
use crate::domain::session::CheckoutSession;
use crate::error::ApiResult;
use crate::AppState;

/// The tiers as stored, and tier 0's coupon, each route and coupon checked.
pub async fn prepare(
    state: &AppState,
    call: &Call,
    tiers: &[TierParam],
    currency: &str,
    now: i64,
) -> ApiResult<(Vec<CascadeTier>, Option<Coupon>)> {
    let mut out = Vec::with_capacity(tiers.len());
    let mut first_coupon = None;
    for (i, t) in tiers.iter().enumerate() {
        let route = t.processor_route.as_deref().unwrap_or_default();
        crate::api::processor_routes::check_usable(state, call, route, &format!("cascade_tiers[{i}][processor_route]"))
            .await?;
        let coupon = match &t.coupon {
            Some(c) => {
                let param = format!("cascade_tiers[{i}][coupon]");
                let doc = discounts::usable_coupon(state, call, c, &param, now).await?;
                discounts::check_coupon_fits(&doc, currency).map_err(|e| e.with_param(&param))?;
                Some(doc)
            }
            None => None,
        };
        out.push(cascade::tier(i, route, t.coupon.as_deref()));
        if i == 0 {
            first_coupon = coupon;
        }
    }
    Ok((out, first_coupon))
}

/// Puts the tiers on a new session, on tier 0.
pub fn attach(s: &mut CheckoutSession, tiers: Vec<CascadeTier>) {
    if let Some(first) = tiers.first() {
        s.processor_route = Some(first.processor_route.clone());
        if let Some(c) = &first.coupon {
            s.discounts = vec![Discount { coupon: Some(c.clone()), promotion_code: None }];
        }
    }
    s.cascade_tiers = Some(tiers);
    s.cascade_status = Some(cascade::start());
}
