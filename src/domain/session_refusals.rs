//! What kassa does not do, refused with a 400 naming the param and saying
//! what it takes instead (subscriptions, Connect, automatic tax, consent
//! collection, payment methods other than cards); and the checks of what a
//! session passes on to other objects.

use super::fields::FieldError;
use super::session_params::*;
use super::session_rules::one_of;

/// Everything in this module, in the order a caller meets it.
pub fn check(p: &CreateParams) -> Result<(), FieldError> {
    if p.subscription_data.is_some() {
        return Err(no_subscriptions("subscription_data"));
    }
    if p.customer_account.is_some() {
        return Err(FieldError::invalid(
            "customer_account",
            "`customer_account` names a Connect account, which kassa does not implement: use `customer`.",
        ));
    }
    if p.automatic_tax.as_ref().is_some_and(|a| a.enabled) {
        return Err(FieldError::invalid(
            "automatic_tax[enabled]",
            "Automatic tax is not available: kassa calculates no tax itself. Use `tax_rates` on line items instead.",
        ));
    }
    if p.automatic_tax.as_ref().is_some_and(|a| a.liability.is_some()) {
        return Err(FieldError::invalid(
            "automatic_tax[liability]",
            "Automatic tax is not available: kassa calculates no tax itself. Use `tax_rates` on line items instead.",
        ));
    }
    if let Some(c) = &p.consent_collection {
        if let Some(v) = &c.promotions {
            one_of("consent_collection[promotions]", v, &["auto", "none"])?;
        }
        if let Some(v) = &c.terms_of_service {
            one_of("consent_collection[terms_of_service]", v, &["none", "required"])?;
            if v == "required" {
                return Err(FieldError::invalid("consent_collection[terms_of_service]", "Consent to terms of service is not available: kassa's payment page collects no consent (`none` is supported)."));
            }
        }
        if let Some(a) = &c.payment_method_reuse_agreement {
            one_of("consent_collection[payment_method_reuse_agreement][position]", &a.position, &["auto", "hidden"])?;
        }
    }
    if let Some(t) = &p.tax_id_collection {
        if let Some(r) = &t.required {
            one_of("tax_id_collection[required]", r, &["if_supported", "never"])?;
        }
        if t.enabled {
            return Err(FieldError::invalid(
                "tax_id_collection[enabled]",
                "Tax ID collection is not available: kassa's payment page collects no tax IDs.",
            ));
        }
    }
    payment_method_types(p)?;
    check_passed_on(p)
}

/// kassa takes cards: other types are refused, not filtered out.
fn payment_method_types(p: &CreateParams) -> Result<(), FieldError> {
    for (param, list) in [
        ("payment_method_types", &p.payment_method_types),
        ("allowed_payment_method_types", &p.allowed_payment_method_types),
    ] {
        if let Some(types) = list {
            if types.is_empty() || !types.iter().any(|t| PAYMENT_METHOD_TYPES.contains(&t.as_str())) {
                return Err(FieldError::invalid(
                    param,
                    "None of these payment method types is available: kassa takes `card`.",
                ));
            }
            for (i, t) in types.iter().enumerate() {
                if !PAYMENT_METHOD_TYPES.contains(&t.as_str()) {
                    return Err(FieldError {
                        param: format!("{param}[{i}]"),
                        code: "parameter_invalid_enum",
                        message: format!("Invalid {param}[{i}]: kassa takes `card` only."),
                    });
                }
            }
        }
    }
    if let Some(ex) = &p.excluded_payment_method_types {
        if ex.iter().any(|t| t == "card") {
            return Err(FieldError::invalid(
                "excluded_payment_method_types",
                "Excluding `card` leaves no payment method kassa can take.",
            ));
        }
    }
    Ok(())
}

pub fn no_subscriptions(param: &str) -> FieldError {
    FieldError::invalid(
        param,
        "Subscriptions are not available yet: kassa creates no subscriptions, and will not take a one-time payment \
         in their place. Use `mode=payment` or `mode=setup`.",
    )
}

/// What the session passes on to other objects, and the typed options.
fn check_passed_on(p: &CreateParams) -> Result<(), FieldError> {
    if let Some(d) = &p.payment_intent_data {
        super::intent_data::payment_intent_data(d)?;
    }
    if let Some(d) = &p.setup_intent_data {
        super::intent_data::setup_intent_data(d)?;
    }
    if let Some(c) = &p.customer_update {
        super::intent_data::customer_update(c)?;
    }
    if let Some(o) = &p.payment_method_options {
        super::payment_method_options::check(o)?;
    }
    super::session_options::check(p)
}

/// A stored session in a mode kassa cannot take payment for (made before
/// subscriptions were refused at create) is never charged.
pub fn payable(s: &super::checkout_session::CheckoutSession) -> Result<(), FieldError> {
    if s.mode == super::session_params::Mode::Subscription {
        return Err(no_subscriptions("mode"));
    }
    Ok(())
}
