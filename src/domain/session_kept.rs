//! What a Checkout Session keeps for its confirm, never shown (see
//! `CheckoutSession::PRIVATE`): the PaymentIntent's, SetupIntent's and
//! PaymentMethod's data, and what the Customer takes (`customer_update`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::customer_params::Address;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoOrNever {
    Auto,
    Never,
}

/// `payment_intent_data` as the session keeps it for its confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeptIntentData {
    pub capture_method: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub receipt_email: Option<String>,
    pub setup_future_usage: Option<String>,
    pub shipping: Option<KeptShipping>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeptShipping {
    pub address: Address,
    pub carrier: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeptSetupData {
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeptCustomerUpdate {
    pub address: AutoOrNever,
    pub name: AutoOrNever,
    pub shipping: AutoOrNever,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeptMethodData {
    pub allow_redisplay: String,
}
