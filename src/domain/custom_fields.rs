//! Custom fields on a session (`custom_fields[]`): up to three inputs the
//! buyer fills in — dropdown, numeric or text.

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::{max_len, FieldError};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Label {
    #[serde(rename = "type")]
    kind: String,
    custom: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = CustomFieldOption)]
#[serde(deny_unknown_fields)]
pub struct Option_ {
    label: String,
    value: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dropdown {
    options: Vec<Option_>,
    default_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Length {
    minimum_length: Option<i64>,
    maximum_length: Option<i64>,
    default_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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

/// Fills the session's configured fields with the buyer's values (at
/// confirm). Unknown keys, bad values and missing required fields are
/// refused, naming `custom_fields[KEY]`.
pub fn fill(configured: &Value, given: &std::collections::BTreeMap<String, String>) -> Result<Value, FieldError> {
    fill_at(configured, given, true)
}

/// Values the buyer gives before confirming (a client-secret update): each
/// is checked, an empty one clears the field, and nothing is required yet.
pub fn draft(configured: &Value, given: &std::collections::BTreeMap<String, String>) -> Result<Value, FieldError> {
    fill_at(configured, given, false)
}

fn fill_at(
    configured: &Value,
    given: &std::collections::BTreeMap<String, String>,
    confirming: bool,
) -> Result<Value, FieldError> {
    let mut fields = configured.as_array().cloned().unwrap_or_default();
    for key in given.keys() {
        if !fields.iter().any(|f| f["key"] == key.as_str()) {
            return Err(FieldError::invalid(
                format!("custom_fields[{key}]"),
                "This checkout has no custom field with that key.",
            ));
        }
    }
    for f in fields.iter_mut() {
        let key = f["key"].as_str().unwrap_or_default().to_owned();
        let kind = f["type"].as_str().unwrap_or("text").to_owned();
        let param = format!("custom_fields[{key}]");
        let spec = f[kind.as_str()].clone();
        if !confirming {
            match given.get(&key) {
                None => continue,
                Some(v) if v.is_empty() => {
                    f[kind.as_str()]["value"] = Value::Null;
                    continue;
                }
                Some(_) => {}
            }
        }
        let value = given
            .get(&key)
            .cloned()
            .filter(|v| !v.is_empty())
            .or_else(|| spec["value"].as_str().map(str::to_owned))
            .or_else(|| spec["default_value"].as_str().map(str::to_owned));
        let Some(value) = value else {
            if f["optional"] != true {
                return Err(FieldError {
                    param,
                    code: "parameter_missing",
                    message: "This custom field is required.".into(),
                });
            }
            continue;
        };
        match kind.as_str() {
            "dropdown" => {
                let ok = spec["options"].as_array().is_some_and(|o| o.iter().any(|x| x["value"] == value.as_str()));
                if !ok {
                    return Err(FieldError::invalid(param, "Choose one of the dropdown's options."));
                }
            }
            _ => {
                let len = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
                let min = spec["minimum_length"].as_i64().unwrap_or(0);
                let max = spec["maximum_length"].as_i64().unwrap_or(255);
                if len < min || len > max {
                    return Err(FieldError::invalid(param, format!("Must be {min} to {max} characters long.")));
                }
                if kind == "numeric" && !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FieldError::invalid(param, "Must contain digits only."));
                }
            }
        }
        f[kind.as_str()]["value"] = json!(value);
    }
    Ok(Value::Array(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn configured() -> Value {
        json!([
            {"key": "size", "type": "dropdown", "optional": false, "dropdown": {"options": [{"label": "S", "value": "s"}, {"label": "M", "value": "m"}], "default_value": null, "value": null}, "numeric": null, "text": null},
            {"key": "po", "type": "numeric", "optional": true, "numeric": {"minimum_length": 3, "maximum_length": 6, "default_value": null, "value": null}, "dropdown": null, "text": null},
            {"key": "note", "type": "text", "optional": false, "text": {"minimum_length": null, "maximum_length": 10, "default_value": "hi", "value": null}, "dropdown": null, "numeric": null},
        ])
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn values_fill_their_fields_and_defaults_count() {
        let out = fill(&configured(), &given(&[("size", "m"), ("po", "1234")])).unwrap();
        assert_eq!(out[0]["dropdown"]["value"], "m");
        assert_eq!(out[1]["numeric"]["value"], "1234");
        assert_eq!(out[2]["text"]["value"], "hi");
    }

    #[test]
    fn a_draft_checks_what_is_given_and_requires_nothing() {
        let out = draft(&configured(), &given(&[("po", "1234")])).unwrap();
        assert_eq!(out[1]["numeric"]["value"], "1234");
        assert_eq!(out[0]["dropdown"]["value"], Value::Null);
        assert_eq!(draft(&configured(), &given(&[("po", "12")])).unwrap_err().param, "custom_fields[po]");
        assert_eq!(draft(&configured(), &given(&[("nope", "1")])).unwrap_err().param, "custom_fields[nope]");
        // An empty value clears; the stored value then counts at confirm.
        let cleared = draft(&out, &given(&[("po", "")])).unwrap();
        assert_eq!(cleared[1]["numeric"]["value"], Value::Null);
        let kept = fill(&out, &given(&[("size", "s")])).unwrap();
        assert_eq!(kept[1]["numeric"]["value"], "1234");
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(fill(&configured(), &given(&[])).unwrap_err().param, "custom_fields[size]");
        assert_eq!(fill(&configured(), &given(&[("size", "xl")])).unwrap_err().param, "custom_fields[size]");
        assert_eq!(fill(&configured(), &given(&[("size", "s"), ("po", "12")])).unwrap_err().param, "custom_fields[po]");
        assert_eq!(
            fill(&configured(), &given(&[("size", "s"), ("po", "12a4")])).unwrap_err().param,
            "custom_fields[po]"
        );
        assert_eq!(
            fill(&configured(), &given(&[("size", "s"), ("note", "far too long text")])).unwrap_err().param,
            "custom_fields[note]"
        );
        assert_eq!(
            fill(&configured(), &given(&[("size", "s"), ("colour", "red")])).unwrap_err().param,
            "custom_fields[colour]"
        );
    }
}
