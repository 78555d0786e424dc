//! Metadata: Stripe's rules for keys and values, and how updates merge.

use std::collections::BTreeMap;

pub const MAX_KEYS: usize = 50;
pub const MAX_KEY_LEN: usize = 40;
pub const MAX_VALUE_LEN: usize = 500;

/// A metadata update: `Clear` drops every key; `Merge` sets keys, and a `None`
/// value (sent as an empty string) unsets that key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataUpdate {
    Clear,
    Merge(BTreeMap<String, Option<String>>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("Invalid metadata: metadata can have up to {MAX_KEYS} keys, but you passed in {0} keys.")]
    TooManyKeys(usize),
    #[error("Invalid metadata: keys can be at most {MAX_KEY_LEN} characters long, without square brackets.")]
    BadKey(String),
    #[error("Invalid metadata: values can be at most {MAX_VALUE_LEN} characters long.")]
    ValueTooLong(String),
}

impl MetadataError {
    /// The bracketed param the error is about.
    pub fn param(&self) -> String {
        match self {
            MetadataError::TooManyKeys(_) => "metadata".to_owned(),
            MetadataError::BadKey(k) | MetadataError::ValueTooLong(k) => format!("metadata[{k}]"),
        }
    }
}

/// Applies `update` to `current` and checks the result.
pub fn apply(
    current: &BTreeMap<String, String>,
    update: &MetadataUpdate,
) -> Result<BTreeMap<String, String>, MetadataError> {
    let mut next = current.clone();
    match update {
        MetadataUpdate::Clear => next.clear(),
        MetadataUpdate::Merge(changes) => {
            for (k, v) in changes {
                if k.is_empty() || k.chars().count() > MAX_KEY_LEN || k.contains(['[', ']']) {
                    return Err(MetadataError::BadKey(k.clone()));
                }
                match v {
                    Some(v) if v.chars().count() > MAX_VALUE_LEN => return Err(MetadataError::ValueTooLong(k.clone())),
                    Some(v) => {
                        next.insert(k.clone(), v.clone());
                    }
                    None => {
                        next.remove(k);
                    }
                }
            }
        }
    }
    if next.len() > MAX_KEYS {
        return Err(MetadataError::TooManyKeys(next.len()));
    }
    Ok(next)
}

/// `changes` merged into `current` (an empty value unsets its key), with
/// a refusal as a field error naming the key's param.
pub fn merged(
    current: &BTreeMap<String, String>,
    changes: &BTreeMap<String, Option<String>>,
) -> Result<BTreeMap<String, String>, super::fields::FieldError> {
    apply(current, &MetadataUpdate::Merge(changes.clone()))
        .map_err(|e| super::fields::FieldError::invalid(e.param(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(pairs: &[(&str, Option<&str>)]) -> MetadataUpdate {
        MetadataUpdate::Merge(pairs.iter().map(|(k, v)| (k.to_string(), v.map(str::to_owned))).collect())
    }

    #[test]
    fn empty_values_unset_single_keys_and_clear_unsets_all() {
        let cur = apply(&BTreeMap::new(), &merge(&[("a", Some("1")), ("b", Some("2"))])).unwrap();
        let next = apply(&cur, &merge(&[("a", None)])).unwrap();
        assert_eq!(next.keys().collect::<Vec<_>>(), ["b"]);
        assert!(apply(&cur, &MetadataUpdate::Clear).unwrap().is_empty());
    }

    #[test]
    fn limits_are_enforced_with_the_param_named() {
        let long_key = "k".repeat(41);
        let e = apply(&BTreeMap::new(), &merge(&[(&long_key, Some("v"))])).unwrap_err();
        assert_eq!(e.param(), format!("metadata[{long_key}]"));
        let e = apply(&BTreeMap::new(), &merge(&[("a[b]", Some("v"))])).unwrap_err();
        assert!(matches!(e, MetadataError::BadKey(_)));
        let long_val = "v".repeat(501);
        let e = apply(&BTreeMap::new(), &merge(&[("k", Some(&long_val))])).unwrap_err();
        assert_eq!(e, MetadataError::ValueTooLong("k".into()));
        let many: Vec<(String, Option<&str>)> = (0..51).map(|i| (format!("k{i}"), Some("v"))).collect();
        let many: Vec<(&str, Option<&str>)> = many.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(apply(&BTreeMap::new(), &merge(&many)).unwrap_err(), MetadataError::TooManyKeys(51));
    }

    #[test]
    fn exactly_the_limits_are_allowed() {
        let key = "k".repeat(40);
        let val = "é".repeat(500);
        assert!(apply(&BTreeMap::new(), &merge(&[(&key, Some(&val))])).is_ok());
    }
}
