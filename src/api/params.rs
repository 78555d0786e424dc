//! Typed parameters from a parsed request tree (form, JSON or query string).
//! Strings coerce to numbers and booleans where the target type asks; an
//! integer-keyed map is a list; `""` or `null` is "no value" for an `Option`.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::{Map, Value};

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

pub use crate::domain::fields::emptyable;

pub struct ParamDeserializer(pub Value);

fn is_index_map(m: &Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| !k.is_empty() && k.len() <= 6 && k.bytes().all(|b| b.is_ascii_digit()))
}

/// An integer-keyed map, in index order, as a list.
fn index_map_items(m: Map<String, Value>) -> Vec<Value> {
    let mut items: Vec<(u64, Value)> = m.into_iter().map(|(k, v)| (k.parse().unwrap_or(u64::MAX), v)).collect();
    items.sort_by_key(|(i, _)| *i);
    items.into_iter().map(|(_, v)| v).collect()
}

macro_rules! deserialize_int {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
            let n: Option<$ty> = match &self.0 {
                Value::Number(n) => n.to_string().parse().ok(),
                Value::String(s) => s.trim().parse().ok(),
                _ => return Err(self.invalid("integer")),
            };
            match n {
                Some(n) => visitor.$visit(n),
                None => Err(self.invalid("integer")),
            }
        }
    };
}

impl ParamDeserializer {
    fn invalid(&self, expected: &str) -> ParamError {
        let got = match &self.0 {
            Value::String(s) => s.chars().take(100).collect(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".into(),
            Value::Array(_) => "an array".into(),
            Value::Object(_) => "a hash".into(),
        };
        ParamError::Invalid { expected: expected.into(), got }
    }
}

impl<'de> Deserializer<'de> for ParamDeserializer {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(Seq(items.into_iter())),
            Value::Object(m) => visitor.visit_map(Entries { iter: m.into_iter(), pending: None }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match &self.0 {
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::String(s) if s == "true" => visitor.visit_bool(true),
            Value::String(s) if s == "false" => visitor.visit_bool(false),
            _ => Err(self.invalid("boolean")),
        }
    }

    deserialize_int!(deserialize_i8, visit_i8, i8);
    deserialize_int!(deserialize_i16, visit_i16, i16);
    deserialize_int!(deserialize_i32, visit_i32, i32);
    deserialize_int!(deserialize_i64, visit_i64, i64);
    deserialize_int!(deserialize_u8, visit_u8, u8);
    deserialize_int!(deserialize_u16, visit_u16, u16);
    deserialize_int!(deserialize_u32, visit_u32, u32);
    deserialize_int!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        let f = match &self.0 {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        };
        match f {
            Some(f) => visitor.visit_f64(f),
            None => Err(self.invalid("decimal number")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.0 {
            Value::String(s) => visitor.visit_string(s),
            _ => Err(self.invalid("string")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match &self.0 {
            Value::Null => visitor.visit_none(),
            Value::String(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Seq(items.into_iter())),
            Value::Object(m) if is_index_map(&m) => visitor.visit_seq(Seq(index_map_items(m).into_iter())),
            Value::String(s) if s.is_empty() => visitor.visit_seq(Seq(Vec::new().into_iter())),
            other => Err(ParamDeserializer(other).invalid("array")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        match self.0 {
            Value::Object(m) => visitor.visit_map(Entries { iter: m.into_iter(), pending: None }),
            other => Err(ParamDeserializer(other).invalid("hash")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(ParamDeserializer(other).invalid("string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_string(visitor)
    }
}

struct Seq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = ParamError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ParamError> {
        match self.0.next() {
            Some(v) => seed.deserialize(ParamDeserializer(v)).map(Some),
            None => Ok(None),
        }
    }
}

struct Entries {
    iter: serde_json::map::IntoIter,
    pending: Option<Value>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = ParamError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ParamError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.pending = Some(v);
                seed.deserialize(ParamDeserializer(Value::String(k))).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ParamError> {
        let v = self.pending.take().unwrap_or(Value::Null);
        seed.deserialize(ParamDeserializer(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
