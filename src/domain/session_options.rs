//! Create options that shape the session object or the page rather than the
//! payment. Each is typed, so a form's `"true"` or `"1"` echoes as `true`
//! or `1`, and each is echoed as Stripe's object shows it. A value that asks
//! for something kassa does not do (an invoice, a recovery link, another
//! currency, a checkbox its page lacks) is refused, naming the param.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::checkout_session::{
    AfterExpirationShown, BrandingShown, CheckoutSession, InvoiceCreationShown, InvoiceData, RecoveryShown,
};
use super::fields::{max_len, FieldError};
use super::session_params::{AdjustableQuantity, CreateParams};
use super::session_rules::one_of;

fn not_done(param: &str, what: &str) -> FieldError {
    FieldError::invalid(param, format!("`{param}` is not available: {what}"))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceCreation {
    pub enabled: bool,
    pub invoice_data: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterExpiration {
    pub recovery: Option<Recovery>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    pub enabled: bool,
    pub allow_promotion_codes: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionalItem {
    pub price: String,
    pub quantity: i64,
    pub adjustable_quantity: Option<AdjustableQuantity>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedPaymentMethodOptions {
    pub allow_redisplay_filters: Option<Vec<String>>,
    pub payment_method_remove: Option<String>,
    pub payment_method_save: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    pub update_shipping_details: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameCollection {
    pub business: Option<NameOption>,
    pub individual: Option<NameOption>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameOption {
    pub enabled: bool,
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletOptions {
    pub link: Option<LinkOption>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkOption {
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomText {
    pub after_submit: Option<TextMessage>,
    pub shipping_address: Option<TextMessage>,
    pub submit: Option<TextMessage>,
    pub terms_of_service_acceptance: Option<TextMessage>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextMessage {
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingSettings {
    pub display_name: Option<String>,
    pub background_color: Option<String>,
    pub border_style: Option<String>,
    pub button_color: Option<String>,
    pub font_family: Option<String>,
    pub icon: Option<Value>,
    pub logo: Option<Value>,
}

/// `payment_method_data` of create: how the PaymentMethod collected is kept.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodDataParam {
    pub allow_redisplay: Option<String>,
}

/// Checks every option of this module; `Ok` means each is stored as typed.
pub fn check(p: &CreateParams) -> Result<(), FieldError> {
    if let Some(i) = &p.invoice_creation {
        if i.enabled {
            return Err(not_done("invoice_creation[enabled]", "kassa creates no invoices."));
        }
        if i.invoice_data.is_some() {
            return Err(not_done("invoice_creation[invoice_data]", "kassa creates no invoices."));
        }
    }
    if p.after_expiration.as_ref().and_then(|a| a.recovery.as_ref()).is_some_and(|r| r.enabled) {
        return Err(not_done(
            "after_expiration[recovery][enabled]",
            "kassa makes no recovery links for expired sessions.",
        ));
    }
    if p.optional_items.as_ref().is_some_and(|o| !o.is_empty()) {
        return Err(not_done(
            "optional_items",
            "kassa's payment page cannot offer optional items; add them to `line_items`.",
        ));
    }
    for (param, on) in
        [("adaptive_pricing[enabled]", &p.adaptive_pricing), ("managed_payments[enabled]", &p.managed_payments)]
    {
        if on.as_ref().is_some_and(|e| e.enabled) {
            return Err(not_done(param, "kassa charges in the session's own currency, as the merchant of record."));
        }
    }
    if let Some(s) = &p.saved_payment_method_options {
        for (i, f) in s.allow_redisplay_filters.iter().flatten().enumerate() {
            one_of(&format!("saved_payment_method_options[allow_redisplay_filters][{i}]"), f, REDISPLAY)?;
        }
        if let Some(v) = &s.payment_method_remove {
            one_of("saved_payment_method_options[payment_method_remove]", v, &["enabled", "disabled"])?;
        }
        if let Some(v) = &s.payment_method_save {
            one_of("saved_payment_method_options[payment_method_save]", v, &["enabled", "disabled"])?;
            if v == "enabled" {
                return Err(not_done("saved_payment_method_options[payment_method_save]", "kassa's payment page has no save-my-card box; use `payment_intent_data[setup_future_usage]` to save the card."));
            }
        }
    }
    if let Some(v) = p.permissions.as_ref().and_then(|x| x.update_shipping_details.as_ref()) {
        one_of("permissions[update_shipping_details]", v, &["client_only", "server_only"])?;
    }
    if let Some(n) = &p.name_collection {
        for (who, o) in [("business", &n.business), ("individual", &n.individual)] {
            if o.as_ref().is_some_and(|o| o.enabled) {
                return Err(not_done(
                    &format!("name_collection[{who}][enabled]"),
                    "kassa's payment page collects the card holder's name only.",
                ));
            }
        }
    }
    if let Some(v) = p.wallet_options.as_ref().and_then(|w| w.link.as_ref()).and_then(|l| l.display.as_ref()) {
        one_of("wallet_options[link][display]", v, &["auto", "never"])?;
    }
    check_page(p)
}

pub const REDISPLAY: &[&str] = &["always", "limited", "unspecified"];

/// The options the payment page itself applies (or cannot).
fn check_page(p: &CreateParams) -> Result<(), FieldError> {
    if let Some(t) = &p.custom_text {
        if t.terms_of_service_acceptance.is_some() {
            return Err(not_done(
                "custom_text[terms_of_service_acceptance]",
                "kassa does not collect consent to terms of service.",
            ));
        }
        for (name, m) in
            [("after_submit", &t.after_submit), ("shipping_address", &t.shipping_address), ("submit", &t.submit)]
        {
            if let Some(m) = m {
                max_len(&format!("custom_text[{name}][message]"), &m.message, 1200)?;
            }
        }
    }
    if let Some(b) = &p.branding_settings {
        if let Some(n) = &b.display_name {
            max_len("branding_settings[display_name]", n, 100)?;
        }
        let unsupported = [
            ("background_color", b.background_color.is_some()),
            ("border_style", b.border_style.is_some()),
            ("button_color", b.button_color.is_some()),
            ("font_family", b.font_family.is_some()),
            ("icon", b.icon.is_some()),
            ("logo", b.logo.is_some()),
        ];
        if let Some((name, _)) = unsupported.iter().find(|(_, given)| *given) {
            return Err(not_done(
                &format!("branding_settings[{name}]"),
                "kassa's payment page takes only `branding_settings[display_name]`.",
            ));
        }
    }
    if p.payment_method_configuration.is_some() {
        return Err(not_done(
            "payment_method_configuration",
            "kassa has no payment method configurations; it takes `card`.",
        ));
    }
    if let Some(v) = p.payment_method_data.as_ref().and_then(|d| d.allow_redisplay.as_ref()) {
        one_of("payment_method_data[allow_redisplay]", v, REDISPLAY)?;
    }
    Ok(())
}

/// The options as the session object shows them.
pub fn echo(p: &CreateParams, s: &mut CheckoutSession) {
    s.invoice_creation = p.invoice_creation.as_ref().map(|i| InvoiceCreationShown {
        enabled: i.enabled,
        invoice_data: InvoiceData {
            account_tax_ids: None,
            custom_fields: None,
            description: None,
            footer: None,
            issuer: None,
            metadata: Default::default(),
            rendering_options: None,
        },
    });
    s.after_expiration = p.after_expiration.as_ref().map(|a| AfterExpirationShown {
        recovery: a.recovery.as_ref().map(|r| RecoveryShown {
            allow_promotion_codes: r.allow_promotion_codes.unwrap_or(false),
            enabled: r.enabled,
            expires_at: None,
            url: None,
        }),
    });
    s.branding_settings = p.branding_settings.as_ref().map(|b| BrandingShown {
        background_color: None,
        border_style: None,
        button_color: None,
        display_name: b.display_name.clone(),
        font_family: None,
        icon: None,
        logo: None,
    });
    s.adaptive_pricing = p.adaptive_pricing.clone();
    s.custom_text = p.custom_text.clone().unwrap_or_default();
    s.managed_payments = p.managed_payments.clone();
    s.name_collection = p.name_collection.clone();
    s.optional_items = Vec::new();
    s.permissions = p.permissions.clone();
    s.saved_payment_method_options = p.saved_payment_method_options.clone();
    s.wallet_options = p.wallet_options.clone();
}
