//! Parameters of `POST /v1/checkout/sessions`, and the rules between them
//! that need nothing but the parameters (reference §1.1, §1.2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::intent_data::{CustomerUpdate, PaymentIntentData, SetupIntentData};
use super::payment_method_options::PaymentMethodOptions;
use super::price::PriceParams;
use super::session_options::*;

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Payment,
    Setup,
    Subscription,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Payment => "payment",
            Mode::Setup => "setup",
            Mode::Subscription => "subscription",
        }
    }
}

/// `ui_mode`, stored under the current names; old names are accepted too
/// (as params, by `parse`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UiMode {
    #[default]
    HostedPage,
    EmbeddedPage,
    Elements,
    Form,
}

impl UiMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hosted_page" | "hosted" => Some(UiMode::HostedPage),
            "embedded_page" | "embedded" => Some(UiMode::EmbeddedPage),
            "elements" | "custom" => Some(UiMode::Elements),
            "form" => Some(UiMode::Form),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UiMode::HostedPage => "hosted_page",
            UiMode::EmbeddedPage => "embedded_page",
            UiMode::Elements => "elements",
            UiMode::Form => "form",
        }
    }

    /// Embedded and custom UIs: no redirect URLs, a client secret instead.
    pub fn is_embedded(self) -> bool {
        self != UiMode::HostedPage
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustableQuantity {
    pub enabled: bool,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemParam {
    /// Only on update: an existing line item to keep.
    pub id: Option<String>,
    pub price: Option<String>,
    pub price_data: Option<PriceParams>,
    pub quantity: Option<i64>,
    pub adjustable_quantity: Option<AdjustableQuantity>,
    pub tax_rates: Option<Vec<String>>,
    pub dynamic_tax_rates: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    pub shipping_rate: Option<String>,
    pub shipping_rate_data: Option<super::shipping_rate::ShippingRateParams>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountParam {
    pub coupon: Option<String>,
    pub promotion_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomaticTax {
    pub enabled: bool,
    pub liability: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddressCollection {
    pub allowed_countries: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentCollection {
    pub promotions: Option<String>,
    pub terms_of_service: Option<String>,
    pub payment_method_reuse_agreement: Option<ReuseAgreement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseAgreement {
    pub position: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxIdCollection {
    pub enabled: bool,
    pub required: Option<String>,
}

/// Every create parameter, typed: each is applied, stored as typed (and
/// echoed with its JSON types), or refused (`tests/api/param_coverage.rs`
/// walks them all, from this struct's own field list).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionCreateParams)]
#[serde(deny_unknown_fields)]
pub struct CreateParams {
    pub mode: Option<Mode>,
    pub line_items: Option<Vec<LineItemParam>>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub return_url: Option<String>,
    pub ui_mode: Option<String>,
    pub redirect_on_completion: Option<String>,
    pub expires_at: Option<i64>,
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    pub customer_account: Option<String>,
    pub customer_creation: Option<String>,
    pub customer_update: Option<CustomerUpdate>,
    pub client_reference_id: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub currency: Option<String>,
    pub allow_promotion_codes: Option<bool>,
    pub discounts: Option<Vec<DiscountParam>>,
    pub locale: Option<String>,
    pub submit_type: Option<String>,
    pub billing_address_collection: Option<String>,
    pub shipping_address_collection: Option<ShippingAddressCollection>,
    pub shipping_options: Option<Vec<ShippingOption>>,
    pub phone_number_collection: Option<Enabled>,
    pub custom_fields: Option<Vec<super::custom_fields::Field>>,
    pub custom_text: Option<CustomText>,
    pub consent_collection: Option<ConsentCollection>,
    pub automatic_tax: Option<AutomaticTax>,
    pub tax_id_collection: Option<TaxIdCollection>,
    pub payment_method_types: Option<Vec<String>>,
    pub allowed_payment_method_types: Option<Vec<String>>,
    pub excluded_payment_method_types: Option<Vec<String>>,
    pub payment_method_collection: Option<String>,
    pub payment_method_configuration: Option<String>,
    pub payment_method_options: Option<PaymentMethodOptions>,
    pub payment_method_data: Option<PaymentMethodDataParam>,
    pub payment_intent_data: Option<PaymentIntentData>,
    pub setup_intent_data: Option<SetupIntentData>,
    pub subscription_data: Option<Value>,
    pub invoice_creation: Option<InvoiceCreation>,
    pub after_expiration: Option<AfterExpiration>,
    pub saved_payment_method_options: Option<SavedPaymentMethodOptions>,
    pub permissions: Option<Permissions>,
    pub optional_items: Option<Vec<OptionalItem>>,
    pub name_collection: Option<NameCollection>,
    pub branding_settings: Option<BrandingSettings>,
    pub adaptive_pricing: Option<Enabled>,
    pub managed_payments: Option<Enabled>,
    pub integration_identifier: Option<String>,
    pub origin_context: Option<String>,
    pub wallet_options: Option<WalletOptions>,
    /// Seed extension: the processor route that charges this session.
    pub processor_route: Option<String>,
    /// Seed extension: how cards are tokenized (`direct`: kassa's own vault).
    pub card_tokenization_mode: Option<String>,
    /// Seed extension: fallback offers, tried in order as cards decline.
    pub cascade_tiers: Option<Vec<super::cascade::TierParam>>,
    /// Seed 003: what the hosted page does once paid.
    pub after_completion: Option<super::session_page::AfterCompletion>,
    /// Seed 002: the origin of the page that embeds an embedded session.
    pub embed_origin: Option<String>,
}

pub const MAX_LINE_ITEMS: usize = 100;
pub const MAX_QUANTITY: i64 = 100_000_000;
pub const MIN_EXPIRY: i64 = 30 * 60;
pub const MAX_EXPIRY: i64 = 24 * 3600;

pub const LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hi-IN",
    "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk",
    "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

/// Payment method types kassa can take. Others are refused, not ignored.
pub const PAYMENT_METHOD_TYPES: &[&str] = &["card"];

pub const BANNED_COUNTRIES: &[&str] =
    &["AS", "CX", "CC", "CU", "HM", "IR", "KP", "MH", "FM", "NF", "MP", "PW", "SY", "UM", "VI"];
