//! A session's coupon and promotion code are redeemed with its payment: in
//! the claim before a charge (so the last redemption cannot go twice), or in
//! the completing commit when nothing is charged; given back if the charge
//! fails.

use crate::domain::session::CheckoutSession;

use super::error::{PaymentError, PaymentResult};
use crate::domain::coupon::Coupon;
use crate::domain::promotion_code::PromotionCode;
use crate::domain::redemption::{self, Redeemable};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoredObject};
use crate::AppState;

/// The live object of type `R` the session's discount names in `field`.
/// A deleted coupon (whose discount the session keeps) is not counted.
async fn named<R: Redeemable>(
    state: &AppState,
    scope: &Scope,
    session: &CheckoutSession,
    field: &str,
) -> PaymentResult<Option<(R, StoredObject)>> {
    let first = session.discounts.first();
    let id = first.and_then(|d| if field == "coupon" { d.coupon.as_deref() } else { d.promotion_code.as_deref() });
    let Some(id) = id else { return Ok(None) };
    let Some(obj) = state.store.get_object(scope, id).await?.filter(|o| !o.deleted) else { return Ok(None) };
    Ok(obj.decode::<R>()?.map(|r| (r, obj)))
}

/// One more redemption of the object `field` names, or a 400 if it has
/// been used up meanwhile.
async fn redeem_one<R: Redeemable>(
    state: &AppState,
    scope: &Scope,
    session: &CheckoutSession,
    field: &str,
) -> PaymentResult<Option<Change>> {
    let Some((current, obj)) = named::<R>(state, scope, session, field).await? else { return Ok(None) };
    let next = redemption::redeem(&current).ok_or_else(|| {
        PaymentError::invalid(
            "coupon_expired",
            "discounts",
            format!("This {} has reached its redemption limit.", R::WHAT),
        )
    })?;
    Ok(Some(Change::update(&next, obj.version)?))
}

/// The redemption changes for the session's discount, or a 400 if it has
/// been used up meanwhile.
#[tracing::instrument(skip_all, fields(session = %session.id))]
pub async fn redeem(state: &AppState, scope: &Scope, session: &CheckoutSession) -> PaymentResult<Vec<Change>> {
    let mut changes = Vec::new();
    changes.extend(redeem_one::<Coupon>(state, scope, session, "coupon").await?);
    changes.extend(redeem_one::<PromotionCode>(state, scope, session, "promotion_code").await?);
    Ok(changes)
}

/// Gives one redemption of the object `field` names back, re-reading on every try.
async fn release_one<R: Redeemable>(
    state: &AppState,
    scope: &Scope,
    session: &CheckoutSession,
    field: &str,
) -> PaymentResult<()> {
    for _ in 0..10 {
        let Some((current, obj)) = named::<R>(state, scope, session, field).await? else { break };
        let set = ChangeSet {
            scope: scope.clone(),
            changes: vec![Change::update(&redemption::release(&current), obj.version)?],
            events: vec![],
            idempotency: None,
        };
        match crate::engine::commit::commit(state, set).await {
            Ok(()) => break,
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Gives the session's redemptions back, re-reading on every try.
#[tracing::instrument(skip_all, fields(session = %session.id))]
pub async fn release(state: &AppState, scope: &Scope, session: &CheckoutSession) -> PaymentResult<()> {
    release_one::<Coupon>(state, scope, session, "coupon").await?;
    release_one::<PromotionCode>(state, scope, session, "promotion_code").await
}
