//! A PaymentIntent as the engine reads it: the typed object and the
//! version its next write expects, so no write forgets which it read.

use crate::domain::document::Tag;
use crate::domain::payment_intent::PaymentIntent;
use crate::store::{Change, Scope, StoreError, StoreResult, StoredObject};
use crate::AppState;

/// A stored PaymentIntent and the version it was read at.
#[derive(Debug, Clone)]
pub struct Intent {
    pub pi: PaymentIntent,
    pub version: i64,
}

impl Intent {
    /// The intent a stored object holds; another kind is kassa's error.
    pub fn of(obj: &StoredObject) -> StoreResult<Self> {
        let pi = obj
            .decode::<PaymentIntent>()?
            .ok_or_else(|| StoreError::Backend(format!("{} is a {}, not a payment_intent", obj.id, obj.kind)))?;
        Ok(Intent { pi, version: obj.version })
    }

    /// `next` as the write that follows this read.
    pub fn update(&self, next: &PaymentIntent) -> StoreResult<Change> {
        Change::update(next, self.version)
    }
}

/// The caller's PaymentIntent `id`, if there is one.
pub async fn load(state: &AppState, scope: &Scope, id: &str) -> StoreResult<Option<Intent>> {
    match state.store.get_object(scope, id).await? {
        Some(o) if o.kind == crate::domain::payment_intent::KIND => Intent::of(&o).map(Some),
        _ => Ok(None),
    }
}

/// The intent as a change under other tags than its own (a step only the
/// engine knows of, such as a 3-D Secure step that is due): an update of
/// the version read, or an insert when `version` is `None`.
pub fn change_tagged(pi: &PaymentIntent, version: Option<i64>, tags: Vec<Tag>) -> StoreResult<Change> {
    let mut change = match version {
        Some(v) => Change::update(pi, v)?,
        None => Change::insert(pi)?,
    };
    if let Change::Insert { tags: t, .. } | Change::Update { tags: t, .. } = &mut change {
        *t = tags;
    }
    Ok(change)
}
