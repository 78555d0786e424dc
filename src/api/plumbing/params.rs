//! Typed parameters from a parsed request tree (form, JSON or query string).
//! Strings coerce to numbers and booleans where the target type asks; an
//! integer-keyed map is a list; `""` or `null` is "no value" for an `Option`.

use std::fmt;

use serde::de::{self, DeserializeOwned};
use serde_json::Value;

pub use crate::api::plumbing::param_de::ParamDeserializer;

use crate::error::ApiError;

/// Why a value did not fit its target type, before the path is known.
#[derive(Debug)]
pub enum ParamError {
    Unknown(String),
    Missing(String),
    Invalid { expected: String, got: String },
    Custom(String),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Unknown(k) => write!(f, "unknown parameter {k}"),
            ParamError::Missing(k) => write!(f, "missing parameter {k}"),
            ParamError::Invalid { expected, got } => write!(f, "expected {expected}, got {got}"),
            ParamError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ParamError::Custom(msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        ParamError::Invalid { expected: exp.to_string(), got: describe(unexp) }
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        ParamError::Invalid { expected: exp.to_string(), got: describe(unexp) }
    }
    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        ParamError::Unknown(field.to_owned())
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ParamError::Invalid { expected: format!("one of: {}", expected.join(", ")), got: variant.to_owned() }
    }
    fn missing_field(field: &'static str) -> Self {
        ParamError::Missing(field.to_owned())
    }
}

fn describe(u: de::Unexpected<'_>) -> String {
    match u {
        de::Unexpected::Str(s) => s.chars().take(100).collect(),
        de::Unexpected::Signed(i) => i.to_string(),
        de::Unexpected::Unsigned(i) => i.to_string(),
        de::Unexpected::Bool(b) => b.to_string(),
        de::Unexpected::Map => "a hash".into(),
        de::Unexpected::Seq => "an array".into(),
        other => other.to_string(),
    }
}

/// Deserializes `T` from `value`, mapping failures to Stripe's errors with
/// the bracketed param (`line_items[0][quantity]`).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    from_value_at(value, "")
}

/// As `from_value`, for a subtree found at `prefix` (already bracketed).
pub fn from_value_at<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(ParamDeserializer(value)).map_err(|e| {
        let mut path = prefix.to_owned();
        for seg in e.path().iter() {
            let name = match seg {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                serde_path_to_error::Segment::Map { key } => key.clone(),
                _ => continue,
            };
            push_segment(&mut path, &name);
        }
        to_api_error(e.into_inner(), path)
    })
}

fn push_segment(path: &mut String, name: &str) {
    if path.is_empty() {
        path.push_str(name);
    } else {
        path.push('[');
        path.push_str(name);
        path.push(']');
    }
}

fn to_api_error(e: ParamError, mut path: String) -> ApiError {
    match e {
        ParamError::Unknown(field) => {
            // The path usually already ends at the unknown key.
            let last = path.rsplit(['[', ']']).find(|s| !s.is_empty()).unwrap_or("");
            if last != field {
                push_segment(&mut path, &field);
            }
            ApiError::unknown_param(&path)
        }
        ParamError::Missing(field) => {
            push_segment(&mut path, &field);
            ApiError::missing_param(&path)
        }
        ParamError::Invalid { expected, got } => {
            let code = if expected.contains("integer") {
                "parameter_invalid_integer"
            } else if expected.contains("bool") {
                "parameter_invalid_boolean"
            } else if expected.contains("string") {
                "parameter_invalid_string"
            } else if expected.contains("one of") || expected.contains("variant") {
                "parameter_invalid_enum"
            } else {
                "parameter_invalid"
            };
            let msg = match code {
                "parameter_invalid_integer" => format!("Invalid integer: {got}"),
                "parameter_invalid_boolean" => format!("Invalid boolean: {got}"),
                "parameter_invalid_enum" => format!("Invalid {path}: must be {expected}"),
                _ => format!("Invalid {path}: expected {expected}, got {got}"),
            };
            ApiError::invalid(code, path, msg)
        }
        ParamError::Custom(msg) => {
            let p = if path.is_empty() { None } else { Some(path.clone()) };
            let mut e = ApiError::bad_request(
                "parameter_invalid",
                format!("Invalid {}: {msg}", p.as_deref().unwrap_or("request")),
            );
            e.param = p;
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::emptyable;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        quantity: i64,
        #[serde(default)]
        adjustable: Option<bool>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Create {
        name: String,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default, deserialize_with = "emptyable")]
        description: Option<Option<String>>,
    }

    fn err(v: Value) -> serde_json::Value {
        from_value::<Create>(v).unwrap_err().body()
    }

    #[test]
    fn strings_coerce_to_the_target_type() {
        let c: Create = from_value(
            json!({"name": "n", "items": {"1": {"quantity": "3"}, "0": {"quantity": 2, "adjustable": "true"}}}),
        )
        .unwrap();
        assert_eq!(c.items, vec![Item { quantity: 2, adjustable: Some(true) }, Item { quantity: 3, adjustable: None }]);
        assert_eq!(c.description, None);
    }

    #[test]
    fn empty_means_unset_for_emptyable_fields() {
        let c: Create = from_value(json!({"name": "n", "description": ""})).unwrap();
        assert_eq!(c.description, Some(None));
        let c: Create = from_value(json!({"name": "n", "description": null})).unwrap();
        assert_eq!(c.description, Some(None));
        let c: Create = from_value(json!({"name": "n", "description": "d"})).unwrap();
        assert_eq!(c.description, Some(Some("d".into())));
    }

    #[test]
    fn errors_name_the_bracketed_param() {
        let e = err(json!({"name": "n", "items": {"0": {"quantity": "x"}}}));
        assert_eq!(e["error"]["code"], "parameter_invalid_integer");
        assert_eq!(e["error"]["param"], "items[0][quantity]");
        let e = err(json!({"name": "n", "items": [{"quantity": 1, "colour": "red"}]}));
        assert_eq!(e["error"]["code"], "parameter_unknown");
        assert_eq!(e["error"]["param"], "items[0][colour]");
        let e = err(json!({"items": []}));
        assert_eq!(e["error"]["code"], "parameter_missing");
        assert_eq!(e["error"]["param"], "name");
        let e = err(json!({"name": {"a": "b"}}));
        assert_eq!(e["error"]["code"], "parameter_invalid_string");
        let e = err(json!({"name": "n", "items": [{"quantity": 1, "adjustable": "yes"}]}));
        assert_eq!(e["error"]["code"], "parameter_invalid_boolean");
        let e = err(json!({"name": "n", "items": [{"quantity": "99999999999999999999"}]}));
        assert_eq!(e["error"]["code"], "parameter_invalid_integer");
    }
}
