//! Charges as the payment engine records them: one per processor answer
//! on a card, stored in the commit that settles its PaymentIntent. Shared by
//! the API, the workers and the pages.

use serde_json::Value;

use crate::domain::charge::{self, KIND};
use crate::domain::event::{self, EventContext};
use crate::store::{Change, Scope, StoreResult};
use crate::AppState;

const REFUND_KIND: &str = "refund";

/// Adds the charge a settled intent just made to a commit: the object and
/// its `charge.succeeded` / `charge.failed` event. An uncaptured
/// authorization also gets the moment it lapses.
pub fn record(
    intent: &mut Value,
    pm: &Value,
    now: i64,
    ctx: &EventContext,
    changes: &mut Vec<Change>,
    events: &mut Vec<Value>,
) {
    let Some(ch) = charge::from_settled(intent, pm, now) else { return };
    if intent["status"] == "requires_capture" {
        intent["capture_before"] = ch["payment_method_details"]["card"]["capture_before"].clone();
    }
    events.push(event::build(ctx, charge::created_event(&ch), &ch, None));
    changes.push(Change::Insert {
        id: ch["id"].as_str().unwrap_or_default().to_owned(),
        kind: KIND.into(),
        created: now,
        tags: charge::tags(&ch),
        doc: ch,
    });
}

fn intent_id(charge: &Value) -> Option<&str> {
    charge["payment_intent"].as_str().or_else(|| charge["payment_intent"]["id"].as_str())
}

/// The charge as it reads now, with its intent's capture and refunds.
#[tracing::instrument(skip_all, fields(charge = doc["id"].as_str().unwrap_or_default()))]
pub async fn current(state: &AppState, scope: &Scope, doc: Value) -> StoreResult<Value> {
    let Some(pi_id) = intent_id(&doc) else { return Ok(doc) };
    let pi = state.store.get_object(scope, pi_id).await?;
    let refunds = match &pi {
        Some(p) if p.doc["latest_charge"] == doc["id"] && p.doc["amount_refunded"].as_i64().unwrap_or(0) > 0 => {
            let q = crate::store::ListQuery {
                kind: REFUND_KIND.into(),
                filters: vec![("payment_intent".into(), pi_id.to_owned())],
                created: Default::default(),
                cursor: None,
                limit: 100,
                any_of: Vec::new(),
            };
            state.store.list_objects(scope, &q).await?.items.into_iter().map(|o| o.doc).collect()
        }
        _ => Vec::new(),
    };
    Ok(charge::view(&doc, pi.as_ref().map(|p| &p.doc), &refunds))
}

/// The same view for an event, from what the caller already holds.
pub fn current_for_event(doc: &Value, pi: &Value) -> Value {
    charge::view(doc, Some(pi), &[])
}

/// The intent's latest charge, for events about it (capture, refund, void).
#[tracing::instrument(skip_all, fields(payment_intent = pi["id"].as_str().unwrap_or_default()))]
pub async fn of_intent(state: &AppState, scope: &Scope, pi: &Value) -> StoreResult<Option<Value>> {
    let Some(id) = pi["latest_charge"].as_str() else { return Ok(None) };
    let stored = state.store.get_object(scope, id).await?.filter(|o| o.kind == KIND);
    // Payments made before charges were stored have none: their view is
    // built from the intent alone.
    let doc = match stored {
        Some(o) => Some(o.doc),
        None => charge::from_settled(pi, &Value::Null, pi["created"].as_i64().unwrap_or(0)),
    };
    Ok(doc.map(|d| current_for_event(&d, pi)))
}
