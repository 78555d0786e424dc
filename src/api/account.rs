//! `/v1/account`: the caller's account, and the profile its hosted pages
//! show. The profile is one `account_profile` document per account, kept in
//! the account's test-mode scope whichever mode the call is in, because an
//! account's name and contacts are the same in both modes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::domain::account::{self, AccountParams, PROFILE_KIND};
use crate::domain::event::{self, EventContext};
use crate::error::{ApiError, ApiResult};
use crate::store::{Account, Change, ChangeSet, StoredObject};
use crate::AppState;

use crate::accounts::profile_scope;

async fn find_account(state: &AppState, account_id: &str) -> ApiResult<Account> {
    state.store.get_account(account_id).await?.ok_or_else(|| ApiError::no_such("account", account_id, None))
}

async fn find_profile(state: &AppState, account_id: &str) -> ApiResult<Option<StoredObject>> {
    let found = state.store.get_object(&profile_scope(account_id), account_id).await?;
    Ok(found.filter(|o| o.kind == PROFILE_KIND && !o.deleted))
}

async fn respond(state: &AppState, call: &Call, mut obj: Value) -> ApiResult<Value> {
    expand::apply(state, &call.scope(), &mut obj, &call.expand).await?;
    Ok(obj)
}

/// The merchant's name as the hosted pages show it (`accounts::display_name`).
pub async fn display_name(state: &AppState, account_id: &str) -> ApiResult<String> {
    crate::accounts::display_name(state, account_id)
        .await?
        .ok_or_else(|| ApiError::no_such("account", account_id, None))
}

/// Retrieve the account the API key belongs to.
#[utoipa::path(get, path = "/v1/account", operation_id = "GetAccount", tag = "account",
    responses((status = 200, description = "The account object")))]
pub async fn retrieve(State(state): State<AppState>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let acct = find_account(&state, &call.auth.account_id).await?;
    let profile =
        find_profile(&state, &acct.id).await?.map(|o| o.doc()).transpose()?.unwrap_or_else(account::empty_profile);
    let obj = account::render(&acct.id, acct.created, &profile);
    Ok(Json(respond(&state, &call, obj).await?))
}

/// Update the account's profile, shared by test and live mode.
///
/// Takes `business_profile[name|support_email|url]`,
/// `settings[dashboard][display_name]` (what hosted pages show) and `metadata`.
#[utoipa::path(post, path = "/v1/account", operation_id = "PostAccount", request_body(content((AccountParams = "application/x-www-form-urlencoded"), (AccountParams = "application/json"))),
    tag = "account",
    responses((status = 200, description = "The updated account object")))]
pub async fn update(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: AccountParams = call.parse()?;
    expand::validate(&call.expand)?;
    let scope = profile_scope(&call.auth.account_id);
    retry_on_conflict(|| async {
        let acct = find_account(&state, &call.auth.account_id).await?;
        let stored = find_profile(&state, &acct.id).await?;
        let current = stored.as_ref().map(|o| o.doc()).transpose()?.unwrap_or_else(account::empty_profile);
        let doc = account::update(&current, &p)?;
        let now = state.now();
        let before = account::render(&acct.id, acct.created, &current);
        let after = account::render(&acct.id, acct.created, &doc);
        let events = if doc == current {
            Vec::new()
        } else {
            // Recorded where the profile lives, so as a test-mode event.
            let ctx = EventContext { livemode: false, ..call.event_ctx(now) };
            vec![event::build(&ctx, "account.updated", &after, Some(&before))]
        };
        let body = respond(&state, &call, after).await?;
        let change = match &stored {
            Some(o) => Change::Update {
                id: acct.id.clone(),
                expected_version: o.version,
                doc: doc.to_string(),
                tags: Vec::new(),
            },
            None => Change::Insert {
                id: acct.id.clone(),
                kind: PROFILE_KIND.into(),
                created: now,
                doc: doc.to_string(),
                tags: Vec::new(),
            },
        };
        if call.scope() == scope {
            return answer::commit(
                &state,
                &call,
                answer::Writes { changes: vec![change], events },
                StatusCode::OK,
                body,
            )
            .await;
        }
        // A live-mode call writes the test-mode profile: its own change set,
        // without an idempotency record (that would belong to the live scope).
        if !events.is_empty() {
            crate::engine::commit::commit(
                &state,
                ChangeSet { scope: scope.clone(), changes: vec![change], events, idempotency: None },
            )
            .await?;
        }
        Ok(Json(body).into_response())
    })
    .await
}
