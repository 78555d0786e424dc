//! The parameters of `POST /v1/customers` and `POST /v1/customers/{id}`,
//! as the API reads them (also reused by sessions' `customer_update`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::emptyable;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    pub address: Address,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderingOptions {
    #[serde(default, deserialize_with = "emptyable")]
    pub amount_tax_display: Option<Option<TaxDisplay>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub template: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxDisplay {
    ExcludeTax,
    IncludeInclusiveTax,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    #[serde(default, deserialize_with = "emptyable")]
    pub custom_fields: Option<Option<Vec<CustomField>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub default_payment_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub footer: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub rendering_options: Option<Option<RenderingOptions>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxExempt {
    None,
    Exempt,
    Reverse,
}

/// Parameters of `POST /v1/customers` and `POST /v1/customers/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerParams {
    #[serde(default, deserialize_with = "emptyable")]
    pub address: Option<Option<Address>>,
    pub balance: Option<i64>,
    #[serde(default, deserialize_with = "emptyable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub email: Option<Option<String>>,
    pub invoice_prefix: Option<String>,
    pub invoice_settings: Option<InvoiceSettings>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub name: Option<Option<String>>,
    pub next_invoice_sequence: Option<i64>,
    #[serde(default, deserialize_with = "emptyable")]
    pub phone: Option<Option<String>>,
    pub preferred_locales: Option<Vec<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub shipping: Option<Option<Shipping>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub tax_exempt: Option<Option<TaxExempt>>,
}
