//! What the buyer asked for at confirm, kept with the claim for a payment
//! finished later (3-D Secure, the resolver, a dropped request).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::PaymentResult;
use crate::store::{Change, Scope};
use crate::AppState;

pub const TERMS_KIND: &str = "confirm_terms";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Terms {
    pub customer_details: Option<Value>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub days_until_due: Option<i64>,
    pub redirect: bool,
    pub return_url: Option<String>,
}

fn terms_id(pi: &str) -> String {
    format!("terms_{pi}")
}

/// Keeps the buyer's confirm terms for a payment that finishes later.
pub async fn change(state: &AppState, scope: &Scope, pi_id: &str, terms: &Terms, now: i64) -> PaymentResult<Change> {
    let id = terms_id(pi_id);
    let doc = json!({"id": id, "terms": serde_json::to_value(terms).unwrap_or_default()});
    Ok(match state.store.get_object(scope, &id).await? {
        Some(t) => Change::Update { id, expected_version: t.version, tags: vec![], doc: doc.to_string() },
        None => Change::Insert { id, kind: TERMS_KIND.into(), created: now, tags: vec![], doc: doc.to_string() },
    })
}

/// The terms kept for a payment, or the defaults.
pub async fn saved(state: &AppState, scope: &Scope, pi_id: &str) -> PaymentResult<Terms> {
    Ok(match state.store.get_object(scope, &terms_id(pi_id)).await? {
        Some(t) => serde_json::from_value(t.doc()?["terms"].clone()).unwrap_or_default(),
        None => Terms::default(),
    })
}
