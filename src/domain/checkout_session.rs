//! The stored Checkout Session (`cs_…`): every field of reference §2.1,
//! the create options `session_options` echoes, and kassa's own bookkeeping
//! (`PRIVATE`). How it is built and read at a time and API version is in
//! `domain::session`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coupon::Coupon;
use super::custom_fields::CustomField;
use super::document::{Document, Never, Tag};
use super::fields::time_tag;
use super::line_item::{Breakdown, LineItemList};
use super::payment_intent_parts::NextAction;
use super::payment_method_options::PaymentMethodOptions;
pub use super::session_kept::*;
use super::session_options::{CustomText, NameCollection, Permissions, SavedPaymentMethodOptions, WalletOptions};
use super::session_params::{Enabled, Mode, UiMode};
pub use super::session_parts::*;

crate::wire_name!(SessionObject, "checkout.session");

/// The tag the expiry sweeper looks for.
pub const OPEN_UNTIL: &str = "open_until";

/// A Checkout Session (`cs_…`).
// `Default` is no session: it is what `session::build` starts from (every
// field kassa never sets, and Stripe's defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSession {
    pub id: String,
    #[schema(value_type = String, pattern = "^checkout\\.session$")]
    pub object: SessionObject,
    pub adaptive_pricing: Option<Enabled>,
    pub after_completion: Option<AfterCompletion>,
    pub after_expiration: Option<AfterExpirationShown>,
    pub allow_promotion_codes: Option<bool>,
    pub allowed_payment_method_types: Option<Vec<String>>,
    pub amount_subtotal: Option<i64>,
    pub amount_total: Option<i64>,
    pub automatic_tax: AutomaticTax,
    pub billing_address_collection: BillingAddressCollection,
    pub branding_settings: Option<BrandingShown>,
    pub cancel_url: Option<String>,
    /// Sessions stored before vault tokenization existed decode as `direct`.
    #[serde(default)]
    pub card_tokenization_mode: CardTokenizationMode,
    /// Absent from sessions stored before cascades existed.
    #[serde(default)]
    pub cascade_status: Option<CascadeStatus>,
    #[serde(default)]
    pub cascade_tiers: Option<Vec<CascadeTier>>,
    pub client_reference_id: Option<String>,
    /// Every session has one; hosted sessions show `null` (see `render`).
    pub client_secret: Option<String>,
    pub collected_information: Option<CollectedInformation>,
    #[schema(value_type = Option<Object>)]
    pub consent: Option<Never>,
    pub consent_collection: Option<ConsentCollection>,
    pub contract: Option<String>,
    pub created: i64,
    pub currency: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub currency_conversion: Option<Never>,
    pub custom_fields: Vec<CustomField>,
    pub custom_text: CustomText,
    pub customer: Option<String>,
    pub customer_account: Option<String>,
    pub customer_creation: Option<AlwaysOrIfRequired>,
    pub customer_details: Option<CustomerDetails>,
    pub customer_email: Option<String>,
    pub discounts: Vec<Discount>,
    pub embed_origin: Option<String>,
    pub excluded_payment_method_types: Vec<String>,
    pub expires_at: i64,
    pub integration_identifier: Option<String>,
    #[schema(value_type = Option<String>)]
    pub invoice: Option<Never>,
    pub invoice_creation: Option<InvoiceCreationShown>,
    pub livemode: bool,
    pub locale: Option<String>,
    pub managed_payments: Option<Enabled>,
    pub metadata: BTreeMap<String, String>,
    pub mode: Mode,
    pub name_collection: Option<NameCollection>,
    /// Absent from sessions stored before 3-D Secure existed.
    #[serde(default)]
    pub next_action: Option<NextAction>,
    #[schema(value_type = Vec<Object>)]
    pub optional_items: Vec<Never>,
    pub origin_context: Option<OriginContext>,
    pub payment_intent: Option<String>,
    #[schema(value_type = Option<String>)]
    pub payment_link: Option<Never>,
    pub payment_method_collection: Option<AlwaysOrIfRequired>,
    #[schema(value_type = Option<Object>)]
    pub payment_method_configuration_details: Option<Never>,
    pub payment_method_options: PaymentMethodOptions,
    pub payment_method_types: Vec<String>,
    pub payment_status: PaymentStatus,
    pub permissions: Option<Permissions>,
    pub phone_number_collection: Enabled,
    pub processor_route: Option<String>,
    #[schema(value_type = Option<String>)]
    pub recovered_from: Option<Never>,
    pub redirect_on_completion: Option<RedirectOnCompletion>,
    pub return_url: Option<String>,
    pub saved_payment_method_options: Option<SavedPaymentMethodOptions>,
    pub setup_intent: Option<String>,
    pub shipping_address_collection: Option<ShippingAddressCollection>,
    pub shipping_cost: Option<ShippingCost>,
    pub shipping_options: Vec<ShippingOption>,
    pub status: SessionStatus,
    pub submit_type: Option<SubmitType>,
    #[schema(value_type = Option<String>)]
    pub subscription: Option<Never>,
    pub success_url: Option<String>,
    pub tax_id_collection: TaxIdCollection,
    pub total_details: Option<TotalDetails>,
    pub ui_mode: UiMode,
    pub url: Option<String>,
    pub wallet_options: Option<WalletOptions>,

    // Private (see `PRIVATE`): shown only when included (`line_items`) or never.
    #[schema(ignore)]
    pub line_items: LineItemList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub payment_intent_data: Option<KeptIntentData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub setup_intent_data: Option<KeptSetupData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub customer_update: Option<KeptCustomerUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub payment_method_data: Option<KeptMethodData>,
    /// A confirm's hold on the session (see `confirming`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub confirming_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub payment_intent_status: Option<String>,
    /// What `total_details.breakdown` shows when included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub total_details_breakdown: Option<Breakdown>,
    /// When recent payments failed (see `MAX_FAILURES`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(ignore)]
    pub failed_payments: Vec<i64>,
    /// The terms of the coupon the discount uses, kept in case it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub applied_coupon: Option<Coupon>,
}

impl Document for CheckoutSession {
    const KIND: &'static str = "checkout.session";
    const PREFIX: &'static str = "cs";
    // Every read decodes a session (`session::render`, the engine, the
    // pages, expansions), so its `null`s need not be stored: a third of it.
    const LEAN: bool = true;
    const PRIVATE: &'static [&'static str] = &[
        "line_items",
        "payment_intent_data",
        "setup_intent_data",
        "customer_update",
        "payment_method_data",
        "confirming_until",
        "payment_intent_status",
        "total_details_breakdown",
        "failed_payments",
        "applied_coupon",
    ];

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    /// The list filters a session is found by, and its expiry schedule.
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("status".to_owned(), self.status.as_str().to_owned())];
        let email = self.customer_details.as_ref().and_then(|d| d.email.as_ref());
        for (name, v) in [
            ("customer", self.customer.as_ref()),
            ("payment_intent", self.payment_intent.as_ref()),
            ("customer_details.email", email),
        ] {
            if let Some(s) = v {
                t.push((name.to_owned(), s.clone()));
            }
        }
        if self.status == SessionStatus::Open {
            t.push((OPEN_UNTIL.to_owned(), time_tag(self.expires_at)));
        }
        t
    }
}
