//! What the session asks of the buyer at confirm: a billing address, a
//! phone, a shipping address.

use serde::Deserialize;

use crate::domain::checkout_session::{BillingAddressCollection, CollectedInformation};
use crate::domain::customer::Address;
use crate::domain::fields::max_len;
use crate::domain::session::CheckoutSession;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ConfirmShippingDetails)]
#[serde(deny_unknown_fields)]
pub struct ShippingDetails {
    pub name: Option<String>,
    pub address: Option<Address>,
}

/// What the confirm request carried, as far as these checks care.
pub struct Given<'a> {
    pub shipping: Option<&'a ShippingDetails>,
    pub billing_address: bool,
    pub phone: bool,
    /// A saved payment method brings its own billing details.
    pub saved_method: bool,
}

/// Refuses a confirm that lacks what the session collects, and records the
/// shipping details on the session.
pub fn apply(doc: &mut CheckoutSession, g: Given<'_>) -> ApiResult<()> {
    let required = doc.billing_address_collection == BillingAddressCollection::Required;
    if required && !g.billing_address && !g.saved_method {
        return Err(ApiError::missing_param("customer_details[address]"));
    }
    if doc.phone_number_collection.enabled && !g.phone {
        return Err(ApiError::missing_param("customer_details[phone]"));
    }
    let allowed: Vec<String> =
        doc.shipping_address_collection.as_ref().map(|s| s.allowed_countries.clone()).unwrap_or_default();
    let Some(sd) = g.shipping else {
        if !allowed.is_empty() && doc.collected_information.is_none() {
            return Err(ApiError::missing_param("shipping_details[address][line1]"));
        }
        return Ok(());
    };
    if allowed.is_empty() {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "shipping_details",
            "This Checkout Session does not collect a shipping address.",
        ));
    }
    let a = sd.address.clone().unwrap_or_default();
    let need = |v: &Option<String>, f: &str| -> ApiResult<()> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(()),
            _ => Err(ApiError::missing_param(&format!("shipping_details[{f}]"))),
        }
    };
    need(&sd.name, "name")?;
    need(&a.line1, "address][line1")?;
    need(&a.country, "address][country")?;
    for (f, v, max) in [("name", &sd.name, 256), ("address][line1", &a.line1, 200), ("address][city", &a.city, 200)] {
        if let Some(v) = v {
            max_len(&format!("shipping_details[{f}]"), v, max)?;
        }
    }
    if !a.country.as_ref().is_some_and(|c| allowed.contains(c)) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "shipping_details[address][country]",
            "This Checkout Session does not ship to that country.",
        ));
    }
    doc.collected_information = Some(CollectedInformation::shipping(sd.name.clone(), a));
    Ok(())
}
