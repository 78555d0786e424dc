//! Charges as the payment engine records them: one per processor answer
//! on a card, stored in the commit that settles its PaymentIntent. Shared by
//! the API, the workers and the pages.

use serde_json::Value;

use crate::domain::charge::{self, Charge};
use crate::domain::document::Document;
use crate::domain::event::{self, EventContext};
use crate::domain::payment_intent::{PaymentIntent, PaymentIntentStatus};
use crate::domain::payment_method::PaymentMethod;
use crate::domain::refund::Refund;
use crate::engine::payment::settle::Writes;
use crate::store::{Change, Scope, StoreResult};
use crate::AppState;

/// Adds the charge a settled intent just made to a commit: the object and
/// its `charge.succeeded` / `charge.failed` event. An uncaptured
/// authorization also gets the moment it lapses.
pub fn record(
    intent: &mut PaymentIntent,
    pm: Option<&PaymentMethod>,
    ctx: &EventContext,
    w: &mut Writes,
) -> StoreResult<()> {
    let Some(ch) = charge::from_settled(intent, pm, ctx.now) else { return Ok(()) };
    if intent.status == PaymentIntentStatus::RequiresCapture {
        intent.capture_before = ch.payment_method_details.card.capture_before;
    }
    w.events.push(event::of(ctx, ch.created_event(), &ch));
    w.changes.push(Change::insert(&ch)?);
    Ok(())
}

/// The charge as it reads now, with its intent's capture and refunds.
#[tracing::instrument(skip_all, fields(charge = %ch.id))]
pub async fn current(state: &AppState, scope: &Scope, ch: Charge) -> StoreResult<Charge> {
    let pi = match state.store.get_object(scope, &ch.payment_intent).await? {
        Some(o) => o.decode::<PaymentIntent>()?,
        None => None,
    };
    let refunds = match &pi {
        Some(p) if p.latest_charge.as_deref() == Some(ch.id.as_str()) && p.amount_refunded > 0 => {
            let q = crate::store::ListQuery {
                kind: crate::domain::refund::KIND.into(),
                filters: vec![("payment_intent".into(), ch.payment_intent.clone())],
                created: Default::default(),
                cursor: None,
                limit: 100,
                any_of: Vec::new(),
            };
            let items = state.store.list_objects(scope, &q).await?.items;
            items.iter().map(|o| o.decode::<Refund>()).filter_map(Result::transpose).collect::<StoreResult<_>>()?
        }
        _ => Vec::new(),
    };
    Ok(charge::view(&ch, pi.as_ref(), refunds))
}

/// A stored charge document as it reads now (expansions).
pub async fn current_doc(state: &AppState, scope: &Scope, obj: &crate::store::StoredObject) -> StoreResult<Value> {
    match obj.decode::<Charge>()? {
        Some(ch) => Ok(current(state, scope, ch).await?.wire()),
        None => obj.doc(),
    }
}

/// The intent's latest charge as it reads now, for events about it
/// (capture, refund, void).
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id))]
pub async fn of_intent(state: &AppState, scope: &Scope, pi: &PaymentIntent) -> StoreResult<Option<Value>> {
    let Some(id) = pi.latest_charge.as_deref() else { return Ok(None) };
    let stored = match state.store.get_object(scope, id).await? {
        Some(o) => o.decode::<Charge>()?,
        None => None,
    };
    // Payments made before charges were stored have none: their view is
    // built from the intent alone.
    let ch = match stored {
        Some(ch) => Some(ch),
        None => charge::from_settled(pi, None, pi.created),
    };
    Ok(ch.map(|c| charge::view(&c, Some(pi), Vec::new()).wire()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::refund::{self, Request};
    use crate::store::StoredObject;

    fn stored(change: Change) -> StoredObject {
        let Change::Insert { id, kind, created, doc, .. } = change else { panic!("not an insert") };
        StoredObject { seq: 1, id, kind, created, version: 1, deleted: false, text: doc.into() }
    }

    #[test]
    fn a_recorded_charge_and_a_refund_decode_from_the_store() {
        let mut pi = crate::domain::payment_intent::tests::sample("pi_1");
        pi.latest_charge = Some("ch_1".into());
        pi.status = PaymentIntentStatus::Succeeded;
        (pi.amount, pi.amount_received, pi.currency) = (500, 500, "eur".into());
        pi.metadata = [("k".to_owned(), "v".to_owned())].into();
        pi.customer = Some("cus_1".into());
        let ch = charge::from_settled(&pi, None, 7).unwrap();
        let change = Change::insert(&ch).unwrap();
        let Change::Insert { tags, .. } = &change else { panic!("not an insert") };
        assert_eq!(tags, &ch.tags());
        let obj = stored(change);
        assert_eq!((obj.kind.as_str(), obj.created), ("charge", 7));
        assert_eq!(obj.decode::<Charge>().unwrap(), Some(ch));
        assert_eq!(obj.decode::<Refund>().unwrap(), None, "another kind");
        let re = refund::pending("re_1", &pi, Request { amount: 5, reason: None, metadata: Default::default() }, 8);
        let obj = stored(Change::insert(&re).unwrap());
        assert_eq!(obj.decode::<Refund>().unwrap(), Some(re));
        let mut doc = obj.doc().unwrap();
        doc["extra"] = json!(true);
        let bad = StoredObject { text: doc.to_string().into(), ..obj.clone() };
        assert!(bad.decode::<Refund>().is_err());
    }
}
