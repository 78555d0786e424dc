//! `Document`: what every stored API object says about itself, so that no
//! caller pairs an object's kind with its list tags by hand.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A `(name, value)` pair that a list can filter on.
pub type Tag = (String, String);

/// A stored API object: a struct whose serde form is its stored document.
pub trait Document: Serialize + DeserializeOwned {
    /// The stored kind, which is also the wire `object` (`tax_rate`).
    const KIND: &'static str;
    /// The prefix of the ids kassa gives it (`txr`).
    const PREFIX: &'static str;
    /// Stored fields that are kassa's own bookkeeping, never shown.
    const PRIVATE: &'static [&'static str] = &[];
    /// Stored without the struct fields that are `None` (`domain::lean`):
    /// only for a kind that every read decodes into its struct, never one
    /// whose stored text is shown or expanded as it is.
    const LEAN: bool = false;

    fn id(&self) -> &str;
    fn created(&self) -> i64;
    /// The list filters it can be found by.
    fn tags(&self) -> Vec<Tag> {
        Vec::new()
    }

    /// The object as the API shows it: its stored form without the
    /// private fields. The JSON tree is the wire edge, where expansions
    /// and older API versions are applied.
    fn wire(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        super::wire::edit_tree(&mut v, &super::wire::Edits::skipping(Self::PRIVATE));
        v
    }

    /// `wire` as JSON text, written straight from the struct: the form a
    /// response without expansions sends, at a fraction of the tree's cost.
    fn wire_text(&self) -> Result<String, serde_json::Error> {
        super::wire::to_string(self, &super::wire::Edits::skipping(Self::PRIVATE))
    }

    /// `wire_text` as raw JSON: an event's object.
    fn wire_raw(&self) -> Result<Box<serde_json::value::RawValue>, serde_json::Error> {
        super::wire::to_raw(self, &super::wire::Edits::skipping(Self::PRIVATE))
    }
}

/// A value kassa never sets (a Stripe field it does not implement): it
/// serializes only as `null` inside an `Option`, and no stored value decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Never {}

/// A unit type that stands for one fixed string on the wire (an object's
/// `object` field): it serializes to that string and refuses any other.
#[macro_export]
macro_rules! wire_name {
    ($name:ident, $text:literal) => {
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($text)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let got = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                if got == $text {
                    Ok($name)
                } else {
                    Err(serde::de::Error::invalid_value(serde::de::Unexpected::Str(&got), &$text))
                }
            }
        }
    };
}
