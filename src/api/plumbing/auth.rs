//! Authentication: Bearer or Basic, keys looked up by their keyed hash.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;

use crate::domain::keys::{self, KeyKind};
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::store::{ApiKeyRecord, Scope};
use crate::AppState;

/// Who is calling: one account, one mode, one kind of key.
#[derive(Debug, Clone)]
pub struct Auth {
    pub account_id: String,
    pub livemode: bool,
    pub kind: KeyKind,
    /// The account's default API version.
    pub account_version: String,
    /// The key as it may appear in messages.
    pub masked_key: String,
}

impl Auth {
    pub fn scope(&self) -> Scope {
        Scope { account_id: self.account_id.clone(), livemode: self.livemode }
    }
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

/// Recently seen keys, so the hot path skips the database. Entries expire
/// quickly so that a removed key stops working within `CACHE_TTL`.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, (ApiKeyRecord, Instant)>>);

impl KeyCache {
    pub(crate) fn get(&self, hash: &str) -> Option<ApiKeyRecord> {
        let map = self.0.lock().ok()?;
        map.get(hash).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(r, _)| r.clone())
    }

    pub(crate) fn put(&self, hash: String, rec: ApiKeyRecord) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHE_MAX {
                map.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
                if map.len() >= CACHE_MAX {
                    map.clear();
                }
            }
            map.insert(hash, (rec, Instant::now()));
        }
    }
}

const NO_KEY: &str = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";

/// The key a request presents, from `Authorization: Bearer …` or Basic.
pub(crate) fn presented_key(headers: &HeaderMap) -> ApiResult<String> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(ApiError::unauthenticated(NO_KEY));
    };
    let value = value.to_str().map_err(|_| ApiError::unauthenticated("Invalid API Key provided."))?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::unauthenticated("Invalid API Key provided."))?;
        // `curl -u sk_…:` puts the key in the user part; accept the password too.
        let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
        if user.is_empty() {
            pass.to_owned()
        } else {
            user.to_owned()
        }
    } else {
        return Err(ApiError::unauthenticated(NO_KEY));
    };
    if key.is_empty() {
        return Err(ApiError::unauthenticated(NO_KEY));
    }
    Ok(key)
}

/// Resolves the caller. `secret_only` refuses publishable keys.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, secret_only: bool) -> ApiResult<Auth> {
    let key = presented_key(headers)?;
    let masked = keys::mask(&key);
    let invalid = || ApiError::unauthenticated(format!("Invalid API Key provided: {masked}"));
    if keys::classify(&key).is_none() || key.len() > 256 {
        return Err(invalid());
    }
    let hash = keys::hash(&state.pepper, &key);
    let rec = match state.keys.get(&hash) {
        Some(r) => r,
        None => {
            let r = state.store.find_api_key(&hash).await?.ok_or_else(invalid)?;
            state.keys.put(hash, r.clone());
            r
        }
    };
    if secret_only && rec.kind != KeyKind::Secret {
        return Err(ApiError::unauthenticated(
            "This API call cannot be made with a publishable API key. Please use a secret API key (sk_…): the one `kassa serve` printed on first start, or one from `kassa account create`.",
        ));
    }
    let auth = Auth {
        account_id: rec.account_id,
        livemode: rec.livemode,
        kind: rec.kind,
        account_version: rec.api_version,
        masked_key: masked,
    };
    if let Some(acct) = headers.get("stripe-account") {
        let acct = acct.to_str().unwrap_or_default();
        if acct != auth.account_id {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorType::Permission,
                Some("account_invalid"),
                format!(
                    "The provided key '{}' does not have access to account '{}' (or that account does not exist).",
                    auth.masked_key,
                    acct.chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    Ok(auth)
}
