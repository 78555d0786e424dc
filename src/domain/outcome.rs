//! What a payment gateway can answer, and one try as recorded on the
//! PaymentIntent. Pure data: the gateway adapters produce it, the domain
//! decides what it means for the intent.

/// What a processor said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        reference: String,
    },
    /// A hard decline: the chain stops here. `message` is kassa's own;
    /// `processor_message` is what the processor said, scrubbed
    /// (`domain::processor_text`), kept only on the attempt.
    Declined {
        code: String,
        decline_code: String,
        message: String,
        processor_message: Option<String>,
    },
    /// The processor could not take the request (refused, 5xx before
    /// acceptance, rate limited): the next processor may be tried.
    Unavailable {
        reason: String,
    },
    /// The request may have been received (a timeout after sending): ask
    /// `lookup` before trying anyone else.
    Unknown {
        reason: String,
    },
    /// The gateway needs the buyer (3-D Secure at its own page); its answer
    /// comes later, through `lookup`.
    RequiresAction {
        reference: String,
        action_url: String,
    },
}

impl Outcome {
    /// A decline with kassa's own message and no processor text.
    pub fn declined(code: &str, decline_code: &str, message: &str) -> Self {
        Outcome::Declined {
            code: code.into(),
            decline_code: decline_code.into(),
            message: message.into(),
            processor_message: None,
        }
    }

    /// A decline's processor text (scrubbed), for its attempt.
    pub fn processor_message(&self) -> Option<String> {
        match self {
            Outcome::Declined { processor_message, .. } => processor_message.clone(),
            _ => None,
        }
    }
}

/// What `lookup` found out about an earlier request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The processor never saw it: safe to try another.
    NotFound,
    Found(Outcome),
    /// Still cannot tell.
    Unknown,
}

/// The result of a request about an earlier payment: a refund, a capture
/// or a void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded {
        reference: String,
    },
    /// A definite refusal: nothing was refunded.
    Failed {
        reason: String,
    },
    /// It may have been refunded (a timeout, a 5xx): never send it again
    /// under a new key; it stays pending.
    Unknown {
        reason: String,
    },
}

/// What one try's answer was, as its attempt records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Approved,
    Declined,
    Unavailable,
    Unknown,
    RequiresAction,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Approved => "approved",
            AttemptOutcome::Declined => "declined",
            AttemptOutcome::Unavailable => "unavailable",
            AttemptOutcome::Unknown => "unknown",
            AttemptOutcome::RequiresAction => "requires_action",
        }
    }
}

/// One try, as recorded on the PaymentIntent (shown in its `attempts`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub processor: String,
    pub idempotency_key: String,
    pub outcome: AttemptOutcome,
    pub detail: Option<String>,
    /// A decline's processor text, scrubbed.
    pub processor_message: Option<String>,
    pub started_at: i64,
    pub duration_ms: u64,
}

impl Outcome {
    /// How an attempt records this answer: its name and a detail.
    pub fn label(&self) -> (AttemptOutcome, Option<String>) {
        match self {
            Outcome::Approved { reference } => (AttemptOutcome::Approved, Some(reference.clone())),
            Outcome::Declined { decline_code, .. } => (AttemptOutcome::Declined, Some(decline_code.clone())),
            Outcome::Unavailable { reason } => (AttemptOutcome::Unavailable, Some(reason.clone())),
            Outcome::Unknown { reason } => (AttemptOutcome::Unknown, Some(reason.clone())),
            Outcome::RequiresAction { reference, .. } => (AttemptOutcome::RequiresAction, Some(reference.clone())),
        }
    }
}
