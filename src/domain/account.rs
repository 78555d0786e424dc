//! The Account object (`GET`/`POST /v1/account`): the account's row (id,
//! name, created) plus the merchant's profile, kept as a document of kind
//! `account_profile`. One profile serves both modes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::fields::{emptyable, max_len, FieldError};
use super::metadata::{self, MetadataUpdate};
use super::session_rules::check_url;

/// The kind of the profile document; its id is the account id.
pub const PROFILE_KIND: &str = "account_profile";
pub const MAX_DISPLAY_NAME: usize = 100;
pub const MAX_BUSINESS_NAME: usize = 100;
pub const MAX_EMAIL: usize = 512;
pub const MAX_URL: usize = 2048;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessProfileParams {
    #[serde(default, deserialize_with = "emptyable")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub support_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub url: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// `Some(None)` (sent empty) is refused: a page needs a name.
    #[serde(default, deserialize_with = "emptyable")]
    pub display_name: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsParams {
    pub dashboard: Option<DashboardParams>,
}

/// Parameters of `POST /v1/account`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    pub business_profile: Option<BusinessProfileParams>,
    pub settings: Option<SettingsParams>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
}

/// The profile of an account that never set one.
pub fn empty_profile() -> Value {
    json!({
        "business_profile": {"name": null, "support_email": null, "url": null},
        "settings": {"dashboard": {"display_name": null}},
        "metadata": {},
    })
}

/// The Account object, from the account's row and its profile document.
pub fn render(id: &str, created: i64, profile: &Value) -> Value {
    let empty = empty_profile();
    let part = |k: &str| profile.get(k).cloned().unwrap_or_else(|| empty[k].clone());
    json!({
        "id": id,
        "object": "account",
        "business_profile": part("business_profile"),
        "settings": part("settings"),
        "created": created,
        "charges_enabled": true,
        "payouts_enabled": false,
        "type": "standard",
        "country": null,
        "default_currency": null,
        "email": null,
        "metadata": part("metadata"),
    })
}

/// What the hosted pages call the merchant: `settings.dashboard.display_name`,
/// else `business_profile.name`, else the account's own name.
pub fn display_name(account_name: &str, profile: Option<&Value>) -> String {
    profile.and_then(profile_name).unwrap_or_else(|| account_name.to_owned())
}

/// The name the profile gives, if any (display name, else business name).
pub fn profile_name(profile: &Value) -> Option<String> {
    let named = |v: &Value| v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    named(&profile["settings"]["dashboard"]["display_name"]).or_else(|| named(&profile["business_profile"]["name"]))
}

/// Sets `key` of `obj` from an emptyable parameter (empty clears it).
fn set_text(obj: &mut Map<String, Value>, key: &str, v: &Option<Option<String>>) {
    match v {
        None => {}
        Some(None) => {
            obj.insert(key.into(), Value::Null);
        }
        Some(Some(s)) => {
            obj.insert(key.into(), json!(s));
        }
    }
}

fn check_email(param: &str, email: &str) -> Result<(), FieldError> {
    max_len(param, email, MAX_EMAIL)?;
    let ok = match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if !ok || email.chars().any(char::is_whitespace) {
        return Err(FieldError {
            param: param.into(),
            code: "email_invalid",
            message: format!("Invalid email address: {}", email.chars().take(100).collect::<String>()),
        });
    }
    Ok(())
}

fn business_profile(current: &Value, p: &BusinessProfileParams) -> Result<Value, FieldError> {
    if let Some(Some(n)) = &p.name {
        max_len("business_profile[name]", n, MAX_BUSINESS_NAME)?;
    }
    if let Some(Some(e)) = &p.support_email {
        check_email("business_profile[support_email]", e)?;
    }
    if let Some(Some(u)) = &p.url {
        max_len("business_profile[url]", u, MAX_URL)?;
        check_url("business_profile[url]", u)?;
    }
    let mut out = current.as_object().cloned().unwrap_or_default();
    set_text(&mut out, "name", &p.name);
    set_text(&mut out, "support_email", &p.support_email);
    set_text(&mut out, "url", &p.url);
    Ok(Value::Object(out))
}

fn settings(current: &Value, p: &SettingsParams) -> Result<Value, FieldError> {
    let mut out = current.as_object().cloned().unwrap_or_default();
    let Some(d) = &p.dashboard else {
        return Ok(Value::Object(out));
    };
    let mut dashboard = out.get("dashboard").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(name) = &d.display_name {
        let param = "settings[dashboard][display_name]";
        let name = match name {
            Some(n) if !n.trim().is_empty() => n,
            _ => return Err(FieldError::invalid(param, format!("Invalid {param}: must not be empty."))),
        };
        max_len(param, name, MAX_DISPLAY_NAME)?;
        dashboard.insert("display_name".into(), json!(name));
    }
    out.insert("dashboard".into(), Value::Object(dashboard));
    Ok(Value::Object(out))
}

/// The profile after applying `p`; what is not named is left alone.
pub fn update(current: &Value, p: &AccountParams) -> Result<Value, FieldError> {
    let empty = empty_profile();
    let mut doc = empty.as_object().cloned().unwrap_or_default();
    if let Some(cur) = current.as_object() {
        doc.extend(cur.clone());
    }
    if let Some(bp) = &p.business_profile {
        let next = business_profile(&doc["business_profile"], bp)?;
        doc.insert("business_profile".into(), next);
    }
    if let Some(s) = &p.settings {
        let next = settings(&doc["settings"], s)?;
        doc.insert("settings".into(), next);
    }
    if let Some(m) = &p.metadata {
        let update = match m {
            None => MetadataUpdate::Clear,
            Some(m) => MetadataUpdate::Merge(m.clone()),
        };
        let current: BTreeMap<String, String> = serde_json::from_value(doc["metadata"].clone()).unwrap_or_default();
        let next = metadata::apply(&current, &update).map_err(|e| FieldError::invalid(e.param(), e.to_string()))?;
        doc.insert("metadata".into(), json!(next));
    }
    Ok(Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(display: Option<Option<&str>>, name: Option<Option<&str>>) -> AccountParams {
        AccountParams {
            business_profile: Some(BusinessProfileParams {
                name: name.map(|n| n.map(str::to_owned)),
                ..Default::default()
            }),
            settings: Some(SettingsParams {
                dashboard: Some(DashboardParams { display_name: display.map(|d| d.map(str::to_owned)) }),
            }),
            metadata: None,
        }
    }

    #[test]
    fn the_display_name_falls_back_to_the_business_then_the_account_name() {
        assert_eq!(display_name("acct name", None), "acct name");
        let p = update(&empty_profile(), &params(None, Some(Some("Shop Ltd")))).unwrap();
        assert_eq!(display_name("acct name", Some(&p)), "Shop Ltd");
        let p = update(&p, &params(Some(Some("The Shop")), None)).unwrap();
        assert_eq!(display_name("acct name", Some(&p)), "The Shop");
        assert_eq!(p["business_profile"]["name"], "Shop Ltd");
        let p = update(&p, &params(None, Some(None))).unwrap();
        assert_eq!(p["business_profile"]["name"], Value::Null);
        assert_eq!(display_name("acct name", Some(&p)), "The Shop");
    }

    #[test]
    fn display_names_must_be_short_and_not_empty() {
        let param = "settings[dashboard][display_name]";
        for bad in [Some(""), Some("  "), None] {
            let e = update(&empty_profile(), &params(Some(bad), None)).unwrap_err();
            assert_eq!((e.param.as_str(), e.code), (param, "parameter_invalid"));
        }
        let long = "x".repeat(MAX_DISPLAY_NAME + 1);
        let e = update(&empty_profile(), &params(Some(Some(&long)), None)).unwrap_err();
        assert_eq!(e.code, "parameter_invalid_string_length");
        let ok = "é".repeat(MAX_DISPLAY_NAME);
        assert!(update(&empty_profile(), &params(Some(Some(&ok)), None)).is_ok());
    }

    #[test]
    fn the_object_has_stripes_shape() {
        let a = render("acct_1", 7, &empty_profile());
        assert_eq!(a["object"], "account");
        assert_eq!(a["settings"]["dashboard"]["display_name"], Value::Null);
        assert_eq!(a["metadata"], json!({}));
        assert_eq!((a["charges_enabled"].as_bool(), a["payouts_enabled"].as_bool()), (Some(true), Some(false)));
    }

    #[test]
    fn support_email_and_url_are_checked() {
        let p = AccountParams {
            business_profile: Some(BusinessProfileParams {
                support_email: Some(Some("nope".into())),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(update(&empty_profile(), &p).unwrap_err().param, "business_profile[support_email]");
        let p = AccountParams {
            business_profile: Some(BusinessProfileParams { url: Some(Some("ftp://x".into())), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(update(&empty_profile(), &p).unwrap_err().param, "business_profile[url]");
    }
}
