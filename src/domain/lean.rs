//! The stored form of a document: its serde form without the struct fields
//! that are `None`, at every depth. A missing `Option` field reads back as
//! `None` (serde's derive), so the document decodes to the same struct, and
//! a stored session is about a third smaller than with its `null`s. The wire
//! form keeps every field (`domain::wire`); only the store sees this one.
//!
//! `Lean` wraps any serializer and passes everything through, except that a
//! struct field whose value serializes as `none` is skipped. Map entries and
//! sequence elements are never dropped: only a struct's own fields are
//! optional by declaration.

use serde::ser::{self, Serialize, Serializer};

/// `value` as JSON text in its lean form.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(1024);
    value.serialize(Lean(&mut serde_json::Serializer::new(&mut out)))?;
    String::from_utf8(out).map_err(ser::Error::custom)
}

/// A serializer that leaves out struct fields that are `None`.
pub struct Lean<S>(pub S);

/// A value serialized through `Lean`.
struct Inner<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Inner<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Lean(s))
    }
}

/// Whether a value serializes as `none` (an `Option` that is `None`).
fn is_none<T: Serialize + ?Sized>(value: &T) -> bool {
    value.serialize(NoneProbe).is_ok()
}

/// Answers `Ok` for `none` alone; anything else fails at once, without
/// walking the value.
struct NoneProbe;

#[derive(Debug)]
struct NotNone;

impl std::fmt::Display for NotNone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not none")
    }
}

impl std::error::Error for NotNone {}

impl ser::Error for NotNone {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        NotNone
    }
}

mod probe;
mod wrap;

#[cfg(test)]
mod tests;
