//! 3-D Secure (seed 003): a provider-agnostic `next_action.three_d_secure`
//! with three flows. `challenge`: the buyer passes a visible page;
//! `method`: a hidden device-fingerprint page runs first, then it continues
//! as `frictionless`: no UI, the intent is `processing` and a worker finishes
//! it. The pages' URLs carry a random key that only this payment knows.

use serde_json::{json, Value};

use super::*;
use crate::domain::fields::time_tag;
use crate::domain::payment_method::{self as pm_domain};
use crate::processor::test::three_d_secure_flow;
use crate::store::{Scope, StoredObject};

pub const TERMS_KIND: &str = "confirm_terms";
/// Tag on an intent whose authentication finishes without the buyer.
pub const DUE_TAG: &str = "3ds_due";

fn terms_id(pi: &str) -> String {
    format!("terms_{pi}")
}

/// Keeps the buyer's confirm terms for a payment that finishes later.
pub(super) async fn terms_change(
    state: &AppState,
    scope: &Scope,
    pi_id: &str,
    terms: &Terms,
    now: i64,
) -> ApiResult<Change> {
    let id = terms_id(pi_id);
    let doc = json!({"id": id, "terms": serde_json::to_value(terms).unwrap_or_default()});
    Ok(match state.store.get_object(scope, &id).await? {
        Some(t) => Change::Update { id, expected_version: t.version, tags: vec![], doc },
        None => Change::Insert { id, kind: TERMS_KIND.into(), created: now, tags: vec![], doc },
    })
}

/// The terms kept for a payment, or the defaults.
pub(super) async fn saved_terms(state: &AppState, scope: &Scope, pi_id: &str) -> ApiResult<Terms> {
    Ok(match state.store.get_object(scope, &terms_id(pi_id)).await? {
        Some(t) => serde_json::from_value(t.doc["terms"].clone()).unwrap_or_default(),
        None => Terms::default(),
    })
}

/// A saved payment method with its card out of the vault.
pub(super) async fn saved_method(state: &AppState, scope: &Scope, pm_id: &str) -> ApiResult<Chosen> {
    let pm = state
        .store
        .get_object(scope, pm_id)
        .await?
        .filter(|o| o.kind == pm_domain::KIND)
        .ok_or_else(ApiError::internal)?;
    let vault = state.store.get_object(scope, &pm_domain::vault_id(pm_id)).await?.ok_or_else(ApiError::internal)?;
    let number =
        state.vault.open(vault.doc["sealed"].as_str().unwrap_or_default(), pm_id).map_err(|_| ApiError::internal())?;
    let card = crate::processor::CardDetails {
        number,
        exp_month: pm.doc["card"]["exp_month"].as_i64().unwrap_or(0),
        exp_year: pm.doc["card"]["exp_year"].as_i64().unwrap_or(0),
        cvc: None,
    };
    Ok(Chosen { id: pm_id.to_owned(), doc: pm.doc, card, changes: Vec::new() })
}

/// The 3-D Secure flow this card needs on this route, if any. Only the test
/// processor decides this itself; `http` gateways answer for themselves.
pub(super) async fn flow_for(
    state: &AppState,
    scope: &Scope,
    session: &Value,
    chosen: &Chosen,
) -> ApiResult<Option<&'static str>> {
    let route = route_for(state, scope, session).await?;
    if route.first().map(|p| p.name()) != Some("test") {
        return Ok(None);
    }
    Ok(three_d_secure_flow(chosen.card.number.digits()))
}

/// The intent's tags, with the due tag while a frictionless step waits.
pub fn intent_tags(pi: &Value) -> Vec<(String, String)> {
    let mut t = payment_intent::tags(pi);
    if pi["status"] == "processing"
        && matches!(pi["three_d_secure"]["status"].as_str(), Some("pending") | Some("method_completed"))
    {
        t.push((DUE_TAG.to_owned(), time_tag(pi["three_d_secure"]["due_at"].as_i64().unwrap_or(0))));
    }
    t
}

impl Ctx<'_> {
    /// Stops before any charge and asks for authentication.
    #[tracing::instrument(skip_all, fields(session = session["id"].as_str().unwrap_or_default(), flow))]
    pub(super) async fn require_authentication(
        &self,
        session: &Value,
        version: i64,
        chosen: Chosen,
        intent: (Value, Option<i64>),
        flow: &'static str,
    ) -> ApiResult<Response> {
        let (st, origin, now) = (self.state, &self.origin, self.now);
        let (mut pi, pi_version) = intent;
        let pi_id = pi["id"].as_str().unwrap_or_default().to_owned();
        let key = random_base62(32);
        let base = format!("{}/3ds/{pi_id}", st.cfg.public_url);
        let status_url = format!("{base}/status?client_secret={}", pi["client_secret"].as_str().unwrap_or_default());
        let return_url = self.terms.return_url.clone().or_else(|| session["return_url"].as_str().map(str::to_owned));
        let page = match flow {
            "challenge" => Some(format!("{base}/challenge?key={key}")),
            "method" => Some(format!("{base}/method?key={key}")),
            _ => None,
        };
        pi["payment_method"] = json!(chosen.id);
        pi["last_payment_error"] = Value::Null;
        pi["three_d_secure"] =
            json!({"flow": flow, "status": "pending", "key": key, "due_at": now, "return_url": return_url});
        if let Some(url) = &page {
            pi["status"] = json!("requires_action");
            let mut tds =
                json!({"flow": flow, "idempotency_key": key, "status_url": status_url, "return_url": return_url});
            tds[if flow == "challenge" { "challenge_url" } else { "method_url" }] = json!(url);
            pi["next_action"] = json!({"type": "three_d_secure", "three_d_secure": tds, "redirect_to_url": {"url": url, "return_url": return_url}});
        } else {
            pi["status"] = json!("processing");
            pi["next_action"] = Value::Null;
        }
        let mut s = session.clone();
        s["payment_intent"] = json!(pi_id);
        payment_intent::mirror_next_action(&mut s, &pi);
        if page.is_none() {
            // Frictionless: held until the worker finishes it.
            s["confirming_until"] = json!(i64::MAX);
            s["payment_intent_status"] = json!("processing");
        }
        let mut changes = chosen.changes;
        changes.push(match pi_version {
            Some(v) => {
                Change::Update { id: pi_id.clone(), expected_version: v, tags: intent_tags(&pi), doc: pi.clone() }
            }
            None => Change::Insert {
                id: pi_id.clone(),
                kind: payment_intent::KIND.into(),
                created: now,
                tags: intent_tags(&pi),
                doc: pi.clone(),
            },
        });
        let terms_doc = json!({"id": terms_id(&pi_id), "terms": serde_json::to_value(&self.terms).unwrap_or_default()});
        match st.store.get_object(&origin.scope(), &terms_id(&pi_id)).await? {
            Some(t) => changes.push(Change::Update {
                id: terms_id(&pi_id),
                expected_version: t.version,
                tags: vec![],
                doc: terms_doc,
            }),
            None => changes.push(Change::Insert {
                id: terms_id(&pi_id),
                kind: TERMS_KIND.into(),
                created: now,
                tags: vec![],
                doc: terms_doc,
            }),
        }
        let session_id = s["id"].as_str().unwrap_or_default().to_owned();
        changes.push(Change::Update {
            id: session_id,
            expected_version: version,
            tags: session::tags(&s),
            doc: s.clone(),
        });
        let mut events = Vec::new();
        if pi_version.is_none() {
            events.push(event::build(&origin.event_ctx(now), "payment_intent.created", &pi, None));
        }
        events.push(event::build(&origin.event_ctx(now), "payment_intent.requires_action", &pi, None));
        if let (true, Some(url)) = (self.terms.redirect, &page) {
            // redirect=true: straight to the next action's page.
            let mut res = origin
                .commit(st, changes, events, StatusCode::FOUND, json!({"object": "redirect", "url": url}))
                .await?;
            if let Ok(v) = axum::http::HeaderValue::from_str(url) {
                res.headers_mut().insert(axum::http::header::LOCATION, v);
            }
            return Ok(res);
        }
        let pending = vec![pi];
        let body = match origin.call {
            Some(c) => {
                super::super::sessions::view_with(st, c, &s, self.lines, self.breakdown, self.rest, &pending).await?
            }
            None => session::render(&s, now, &origin.version(), false),
        };
        origin.commit(st, changes, events, StatusCode::OK, body).await
    }
}

/// Finishes an intent waiting on 3-D Secure: charges it if `authenticated`,
/// or returns it to `requires_payment_method`. Safe to race: the charge
/// claims the session and intent with conditional writes first.
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id, authenticated))]
pub async fn finish(state: &AppState, scope: &Scope, pi: &StoredObject, authenticated: bool) -> ApiResult<()> {
    let now = state.now();
    let session_id = pi.doc["checkout_session"].as_str().unwrap_or_default();
    let session = state.store.get_object(scope, session_id).await?.ok_or_else(ApiError::internal)?;
    let origin = Origin::background(scope.clone());
    // The buyer authenticated one amount; if the session's total changed
    // meanwhile (a quantity, a code), that authentication does not cover it.
    let changed = pi.doc["amount"] != session.doc["amount_total"] || pi.doc["currency"] != session.doc["currency"];
    if !authenticated || changed {
        let message = if authenticated {
            "The amount changed during authentication. Please confirm the payment again."
        } else {
            "The provided payment method has failed authentication. Provide a new payment method to attempt to fulfill this PaymentIntent again."
        };
        let mut doc = pi.doc.clone();
        doc["status"] = json!("requires_payment_method");
        doc["next_action"] = Value::Null;
        doc["three_d_secure"]["status"] = json!("failed");
        doc["last_payment_error"] = json!({
            "type": "card_error", "code": "payment_intent_authentication_failure", "decline_code": null,
            "message": message,
            "payment_method": doc["payment_method"], "param": null,
        });
        let mut s = session.doc.clone();
        if let Some(m) = s.as_object_mut() {
            m.remove("confirming_until");
            m.remove("payment_intent_status");
        }
        payment_intent::mirror_next_action(&mut s, &doc);
        // A failed authentication counts toward the card-testing limit; an
        // amount the buyer changed meanwhile does not.
        if !authenticated {
            session::record_failure(&mut s, now);
        }
        let changes = vec![
            Change::Update {
                id: pi.id.clone(),
                expected_version: pi.version,
                tags: intent_tags(&doc),
                doc: doc.clone(),
            },
            Change::Update {
                id: session.id.clone(),
                expected_version: session.version,
                tags: session::tags(&s),
                doc: s,
            },
        ];
        let events = vec![event::build(&origin.event_ctx(now), "payment_intent.payment_failed", &doc, None)];
        state
            .store
            .commit(crate::store::ChangeSet { scope: scope.clone(), changes, events, idempotency: None })
            .await?;
        return Ok(());
    }
    let pm_id = pi.doc["payment_method"].as_str().unwrap_or_default().to_owned();
    let chosen = saved_method(state, scope, &pm_id).await?;
    let terms = saved_terms(state, scope, &pi.id).await?;
    let ctx = Ctx { state, origin, terms, now, lines: false, breakdown: false, rest: &[] };
    ctx.charge(&session.doc, session.version, chosen, true).await.map(|_| ())
}
