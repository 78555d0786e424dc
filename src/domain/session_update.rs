//! Parameters of the merchant's `POST /v1/checkout/sessions/{id}` (secret
//! key; the buyer's own update is `api::session_buyer`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::customer::Address;
use super::fields::emptyable;
use super::intent_data::PaymentIntentDataUpdate;
use super::session_params::{LineItemParam, ShippingOption};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionUpdateParams)]
#[serde(deny_unknown_fields)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    pub line_items: Option<Vec<LineItemParam>>,
    pub collected_information: Option<CollectedInformation>,
    #[serde(default, deserialize_with = "emptyable")]
    pub shipping_options: Option<Option<Vec<ShippingOption>>>,
    /// Applied to the PaymentIntent the confirm makes (or already made).
    pub payment_intent_data: Option<PaymentIntentDataUpdate>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectedInformation {
    pub shipping_details: Option<ShippingDetails>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionShippingDetails)]
#[serde(deny_unknown_fields)]
pub struct ShippingDetails {
    pub name: String,
    pub address: Address,
}
