//! The confirm's writes: claim and charge, then one commit that records the
//! outcome, the session's new state, the contract and the events.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::*;

use crate::domain::version::ApiVersion;
use crate::domain::{cascade, payment_method};
use crate::store::ChangeSet;

/// How a processor's outcome ends the confirm.
pub(super) fn outcome_finish(outcome: &Outcome, chosen: Chosen, intent: (Value, i64)) -> Finish {
    match outcome {
        Outcome::Approved { .. } => Finish::Paid { chosen, intent },
        Outcome::Declined { code, decline_code, message, .. } => {
            let code: &'static str = match code.as_str() {
                "expired_card" => "expired_card",
                "incorrect_cvc" => "incorrect_cvc",
                "processing_error" => "processing_error",
                _ => "card_declined",
            };
            let error = ApiError::card(code, message.clone()).with_extra("decline_code", json!(decline_code));
            Finish::Declined { chosen, intent, error }
        }
        Outcome::Unavailable { .. } => {
            let error = ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorType::Api,
                Some("processor_unavailable"),
                "No payment processor could take the payment. It is safe to retry.",
            );
            Finish::Declined { chosen, intent, error }
        }
        Outcome::Unknown { .. } | Outcome::RequiresAction { .. } => Finish::Pending { chosen, intent },
    }
}

impl Ctx<'_> {
    pub(super) fn version(&self) -> ApiVersion {
        self.origin.version()
    }

    /// Claims the session, runs the route, and finishes with the outcome.
    /// `authenticated`: 3-D Secure already passed for this payment.
    #[tracing::instrument(skip_all, fields(session = session["id"].as_str().unwrap_or_default(), authenticated))]
    pub(super) async fn charge(
        &self,
        session: &Value,
        version: i64,
        mut chosen: Chosen,
        authenticated: bool,
    ) -> ApiResult<Response> {
        let (st, call, now) = (self.state, &self.origin, self.now);
        let amount = session["amount_total"].as_i64().unwrap_or(0);
        let currency = session["currency"].as_str().unwrap_or("usd").to_owned();
        let existing = match session["payment_intent"].as_str() {
            Some(pi) => st.store.get_object(&call.scope(), pi).await?,
            None => None,
        };
        // Only an open session, not already paid, with its intent in a state
        // that allows this charge: a stale read (a second answer on a 3-D
        // Secure page, two workers) must not charge again.
        if session["status"] != "open" || (session::lapsed(session, now) && !session::confirming(session, now)) {
            return Err(not_open(session::NotOpen {
                action: "confirmed",
                status: session::status_at(session, now).to_owned(),
            }));
        }
        let (intent, intent_version) = match existing {
            Some(o) => {
                let st_ = o.doc["status"].as_str().unwrap_or_default();
                let tds = o.doc["three_d_secure"]["status"].as_str();
                let allowed = match (authenticated, st_) {
                    (false, "requires_payment_method" | "requires_action") => true,
                    (true, "requires_action") => tds == Some("pending"),
                    (true, "processing") => matches!(tds, Some("pending") | Some("method_completed")),
                    _ => false,
                };
                if !allowed {
                    return Err(in_progress());
                }
                // A new try charges what the session costs now.
                let mut doc = o.doc;
                if !authenticated {
                    doc["amount"] = json!(amount);
                    doc["currency"] = json!(currency);
                }
                (doc, Some(o.version))
            }
            None => {
                let pi_id = new_id("pi");
                let mut doc = payment_intent::build(NewIntent {
                    id: &pi_id,
                    livemode: call.livemode(),
                    now,
                    amount,
                    currency: &currency,
                    customer: session["customer"].as_str(),
                    description: self.terms.description.as_deref(),
                    session: session["id"].as_str().unwrap_or_default(),
                    client_secret: format!("{pi_id}_secret_{}", random_base62(24)),
                    metadata: json!({}),
                });
                payment_intent::apply_session_data(&mut doc, session);
                (doc, None)
            }
        };
        if !authenticated {
            if let Some(flow) = super::three_ds::flow_for(st, &call.scope(), session, &chosen).await? {
                return self.require_authentication(session, version, chosen, (intent, intent_version), flow).await;
            }
        }
        let pi_id = intent["id"].as_str().unwrap_or_default().to_owned();
        let mut processing = payment_intent::processing(&intent, &chosen.id);
        if authenticated {
            processing["three_d_secure"]["status"] = json!("authenticated");
        }
        // Recorded with the claim: if kassa stops mid-charge, the resolver
        // asks the first processor what became of this key.
        let tries = intent["attempts"].as_array().map_or(0, Vec::len);
        let route = route_for(st, &call.scope(), session).await?;
        let first = route.first().map(|p| p.name().to_owned()).unwrap_or_default();
        // No try of this route can still be running after `lookup_at`: the
        // resolver may ask then, seconds after a dead node's claim, not later.
        let budget: u64 = route.iter().map(|p| p.budget().as_secs().saturating_add(1)).sum();
        let lookup_at = now.saturating_add(i64::try_from(budget).unwrap_or(i64::MAX)).saturating_add(LOOKUP_MARGIN);
        processing["pending_attempt"] = json!({"processor": first, "idempotency_key": format!("{pi_id}-{tries}-0"),
                                               "started_at": now, "lookup_at": lookup_at});
        // Only this try's request: an earlier try's key was answered already.
        payment_intent::strip(&mut processing, "confirm_request");
        if let Some(g) = call.call.and_then(|c| c.idem.as_ref()) {
            processing["confirm_request"] = json!({"idempotency_key": g.key, "fingerprint": g.fingerprint});
        }
        let mut claimed = session.clone();
        claimed["confirming_until"] = json!(lookup_at.saturating_add(CLAIM_SECS));
        claimed["payment_intent"] = json!(pi_id);
        claimed["payment_intent_status"] = json!("processing");
        payment_intent::mirror_next_action(&mut claimed, &processing);
        let pi_change = match intent_version {
            Some(v) => Change::Update {
                id: pi_id.clone(),
                expected_version: v,
                tags: payment_intent::tags(&processing),
                doc: processing.clone(),
            },
            None => Change::Insert {
                id: pi_id.clone(),
                kind: payment_intent::KIND.into(),
                created: now,
                tags: payment_intent::tags(&processing),
                doc: processing.clone(),
            },
        };
        let session_id = session["id"].as_str().unwrap_or_default().to_owned();
        let claim = ChangeSet {
            scope: call.scope(),
            // Everything a finish without this request needs is durable
            // with the claim: the payment method and its vault record, and
            // the buyer's terms.
            changes: std::mem::take(&mut chosen.changes)
                .into_iter()
                .chain([
                    Change::Update {
                        id: session_id,
                        expected_version: version,
                        tags: session::tags(&claimed),
                        doc: claimed.clone(),
                    },
                    pi_change,
                    super::three_ds::terms_change(st, &call.scope(), &pi_id, &self.terms, now).await?,
                ])
                .chain(super::redeem::redeem(st, &call.scope(), session).await?)
                .collect(),
            events: match intent_version {
                None => vec![event::build(&call.event_ctx(now), "payment_intent.created", &intent, None)],
                Some(_) => vec![],
            },
            idempotency: None,
        };
        match st.store.commit(claim).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(in_progress()),
            Err(e) => return Err(e.into()),
        }
        let req = Authorize {
            idempotency_key: format!("{pi_id}-{tries}"),
            amount,
            currency,
            card: chosen.card.clone(),
            capture: !payment_intent::manual_capture(&processing),
        };
        let (outcome, attempts) = self.run_route(route, req, &pi_id).await?;
        let settled = payment_intent::settle(&processing, &outcome, &attempts, &chosen.doc, &crate::ids::new_id("ch"));
        let intent_version = intent_version.map_or(1, |v| v + 1);
        let finish = outcome_finish(&outcome, chosen, (settled, intent_version));
        self.finish(&claimed, version + 1, finish).await
    }

    /// One commit: the session's new state, the payment, the contract, a
    /// guest's new customer, and every event.
    #[tracing::instrument(skip_all, fields(session = session["id"].as_str().unwrap_or_default()))]
    pub(super) async fn finish(&self, session: &Value, version: i64, f: Finish) -> ApiResult<Response> {
        let (st, call, now) = (self.state, &self.origin, self.now);
        let ctx = call.event_ctx(now);
        let mut s = session.clone();
        if let Some(m) = s.as_object_mut() {
            m.remove("confirming_until");
            m.remove("payment_intent_status");
        }
        let mut changes = Vec::new();
        let mut events = Vec::new();
        let mut error: Option<ApiError> = None;
        let mut action_url: Option<String> = None;
        let (pm, complete_as, terms, intent_id) = match f {
            Finish::Paid { chosen, intent } | Finish::Pending { chosen, intent } => {
                let action = intent.0["status"] == "requires_action";
                let pending = intent.0["status"] == "processing" || action;
                let mut intent = intent;
                if action {
                    self.gateway_action(&mut intent.0, &s);
                    action_url = intent.0["next_action"]["redirect_to_url"]["url"].as_str().map(str::to_owned);
                }
                payment_intent::mirror_next_action(&mut s, &intent.0);
                changes.extend(chosen.changes);
                if !pending {
                    cascade::count_attempt(&mut s);
                }
                let authorized_only = intent.0["status"] == "requires_capture";
                crate::engine::charges::record(&mut intent.0, &chosen.doc, now, &ctx, &mut changes, &mut events);
                let kind = match (pending, action) {
                    (_, true) => "payment_intent.requires_action",
                    (true, false) => "payment_intent.processing",
                    _ if authorized_only => "payment_intent.amount_capturable_updated",
                    _ => "payment_intent.succeeded",
                };
                events.push(event::build(&ctx, kind, &intent.0, None));
                let id = intent.0["id"].as_str().map(str::to_owned);
                self.answered(&mut intent.0);
                changes.push(Change::Update {
                    id: id.clone().unwrap_or_default(),
                    expected_version: intent.1,
                    tags: payment_intent::tags(&intent.0),
                    doc: intent.0,
                });
                if pending {
                    // Held until the processor's answer is known; the
                    // resolver needs the buyer's terms to finish it.
                    s["confirming_until"] = json!(i64::MAX);
                    s["payment_intent_status"] = json!("processing");
                    changes.push(
                        super::three_ds::terms_change(
                            st,
                            &call.scope(),
                            id.as_deref().unwrap_or_default(),
                            &self.terms,
                            now,
                        )
                        .await?,
                    );
                }
                // An authorization completes the session, unpaid until captured.
                let paid = if authorized_only { "unpaid" } else { "paid" };
                (Some(chosen.doc), (!pending).then_some(paid), Confirmation::ChargeImmediately, id)
            }
            Finish::Declined { chosen, intent, error: e } => {
                // Declines count toward the card-testing limit; outages do not.
                if e.kind == ErrorType::Card {
                    session::record_failure(&mut s, now);
                }
                changes.extend(chosen.changes);
                let mut intent = intent;
                crate::engine::charges::record(&mut intent.0, &chosen.doc, now, &ctx, &mut changes, &mut events);
                payment_intent::mirror_next_action(&mut s, &intent.0);
                events.push(event::build(&ctx, "payment_intent.payment_failed", &intent.0, None));
                let shown = payment_intent::render(&intent.0);
                self.answered(&mut intent.0);
                changes.push(Change::Update {
                    id: intent.0["id"].as_str().unwrap_or_default().to_owned(),
                    expected_version: intent.1,
                    tags: payment_intent::tags(&intent.0),
                    doc: intent.0,
                });
                let mut e = e.with_extra("payment_intent", shown).with_extra("payment_method", chosen.doc);
                if e.kind == ErrorType::Card && cascade::configured(&s) {
                    cascade::count_attempt(&mut s);
                    crate::api::session_cascade::after_decline(st, &call.scope(), &mut s, now).await?;
                    e = e.with_extra("cascade_status", s["cascade_status"].clone());
                }
                error = Some(e);
                (None, None, Confirmation::ChargeImmediately, None)
            }
            Finish::WhenDue(chosen) => {
                changes.extend(super::redeem::redeem(st, &call.scope(), &s).await?);
                (Some(chosen.doc), Some("unpaid"), Confirmation::ChargeWhenDue, None)
            }
            Finish::NoPayment(chosen) => {
                changes.extend(super::redeem::redeem(st, &call.scope(), &s).await?);
                let doc = chosen.map(|c| {
                    changes.extend(c.changes);
                    c.doc
                });
                (doc, Some("no_payment_required"), Confirmation::NoPayment, None)
            }
            Finish::Setup(chosen) => {
                changes.extend(chosen.changes);
                (Some(chosen.doc), Some("no_payment_required"), Confirmation::NoPayment, None)
            }
        };
        if let Some(payment_status) = complete_as {
            self.complete(&mut s, payment_status, pm.as_ref(), terms, intent_id.as_deref(), &mut changes, &mut events)
                .await?;
        }
        let session_id = s["id"].as_str().unwrap_or_default().to_owned();
        changes.push(Change::Update {
            id: session_id.clone(),
            expected_version: version,
            tags: session::tags(&s),
            doc: s.clone(),
        });
        if let Some(e) = error {
            let res = call.commit(st, changes, events, e.status, e.body()).await?;
            // The charge failed: the claim's redemption goes back.
            // (The discount claimed, not a cascade's next tier's.)
            super::redeem::release(st, &call.scope(), session).await?;
            return Ok(res);
        }
        if let (true, Some(url)) = (self.terms.redirect, &action_url) {
            let mut res =
                call.commit(st, changes, events, StatusCode::FOUND, json!({"object": "redirect", "url": url})).await?;
            if let Ok(v) = HeaderValue::from_str(url) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            return Ok(res);
        }
        let redirect = self.terms.redirect && s["status"] == "complete";
        if redirect {
            let base = s["success_url"]
                .as_str()
                .or(s["return_url"].as_str())
                .or(self.terms.return_url.as_deref())
                .unwrap_or("/");
            let url = base.replace("{CHECKOUT_SESSION_ID}", &session_id);
            let mut res =
                call.commit(st, changes, events, StatusCode::FOUND, json!({"object": "redirect", "url": url})).await?;
            if let Ok(v) = HeaderValue::from_str(&url) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            return Ok(res);
        }
        let pending: Vec<Value> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Insert { doc, kind, .. } if kind != payment_method::VAULT_KIND => Some(doc.clone()),
                Change::Update { doc, .. } => Some(doc.clone()),
                _ => None,
            })
            .collect();
        let body = match call.call {
            Some(c) => {
                super::super::sessions::view_with(st, c, &s, self.lines, self.breakdown, self.rest, &pending).await?
            }
            None => session::render(&s, now, &self.version(), false),
        };
        call.commit(st, changes, events, StatusCode::OK, body).await
    }
}
