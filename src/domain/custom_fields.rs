//! Custom fields on a session (`custom_fields[]`): up to three inputs the
//! buyer fills in — dropdown, numeric or text.

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::{max_len, FieldError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    #[serde(rename = "type")]
    kind: String,
    custom: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Option_ {
    label: String,
    value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dropdown {
    options: Vec<Option_>,
    default_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Length {
    minimum_length: Option<i64>,
    maximum_length: Option<i64>,
    default_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    key: String,
    label: Label,
    #[serde(rename = "type")]
    kind: String,
    optional: Option<bool>,
    dropdown: Option<Dropdown>,
    numeric: Option<Length>,
    text: Option<Length>,
}

pub const MAX_FIELDS: usize = 3;

fn alnum(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks the fields and returns them as the session shows them (values null
/// until the buyer fills them in).
pub fn check(fields: &[Field]) -> Result<Vec<Value>, FieldError> {
    if fields.len() > MAX_FIELDS {
        return Err(FieldError::invalid("custom_fields", format!("Invalid custom_fields: at most {MAX_FIELDS}.")));
    }
    let mut keys = Vec::new();
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let p = format!("custom_fields[{i}]");
        if !alnum(&f.key) || f.key.len() > 200 {
            return Err(FieldError::invalid(format!("{p}[key]"), "Invalid key: letters and digits only, at most 200."));
        }
        if keys.contains(&f.key) {
            return Err(FieldError::invalid(format!("{p}[key]"), "Custom field keys must be unique."));
        }
        keys.push(f.key.clone());
        if f.label.kind != "custom" {
            return Err(FieldError::invalid(format!("{p}[label][type]"), "Invalid label type: must be custom."));
        }
        max_len(&format!("{p}[label][custom]"), &f.label.custom, 100)?;
        let (dropdown, numeric, text) = match f.kind.as_str() {
            "dropdown" => {
                let d = f.dropdown.as_ref().ok_or_else(|| FieldError {
                    param: format!("{p}[dropdown]"),
                    code: "parameter_missing",
                    message: "Missing required param: dropdown.".into(),
                })?;
                if d.options.is_empty() || d.options.len() > 200 {
                    return Err(FieldError::invalid(
                        format!("{p}[dropdown][options]"),
                        "A dropdown has 1 to 200 options.",
                    ));
                }
                let mut values = Vec::new();
                for (j, o) in d.options.iter().enumerate() {
                    max_len(&format!("{p}[dropdown][options][{j}][label]"), &o.label, 100)?;
                    if !alnum(&o.value) || o.value.len() > 100 || values.contains(&o.value) {
                        return Err(FieldError::invalid(
                            format!("{p}[dropdown][options][{j}][value]"),
                            "Option values are unique, alphanumeric, at most 100.",
                        ));
                    }
                    values.push(o.value.clone());
                }
                if let Some(dv) = &d.default_value {
                    if !values.contains(dv) {
                        return Err(FieldError::invalid(
                            format!("{p}[dropdown][default_value]"),
                            "The default must be one of the options.",
                        ));
                    }
                }
                let opts: Vec<Value> = d.options.iter().map(|o| json!({"label": o.label, "value": o.value})).collect();
                (json!({"default_value": d.default_value, "options": opts, "value": null}), Value::Null, Value::Null)
            }
            "numeric" | "text" => {
                let len = if f.kind == "numeric" { f.numeric.as_ref() } else { f.text.as_ref() };
                let none = Length { minimum_length: None, maximum_length: None, default_value: None };
                let l = len.unwrap_or(&none);
                let (min, max) = (l.minimum_length.unwrap_or(0), l.maximum_length.unwrap_or(255));
                if min < 0 || !(1..=255).contains(&max) || min > max {
                    return Err(FieldError::invalid(
                        format!("{p}[{}][maximum_length]", f.kind),
                        "Lengths must satisfy 0 ≤ minimum ≤ maximum ≤ 255.",
                    ));
                }
                let v = json!({"default_value": l.default_value, "maximum_length": l.maximum_length, "minimum_length": l.minimum_length, "value": null});
                if f.kind == "numeric" {
                    (Value::Null, v, Value::Null)
                } else {
                    (Value::Null, Value::Null, v)
                }
            }
            _ => {
                return Err(FieldError {
                    param: format!("{p}[type]"),
                    code: "parameter_invalid_enum",
                    message: "Invalid type: must be one of dropdown, numeric, text.".into(),
                })
            }
        };
        out.push(json!({
            "key": f.key, "label": {"custom": f.label.custom, "type": "custom"}, "optional": f.optional.unwrap_or(false),
            "type": f.kind, "dropdown": dropdown, "numeric": numeric, "text": text,
        }));
    }
    Ok(out)
}
