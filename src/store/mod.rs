//! Storage. Both backends implement one `Store` trait; every business rule
//! lives above it, so SQLite and PostgreSQL can only differ in SQL.
//!
//! The model (see DESIGN-NOTES.md): an API object is a JSON document beside
//! the columns queries filter on (account, livemode, kind, created, seq), plus
//! `tags` for list filters (e.g. a customer's email) and a `version` for
//! optimistic concurrency. A write is a `ChangeSet`: object changes, the
//! events that describe them, and the idempotency record of the request, all
//! committed in one transaction.

use async_trait::async_trait;
use serde_json::Value;

use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::domain::keys::KeyKind;

pub mod fanout;
pub mod migrate;
mod open;
pub mod postgres;
pub mod schedule;
mod settings;
pub mod sql;
pub mod sqlite;
mod text;

pub use text::{StoredText, Unpack};

pub use open::{open, DatabaseUrl};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the object changed, or the id exists in
    /// the scope (ids are unique per account and mode, never globally).
    #[error("conflict: the object was changed concurrently")]
    Conflict,
    /// An object named by an update or delete does not exist in the scope.
    #[error("not found")]
    NotFound,
    /// The request's idempotency key was recorded by another request first.
    #[error("idempotency key already recorded")]
    DuplicateIdempotencyKey,
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An account and a mode: every object belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account_id: String,
    pub livemode: bool,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub api_version: String,
    pub created: i64,
}

/// A key as stored: only its keyed hash and a masked form.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub hash: String,
    pub kind: KeyKind,
    pub livemode: bool,
    pub masked: String,
}

/// What a key lookup finds.
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub account_id: String,
    pub api_version: String,
    pub kind: KeyKind,
    pub livemode: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    /// Internal, monotonic: orders objects created in the same second.
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub version: i64,
    pub deleted: bool,
    /// The stored text (`raw`). Kept as text: a typed read decodes it
    /// straight into its struct, with no JSON tree built in between; text
    /// that is not JSON fails the read that decodes it (`decode`, `doc`).
    pub text: StoredText,
}

pub use crate::domain::document::Tag;

impl StoredObject {
    /// The stored text, unpacked if need be; text that does not unpack is
    /// a backend error naming the object, and logged.
    pub fn raw(&self) -> StoreResult<&str> {
        self.text.get().map_err(|e| {
            tracing::error!(object = %self.id, kind = %self.kind, error = %e, "a stored document does not unpack");
            StoreError::Backend(format!("stored {} {}: {e}", self.kind, self.id))
        })
    }

    /// The document as a JSON tree, for the callers that still read it as
    /// one. Stored text that is not JSON is a backend error, and logged.
    pub fn doc(&self) -> StoreResult<Value> {
        serde_json::from_str(self.raw()?).map_err(|e| {
            tracing::error!(object = %self.id, kind = %self.kind, error = %e, "a stored document is not JSON");
            StoreError::Backend(format!("stored {} {} is not JSON: {e}", self.kind, self.id))
        })
    }

    /// The document as its typed object; `None` when it is another kind.
    /// A stored document of the right kind that does not fit the type is a
    /// backend error, never a default: nothing may be dropped on a rewrite.
    pub fn decode<D: Document>(&self) -> StoreResult<Option<D>> {
        self.decode_as::<D>(D::KIND)
    }

    /// `decode` of an object stored as `D` under another kind (`Change::insert_unlisted`).
    pub fn decode_as<D: Document>(&self, kind: &str) -> StoreResult<Option<D>> {
        if self.kind != kind {
            return Ok(None);
        }
        serde_json::from_str(self.raw()?)
            .map(Some)
            .map_err(|e| StoreError::Backend(format!("stored {} {} does not decode: {e}", D::KIND, self.id)))
    }
}

/// The document's stored text, serialized straight from the struct; for a
/// `Document::LEAN` kind without the struct fields that are `None`.
fn encode<D: Document>(obj: &D) -> StoreResult<String> {
    let text = if D::LEAN { crate::domain::lean::to_string(obj) } else { serde_json::to_string(obj) };
    text.map_err(|e| StoreError::Backend(format!("{} does not encode: {e}", D::KIND)))
}

/// A write of one object. `doc` is the document's JSON text, serialized
/// once by the caller and stored as it is.
#[derive(Debug, Clone)]
pub enum Change {
    Insert {
        id: String,
        kind: String,
        created: i64,
        doc: String,
        tags: Vec<Tag>,
    },
    /// Fails with `Conflict` unless the object is at `expected_version`.
    Update {
        id: String,
        expected_version: i64,
        doc: String,
        tags: Vec<Tag>,
    },
    /// Marks the object deleted; it leaves lists but can still be retrieved.
    Delete {
        id: String,
        expected_version: i64,
        doc: String,
    },
}

impl Change {
    /// A new object, under its own kind and tags.
    pub fn insert<D: Document>(obj: &D) -> StoreResult<Self> {
        Self::insert_as(obj, D::KIND, obj.tags())
    }

    /// A new object stored under `kind` rather than its type's, with no
    /// tags: found by id only, never listed (an inline price).
    pub fn insert_unlisted<D: Document>(obj: &D, kind: &str) -> StoreResult<Self> {
        Self::insert_as(obj, kind, Vec::new())
    }

    fn insert_as<D: Document>(obj: &D, kind: &str, tags: Vec<Tag>) -> StoreResult<Self> {
        let (id, created) = (obj.id().to_owned(), obj.created());
        Ok(Change::Insert { id, kind: kind.to_owned(), created, doc: encode(obj)?, tags })
    }

    /// The object's new state, if it is still at `expected_version`.
    pub fn update<D: Document>(obj: &D, expected_version: i64) -> StoreResult<Self> {
        Ok(Change::Update { id: obj.id().to_owned(), expected_version, doc: encode(obj)?, tags: obj.tags() })
    }
}

/// The stored outcome of an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    /// Hash of method, path and parameters.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub created: i64,
}

/// Everything one request writes, committed atomically.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    pub scope: Scope,
    pub changes: Vec<Change>,
    /// Event objects (`evt_…`), stored as objects of kind `event`.
    pub events: Vec<Event>,
    pub idempotency: Option<IdempotencyRecord>,
}

/// What a commit wrote beyond its change set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// Webhook deliveries added for the set's events.
    pub deliveries: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

/// A position in a list, taken from the object a cursor names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    After { created: i64, seq: i64 },
    Before { created: i64, seq: i64 },
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub kind: String,
    /// Every one of these tags.
    pub filters: Vec<Tag>,
    /// At least one of these tags, when not empty (`types[]` on events).
    pub any_of: Vec<Tag>,
    pub created: CreatedRange,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

/// What `Store::due` looks for: live objects of `kind` whose tag `name` is
/// at most `up_to` (compared as text, so timestamps are zero-padded), the
/// `limit` lowest, across every account unless `scope` narrows it.
#[derive(Debug, Clone)]
pub struct DueQuery {
    pub kind: String,
    pub name: String,
    pub up_to: String,
    pub scope: Option<Scope>,
    pub limit: usize,
}

impl DueQuery {
    /// Across every account.
    pub fn new(kind: &str, name: &str, up_to: &str, limit: usize) -> Self {
        DueQuery { kind: kind.to_owned(), name: name.to_owned(), up_to: up_to.to_owned(), scope: None, limit }
    }

    /// Within `scope` only, when one is given.
    pub fn within(self, scope: Option<&Scope>) -> Self {
        DueQuery { scope: scope.cloned(), ..self }
    }
}

/// What `Store::due_grouped` looks for: live objects of `kind` tagged
/// `{prefix}{group}` = a zero-padded due time, due at most `up_to`.
#[derive(Debug, Clone)]
pub struct GroupedDue {
    pub kind: String,
    pub prefix: String,
    pub up_to: String,
    /// Groups to leave out (those already at their concurrency cap).
    pub skip: Vec<String>,
    pub per_group: usize,
}

/// One due object of `Store::due_grouped`, with its group and due time.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub scope: Scope,
    pub group: String,
    pub due: String,
    pub object: StoredObject,
}

/// A page, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<StoredObject>,
    pub has_more: bool,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers.
    async fn ping(&self) -> StoreResult<()>;
    async fn create_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<()>;
    async fn account_count(&self) -> StoreResult<i64>;
    /// Creates the account only if there is none yet; `false` if there was.
    /// Nodes starting together on an empty database create exactly one.
    async fn create_first_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<bool>;
    async fn find_api_key(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>>;
    /// Registers one more key of an existing account; a key whose hash is
    /// already stored is left as it is (two nodes may add the same key).
    async fn add_api_key(&self, account_id: &str, key: &NewApiKey, created: i64) -> StoreResult<()>;
    /// Any object of the scope by id, deleted ones included.
    async fn get_object(&self, scope: &Scope, id: &str) -> StoreResult<Option<StoredObject>>;
    /// Live (not deleted) objects of one kind, newest first.
    async fn list_objects(&self, scope: &Scope, query: &ListQuery) -> StoreResult<Page>;
    /// Commits `set` in one transaction, together with the webhook
    /// deliveries its events call for (see `fanout`), from the endpoints
    /// read in that transaction. Callers go through `engine::commit`, which
    /// wakes the delivery worker when deliveries were written.
    async fn commit_counted(&self, set: ChangeSet) -> StoreResult<Committed>;
    /// `commit_counted` without the count, for the callers not yet on
    /// `engine::commit` (none of them writes events).
    async fn commit(&self, set: ChangeSet) -> StoreResult<()> {
        self.commit_counted(set).await.map(|_| ())
    }
    async fn find_idempotency(&self, scope: &Scope, key: &str) -> StoreResult<Option<IdempotencyRecord>>;
    /// The object of `kind` with this id in any scope, for requests that
    /// carry no API key but an unguessable secret tied to the object (hosted
    /// and 3-D Secure pages). Ids are unique only per scope, so use it only
    /// for kinds whose ids kassa generates at random (sessions, intents),
    /// never for merchant-chosen ids; `None` unless exactly one matches.
    async fn locate(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, StoredObject)>>;
    /// The objects `query` finds (see `DueQuery`), lowest due first.
    /// Workers use it to find due work.
    async fn due(&self, query: &DueQuery) -> StoreResult<Vec<(Scope, StoredObject)>>;
    /// Due work shared fairly between groups (e.g. webhook endpoints), across
    /// every account: for each group not in `query.skip`, its
    /// `query.per_group` lowest items, ordered by group then due time. The
    /// cost grows with the number of groups holding tags, not with how much
    /// work one group has waiting.
    async fn due_grouped(&self, query: &GroupedDue) -> StoreResult<Vec<DueItem>>;
    /// Removes idempotency records created before `created_before`; returns how many.
    async fn reap_idempotency(&self, created_before: i64) -> StoreResult<u64>;
    /// The server-wide setting `name`, storing `value` first when there is
    /// none; nodes starting together all get the first value stored.
    async fn setting_or_insert(&self, name: &str, value: &str) -> StoreResult<String>;
}

/// The kind and tags under which an event is stored.
pub const EVENT_KIND: &str = Event::KIND;

/// An event's row: id, created, tags and stored document.
pub(crate) fn event_parts(event: &Event) -> StoreResult<(String, i64, Vec<Tag>, String)> {
    Ok((event.id.clone(), event.created, event.tags(), encode(event)?))
}
