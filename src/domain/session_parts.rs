//! The nested objects of a Checkout Session (`domain::checkout_session`),
//! each as the session stores and shows it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::customer_params::{Address, TaxExempt};
use super::document::Never;
pub use super::session_params::ReuseAgreement;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    #[default]
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionPaymentStatus)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Paid,
    #[default]
    Unpaid,
    NoPaymentRequired,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingAddressCollection {
    #[default]
    Auto,
    Required,
}

/// `customer_creation` and `payment_method_collection` share these values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlwaysOrIfRequired {
    Always,
    IfRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionSubmitType)]
#[serde(rename_all = "snake_case")]
pub enum SubmitType {
    Auto,
    Book,
    Donate,
    Pay,
    Subscribe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedirectOnCompletion {
    Always,
    IfRequired,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginContext {
    MobileApp,
    Web,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardTokenizationMode {
    #[default]
    Direct,
    Vgs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxIdRequired {
    IfSupported,
    #[default]
    Never,
}

/// The amounts beside the total; `breakdown` is added on read when included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionTotalDetails)]
#[serde(deny_unknown_fields)]
pub struct TotalDetails {
    pub amount_discount: i64,
    pub amount_shipping: i64,
    pub amount_tax: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionAutomaticTax)]
#[serde(deny_unknown_fields)]
pub struct AutomaticTax {
    pub enabled: bool,
    #[schema(value_type = Option<Object>)]
    pub liability: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub provider: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub status: Option<Never>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionCustomerDetails)]
#[serde(deny_unknown_fields)]
pub struct CustomerDetails {
    pub address: Option<Address>,
    #[schema(value_type = Option<String>)]
    pub business_name: Option<Never>,
    pub email: Option<String>,
    #[schema(value_type = Option<String>)]
    pub individual_name: Option<Never>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub tax_exempt: Option<TaxExempt>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tax_ids: Option<Vec<Never>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CollectedShippingDetails)]
#[serde(deny_unknown_fields)]
pub struct ShippingDetails {
    pub address: Address,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionCollectedInformation)]
#[serde(deny_unknown_fields)]
pub struct CollectedInformation {
    #[schema(value_type = Option<String>)]
    pub business_name: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub individual_name: Option<Never>,
    pub shipping_details: ShippingDetails,
}

impl CollectedInformation {
    /// A shipping name and address, as both the merchant's update and the
    /// buyer's confirm record it.
    pub fn shipping(name: Option<String>, address: Address) -> Self {
        CollectedInformation {
            business_name: None,
            individual_name: None,
            shipping_details: ShippingDetails { address, name },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionShippingCost)]
#[serde(deny_unknown_fields)]
pub struct ShippingCost {
    pub amount_subtotal: i64,
    pub amount_tax: i64,
    pub amount_total: i64,
    pub shipping_rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionShippingOption)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    pub shipping_amount: i64,
    pub shipping_rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionShippingAddressCollection)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddressCollection {
    pub allowed_countries: Vec<String>,
}

/// One entry of the session's `discounts`: a coupon, or the promotion code
/// that brought it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionDiscount)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    pub coupon: Option<String>,
    pub promotion_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterCompletionType {
    Redirect,
    HostedConfirmation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionAfterCompletion)]
#[serde(deny_unknown_fields)]
pub struct AfterCompletion {
    #[serde(rename = "type")]
    pub kind: AfterCompletionType,
    pub redirect: Option<Redirect>,
    pub hosted_confirmation: Option<HostedConfirmation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionRedirect)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionHostedConfirmation)]
#[serde(deny_unknown_fields)]
pub struct HostedConfirmation {
    pub custom_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionConsentCollection)]
#[serde(deny_unknown_fields)]
pub struct ConsentCollection {
    pub payment_method_reuse_agreement: Option<ReuseAgreement>,
    pub promotions: Option<String>,
    pub terms_of_service: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionTaxIdCollection)]
#[serde(deny_unknown_fields)]
pub struct TaxIdCollection {
    pub enabled: bool,
    pub required: TaxIdRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryShown {
    pub allow_promotion_codes: bool,
    pub enabled: bool,
    #[schema(value_type = Option<i64>)]
    pub expires_at: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub url: Option<Never>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterExpirationShown {
    pub recovery: Option<RecoveryShown>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingShown {
    #[schema(value_type = Option<String>)]
    pub background_color: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub border_style: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub button_color: Option<Never>,
    pub display_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub font_family: Option<Never>,
    #[schema(value_type = Option<Object>)]
    pub icon: Option<Never>,
    #[schema(value_type = Option<Object>)]
    pub logo: Option<Never>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceData {
    #[schema(value_type = Option<Vec<String>>)]
    pub account_tax_ids: Option<Never>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub custom_fields: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub description: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub footer: Option<Never>,
    #[schema(value_type = Option<Object>)]
    pub issuer: Option<Never>,
    pub metadata: BTreeMap<String, String>,
    #[schema(value_type = Option<Object>)]
    pub rendering_options: Option<Never>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceCreationShown {
    pub enabled: bool,
    pub invoice_data: InvoiceData,
}

/// One tier of a cascade, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CascadeTier {
    pub tier: usize,
    pub processor_route: String,
    pub coupon: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CascadeStatus {
    pub current_tier: usize,
    pub attempts: i64,
    pub exhausted: bool,
}
