//! Creating accounts and their keys; used by the CLI and by first start.

use serde::Serialize;

use crate::domain::keys::{self, KeyKind, Mode};
use crate::domain::version;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::{Account, NewApiKey, Scope, Store, StoreResult};
use crate::AppState;

/// The keys of a new account, shown exactly once.
#[derive(Debug, Serialize)]
pub struct CreatedAccount {
    pub id: String,
    pub name: String,
    pub secret_key: String,
    pub publishable_key: String,
    pub live_secret_key: String,
    pub live_publishable_key: String,
}

/// Creates an account with four fresh keys.
pub async fn create(store: &dyn Store, pepper: &[u8; 32], name: &str, now: i64) -> StoreResult<CreatedAccount> {
    let (made, account, keys) = prepare(pepper, name, now);
    store.create_account(&account, &keys).await?;
    Ok(made)
}

/// Creates the first account if the database has none (first start).
pub async fn create_first(store: &dyn Store, pepper: &[u8; 32], now: i64) -> StoreResult<Option<CreatedAccount>> {
    let (made, account, keys) = prepare(pepper, "default", now);
    Ok(store.create_first_account(&account, &keys).await?.then_some(made))
}

fn prepare(pepper: &[u8; 32], name: &str, now: i64) -> (CreatedAccount, Account, [NewApiKey; 4]) {
    let account =
        Account { id: new_id("acct"), name: name.to_owned(), api_version: version::LATEST.to_owned(), created: now };
    let made = CreatedAccount {
        id: account.id.clone(),
        name: account.name.clone(),
        secret_key: crate::ids::new_api_key(KeyKind::Secret, Mode::Test),
        // Derived, so the hosted pages can compute the same keys again.
        publishable_key: keys::derived_publishable(pepper, &account.id, Mode::Test),
        live_secret_key: crate::ids::new_api_key(KeyKind::Secret, Mode::Live),
        live_publishable_key: keys::derived_publishable(pepper, &account.id, Mode::Live),
    };
    let stored = [
        (&made.secret_key, KeyKind::Secret, false),
        (&made.publishable_key, KeyKind::Publishable, false),
        (&made.live_secret_key, KeyKind::Secret, true),
        (&made.live_publishable_key, KeyKind::Publishable, true),
    ]
    .map(|(k, kind, livemode)| stored_key(pepper, k, kind, livemode));
    (made, account, stored)
}

fn stored_key(pepper: &[u8; 32], key: &str, kind: KeyKind, livemode: bool) -> NewApiKey {
    NewApiKey { hash: keys::hash(pepper, key), kind, livemode, masked: keys::mask(key) }
}

/// The publishable key of `scope` that kassa's own pages use: the derived
/// one (`keys::derived_publishable`). Accounts created before keys were
/// derived do not have it yet; it is registered on first use, so it then
/// authenticates like any other publishable key of the account.
pub async fn page_publishable_key(state: &AppState, scope: &Scope) -> ApiResult<String> {
    let mode = Mode::from_livemode(scope.livemode);
    let key = keys::derived_publishable(&state.pepper, &scope.account_id, mode);
    let hash = keys::hash(&state.pepper, &key);
    // Every page view asks; the API's key cache answers most of them.
    let found = match state.keys.get(&hash) {
        Some(rec) => Some(rec),
        None => state.store.find_api_key(&hash).await?,
    };
    if let Some(rec) = found {
        // An HMAC of the account and mode: another owner is not possible.
        if rec.account_id == scope.account_id && rec.livemode == scope.livemode && rec.kind == KeyKind::Publishable {
            state.keys.put(hash, rec);
            return Ok(key);
        }
        tracing::error!(account = %scope.account_id, "a derived publishable key is registered to another account or mode");
        return Err(ApiError::internal());
    }
    if state.store.get_account(&scope.account_id).await?.is_none() {
        return Err(ApiError::no_such("account", &scope.account_id, None));
    }
    let new = stored_key(&state.pepper, &key, KeyKind::Publishable, scope.livemode);
    state.store.add_api_key(&scope.account_id, &new, state.now()).await?;
    tracing::info!(account = %scope.account_id, livemode = scope.livemode, "registered the derived publishable key");
    Ok(key)
}

/// The label of the subkey that hashes API keys.
pub const API_KEY_PEPPER: &str = "kassa/api-key-hash/v1";

/// Where an account's profile lives: its test-mode scope, for both modes.
pub fn profile_scope(account_id: &str) -> Scope {
    Scope { account_id: account_id.to_owned(), livemode: false }
}

/// The merchant's name as the hosted pages show it:
/// `settings.dashboard.display_name`, else `business_profile.name`, else
/// the account's name; `None` for an account that does not exist.
pub async fn display_name(state: &AppState, account_id: &str) -> StoreResult<Option<String>> {
    let profile = state.store.get_object(&profile_scope(account_id), account_id).await?;
    let profile = profile.filter(|o| o.kind == crate::domain::account::PROFILE_KIND && !o.deleted);
    // The account row is read only when the profile names nobody.
    let doc = profile.as_ref().map(|o| o.doc()).transpose()?;
    if let Some(name) = doc.as_ref().and_then(crate::domain::account::profile_name) {
        return Ok(Some(name));
    }
    Ok(state.store.get_account(account_id).await?.map(|a| a.name))
}
