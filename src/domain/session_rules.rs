//! The create rules that need only the parameters (reference §1.2).

use super::fields::{max_len, FieldError};
use super::session_params::*;

pub fn exclusive(a: &str, b: &str) -> FieldError {
    FieldError {
        param: b.into(),
        code: "parameters_exclusive",
        message: format!("You may only specify one of these parameters: {a}, {b}."),
    }
}

pub fn missing(param: &str) -> FieldError {
    FieldError { param: param.into(), code: "parameter_missing", message: format!("Missing required param: {param}.") }
}

pub fn one_of(param: &str, value: &str, allowed: &[&str]) -> Result<(), FieldError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(FieldError {
            param: param.into(),
            code: "parameter_invalid_enum",
            message: format!("Invalid {param}: must be one of {}", allowed.join(", ")),
        })
    }
}

fn only_in(param: &str, mode: Mode, allowed: &[Mode]) -> Result<(), FieldError> {
    if allowed.contains(&mode) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    Err(FieldError::invalid(param, format!("`{param}` can only be used in `{}` mode.", names.join("` or `"))))
}

/// An absolute http(s) URL of at most 5000 characters.
pub fn check_url(param: &str, s: &str) -> Result<(), FieldError> {
    max_len(param, s, 5000)?;
    // Whitespace and control characters would be silently dropped by the
    // parser but kept in the stored string, which must work as a Location.
    let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control());
    let ok =
        clean && url::Url::parse(s).ok().is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok {
        Ok(())
    } else {
        Err(FieldError {
            param: param.into(),
            code: "url_invalid",
            message: format!("Not a valid URL for {param}: it must be an absolute http(s) URL."),
        })
    }
}

/// The rules that need only the parameters. `now` bounds `expires_at`.
pub fn check(p: &CreateParams, now: i64) -> Result<(Mode, UiMode), FieldError> {
    let mode = p.mode.ok_or_else(|| missing("mode"))?;
    if mode == Mode::Subscription {
        return Err(super::session_refusals::no_subscriptions("mode"));
    }
    let ui = match &p.ui_mode {
        None => UiMode::HostedPage,
        Some(s) => UiMode::parse(s).ok_or_else(|| {
            FieldError { param: "ui_mode".into(), code: "parameter_invalid_enum", message: "Invalid ui_mode: must be one of hosted_page, embedded_page, elements, form (or hosted, embedded, custom).".into() }
        })?,
    };
    if p.customer.is_some() && p.customer_email.is_some() {
        return Err(exclusive("customer", "customer_email"));
    }
    if p.allow_promotion_codes.is_some() && p.discounts.is_some() {
        return Err(exclusive("allow_promotion_codes", "discounts"));
    }
    if p.discounts.as_ref().is_some_and(|d| d.len() > 1) {
        return Err(FieldError::invalid("discounts", "Currently, only up to one discount may be specified."));
    }
    if p.customer_update.is_some() && p.customer.is_none() {
        return Err(FieldError::invalid(
            "customer_update",
            "`customer_update` can only be provided when `customer` is provided.",
        ));
    }
    match mode {
        Mode::Payment | Mode::Subscription => {
            let items = p.line_items.as_ref().filter(|l| !l.is_empty()).ok_or_else(|| missing("line_items"))?;
            if items.len() > MAX_LINE_ITEMS {
                return Err(FieldError::invalid(
                    "line_items",
                    format!("Invalid line_items: at most {MAX_LINE_ITEMS} line items."),
                ));
            }
        }
        Mode::Setup => {
            if p.line_items.as_ref().is_some_and(|l| !l.is_empty()) {
                return Err(FieldError::invalid("line_items", "`line_items` cannot be used in `setup` mode."));
            }
            if p.currency.is_none() && p.allowed_payment_method_types.is_none() && p.payment_method_types.is_none() {
                return Err(missing("currency"));
            }
        }
    }
    if let Some(v) = &p.customer_creation {
        one_of("customer_creation", v, &["always", "if_required"])?;
        only_in("customer_creation", mode, &[Mode::Payment, Mode::Setup])?;
    }
    if let Some(v) = &p.payment_method_collection {
        one_of("payment_method_collection", v, &["always", "if_required"])?;
        only_in("payment_method_collection", mode, &[Mode::Subscription])?;
    }
    if let Some(v) = &p.submit_type {
        one_of("submit_type", v, &["auto", "book", "donate", "pay", "subscribe"])?;
        only_in("submit_type", mode, &[Mode::Payment, Mode::Subscription])?;
    }
    if p.phone_number_collection.is_some() {
        only_in("phone_number_collection", mode, &[Mode::Payment, Mode::Subscription])?;
    }
    if p.payment_intent_data.is_some() {
        only_in("payment_intent_data", mode, &[Mode::Payment])?;
    }
    if p.setup_intent_data.is_some() {
        only_in("setup_intent_data", mode, &[Mode::Setup])?;
    }
    check_ui(p, ui)?;
    check_shapes(p)?;
    super::session_refusals::check(p)?;
    if let Some(t) = p.expires_at {
        if t < now.saturating_add(MIN_EXPIRY) || t > now.saturating_add(MAX_EXPIRY) {
            return Err(FieldError::invalid(
                "expires_at",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
            ));
        }
    }
    super::cascade::check(p, mode)?;
    Ok((mode, ui))
}

fn check_ui(p: &CreateParams, ui: UiMode) -> Result<(), FieldError> {
    let not_for = |param: &str, what: &str| {
        FieldError::invalid(param, format!("`{param}` is not allowed when `ui_mode` is `{what}`."))
    };
    if ui.is_embedded() {
        if p.success_url.is_some() {
            return Err(not_for("success_url", ui.as_str()));
        }
        if p.cancel_url.is_some() {
            return Err(not_for("cancel_url", ui.as_str()));
        }
        if ui == UiMode::EmbeddedPage && p.return_url.is_none() && p.redirect_on_completion.as_deref() != Some("never")
        {
            return Err(missing("return_url"));
        }
    } else {
        if p.return_url.is_some() {
            return Err(not_for("return_url", ui.as_str()));
        }
        if p.redirect_on_completion.is_some() {
            return Err(not_for("redirect_on_completion", ui.as_str()));
        }
        // kassa's own confirmation page needs no success_url.
        match p.success_url.as_deref() {
            Some(url) => check_url("success_url", url)?,
            None if p.after_completion.is_some() => {}
            None => return Err(missing("success_url")),
        }
    }
    if let Some(u) = &p.cancel_url {
        check_url("cancel_url", u)?;
    }
    if let Some(u) = &p.return_url {
        check_url("return_url", u)?;
    }
    if let Some(r) = &p.redirect_on_completion {
        one_of("redirect_on_completion", r, &["always", "if_required", "never"])?;
        if ui != UiMode::EmbeddedPage {
            return Err(not_for("redirect_on_completion", ui.as_str()));
        }
    }
    if ui == UiMode::Elements {
        for (param, present) in [
            ("custom_fields", p.custom_fields.is_some()),
            ("custom_text", p.custom_text.is_some()),
            ("after_expiration", p.after_expiration.is_some()),
            ("submit_type", p.submit_type.is_some()),
            ("branding_settings", p.branding_settings.is_some()),
        ] {
            if present {
                return Err(not_for(param, "elements"));
            }
        }
        for (i, li) in p.line_items.iter().flatten().enumerate() {
            if li.dynamic_tax_rates.is_some() {
                return Err(not_for(&format!("line_items[{i}][dynamic_tax_rates]"), "elements"));
            }
        }
    }
    Ok(())
}

fn check_shapes(p: &CreateParams) -> Result<(), FieldError> {
    if let Some(r) = &p.client_reference_id {
        max_len("client_reference_id", r, 200)?;
    }
    if let Some(e) = &p.customer_email {
        max_len("customer_email", e, 512)?;
        if !e.contains('@') {
            return Err(FieldError {
                param: "customer_email".into(),
                code: "email_invalid",
                message: "Invalid email address.".into(),
            });
        }
    }
    if let Some(l) = &p.locale {
        one_of("locale", l, LOCALES)?;
    }
    if let Some(b) = &p.billing_address_collection {
        one_of("billing_address_collection", b, &["auto", "required"])?;
    }
    if let Some(o) = &p.origin_context {
        one_of("origin_context", o, &["mobile_app", "web"])?;
    }
    if let Some(s) = &p.shipping_address_collection {
        if s.allowed_countries.is_empty() {
            return Err(missing("shipping_address_collection[allowed_countries]"));
        }
        for (i, c) in s.allowed_countries.iter().enumerate() {
            let param = format!("shipping_address_collection[allowed_countries][{i}]");
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) || BANNED_COUNTRIES.contains(&c.as_str()) {
                return Err(FieldError::invalid(
                    param,
                    format!("Invalid country for shipping: {}", c.chars().take(10).collect::<String>()),
                ));
            }
        }
    }
    if let Some(opts) = &p.shipping_options {
        if opts.len() > 5 {
            return Err(FieldError::invalid("shipping_options", "At most 5 shipping options."));
        }
        if p.mode != Some(Mode::Payment) && !opts.is_empty() {
            return Err(FieldError::invalid(
                "shipping_options",
                "`shipping_options` can only be used in `payment` mode.",
            ));
        }
    }
    if let Some(m) = &p.card_tokenization_mode {
        one_of("card_tokenization_mode", m, &["direct", "vgs"])?;
        if m == "vgs" {
            return Err(FieldError::invalid(
                "card_tokenization_mode",
                "`vgs` tokenization needs a VGS proxy, and none is configured: use `direct` (kassa's own vault).",
            ));
        }
    }
    if let Some(c) = &p.customer_creation {
        one_of("customer_creation", c, &["always", "if_required"])?;
    }
    Ok(())
}
