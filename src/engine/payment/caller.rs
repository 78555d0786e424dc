//! Who drives a payment step, as the engine's input: the scope, the
//! account's API version, the request (its id, and the idempotency key
//! whose answer this payment records), and how the caller wants the
//! session shown in that answer.

use serde_json::Value;

use super::error::{PaymentError, PaymentResult};
use super::terms::Terms;
use crate::domain::event::EventContext;
use crate::domain::session::{self, CheckoutSession};
use crate::domain::version::{self, ApiVersion};
use crate::store::{Change, ChangeSet, IdempotencyRecord, Scope, StoreError};
use crate::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    pub account_version: String,
    /// The request's id, while a request drives the step.
    pub request_id: Option<String>,
    /// The idempotency key whose answer this payment records: the
    /// request's own, or (kassa finishing it later) the claiming request's.
    pub idempotency: Option<IdempotencyKey>,
    /// A request waits for the answer: its events carry its key, and a key
    /// answered meanwhile elsewhere is replayed to it, not overwritten.
    pub waiting: bool,
}

impl Caller {
    /// Kassa itself (a worker, a page), with no request to answer.
    pub fn background(scope: Scope) -> Self {
        Self { scope, account_version: version::LATEST.to_owned(), request_id: None, idempotency: None, waiting: false }
    }

    pub fn version(&self) -> ApiVersion {
        ApiVersion::parse(&self.account_version).unwrap_or_else(|_| ApiVersion::latest())
    }

    pub fn event_ctx(&self, now: i64) -> EventContext<'_> {
        EventContext {
            api_version: &self.account_version,
            livemode: self.scope.livemode,
            now,
            request_id: self.request_id.as_deref(),
            idempotency_key: self.idempotency.as_ref().filter(|_| self.waiting).map(|k| k.key.as_str()),
            ids: &crate::ids::RandomIds,
        }
    }
}

/// How the caller shows a session in its answer (API expansions, or the
/// plain object).
#[async_trait::async_trait]
pub trait View: Send + Sync {
    /// The answer's JSON text. `pending` gives the objects this same commit
    /// writes, for expansions; a view that expands nothing never calls it.
    async fn session(
        &self,
        state: &AppState,
        session: &CheckoutSession,
        pending: &Pending<'_>,
    ) -> PaymentResult<String>;
}

/// The objects a commit writes, parsed only when an expansion asks.
pub type Pending<'a> = dyn Fn() -> Vec<Value> + Send + Sync + 'a;

/// The documents `changes` write, as trees (a vaulted card's is not shown).
pub fn written(changes: &[Change]) -> Vec<Value> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Insert { doc, kind, .. } if kind != crate::domain::payment_method::VAULT_KIND => Some(doc),
            Change::Update { doc, .. } => Some(doc),
            _ => None,
        })
        // Text serialized moments ago by serde_json, so it parses.
        .filter_map(|doc| serde_json::from_str(doc).ok())
        .collect()
}

/// The session as stored, in the caller's API version.
pub struct Plain {
    pub version: ApiVersion,
    pub now: i64,
}

#[async_trait::async_trait]
impl View for Plain {
    async fn session(&self, _: &AppState, s: &CheckoutSession, _: &Pending<'_>) -> PaymentResult<String> {
        session::render_text(s, self.now, &self.version, false).map_err(|e| {
            tracing::error!(error = %e, "a session did not render");
            PaymentError::Internal
        })
    }
}

/// What a payment step runs with.
pub struct Run<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub terms: &'a Terms,
    pub view: &'a dyn View,
    pub now: i64,
}

/// The answer recorded for the request: `location` for a redirect.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// JSON text.
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug)]
pub enum Answered {
    Recorded(Answer),
    /// The request's key was answered meanwhile (another node): nothing of
    /// this commit was written, and that answer is the request's.
    Elsewhere,
}

/// Commits; the caller's idempotency record goes into the same commit.
pub async fn commit(
    run: &Run<'_>,
    changes: Vec<Change>,
    events: Vec<crate::domain::event::Event>,
    answer: Answer,
) -> PaymentResult<Answered> {
    let caller = run.caller;
    let idempotency = caller.idempotency.as_ref().map(|k| IdempotencyRecord {
        key: k.key.clone(),
        fingerprint: k.fingerprint.clone(),
        status: answer.status,
        body: answer.body.clone(),
        created: run.state.now(),
    });
    let set = ChangeSet { scope: caller.scope.clone(), changes, events, idempotency };
    // Only kassa finishing a request under its key commits the set again
    // (below); no other set is copied.
    let again = (!caller.waiting && caller.idempotency.is_some()).then(|| set.clone());
    match crate::engine::commit::commit(run.state, set).await {
        Ok(()) => Ok(Answered::Recorded(answer)),
        Err(StoreError::DuplicateIdempotencyKey) if caller.waiting => Ok(Answered::Elsewhere),
        // Kassa finishing a request: the key was answered meanwhile, and
        // the outcome still counts.
        Err(StoreError::DuplicateIdempotencyKey) => {
            let set = again.ok_or(PaymentError::Internal)?;
            crate::engine::commit::commit(run.state, ChangeSet { idempotency: None, ..set }).await?;
            Ok(Answered::Recorded(answer))
        }
        Err(e) => Err(PaymentError::from(e)),
    }
}

/// The stored session `id` and its version, if there is one.
pub async fn load_session(state: &AppState, scope: &Scope, id: &str) -> PaymentResult<Option<(CheckoutSession, i64)>> {
    let Some(obj) = state.store.get_object(scope, id).await? else { return Ok(None) };
    Ok(obj.decode::<CheckoutSession>()?.map(|s| (s, obj.version)))
}
