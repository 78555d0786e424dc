//! SetupIntents (`seti_…`): what a setup-mode session's confirm saves the
//! card with. kassa makes them already `succeeded`, for off-session use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::document::{Document, Never, Tag};

pub const KIND: &str = "setup_intent";

crate::wire_name!(SetupIntentObject, "setup_intent");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetupIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    Canceled,
    Succeeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetupIntentUsage {
    OnSession,
    OffSession,
}

/// A stored SetupIntent; nothing in it is private (`checkout_session` is
/// kassa's own, and shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIntent {
    pub id: String,
    #[schema(value_type = String)]
    pub object: SetupIntentObject,
    pub client_secret: String,
    pub created: i64,
    pub customer: String,
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub last_setup_error: Option<Never>,
    pub livemode: bool,
    #[schema(value_type = Option<String>)]
    pub mandate: Option<Never>,
    pub metadata: BTreeMap<String, String>,
    #[schema(value_type = Option<Object>)]
    pub next_action: Option<Never>,
    pub payment_method: String,
    pub payment_method_types: Vec<String>,
    pub status: SetupIntentStatus,
    pub usage: SetupIntentUsage,
    /// The session that saved the card.
    pub checkout_session: String,
}

impl Document for SetupIntent {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "seti";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        vec![("customer".to_owned(), self.customer.clone())]
    }
}

/// What a setup-mode session's SetupIntent is made of.
pub struct NewSetupIntent<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub client_secret: String,
    pub customer: &'a str,
    pub payment_method: &'a str,
    pub session: &'a str,
    /// The session's `setup_intent_data`.
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// The SetupIntent of a card saved by a completed setup-mode session.
pub fn succeeded(n: NewSetupIntent<'_>) -> SetupIntent {
    SetupIntent {
        id: n.id.to_owned(),
        object: SetupIntentObject,
        client_secret: n.client_secret,
        created: n.now,
        customer: n.customer.to_owned(),
        description: n.description,
        last_setup_error: None,
        livemode: n.livemode,
        mandate: None,
        metadata: n.metadata,
        next_action: None,
        payment_method: n.payment_method.to_owned(),
        payment_method_types: vec!["card".to_owned()],
        status: SetupIntentStatus::Succeeded,
        usage: SetupIntentUsage::OffSession,
        checkout_session: n.session.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_setup_intent_round_trips_and_shows_as_stored() {
        let si = succeeded(NewSetupIntent {
            id: "seti_1",
            livemode: false,
            now: 9,
            client_secret: "seti_1_secret_x".into(),
            customer: "cus_1",
            payment_method: "pm_1",
            session: "cs_1",
            description: None,
            metadata: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        });
        // What the confirm wrote before the type existed.
        let today = json!({
            "id": "seti_1", "object": "setup_intent", "client_secret": "seti_1_secret_x",
            "created": 9, "customer": "cus_1", "description": null, "last_setup_error": null,
            "livemode": false, "mandate": null, "metadata": {"k": "v"}, "next_action": null,
            "payment_method": "pm_1", "payment_method_types": ["card"], "status": "succeeded", "usage": "off_session",
            "checkout_session": "cs_1",
        });
        assert_eq!(si.wire(), today);
        assert_eq!(serde_json::from_value::<SetupIntent>(today.clone()).unwrap(), si);
        assert_eq!(si.tags(), vec![("customer".to_owned(), "cus_1".to_owned())]);
        let mut odd = today;
        odd["extra"] = json!(1);
        assert!(serde_json::from_value::<SetupIntent>(odd).is_err());
    }
}
