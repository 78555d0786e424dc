//! Stripe's form encoding (`a[b][0]=v`, `expand[]=x`) into a JSON tree whose
//! leaves are strings. Typed coercion happens later, in `params`.

use percent_encoding::percent_decode;
use serde_json::{Map, Value};

/// Brackets deeper than this are refused: no real parameter nests further.
pub const MAX_DEPTH: usize = 8;
/// More pairs than this in one request are refused.
pub const MAX_PAIRS: usize = 4096;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("The request body is not valid UTF-8 after percent-decoding.")]
    NotUtf8,
    #[error("Invalid parameter name: {0}")]
    BadName(String),
    #[error("The parameter {0} is nested too deeply (at most {MAX_DEPTH} levels).")]
    TooDeep(String),
    #[error("Too many parameters: at most {MAX_PAIRS} are accepted in one request.")]
    TooMany,
    #[error("Conflicting values for the parameter {0}.")]
    Conflict(String),
}

impl FormError {
    pub fn param(&self) -> Option<&str> {
        match self {
            FormError::BadName(p) | FormError::TooDeep(p) | FormError::Conflict(p) => Some(p),
            _ => None,
        }
    }
}

/// Parses `application/x-www-form-urlencoded` bytes (or a query string).
pub fn parse(input: &[u8]) -> Result<Value, FormError> {
    let mut root = Value::Object(Map::new());
    let mut count = 0usize;
    for pair in input.split(|b| *b == b'&') {
        if pair.is_empty() {
            continue;
        }
        count += 1;
        if count > MAX_PAIRS {
            return Err(FormError::TooMany);
        }
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let key = decode(k)?;
        let value = decode(v)?;
        let path = split_key(&key)?;
        insert(&mut root, &path, value, &key)?;
    }
    Ok(root)
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let plus: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    let bytes: Vec<u8> = percent_decode(&plus).collect();
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

/// A path segment: a named key, or `[]` (append to an array).
#[derive(Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Push,
}

fn split_key(key: &str) -> Result<Vec<Seg>, FormError> {
    let bad = || FormError::BadName(key.chars().take(100).collect());
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() || head.contains(']') {
        return Err(bad());
    }
    let mut segs = vec![Seg::Key(head.to_owned())];
    while !rest.is_empty() {
        let inner_end = rest.find(']').ok_or_else(bad)?;
        if !rest.starts_with('[') {
            return Err(bad());
        }
        let inner = &rest[1..inner_end];
        if inner.contains('[') {
            return Err(bad());
        }
        segs.push(if inner.is_empty() { Seg::Push } else { Seg::Key(inner.to_owned()) });
        if segs.len() > MAX_DEPTH {
            return Err(FormError::TooDeep(key.chars().take(100).collect()));
        }
        rest = &rest[inner_end + 1..];
    }
    Ok(segs)
}

fn insert(node: &mut Value, path: &[Seg], value: String, key: &str) -> Result<(), FormError> {
    let conflict = || FormError::Conflict(key.chars().take(100).collect());
    let Some((first, rest)) = path.split_first() else {
        return Err(conflict());
    };
    match first {
        Seg::Key(k) => {
            let Value::Object(map) = node else {
                return Err(conflict());
            };
            if rest.is_empty() {
                if matches!(map.get(k), Some(Value::Object(_) | Value::Array(_))) {
                    return Err(conflict());
                }
                map.insert(k.clone(), Value::String(value));
                return Ok(());
            }
            let child = map.entry(k.clone()).or_insert_with(|| container_for(&rest[0]));
            if child.is_string() {
                return Err(conflict());
            }
            insert(child, rest, value, key)
        }
        Seg::Push => {
            let Value::Array(items) = node else {
                return Err(conflict());
            };
            if rest.is_empty() {
                items.push(Value::String(value));
                return Ok(());
            }
            // `a[][x]=1&a[][y]=2` is ambiguous; Rack starts a new element when
            // the key repeats. Kassa keeps it simple: each `[]` pushes.
            let mut child = container_for(&rest[0]);
            insert(&mut child, rest, value, key)?;
            items.push(child);
            Ok(())
        }
    }
}

fn container_for(seg: &Seg) -> Value {
    match seg {
        Seg::Key(_) => Value::Object(Map::new()),
        Seg::Push => Value::Array(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_brackets_build_a_tree() {
        let v =
            parse(b"line_items[0][price_data][unit_amount]=500&line_items[0][quantity]=2&metadata[k]=v%20w+x").unwrap();
        assert_eq!(
            v,
            json!({"line_items": {"0": {"price_data": {"unit_amount": "500"}, "quantity": "2"}}, "metadata": {"k": "v w x"}})
        );
    }

    #[test]
    fn empty_brackets_append() {
        assert_eq!(parse(b"expand[]=a&expand[]=b").unwrap(), json!({"expand": ["a", "b"]}));
    }

    #[test]
    fn encoded_brackets_are_the_same_as_plain_ones() {
        assert_eq!(parse(b"metadata%5Bk%5D=v").unwrap(), json!({"metadata": {"k": "v"}}));
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(parse(b"a=%ff"), Err(FormError::NotUtf8));
        assert!(matches!(parse(b"a[b=1"), Err(FormError::BadName(_))));
        assert!(matches!(parse(b"[a]=1"), Err(FormError::BadName(_))));
        assert!(matches!(parse(b"a]x=1"), Err(FormError::BadName(_))));
        assert!(matches!(parse(b"a=1&a[b]=2"), Err(FormError::Conflict(_))));
        assert!(matches!(parse(b"a[b]=2&a=1"), Err(FormError::Conflict(_))));
        let deep = format!("a{}=1", "[x]".repeat(MAX_DEPTH));
        assert!(matches!(parse(deep.as_bytes()), Err(FormError::TooDeep(_))));
        let many = (0..=MAX_PAIRS).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join("&");
        assert_eq!(parse(many.as_bytes()), Err(FormError::TooMany));
    }

    #[test]
    fn a_key_without_value_is_empty() {
        assert_eq!(parse(b"description&x=").unwrap(), json!({"description": "", "x": ""}));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse(&input);
        }
    }
}
