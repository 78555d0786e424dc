//! A refused payment as Stripe shows it: a `card_error` (402) from a check
//! or a processor, or an `api_error` (502) when no processor could take it.
//! Its body is the answer a declined confirm records.

use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
pub struct Decline {
    /// The HTTP status Stripe answers it with.
    pub status: u16,
    /// `card_error`, or `api_error` for an outage.
    pub card: bool,
    pub code: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl Decline {
    pub fn card(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: 402, card: true, code, message: message.into(), extra: Map::new() }
    }

    pub fn unavailable() -> Self {
        Self {
            status: 502,
            card: false,
            code: "processor_unavailable",
            message: "No payment processor could take the payment. It is safe to retry.".into(),
            extra: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Stripe's error body, as the SDKs read it.
    pub fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("type".into(), json!(if self.card { "card_error" } else { "api_error" }));
        e.insert("code".into(), json!(self.code));
        e.insert(
            "doc_url".into(),
            json!(format!("https://stripe.com/docs/error-codes/{}", self.code.replace('_', "-"))),
        );
        // A processor's message could echo what it was sent.
        e.insert("message".into(), json!(crate::error::scrub(&self.message)));
        for (k, v) in &self.extra {
            e.insert(k.clone(), v.clone());
        }
        json!({ "error": e })
    }
}
