//! The table `param_coverage` walks: one row per session parameter (and per
//! field of the structured ones), with what sending it must do.

use serde_json::{json, Value};

use crate::sessions::OK_URL;
use kassa::domain::intent_data::{CustomerUpdate, PaymentIntentData, PaymentIntentDataUpdate, SetupIntentData};
use kassa::domain::introspect::fields;
use kassa::domain::payment_method_options::{CardOptions, PaymentMethodOptions};
use kassa::domain::session_options::*;
use kassa::domain::session_params::{AutomaticTax, ConsentCollection, Enabled, TaxIdCollection};
use kassa::domain::session_update::CollectedInformation;

pub const CARD: [(&str, &str); 5] = [
    ("payment_method_data[type]", "card"),
    ("payment_method_data[card][number]", "4242424242424242"),
    ("payment_method_data[card][exp_month]", "12"),
    ("payment_method_data[card][exp_year]", "2031"),
    ("payment_method_data[card][cvc]", "123"),
];

type Pairs = Vec<(&'static str, &'static str)>;

/// The session a row's parameter is added to (create) or sent to (update).
#[derive(Debug, Clone, Copy)]
pub enum Base {
    Payment,
    Setup,
    Elements,
    WithCustomer,
    WithCustomerShipping,
    Shipping,
    Bare,
}

const LINE: [(&str, &str); 2] = [("line_items[0][price]", "{price}"), ("line_items[0][quantity]", "1")];

impl Base {
    pub fn pairs(self) -> Pairs {
        let payment = [("mode", "payment"), ("success_url", OK_URL)];
        let mut v: Pairs = match self {
            Base::Bare => vec![],
            Base::Setup => vec![("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)],
            Base::Elements => vec![("mode", "payment"), ("ui_mode", "elements")],
            _ => payment.to_vec(),
        };
        if !matches!(self, Base::Bare | Base::Setup) {
            v.extend(LINE);
        }
        if matches!(self, Base::WithCustomer | Base::WithCustomerShipping) {
            v.push(("customer", "{customer}"));
        }
        if matches!(self, Base::Shipping | Base::WithCustomerShipping) {
            v.push(("shipping_address_collection[allowed_countries][0]", "DE"));
        }
        v
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Obj {
    PaymentIntent,
    SetupIntent,
    Customer,
    PaymentMethod,
}

/// An effect a parameter has, beyond being echoed.
#[derive(Debug)]
pub enum Effect {
    /// The answer shows what the parameter computed (`at`, exactly `want`).
    Session(&'static str, Value),
    /// After a card payment (with these extra confirm params), the object
    /// it made or touched shows the parameter at `at`.
    Paid(Obj, Pairs, &'static str, Value),
    /// A confirm with only a card is refused, naming this param.
    ConfirmNeeds(&'static str),
    /// The payment page shows this text.
    Page(&'static str),
}

#[derive(Debug)]
pub enum Is {
    Stored(&'static str, Value),
    Applied(Effect),
    Refused(&'static str),
}

#[derive(Debug)]
pub struct Row {
    pub param: &'static str,
    pub base: Base,
    pub send: Pairs,
    pub is: Is,
}

fn row(param: &'static str, base: Base, send: &[(&'static str, &'static str)], is: Is) -> Row {
    Row { param, base, send: send.to_vec(), is }
}

/// A row that sends `param=value` alone.
fn one(param: &'static str, value: &'static str, base: Base, is: Is) -> Row {
    row(param, base, &[(param, value)], is)
}

fn stored(at: &'static str, want: Value) -> Is {
    Is::Stored(at, want)
}

fn refused(param: &'static str) -> Is {
    Is::Refused(param)
}

fn paid(obj: Obj, extra: &[(&'static str, &'static str)], at: &'static str, want: Value) -> Is {
    Is::Applied(Effect::Paid(obj, extra.to_vec(), at, want))
}

fn shows(at: &'static str, want: Value) -> Is {
    Is::Applied(Effect::Session(at, want))
}

use Base::*;

const SHIP_TO: [(&str, &str); 3] = [
    ("shipping_details[name]", "Erika at work"),
    ("shipping_details[address][line1]", "Werkstr. 9"),
    ("shipping_details[address][country]", "DE"),
];

/// The structured create parameters whose every field needs a row.
pub fn nested_create() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("payment_intent_data", fields::<PaymentIntentData>()),
        ("setup_intent_data", fields::<SetupIntentData>()),
        ("customer_update", fields::<CustomerUpdate>()),
        ("payment_method_data", fields::<PaymentMethodDataParam>()),
        ("payment_method_options", fields::<PaymentMethodOptions>()),
        ("payment_method_options[card]", fields::<CardOptions>()),
        ("branding_settings", fields::<BrandingSettings>()),
        ("invoice_creation", fields::<InvoiceCreation>()),
        ("after_expiration", fields::<AfterExpiration>()),
        ("after_expiration[recovery]", fields::<Recovery>()),
        ("saved_payment_method_options", fields::<SavedPaymentMethodOptions>()),
        ("permissions", fields::<Permissions>()),
        ("name_collection", fields::<NameCollection>()),
        ("wallet_options", fields::<WalletOptions>()),
        ("custom_text", fields::<CustomText>()),
        ("consent_collection", fields::<ConsentCollection>()),
        ("automatic_tax", fields::<AutomaticTax>()),
        ("tax_id_collection", fields::<TaxIdCollection>()),
        ("adaptive_pricing", fields::<Enabled>()),
        ("managed_payments", fields::<Enabled>()),
        ("phone_number_collection", fields::<Enabled>()),
    ]
}

pub fn nested_update() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("payment_intent_data", fields::<PaymentIntentDataUpdate>()),
        ("collected_information", fields::<CollectedInformation>()),
    ]
}

/// `POST /v1/checkout/sessions`.
pub fn create_rows() -> Vec<Row> {
    let mut rows = core_rows();
    rows.extend(passed_on_rows());
    rows.extend(option_rows());
    rows
}

const PAYMENT: [(&str, &str); 2] = [("mode", "payment"), ("success_url", OK_URL)];

#[rustfmt::skip]
fn core_rows() -> Vec<Row> {
    let need = |p| Is::Applied(Effect::ConfirmNeeds(p));
    let page = |t| Is::Applied(Effect::Page(t));
    vec![
        row("mode", Bare, &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)], stored("/mode", json!("setup"))),
        row("mode", Bare, &[("mode", "subscription"), ("success_url", OK_URL), LINE[0], LINE[1]], refused("mode")),
        row("line_items", Bare, &[PAYMENT[0], PAYMENT[1], LINE[0], ("line_items[0][quantity]", "3")], shows("/amount_total", json!(1500))),
        row("success_url", Bare, &[("mode", "payment"), LINE[0], LINE[1], ("success_url", OK_URL)], stored("/success_url", json!(OK_URL))),
        one("cancel_url", "https://shop.example/cart", Payment, stored("/cancel_url", json!("https://shop.example/cart"))),
        one("return_url", "https://shop.example/back", Elements, stored("/return_url", json!("https://shop.example/back"))),
        row("ui_mode", Bare, &[("mode", "payment"), LINE[0], LINE[1], ("ui_mode", "elements")], stored("/ui_mode", json!("elements"))),
        row("redirect_on_completion", Bare, &[("mode", "payment"), LINE[0], LINE[1], ("ui_mode", "embedded_page"), ("embed_origin", "https://shop.example"), ("redirect_on_completion", "never")], stored("/redirect_on_completion", json!("never"))),
        one("expires_at", "1760003600", Payment, stored("/expires_at", json!(1_760_003_600))),
        one("customer", "{customer}", Payment, stored("/customer", json!("{customer}"))),
        one("customer_email", "a@b.co", Payment, stored("/customer_email", json!("a@b.co"))),
        one("customer_account", "acct_1", Payment, refused("customer_account")),
        one("customer_creation", "always", Payment, stored("/customer_creation", json!("always"))),
        one("client_reference_id", "order-7", Payment, stored("/client_reference_id", json!("order-7"))),
        row("metadata", Payment, &[("metadata[k]", "v")], stored("/metadata", json!({"k": "v"}))),
        row("currency", Bare, &[("mode", "setup"), ("success_url", OK_URL), ("currency", "eur")], stored("/currency", json!("eur"))),
        one("allow_promotion_codes", "true", Payment, stored("/allow_promotion_codes", json!(true))),
        row("discounts", Payment, &[("discounts[0][coupon]", "{coupon}")], shows("/total_details/amount_discount", json!(50))),
        one("locale", "de", Payment, stored("/locale", json!("de"))),
        one("submit_type", "donate", Payment, stored("/submit_type", json!("donate"))),
        one("billing_address_collection", "required", Payment, need("customer_details[address]")),
        row("shipping_address_collection", Shipping, &[], need("shipping_details[address][line1]")),
        row("shipping_options", Payment, &[("shipping_options[0][shipping_rate]", "{rate}")], shows("/shipping_options/0/shipping_amount", json!(300))),
        one("phone_number_collection[enabled]", "true", Payment, need("customer_details[phone]")),
        row("custom_fields", Payment, &[("custom_fields[0][key]", "note"), ("custom_fields[0][label][type]", "custom"), ("custom_fields[0][label][custom]", "Gift note"), ("custom_fields[0][type]", "text")], page("Gift note")),
        one("custom_text[submit][message]", "Ships in two days", Payment, page("Ships in two days")),
        one("custom_text[after_submit][message]", "Thank you", Payment, page("Thank you")),
        one("custom_text[shipping_address][message]", "No PO boxes", Shipping, page("No PO boxes")),
        one("custom_text[submit][message]", "Ships in two days", Payment, stored("/custom_text", json!({"after_submit": null, "shipping_address": null, "submit": {"message": "Ships in two days"}, "terms_of_service_acceptance": null}))),
        one("custom_text[terms_of_service_acceptance][message]", "I agree", Payment, refused("custom_text[terms_of_service_acceptance]")),
        one("consent_collection[promotions]", "auto", Payment, stored("/consent_collection/promotions", json!("auto"))),
        one("consent_collection[terms_of_service]", "required", Payment, refused("consent_collection[terms_of_service]")),
        one("consent_collection[payment_method_reuse_agreement][position]", "hidden", Payment, stored("/consent_collection/payment_method_reuse_agreement", json!({"position": "hidden"}))),
        one("automatic_tax[enabled]", "true", Payment, refused("automatic_tax[enabled]")),
        one("automatic_tax[enabled]", "false", Payment, stored("/automatic_tax/enabled", json!(false))),
        row("automatic_tax[liability]", Payment, &[("automatic_tax[enabled]", "false"), ("automatic_tax[liability][type]", "self")], refused("automatic_tax[liability]")),
        one("tax_id_collection[enabled]", "true", Payment, refused("tax_id_collection[enabled]")),
        row("tax_id_collection[required]", Payment, &[("tax_id_collection[enabled]", "false"), ("tax_id_collection[required]", "if_supported")], stored("/tax_id_collection", json!({"enabled": false, "required": "if_supported"}))),
        one("payment_method_types[0]", "card", Payment, stored("/payment_method_types", json!(["card"]))),
        row("payment_method_types", Payment, &[("payment_method_types[0]", "card"), ("payment_method_types[1]", "ideal")], refused("payment_method_types[1]")),
        one("allowed_payment_method_types[0]", "card", Payment, stored("/allowed_payment_method_types", json!(["card"]))),
        row("allowed_payment_method_types", Payment, &[("allowed_payment_method_types[0]", "card"), ("allowed_payment_method_types[1]", "ideal")], refused("allowed_payment_method_types[1]")),
        one("excluded_payment_method_types[0]", "ideal", Payment, stored("/excluded_payment_method_types", json!(["ideal"]))),
        one("excluded_payment_method_types[0]", "card", Payment, refused("excluded_payment_method_types")),
        one("payment_method_collection", "if_required", Payment, refused("payment_method_collection")),
        one("payment_method_configuration", "pmc_123", Payment, refused("payment_method_configuration")),
        one("processor_route", "{route}", Payment, paid(Obj::PaymentIntent, &[], "/attempts/0/processor", json!("test"))),
        one("card_tokenization_mode", "direct", Payment, stored("/card_tokenization_mode", json!("direct"))),
        one("card_tokenization_mode", "vgs", Payment, refused("card_tokenization_mode")),
        one("cascade_tiers[0][processor_route]", "{route}", Payment, shows("/cascade_status/current_tier", json!(0))),
        row("after_completion", Bare, &[("mode", "payment"), LINE[0], LINE[1], ("after_completion[type]", "hosted_confirmation"), ("after_completion[hosted_confirmation][custom_message]", "Thanks")], stored("/after_completion/type", json!("hosted_confirmation"))),
        row("embed_origin", Bare, &[("mode", "payment"), LINE[0], LINE[1], ("ui_mode", "embedded_page"), ("return_url", "https://shop.example/r"), ("embed_origin", "https://www.shop.example")], stored("/embed_origin", json!("https://www.shop.example"))),
        one("integration_identifier", "shop-v2", Payment, stored("/integration_identifier", json!("shop-v2"))),
        one("origin_context", "web", Payment, stored("/origin_context", json!("web"))),
        one("subscription_data[description]", "Plan", Payment, refused("subscription_data")),
    ]
}

/// What reaches the PaymentIntent, SetupIntent, Customer and PaymentMethod.
#[rustfmt::skip]
fn passed_on_rows() -> Vec<Row> {
    let pi = |at, want| paid(Obj::PaymentIntent, &[], at, want);
    let seti = |at, want| paid(Obj::SetupIntent, &[], at, want);
    vec![
        one("payment_intent_data[description]", "Order 7", Payment, pi("/description", json!("Order 7"))),
        one("payment_intent_data[metadata][order]", "7", Payment, pi("/metadata", json!({"order": "7"}))),
        one("payment_intent_data[receipt_email]", "r@shop.example", Payment, pi("/receipt_email", json!("r@shop.example"))),
        one("payment_intent_data[statement_descriptor]", "KASSA SHOP", Payment, refused("payment_intent_data[statement_descriptor]")),
        one("payment_intent_data[statement_descriptor_suffix]", "ORDER 7", Payment, pi("/statement_descriptor_suffix", json!("ORDER 7"))),
        one("payment_intent_data[capture_method]", "automatic", Payment, pi("/capture_method", json!("automatic"))),
        one("payment_intent_data[capture_method]", "manual", Payment, pi("/capture_method", json!("manual"))),
        one("payment_intent_data[setup_future_usage]", "off_session", Payment, pi("/setup_future_usage", json!("off_session"))),
        row("payment_intent_data[shipping]", Payment, &[("payment_intent_data[shipping][name]", "Jo"), ("payment_intent_data[shipping][address][line1]", "1 Main St")], pi("/shipping/name", json!("Jo"))),
        one("payment_intent_data[on_behalf_of]", "acct_1", Payment, refused("payment_intent_data[on_behalf_of]")),
        one("payment_intent_data[transfer_data][destination]", "acct_1", Payment, refused("payment_intent_data[transfer_data]")),
        one("payment_intent_data[application_fee_amount]", "100", Payment, refused("payment_intent_data[application_fee_amount]")),
        one("payment_intent_data[transfer_group]", "g1", Payment, refused("payment_intent_data[transfer_group]")),
        one("setup_intent_data[description]", "Card for later", Setup, seti("/description", json!("Card for later"))),
        one("setup_intent_data[metadata][plan]", "gold", Setup, seti("/metadata", json!({"plan": "gold"}))),
        one("setup_intent_data[on_behalf_of]", "acct_1", Setup, refused("setup_intent_data[on_behalf_of]")),
        one("customer_update[address]", "auto", WithCustomer, paid(Obj::Customer, &[("customer_details[address][line1]", "Hauptstr. 1"), ("customer_details[address][country]", "DE")], "/address/line1", json!("Hauptstr. 1"))),
        one("customer_update[name]", "auto", WithCustomer, paid(Obj::Customer, &[("customer_details[name]", "Erika")], "/name", json!("Erika"))),
        one("customer_update[shipping]", "auto", WithCustomerShipping, paid(Obj::Customer, &SHIP_TO, "/shipping/name", json!("Erika at work"))),
        one("payment_method_data[allow_redisplay]", "limited", Payment, paid(Obj::PaymentMethod, &[], "/allow_redisplay", json!("limited"))),
    ]
}

/// Options of the object and the page: typed echoes, what the page shows,
/// and the values kassa refuses.
#[rustfmt::skip]
fn option_rows() -> Vec<Row> {
    vec![
        one("payment_method_options[card][request_three_d_secure]", "automatic", Payment, stored("/payment_method_options", json!({"card": {"request_three_d_secure": "automatic"}}))),
        one("payment_method_options[card][request_three_d_secure]", "challenge", Payment, refused("payment_method_options[card][request_three_d_secure]")),
        one("payment_method_options[card][installments][enabled]", "false", Payment, stored("/payment_method_options/card/installments", json!({"enabled": false}))),
        one("payment_method_options[card][installments][enabled]", "true", Payment, refused("payment_method_options[card][installments][enabled]")),
        one("payment_method_options[card][capture_method]", "manual", Payment, refused("payment_method_options[card][capture_method]")),
        one("payment_method_options[card][setup_future_usage]", "off_session", Payment, refused("payment_method_options[card][setup_future_usage]")),
        one("payment_method_options[card][request_extended_authorization]", "if_available", Payment, refused("payment_method_options[card][request_extended_authorization]")),
        one("payment_method_options[card][request_incremental_authorization]", "never", Payment, stored("/payment_method_options/card/request_incremental_authorization", json!("never"))),
        one("payment_method_options[card][request_multicapture]", "if_available", Payment, refused("payment_method_options[card][request_multicapture]")),
        one("payment_method_options[card][request_overcapture]", "never", Payment, stored("/payment_method_options/card/request_overcapture", json!("never"))),
        one("payment_method_options[card][restrictions][brands_blocked][0]", "amex", Payment, refused("payment_method_options[card][restrictions]")),
        one("payment_method_options[card][statement_descriptor_suffix_kana]", "KASSA", Payment, refused("payment_method_options[card][statement_descriptor_suffix_kana]")),
        one("payment_method_options[card][statement_descriptor_suffix_kanji]", "KASSA", Payment, refused("payment_method_options[card][statement_descriptor_suffix_kanji]")),
        one("branding_settings[display_name]", "Acme Roasters", Payment, Is::Applied(Effect::Page("Acme Roasters"))),
        one("branding_settings[display_name]", "Acme Roasters", Payment, stored("/branding_settings/display_name", json!("Acme Roasters"))),
        one("branding_settings[background_color]", "#ffffff", Payment, refused("branding_settings[background_color]")),
        one("branding_settings[border_style]", "pill", Payment, refused("branding_settings[border_style]")),
        one("branding_settings[button_color]", "#000000", Payment, refused("branding_settings[button_color]")),
        one("branding_settings[font_family]", "roboto", Payment, refused("branding_settings[font_family]")),
        row("branding_settings[icon]", Payment, &[("branding_settings[icon][type]", "url"), ("branding_settings[icon][url]", "https://shop.example/i.png")], refused("branding_settings[icon]")),
        row("branding_settings[logo]", Payment, &[("branding_settings[logo][type]", "url"), ("branding_settings[logo][url]", "https://shop.example/l.png")], refused("branding_settings[logo]")),
        one("invoice_creation[enabled]", "false", Payment, stored("/invoice_creation/enabled", json!(false))),
        one("invoice_creation[enabled]", "true", Payment, refused("invoice_creation[enabled]")),
        row("invoice_creation[invoice_data]", Payment, &[("invoice_creation[enabled]", "false"), ("invoice_creation[invoice_data][footer]", "x")], refused("invoice_creation[invoice_data]")),
        one("after_expiration[recovery][enabled]", "false", Payment, stored("/after_expiration/recovery", json!({"allow_promotion_codes": false, "enabled": false, "expires_at": null, "url": null}))),
        one("after_expiration[recovery][enabled]", "true", Payment, refused("after_expiration[recovery][enabled]")),
        row("after_expiration[recovery][allow_promotion_codes]", Payment, &[("after_expiration[recovery][enabled]", "false"), ("after_expiration[recovery][allow_promotion_codes]", "true")], stored("/after_expiration/recovery/allow_promotion_codes", json!(true))),
        one("saved_payment_method_options[allow_redisplay_filters][0]", "always", Payment, stored("/saved_payment_method_options/allow_redisplay_filters", json!(["always"]))),
        one("saved_payment_method_options[payment_method_remove]", "disabled", Payment, stored("/saved_payment_method_options/payment_method_remove", json!("disabled"))),
        one("saved_payment_method_options[payment_method_save]", "disabled", Payment, stored("/saved_payment_method_options/payment_method_save", json!("disabled"))),
        one("saved_payment_method_options[payment_method_save]", "enabled", Payment, refused("saved_payment_method_options[payment_method_save]")),
        one("permissions[update_shipping_details]", "server_only", Payment, stored("/permissions", json!({"update_shipping_details": "server_only"}))),
        row("optional_items", Payment, &[("optional_items[0][price]", "{price}"), ("optional_items[0][quantity]", "1")], refused("optional_items")),
        row("name_collection[business]", Payment, &[("name_collection[business][enabled]", "false"), ("name_collection[business][optional]", "true")], stored("/name_collection", json!({"business": {"enabled": false, "optional": true}, "individual": null}))),
        one("name_collection[individual][enabled]", "true", Payment, refused("name_collection[individual][enabled]")),
        one("adaptive_pricing[enabled]", "false", Payment, stored("/adaptive_pricing", json!({"enabled": false}))),
        one("adaptive_pricing[enabled]", "true", Payment, refused("adaptive_pricing[enabled]")),
        one("managed_payments[enabled]", "false", Payment, stored("/managed_payments", json!({"enabled": false}))),
        one("managed_payments[enabled]", "true", Payment, refused("managed_payments[enabled]")),
        one("wallet_options[link][display]", "never", Payment, stored("/wallet_options", json!({"link": {"display": "never"}}))),
    ]
}

/// The merchant's `POST /v1/checkout/sessions/{id}` (a row's base is the
/// session it updates).
#[rustfmt::skip]
pub fn update_rows() -> Vec<Row> {
    let pid = |param, value, at, want| one(param, value, Elements, paid(Obj::PaymentIntent, &[], at, want));
    vec![
        row("metadata", Payment, &[("metadata[k]", "v")], stored("/metadata", json!({"k": "v"}))),
        row("line_items", Payment, &[LINE[0], ("line_items[0][quantity]", "2")], shows("/amount_total", json!(1000))),
        row("collected_information[shipping_details]", Elements, &[("collected_information[shipping_details][name]", "Jo"), ("collected_information[shipping_details][address][line1]", "1 Main St"), ("collected_information[shipping_details][address][country]", "US")], stored("/collected_information/shipping_details/name", json!("Jo"))),
        row("shipping_options", Payment, &[("shipping_options[0][shipping_rate]", "{rate}")], shows("/shipping_options/0/shipping_amount", json!(300))),
        pid("payment_intent_data[description]", "Order 9", "/description", json!("Order 9")),
        pid("payment_intent_data[metadata][order]", "9", "/metadata", json!({"order": "9"})),
        pid("payment_intent_data[setup_future_usage]", "on_session", "/setup_future_usage", json!("on_session")),
        one("payment_intent_data[statement_descriptor]", "KASSA SHOP", Elements, refused("payment_intent_data[statement_descriptor]")),
        pid("payment_intent_data[statement_descriptor_suffix]", "ORDER 9", "/statement_descriptor_suffix", json!("ORDER 9")),
        one("payment_intent_data[description]", "Order 9", Payment, refused("payment_intent_data")),
    ]
}
