//! Custom fields on a session (`custom_fields[]`): up to three inputs the
//! buyer fills in — dropdown, numeric or text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// A custom field as the session shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SessionCustomField)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    pub key: String,
    pub label: LabelShown,
    pub optional: bool,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub dropdown: Option<DropdownShown>,
    pub numeric: Option<LengthShown>,
    pub text: Option<LengthShown>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Dropdown,
    Numeric,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabelType {
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelShown {
    pub custom: String,
    #[serde(rename = "type")]
    pub kind: LabelType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionShown {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DropdownShown {
    pub default_value: Option<String>,
    pub options: Vec<OptionShown>,
    /// The buyer's choice, once made.
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthShown {
    pub default_value: Option<String>,
    pub maximum_length: Option<i64>,
    pub minimum_length: Option<i64>,
    /// The buyer's entry, once made.
    pub value: Option<String>,
}

pub const MAX_FIELDS: usize = 3;

fn alnum(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks the fields and returns them as the session shows them (values null
/// until the buyer fills them in).
pub fn check(fields: &[Field]) -> Result<Vec<CustomField>, FieldError> {
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
        let mut shown = CustomField {
            key: f.key.clone(),
            label: LabelShown { custom: f.label.custom.clone(), kind: LabelType::Custom },
            optional: f.optional.unwrap_or(false),
            kind: FieldType::Text,
            dropdown: None,
            numeric: None,
            text: None,
        };
        match f.kind.as_str() {
            "dropdown" => {
                shown.kind = FieldType::Dropdown;
                shown.dropdown = Some(dropdown(f.dropdown.as_ref(), &p)?);
            }
            "numeric" => {
                shown.kind = FieldType::Numeric;
                shown.numeric = Some(length(f.numeric.as_ref(), &p, "numeric")?);
            }
            "text" => shown.text = Some(length(f.text.as_ref(), &p, "text")?),
            _ => {
                return Err(FieldError {
                    param: format!("{p}[type]"),
                    code: "parameter_invalid_enum",
                    message: "Invalid type: must be one of dropdown, numeric, text.".into(),
                })
            }
        }
        out.push(shown);
    }
    Ok(out)
}

fn dropdown(d: Option<&Dropdown>, p: &str) -> Result<DropdownShown, FieldError> {
    let d = d.ok_or_else(|| FieldError {
        param: format!("{p}[dropdown]"),
        code: "parameter_missing",
        message: "Missing required param: dropdown.".into(),
    })?;
    if d.options.is_empty() || d.options.len() > 200 {
        return Err(FieldError::invalid(format!("{p}[dropdown][options]"), "A dropdown has 1 to 200 options."));
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
    let options = d.options.iter().map(|o| OptionShown { label: o.label.clone(), value: o.value.clone() }).collect();
    Ok(DropdownShown { default_value: d.default_value.clone(), options, value: None })
}

fn length(l: Option<&Length>, p: &str, kind: &str) -> Result<LengthShown, FieldError> {
    let none = Length { minimum_length: None, maximum_length: None, default_value: None };
    let l = l.unwrap_or(&none);
    let (min, max) = (l.minimum_length.unwrap_or(0), l.maximum_length.unwrap_or(255));
    if min < 0 || !(1..=255).contains(&max) || min > max {
        return Err(FieldError::invalid(
            format!("{p}[{kind}][maximum_length]"),
            "Lengths must satisfy 0 ≤ minimum ≤ maximum ≤ 255.",
        ));
    }
    Ok(LengthShown {
        default_value: l.default_value.clone(),
        maximum_length: l.maximum_length,
        minimum_length: l.minimum_length,
        value: None,
    })
}

impl CustomField {
    /// The value given so far and the default.
    fn current(&self) -> (Option<&String>, Option<&String>) {
        match self.kind {
            FieldType::Dropdown => {
                self.dropdown.as_ref().map_or((None, None), |d| (d.value.as_ref(), d.default_value.as_ref()))
            }
            FieldType::Numeric => {
                self.numeric.as_ref().map_or((None, None), |l| (l.value.as_ref(), l.default_value.as_ref()))
            }
            FieldType::Text => {
                self.text.as_ref().map_or((None, None), |l| (l.value.as_ref(), l.default_value.as_ref()))
            }
        }
    }

    fn set(&mut self, v: Option<String>) {
        match self.kind {
            FieldType::Dropdown => self.dropdown.iter_mut().for_each(|d| d.value = v.clone()),
            FieldType::Numeric => self.numeric.iter_mut().for_each(|l| l.value = v.clone()),
            FieldType::Text => self.text.iter_mut().for_each(|l| l.value = v.clone()),
        }
    }

    /// Whether `value` fits the field, naming it on failure.
    fn accepts(&self, value: &str, param: &str) -> Result<(), FieldError> {
        if self.kind == FieldType::Dropdown {
            let ok = self.dropdown.as_ref().is_some_and(|d| d.options.iter().any(|o| o.value == value));
            if !ok {
                return Err(FieldError::invalid(param, "Choose one of the dropdown's options."));
            }
            return Ok(());
        }
        let spec = if self.kind == FieldType::Numeric { &self.numeric } else { &self.text };
        let len = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
        let min = spec.as_ref().and_then(|l| l.minimum_length).unwrap_or(0);
        let max = spec.as_ref().and_then(|l| l.maximum_length).unwrap_or(255);
        if len < min || len > max {
            return Err(FieldError::invalid(param, format!("Must be {min} to {max} characters long.")));
        }
        if self.kind == FieldType::Numeric && !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::invalid(param, "Must contain digits only."));
        }
        Ok(())
    }
}

/// Fills the session's configured fields with the buyer's values (at
/// confirm). Unknown keys, bad values and missing required fields are
/// refused, naming `custom_fields[KEY]`.
pub fn fill(configured: &[CustomField], given: &BTreeMap<String, String>) -> Result<Vec<CustomField>, FieldError> {
    fill_at(configured, given, true)
}

/// Values the buyer gives before confirming (a client-secret update): each
/// is checked, an empty one clears the field, and nothing is required yet.
pub fn draft(configured: &[CustomField], given: &BTreeMap<String, String>) -> Result<Vec<CustomField>, FieldError> {
    fill_at(configured, given, false)
}

fn fill_at(
    configured: &[CustomField],
    given: &BTreeMap<String, String>,
    confirming: bool,
) -> Result<Vec<CustomField>, FieldError> {
    let mut fields = configured.to_vec();
    if let Some(key) = given.keys().find(|k| !fields.iter().any(|f| f.key == **k)) {
        return Err(FieldError::invalid(
            format!("custom_fields[{key}]"),
            "This checkout has no custom field with that key.",
        ));
    }
    for f in fields.iter_mut() {
        let param = format!("custom_fields[{}]", f.key);
        let typed = given.get(&f.key);
        if !confirming {
            match typed {
                None => continue,
                Some(v) if v.is_empty() => {
                    f.set(None);
                    continue;
                }
                Some(_) => {}
            }
        }
        let (current, default) = f.current();
        let value = typed.filter(|v| !v.is_empty()).or(current).or(default).cloned();
        let Some(value) = value else {
            if !f.optional {
                return Err(FieldError {
                    param,
                    code: "parameter_missing",
                    message: "This custom field is required.".into(),
                });
            }
            continue;
        };
        f.accepts(&value, &param)?;
        f.set(Some(value));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn configured() -> Vec<CustomField> {
        serde_json::from_value(json!([
            {"key": "size", "label": {"custom": "Size", "type": "custom"}, "type": "dropdown", "optional": false, "dropdown": {"options": [{"label": "S", "value": "s"}, {"label": "M", "value": "m"}], "default_value": null, "value": null}, "numeric": null, "text": null},
            {"key": "po", "label": {"custom": "PO number", "type": "custom"}, "type": "numeric", "optional": true, "numeric": {"minimum_length": 3, "maximum_length": 6, "default_value": null, "value": null}, "dropdown": null, "text": null},
            {"key": "note", "label": {"custom": "Note", "type": "custom"}, "type": "text", "optional": false, "text": {"minimum_length": null, "maximum_length": 10, "default_value": "hi", "value": null}, "dropdown": null, "numeric": null},
        ]))
        .unwrap()
    }

    fn shown(fields: &[CustomField]) -> Value {
        serde_json::to_value(fields).unwrap()
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn values_fill_their_fields_and_defaults_count() {
        let out = shown(&fill(&configured(), &given(&[("size", "m"), ("po", "1234")])).unwrap());
        assert_eq!(out[0]["dropdown"]["value"], "m");
        assert_eq!(out[1]["numeric"]["value"], "1234");
        assert_eq!(out[2]["text"]["value"], "hi");
    }

    #[test]
    fn a_draft_checks_what_is_given_and_requires_nothing() {
        let typed = draft(&configured(), &given(&[("po", "1234")])).unwrap();
        let out = shown(&typed);
        assert_eq!(out[1]["numeric"]["value"], "1234");
        assert_eq!(out[0]["dropdown"]["value"], Value::Null);
        assert_eq!(draft(&configured(), &given(&[("po", "12")])).unwrap_err().param, "custom_fields[po]");
        assert_eq!(draft(&configured(), &given(&[("nope", "1")])).unwrap_err().param, "custom_fields[nope]");
        // An empty value clears; the stored value then counts at confirm.
        let cleared = shown(&draft(&typed, &given(&[("po", "")])).unwrap());
        assert_eq!(cleared[1]["numeric"]["value"], Value::Null);
        let kept = shown(&fill(&typed, &given(&[("size", "s")])).unwrap());
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
