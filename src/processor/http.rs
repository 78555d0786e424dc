//! The `http` processor: the JSON protocol of docs/processor-protocol.md.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::{Authorize, Lookup, Outcome, Processor, RefundOutcome};
use crate::domain::outbound::{self, UrlPolicy};
use crate::domain::processor_text;

pub struct HttpProcessor {
    pub name: String,
    pub url: String,
    pub timeout: Duration,
    pub client: reqwest::Client,
    /// Checked before every request (live mode: public https only; names
    /// are checked by the live client's resolver).
    pub urls: UrlPolicy,
}

/// Reads a gateway answer; `None` when it is not one (which means unknown).
fn outcome(body: &Value) -> Option<Outcome> {
    let reference = body["reference"].as_str().unwrap_or_default().to_owned();
    match body["status"].as_str()? {
        "approved" => Some(Outcome::Approved { reference }),
        "requires_action" => {
            let url = body["action_url"].as_str().filter(|u| u.starts_with("https://") || u.starts_with("http://"))?;
            Some(Outcome::RequiresAction { reference, action_url: url.to_owned() })
        }
        // A gateway's text may echo the card: kassa answers with its own
        // message, and keeps the gateway's only scrubbed.
        "declined" => {
            let decline_code = processor_text::decline_code(body["decline_code"].as_str());
            Some(Outcome::Declined {
                code: "card_declined".into(),
                message: processor_text::decline_message(&decline_code).to_owned(),
                decline_code,
                processor_message: body["message"].as_str().map(processor_text::scrub),
            })
        }
        _ => None,
    }
}

#[async_trait]
impl Processor for HttpProcessor {
    fn name(&self) -> &str {
        &self.name
    }

    fn budget(&self) -> Duration {
        // The authorize, then a lookup if its answer was unknown.
        self.timeout.saturating_mul(2)
    }

    #[tracing::instrument(skip_all, fields(processor = %self.name, operation = "authorize"))]
    async fn authorize(&self, req: &Authorize) -> Outcome {
        crate::meters::timed(&self.name, "authorize", self.send_authorize(req)).await
    }

    #[tracing::instrument(skip_all, fields(processor = %self.name, operation = "lookup"))]
    async fn lookup(&self, idempotency_key: &str) -> Lookup {
        crate::meters::timed(&self.name, "lookup", self.send_lookup(idempotency_key)).await
    }

    async fn refund(&self, reference: &str, amount: i64, idempotency_key: &str) -> RefundOutcome {
        let body = json!({"reference": reference, "amount": amount, "idempotency_key": idempotency_key});
        self.follow_up("refund", &body).await
    }

    async fn capture(&self, reference: &str, amount: i64, idempotency_key: &str) -> RefundOutcome {
        let body = json!({"reference": reference, "amount": amount, "idempotency_key": idempotency_key});
        self.follow_up("capture", &body).await
    }

    async fn void(&self, reference: &str, idempotency_key: &str) -> RefundOutcome {
        let body = json!({"reference": reference, "idempotency_key": idempotency_key});
        self.follow_up("void", &body).await
    }
}

impl HttpProcessor {
    /// The authorize request itself (`authorize` times it).
    async fn send_authorize(&self, req: &Authorize) -> Outcome {
        if let Some(reason) = self.refused() {
            // Never sent: the gateway cannot have seen it.
            return Outcome::Unavailable { reason };
        }
        let body = json!({
            "idempotency_key": req.idempotency_key, "amount": req.amount, "currency": req.currency, "capture": req.capture,
            "card": {"number": req.card.number.digits(), "exp_month": req.card.exp_month, "exp_year": req.card.exp_year, "cvc": req.card.cvc},
            "three_d_secure": null, "metadata": {},
        });
        let sent = self.client.post(format!("{}/authorize", self.url)).timeout(self.timeout).json(&body).send().await;
        let res = match sent {
            Ok(r) => r,
            // Never connected: the gateway cannot have seen it.
            Err(e) if e.is_connect() => return Outcome::Unavailable { reason: "connection failed".into() },
            Err(e) if e.is_timeout() => return Outcome::Unknown { reason: "timed out".into() },
            Err(_) => return Outcome::Unknown { reason: "the connection broke".into() },
        };
        let status = res.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Outcome::Unavailable { reason: format!("HTTP {}", status.as_u16()) };
        }
        match res.json::<Value>().await {
            Ok(v) if status.is_success() => {
                outcome(&v).unwrap_or(Outcome::Unknown { reason: "unreadable answer".into() })
            }
            Ok(_) => Outcome::Unavailable { reason: format!("HTTP {}", status.as_u16()) },
            Err(_) => Outcome::Unknown { reason: "unreadable answer".into() },
        }
    }

    /// The lookup request itself (`lookup` times it).
    async fn send_lookup(&self, idempotency_key: &str) -> Lookup {
        if self.refused().is_some() {
            // It may have been sent before the policy refused the url.
            return Lookup::Unknown;
        }
        let res =
            self.client.get(format!("{}/payments/{idempotency_key}", self.url)).timeout(self.timeout).send().await;
        match res {
            Ok(r) if r.status().as_u16() == 404 => Lookup::NotFound,
            Ok(r) if r.status().is_success() => match r.json::<Value>().await.ok().as_ref().and_then(outcome) {
                Some(o) => Lookup::Found(o),
                None => Lookup::Unknown,
            },
            _ => Lookup::Unknown,
        }
    }

    /// Why this processor's url may not be called under its policy.
    fn refused(&self) -> Option<String> {
        if self.urls == UrlPolicy::Open {
            return None;
        }
        outbound::refusal(&self.url)
            .map(|why| format!("refused: a live-mode processor url must be public https: {why}"))
    }

    /// A request about an earlier payment (refund, capture, void): its
    /// answer is `succeeded`, `failed`, or unknown when it may have happened.
    #[tracing::instrument(skip_all, fields(processor = %self.name, operation = path))]
    async fn follow_up(&self, path: &'static str, body: &Value) -> RefundOutcome {
        crate::meters::timed(&self.name, path, self.send_follow_up(path, body)).await
    }

    async fn send_follow_up(&self, path: &str, body: &Value) -> RefundOutcome {
        if let Some(reason) = self.refused() {
            return RefundOutcome::Failed { reason };
        }
        let res = self.client.post(format!("{}/{path}", self.url)).timeout(self.timeout).json(body).send().await;
        match res {
            Err(e) if e.is_connect() => RefundOutcome::Failed { reason: "the gateway could not be reached".into() },
            Err(_) => RefundOutcome::Unknown { reason: "no answer".into() },
            Ok(r) if r.status().is_server_error() => {
                RefundOutcome::Unknown { reason: format!("HTTP {}", r.status().as_u16()) }
            }
            Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                Ok(v) if v["status"] == "succeeded" => {
                    RefundOutcome::Succeeded { reference: v["reference"].as_str().unwrap_or_default().to_owned() }
                }
                Ok(v) if v["status"] == "failed" => {
                    RefundOutcome::Failed { reason: processor_text::scrub(v["message"].as_str().unwrap_or("refused")) }
                }
                _ => RefundOutcome::Unknown { reason: "unreadable answer".into() },
            },
            Ok(r) => RefundOutcome::Failed { reason: format!("HTTP {}", r.status().as_u16()) },
        }
    }
}
