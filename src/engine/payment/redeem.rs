//! A session's coupon and promotion code are redeemed with its payment: in
//! the claim before a charge (so the last redemption cannot go twice), or in
//! the completing commit when nothing is charged; given back if the charge
//! fails.

use serde_json::Value;

use super::error::{PaymentError, PaymentResult};
use crate::domain::redemption;
use crate::store::{Change, ChangeSet, Scope, StoreError};
use crate::AppState;

/// The redemption changes for the session's discount, or a 400 if it has
/// been used up meanwhile.
#[tracing::instrument(skip_all, fields(session = session["id"].as_str().unwrap_or_default()))]
pub async fn redeem(state: &AppState, scope: &Scope, session: &Value) -> PaymentResult<Vec<Change>> {
    let mut changes = Vec::new();
    let d = &session["discounts"][0];
    for (field, what) in [("coupon", "coupon"), ("promotion_code", "promotion_code")] {
        let Some(id) = d[field].as_str() else { continue };
        let Some(obj) = state.store.get_object(scope, id).await? else { continue };
        let doc = redemption::redeem(&obj.doc).ok_or_else(|| {
            PaymentError::invalid(
                "coupon_expired",
                "discounts",
                format!("This {what} has reached its redemption limit."),
            )
        })?;
        let tags = if field == "promotion_code" { crate::domain::promotion_code::tags(&doc) } else { Vec::new() };
        changes.push(Change::Update { id: id.to_owned(), expected_version: obj.version, tags, doc });
    }
    Ok(changes)
}

/// Gives the session's redemptions back, re-reading on every try.
#[tracing::instrument(skip_all, fields(session = session["id"].as_str().unwrap_or_default()))]
pub async fn release(state: &AppState, scope: &Scope, session: &Value) -> PaymentResult<()> {
    let d = &session["discounts"][0];
    for field in ["coupon", "promotion_code"] {
        let Some(id) = d[field].as_str() else { continue };
        for _ in 0..10 {
            let Some(obj) = state.store.get_object(scope, id).await? else { break };
            let doc = redemption::release(&obj.doc);
            let tags = if field == "promotion_code" { crate::domain::promotion_code::tags(&doc) } else { Vec::new() };
            let set = ChangeSet {
                scope: scope.clone(),
                changes: vec![Change::Update { id: id.to_owned(), expected_version: obj.version, tags, doc }],
                events: vec![],
                idempotency: None,
            };
            match state.store.commit(set).await {
                Ok(()) => break,
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
