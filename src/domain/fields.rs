//! Shared shapes for parameter structs: the "empty means unset" convention
//! and field errors that name their bracketed param.

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields: absent → `None`; `""` or `null` →
/// `Some(None)` (unset); a value → `Some(Some(v))`. The parameter
/// deserializer maps `""` to "no value" for `Option`.
pub fn emptyable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    <Option<T> as Deserialize>::deserialize(d).map(Some)
}

/// A parameter that is well-typed but not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub param: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self { param: param.into(), code: "parameter_invalid", message: message.into() }
    }
}

/// Checks a string's length in characters.
pub fn max_len(param: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError {
            param: param.to_owned(),
            code: "parameter_invalid_string_length",
            message: format!("Invalid {param}: must be at most {max} characters long."),
        });
    }
    Ok(())
}

/// A timestamp as a tag value that sorts as text: 20 digits, zero-padded.
pub fn time_tag(t: i64) -> String {
    format!("{:020}", t.max(0))
}

/// A decimal parameter (`percent_off`, `percentage`): a JSON number or a
/// string, read exactly as written (never through binary floating point).
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<rust_decimal::Decimal>, D::Error> {
    use std::str::FromStr;
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => {
            rust_decimal::Decimal::from_str(&n.to_string()).map(Some).map_err(serde::de::Error::custom)
        }
        Some(serde_json::Value::String(s)) if s.len() <= 40 => rust_decimal::Decimal::from_str(s.trim())
            .map(Some)
            .map_err(|_| serde::de::Error::invalid_value(serde::de::Unexpected::Str(&s), &"a decimal number")),
        Some(_) => Err(serde::de::Error::custom("expected a decimal number")),
    }
}

/// A decimal as a JSON number for the wire (rates and percentages, not money).
pub fn decimal_json(d: rust_decimal::Decimal) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    d.normalize().to_f64().map(serde_json::Value::from).unwrap_or(serde_json::Value::Null)
}

/// `#[serde(with = "decimal_number")]`: a decimal shown as a JSON number
/// (rates and percentages, not money) and read back exactly from the
/// number's shortest text, so a stored value survives any number of rewrites.
pub mod decimal_number {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        super::decimal_json(*d).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        Decimal::from_str(&n.to_string()).map_err(serde::de::Error::custom)
    }
}
