//! Processor routes (`prt_…`, seed 000): an ordered list of processors tried
//! as a fallback chain. Every account also has the built-in route `test`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::{max_len, FieldError};
use super::outbound::{self, UrlPolicy};
use super::session_rules::check_url;

pub const KIND: &str = "processor_route";
pub const BUILTIN: &str = "test";
pub const MAX_PROCESSORS: usize = 10;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessorParam {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    pub timeout_ms: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteParams {
    pub name: Option<String>,
    pub processors: Option<Vec<ProcessorParam>>,
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
}

/// A new route. `urls`: what an `http` processor's url may point at (live
/// mode: public https only, since it receives card numbers).
pub fn build(id: &str, livemode: bool, now: i64, p: &RouteParams, urls: UrlPolicy) -> Result<Value, FieldError> {
    let list = p.processors.as_deref().unwrap_or_default();
    if list.is_empty() {
        return Err(FieldError {
            param: "processors".into(),
            code: "parameter_missing",
            message: "A route needs at least one processor.".into(),
        });
    }
    if list.len() > MAX_PROCESSORS {
        return Err(FieldError::invalid("processors", format!("A route has at most {MAX_PROCESSORS} processors.")));
    }
    let mut out = Vec::new();
    for (i, proc_) in list.iter().enumerate() {
        let at = |f: &str| format!("processors[{i}][{f}]");
        let timeout = proc_.timeout_ms.unwrap_or(10_000);
        if !(50..=60_000).contains(&timeout) {
            return Err(FieldError::invalid(at("timeout_ms"), "timeout_ms must be 50 to 60000."));
        }
        if let Some(n) = &proc_.name {
            max_len(&at("name"), n, 100)?;
        }
        match proc_.kind.as_str() {
            "test" if livemode => {
                return Err(FieldError::invalid(
                    at("type"),
                    "The `test` processor takes test-mode payments only: a live-mode route needs `http` processors.",
                ))
            }
            "test" => {
                if proc_.url.is_some() {
                    return Err(FieldError::invalid(at("url"), "The test processor takes no url."));
                }
            }
            "http" => {
                let url = proc_.url.as_deref().ok_or_else(|| FieldError {
                    param: at("url"),
                    code: "parameter_missing",
                    message: format!("Missing required param: {}.", at("url")),
                })?;
                check_url(&at("url"), url)?;
                outbound::check(&at("url"), url, urls)?;
            }
            _ => {
                return Err(FieldError {
                    param: at("type"),
                    code: "parameter_invalid_enum",
                    message: "Invalid type: must be one of test, http.".into(),
                })
            }
        }
        let name = proc_.name.clone().unwrap_or_else(|| format!("{}-{i}", proc_.kind));
        if name == "test" && proc_.kind != "test" {
            return Err(FieldError::invalid(at("name"), "The name `test` belongs to the test processor."));
        }
        if out.iter().any(|p: &Value| p["name"] == name.as_str()) {
            return Err(FieldError::invalid(at("name"), "Processor names must be unique within a route."));
        }
        out.push(json!({
            "type": proc_.kind, "name": name,
            "url": proc_.url.as_ref().map(|u| u.trim_end_matches('/').to_owned()), "timeout_ms": timeout,
        }));
    }
    if let Some(n) = &p.name {
        max_len("name", n, 200)?;
    }
    Ok(json!({
        "id": id, "object": "processor_route", "name": p.name, "processors": out, "created": now,
        "livemode": livemode, "metadata": p.metadata.clone().unwrap_or_default(),
    }))
}

/// The built-in route, as an object.
pub fn builtin(livemode: bool) -> Value {
    json!({"id": BUILTIN, "object": "processor_route", "name": "Built-in test processor",
           "processors": [{"type": "test", "name": "test", "url": null, "timeout_ms": 10_000}],
           "created": 0, "livemode": livemode, "metadata": {}})
}
