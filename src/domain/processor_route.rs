//! Processor routes (`prt_…`, seed 000): an ordered list of processors tried
//! as a fallback chain. Every account also has the built-in route `test`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::document::Document;
use super::fields::{max_len, FieldError};
use super::outbound::{self, UrlPolicy};
use super::session_rules::check_url;

pub const KIND: &str = "processor_route";
pub const BUILTIN: &str = "test";
pub const MAX_PROCESSORS: usize = 10;
const DEFAULT_TIMEOUT_MS: i64 = 10_000;

crate::wire_name!(ProcessorRouteObject, "processor_route");

/// What a processor of a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessorType {
    /// The built-in test processor (test mode only).
    Test,
    /// A processor reached over HTTP at `url`.
    Http,
}

impl ProcessorType {
    fn as_str(self) -> &'static str {
        match self {
            ProcessorType::Test => "test",
            ProcessorType::Http => "http",
        }
    }
}

/// One processor of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteProcessor {
    #[serde(rename = "type")]
    pub kind: ProcessorType,
    /// Unique within the route.
    pub name: String,
    /// Without a trailing slash; `None` for the test processor.
    pub url: Option<String>,
    pub timeout_ms: i64,
}

/// A stored processor route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessorRoute {
    pub id: String,
    #[schema(value_type = String)]
    pub object: ProcessorRouteObject,
    pub created: i64,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub name: Option<String>,
    pub processors: Vec<RouteProcessor>,
}

impl Document for ProcessorRoute {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "prt";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
}

impl ProcessorRoute {
    /// Whether it holds a processor other than `http` (which live mode refuses).
    pub fn has_test(&self) -> bool {
        self.processors.iter().any(|p| p.kind != ProcessorType::Http)
    }
}

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
    pub metadata: Option<BTreeMap<String, String>>,
}

/// The processor at `processors[i]`, checked.
fn processor(i: usize, p: &ProcessorParam, livemode: bool, urls: UrlPolicy) -> Result<RouteProcessor, FieldError> {
    let at = |f: &str| format!("processors[{i}][{f}]");
    let timeout = p.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(50..=60_000).contains(&timeout) {
        return Err(FieldError::invalid(at("timeout_ms"), "timeout_ms must be 50 to 60000."));
    }
    if let Some(n) = &p.name {
        max_len(&at("name"), n, 100)?;
    }
    let kind = match p.kind.as_str() {
        "test" if livemode => {
            return Err(FieldError::invalid(
                at("type"),
                "The `test` processor takes test-mode payments only: a live-mode route needs `http` processors.",
            ))
        }
        "test" => {
            if p.url.is_some() {
                return Err(FieldError::invalid(at("url"), "The test processor takes no url."));
            }
            ProcessorType::Test
        }
        "http" => {
            let url = p.url.as_deref().ok_or_else(|| FieldError {
                param: at("url"),
                code: "parameter_missing",
                message: format!("Missing required param: {}.", at("url")),
            })?;
            check_url(&at("url"), url)?;
            outbound::check(&at("url"), url, urls)?;
            ProcessorType::Http
        }
        _ => {
            return Err(FieldError {
                param: at("type"),
                code: "parameter_invalid_enum",
                message: "Invalid type: must be one of test, http.".into(),
            })
        }
    };
    let name = p.name.clone().unwrap_or_else(|| format!("{}-{i}", kind.as_str()));
    if name == BUILTIN && kind != ProcessorType::Test {
        return Err(FieldError::invalid(at("name"), "The name `test` belongs to the test processor."));
    }
    let url = p.url.as_ref().map(|u| u.trim_end_matches('/').to_owned());
    Ok(RouteProcessor { kind, name, url, timeout_ms: timeout })
}

/// A new route. `urls`: what an `http` processor's url may point at (live
/// mode: public https only, since it receives card numbers).
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    p: &RouteParams,
    urls: UrlPolicy,
) -> Result<ProcessorRoute, FieldError> {
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
    let mut out: Vec<RouteProcessor> = Vec::new();
    for (i, param) in list.iter().enumerate() {
        let next = processor(i, param, livemode, urls)?;
        if out.iter().any(|p| p.name == next.name) {
            return Err(FieldError::invalid(
                format!("processors[{i}][name]"),
                "Processor names must be unique within a route.",
            ));
        }
        out.push(next);
    }
    if let Some(n) = &p.name {
        max_len("name", n, 200)?;
    }
    Ok(ProcessorRoute {
        id: id.to_owned(),
        object: ProcessorRouteObject,
        created: now,
        livemode,
        metadata: p.metadata.clone().unwrap_or_default(),
        name: p.name.clone(),
        processors: out,
    })
}

/// The built-in route, as an object.
pub fn builtin(livemode: bool) -> ProcessorRoute {
    ProcessorRoute {
        id: BUILTIN.to_owned(),
        object: ProcessorRouteObject,
        created: 0,
        livemode,
        metadata: BTreeMap::new(),
        name: Some("Built-in test processor".to_owned()),
        processors: vec![RouteProcessor {
            kind: ProcessorType::Test,
            name: BUILTIN.to_owned(),
            url: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: serde_json::Value) -> RouteParams {
        serde_json::from_value(v).unwrap()
    }

    fn http_route() -> ProcessorRoute {
        let p = params(json!({"name": "main", "metadata": {"a": "1"},
            "processors": [{"type": "http", "url": "https://pay.example/api/"}, {"type": "test"}]}));
        build("prt_1", false, 5, &p, UrlPolicy::Open).unwrap()
    }

    #[test]
    fn a_route_round_trips_through_storage_as_it_was_shown() {
        let r = http_route();
        let stored = serde_json::to_value(&r).unwrap();
        assert_eq!(
            stored["processors"],
            json!([{"type": "http", "name": "http-0", "url": "https://pay.example/api", "timeout_ms": 10_000},
                   {"type": "test", "name": "test-1", "url": null, "timeout_ms": 10_000}])
        );
        let back: ProcessorRoute = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, r);
        assert_eq!(r.wire(), stored, "a route has no private fields");
        assert!(r.has_test());
        assert!(r.tags().is_empty());
        let b = serde_json::to_value(builtin(false)).unwrap();
        assert_eq!(b["processors"][0], json!({"type": "test", "name": "test", "url": null, "timeout_ms": 10_000}));
        assert_eq!((b["id"].as_str(), b["object"].as_str()), (Some("test"), Some("processor_route")));
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(http_route()).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<ProcessorRoute>(v).is_err());
        let mut v = serde_json::to_value(http_route()).unwrap();
        v["processors"][0]["type"] = json!("ftp");
        assert!(serde_json::from_value::<ProcessorRoute>(v).is_err());
    }

    #[test]
    fn bad_processors_are_refused_naming_their_param() {
        let err = |v: serde_json::Value, live: bool| build("prt_1", live, 0, &params(v), UrlPolicy::Open).unwrap_err();
        assert_eq!(err(json!({}), false).param, "processors");
        assert_eq!(err(json!({"processors": [{"type": "x"}]}), false).param, "processors[0][type]");
        assert_eq!(err(json!({"processors": [{"type": "test"}]}), true).param, "processors[0][type]");
        assert_eq!(err(json!({"processors": [{"type": "http"}]}), false).code, "parameter_missing");
        let late = json!({"processors": [{"type": "test"}, {"type": "test", "timeout_ms": 10}]});
        assert_eq!(err(late, false).param, "processors[1][timeout_ms]");
        let twice = json!({"processors": [{"type": "test", "name": "a"}, {"type": "test", "name": "a"}]});
        assert_eq!(err(twice, false).param, "processors[1][name]");
        let named = json!({"processors": [{"type": "http", "url": "https://a.example", "name": "test"}]});
        assert_eq!(err(named, false).param, "processors[0][name]");
        let long = json!({"name": "n".repeat(201), "processors": [{"type": "test"}]});
        assert_eq!(err(long, false).param, "name");
    }
}
