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
