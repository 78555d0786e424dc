//! Customers (`cus_…`): the object, and how create and update parameters
//! shape it. Stripe's fields are all present, `null` when not set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::document::{Document, Never, Tag};
use super::fields::{max_len, FieldError};
use super::metadata::{self, MetadataUpdate};

pub use super::customer_params::{
    Address, CustomField, CustomerParams, InvoiceSettings, RenderingOptions, Shipping, TaxDisplay, TaxExempt,
};

pub const KIND: &str = "customer";

crate::wire_name!(CustomerObject, "customer");

/// A stored customer, exactly as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: String,
    #[schema(value_type = String)]
    pub object: CustomerObject,
    pub address: Option<Address>,
    pub balance: i64,
    pub created: i64,
    pub currency: Option<String>,
    pub default_source: Option<String>,
    pub delinquent: bool,
    pub description: Option<String>,
    /// Stripe's customer-level discount; kassa applies coupons to sessions
    /// only, so it is always null.
    #[schema(value_type = Option<Object>)]
    pub discount: Option<Never>,
    pub email: Option<String>,
    pub invoice_prefix: String,
    pub invoice_settings: CustomerInvoiceSettings,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub name: Option<String>,
    pub next_invoice_sequence: i64,
    pub phone: Option<String>,
    pub preferred_locales: Vec<String>,
    pub shipping: Option<Shipping>,
    pub tax_exempt: TaxExempt,
    pub test_clock: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInvoiceSettings {
    pub custom_fields: Option<Vec<CustomField>>,
    pub default_payment_method: Option<String>,
    pub footer: Option<String>,
    pub rendering_options: Option<CustomerRenderingOptions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRenderingOptions {
    pub amount_tax_display: Option<TaxDisplay>,
    pub template: Option<String>,
}

impl Document for Customer {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "cus";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    /// Lists filter customers by exact email.
    fn tags(&self) -> Vec<Tag> {
        self.email.iter().map(|e| ("email".to_owned(), e.clone())).collect()
    }
}

impl Customer {
    /// A new customer with Stripe's defaults, before its parameters.
    pub fn blank(id: &str, livemode: bool, now: i64, invoice_prefix: &str) -> Self {
        Customer {
            id: id.to_owned(),
            object: CustomerObject,
            address: None,
            balance: 0,
            created: now,
            currency: None,
            default_source: None,
            delinquent: false,
            description: None,
            discount: None,
            email: None,
            invoice_prefix: invoice_prefix.to_owned(),
            invoice_settings: CustomerInvoiceSettings::default(),
            livemode,
            metadata: BTreeMap::new(),
            name: None,
            next_invoice_sequence: 1,
            phone: None,
            preferred_locales: Vec::new(),
            shipping: None,
            tax_exempt: TaxExempt::None,
            test_clock: None,
        }
    }

    /// A new customer from the create parameters.
    pub fn create(
        id: &str,
        livemode: bool,
        now: i64,
        invoice_prefix: &str,
        p: &CustomerParams,
    ) -> Result<Self, FieldError> {
        Self::blank(id, livemode, now, invoice_prefix).apply(p)
    }

    /// The customer after `p`; fields not named are left alone.
    pub fn apply(&self, p: &CustomerParams) -> Result<Self, FieldError> {
        let mut c = self.clone();
        if let Some(a) = &p.address {
            c.address = a.as_ref().map(|a| checked_address(a, "address")).transpose()?;
        }
        if let Some(b) = p.balance {
            c.balance = b;
        }
        if let Some(Some(e)) = &p.email {
            check_email(e)?;
        }
        set_text(&mut c.description, "description", &p.description, 350)?;
        set_text(&mut c.email, "email", &p.email, 512)?;
        set_text(&mut c.name, "name", &p.name, 256)?;
        set_text(&mut c.phone, "phone", &p.phone, 20)?;
        if let Some(prefix) = &p.invoice_prefix {
            check_invoice_prefix(prefix)?;
            c.invoice_prefix = prefix.clone();
        }
        if let Some(n) = p.next_invoice_sequence {
            if n < 1 {
                return Err(FieldError::invalid(
                    "next_invoice_sequence",
                    "Invalid next_invoice_sequence: must be at least 1.",
                ));
            }
            c.next_invoice_sequence = n;
        }
        if let Some(locales) = &p.preferred_locales {
            c.preferred_locales = checked_locales(locales)?;
        }
        if let Some(s) = &p.shipping {
            c.shipping = s.as_ref().map(checked_shipping).transpose()?;
        }
        if let Some(t) = &p.tax_exempt {
            c.tax_exempt = t.unwrap_or(TaxExempt::None);
        }
        if let Some(s) = &p.invoice_settings {
            c.invoice_settings = invoice_settings(&c.invoice_settings, s)?;
        }
        if let Some(m) = &p.metadata {
            let update = m.as_ref().map_or(MetadataUpdate::Clear, |m| MetadataUpdate::Merge(m.clone()));
            c.metadata =
                metadata::apply(&c.metadata, &update).map_err(|e| FieldError::invalid(e.param(), e.to_string()))?;
        }
        Ok(c)
    }
}

fn checked_address(a: &Address, param: &str) -> Result<Address, FieldError> {
    for (name, v) in [
        ("city", &a.city),
        ("country", &a.country),
        ("line1", &a.line1),
        ("line2", &a.line2),
        ("postal_code", &a.postal_code),
        ("state", &a.state),
    ] {
        if let Some(v) = v {
            max_len(&format!("{param}[{name}]"), v, 200)?;
        }
    }
    Ok(a.clone())
}

fn checked_shipping(s: &Shipping) -> Result<Shipping, FieldError> {
    max_len("shipping[name]", &s.name, 256)?;
    if let Some(ph) = &s.phone {
        max_len("shipping[phone]", ph, 20)?;
    }
    Ok(Shipping { address: checked_address(&s.address, "shipping[address]")?, ..s.clone() })
}

fn checked_locales(locales: &[String]) -> Result<Vec<String>, FieldError> {
    if locales.len() > 10 {
        return Err(FieldError::invalid("preferred_locales", "Invalid preferred_locales: at most 10 locales."));
    }
    for (i, l) in locales.iter().enumerate() {
        max_len(&format!("preferred_locales[{i}]"), l, 20)?;
    }
    Ok(locales.to_vec())
}

fn check_email(email: &str) -> Result<(), FieldError> {
    max_len("email", email, 512)?;
    let ok = match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if !ok || email.chars().any(char::is_whitespace) {
        return Err(FieldError {
            param: "email".into(),
            code: "email_invalid",
            message: format!("Invalid email address: {}", email.chars().take(100).collect::<String>()),
        });
    }
    Ok(())
}

fn set_text(field: &mut Option<String>, key: &str, v: &Option<Option<String>>, max: usize) -> Result<(), FieldError> {
    if let Some(v) = v {
        if let Some(s) = v {
            max_len(key, s, max)?;
        }
        field.clone_from(v);
    }
    Ok(())
}

fn check_invoice_prefix(prefix: &str) -> Result<(), FieldError> {
    let ok = (3..=12).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(FieldError::invalid("invoice_prefix", "Invalid invoice_prefix: use 3 to 12 uppercase letters or numbers."))
    }
}

fn invoice_settings(
    current: &CustomerInvoiceSettings,
    s: &InvoiceSettings,
) -> Result<CustomerInvoiceSettings, FieldError> {
    let mut out = current.clone();
    if let Some(cf) = &s.custom_fields {
        if let Some(fields) = cf {
            if fields.len() > 4 {
                return Err(FieldError::invalid(
                    "invoice_settings[custom_fields]",
                    "Invalid custom_fields: at most 4.",
                ));
            }
            for (i, f) in fields.iter().enumerate() {
                max_len(&format!("invoice_settings[custom_fields][{i}][name]"), &f.name, 40)?;
                max_len(&format!("invoice_settings[custom_fields][{i}][value]"), &f.value, 140)?;
            }
        }
        out.custom_fields.clone_from(cf);
    }
    if let Some(pm) = &s.default_payment_method {
        out.default_payment_method.clone_from(pm);
    }
    if let Some(f) = &s.footer {
        if let Some(f) = f {
            max_len("invoice_settings[footer]", f, 5000)?;
        }
        out.footer.clone_from(f);
    }
    if let Some(r) = &s.rendering_options {
        out.rendering_options = r.as_ref().map(|r| CustomerRenderingOptions {
            amount_tax_display: r.amount_tax_display.flatten(),
            template: r.template.clone().flatten(),
        });
    }
    Ok(out)
}

/// What a deleted customer answers with.
pub fn deleted(id: &str) -> Value {
    json!({"id": id, "object": "customer", "deleted": true})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> CustomerParams {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_new_customer_has_every_field() {
        let c = Customer::create("cus_1", false, 10, "ABCD1234", &params(json!({"email": "a@b.c"}))).unwrap().wire();
        for f in [
            "address",
            "balance",
            "created",
            "currency",
            "default_source",
            "delinquent",
            "description",
            "discount",
            "email",
            "invoice_prefix",
            "invoice_settings",
            "livemode",
            "metadata",
            "name",
            "next_invoice_sequence",
            "phone",
            "preferred_locales",
            "shipping",
            "tax_exempt",
            "test_clock",
        ] {
            assert!(c.get(f).is_some(), "{f}");
        }
        assert_eq!(c["email"], "a@b.c");
    }

    #[test]
    fn updates_touch_only_named_fields_and_empty_unsets() {
        let c = Customer::create(
            "cus_1",
            false,
            10,
            "ABC",
            &params(json!({"email": "a@b.c", "name": "N", "metadata": {"a": "1"}})),
        )
        .unwrap();
        let u = c.apply(&params(json!({"name": null, "metadata": {"b": "2"}}))).unwrap();
        assert_eq!(u.email.as_deref(), Some("a@b.c"));
        assert_eq!(u.name, None);
        assert_eq!(u.metadata.len(), 2);
    }

    #[test]
    fn a_customer_round_trips_through_storage_and_refuses_unknown_fields() {
        let p = params(json!({
            "email": "a@b.c", "address": {"city": "Berlin"}, "tax_exempt": "reverse",
            "invoice_settings": {"rendering_options": {"amount_tax_display": "exclude_tax"}},
            "shipping": {"name": "N", "address": {"line1": "x"}},
        }));
        let c = Customer::create("cus_1", false, 10, "ABC", &p).unwrap();
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(stored["address"]["line1"], Value::Null);
        assert_eq!(stored["invoice_settings"]["rendering_options"]["template"], Value::Null);
        assert_eq!(serde_json::from_value::<Customer>(stored.clone()).unwrap(), c);
        assert_eq!(c.tags(), vec![("email".to_owned(), "a@b.c".to_owned())]);
        let mut odd = stored;
        odd["sources"] = json!([]);
        assert!(serde_json::from_value::<Customer>(odd).is_err());
    }

    #[test]
    fn bad_fields_name_their_param() {
        let e = Customer::create("cus_1", false, 10, "ABC", &params(json!({"email": "not-an-email"}))).unwrap_err();
        assert_eq!((e.param.as_str(), e.code), ("email", "email_invalid"));
        let e = Customer::create("cus_1", false, 10, "ABC", &params(json!({"invoice_prefix": "ab"}))).unwrap_err();
        assert_eq!(e.param, "invoice_prefix");
        let e = Customer::create("cus_1", false, 10, "ABC", &params(json!({"name": "x".repeat(257)}))).unwrap_err();
        assert_eq!(e.param, "name");
    }
}
