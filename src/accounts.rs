//! Creating accounts and their keys; used by the CLI and by first start.

use serde::Serialize;

use crate::domain::ids::new_id;
use crate::domain::keys::{self, KeyKind, Mode};
use crate::domain::version;
use crate::store::{Account, NewApiKey, Store, StoreResult};

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
        secret_key: keys::generate(KeyKind::Secret, Mode::Test),
        publishable_key: keys::generate(KeyKind::Publishable, Mode::Test),
        live_secret_key: keys::generate(KeyKind::Secret, Mode::Live),
        live_publishable_key: keys::generate(KeyKind::Publishable, Mode::Live),
    };
    let stored = [
        (&made.secret_key, KeyKind::Secret, false),
        (&made.publishable_key, KeyKind::Publishable, false),
        (&made.live_secret_key, KeyKind::Secret, true),
        (&made.live_publishable_key, KeyKind::Publishable, true),
    ]
    .map(|(k, kind, livemode)| NewApiKey { hash: keys::hash(pepper, k), kind, livemode, masked: keys::mask(k) });
    (made, account, stored)
}

/// The label of the subkey that hashes API keys.
pub const API_KEY_PEPPER: &str = "kassa/api-key-hash/v1";
