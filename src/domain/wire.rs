//! A document's wire form written straight from its struct, without the
//! `serde_json::Value` tree `Document::wire` builds: the same fields, less
//! the ones `skip` names, with `set` replacing or adding top-level fields.
//! The JSON is equal to the tree's (key order aside: the struct's, then the
//! added fields), and the tests of each renderer compare the two.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::value::RawValue;
use serde_json::{Error, Value};

/// What changes between the stored document and the wire form, at the top level.
#[derive(Debug, Default)]
pub struct Edits<'a> {
    /// Fields left out (a document's private fields).
    pub skip: &'a [&'a str],
    /// Fields shown with another value, or added after the struct's own.
    pub set: Vec<(&'a str, Value)>,
}

impl<'a> Edits<'a> {
    pub fn skipping(skip: &'a [&'a str]) -> Self {
        Edits { skip, set: Vec::new() }
    }

    /// Shows `key` as `value`, whatever the struct holds.
    pub fn set(&mut self, key: &'a str, value: Value) {
        match self.set.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.set.push((key, value)),
        }
    }
}

/// `doc` with `edits`, as a value any serializer writes.
struct WireView<'a, T: ?Sized> {
    doc: &'a T,
    edits: &'a Edits<'a>,
}

impl<T: Serialize + ?Sized> Serialize for WireView<'_, T> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.doc.serialize(Top { ser, edits: self.edits })
    }
}

/// `doc`'s wire form as JSON text. Only a struct has one: anything else
/// is an error, as is a field that does not serialize.
pub fn to_string<T: Serialize + ?Sized>(doc: &T, edits: &Edits<'_>) -> Result<String, Error> {
    let mut out = Vec::with_capacity(1024);
    WireView { doc, edits }.serialize(&mut serde_json::Serializer::new(&mut out))?;
    // serde_json writes only valid UTF-8.
    String::from_utf8(out).map_err(ser::Error::custom)
}

/// `to_string` as raw JSON (an event's object), kept as serde_json wrote
/// it: `RawValue::from_string` would parse the text again to check it.
pub fn to_raw<T: Serialize + ?Sized>(doc: &T, edits: &Edits<'_>) -> Result<Box<RawValue>, Error> {
    serde_json::value::to_raw_value(&WireView { doc, edits })
}

/// A tree as compact JSON text, written straight to a buffer: the same
/// bytes as `Value`'s `Display`, without the formatter's per-token calls.
pub fn tree_text(tree: &Value) -> String {
    // A tree's map keys are strings, so serializing it cannot fail.
    serde_json::to_string(tree).unwrap_or_else(|_| tree.to_string())
}

/// The same edits made to a document's tree (`serde_json::to_value`), for
/// the renderings expansions and older API versions work on.
pub fn edit_tree(tree: &mut Value, edits: &Edits<'_>) {
    if let Some(m) = tree.as_object_mut() {
        for k in edits.skip {
            m.remove(*k);
        }
        for (k, v) in &edits.set {
            m.insert((*k).to_owned(), v.clone());
        }
    }
}

struct Top<'e, S> {
    ser: S,
    edits: &'e Edits<'e>,
}

struct Fields<'e, M> {
    map: M,
    edits: &'e Edits<'e>,
    /// Which of `edits.set` a struct field has already shown.
    shown: u64,
}

impl<M: SerializeMap> SerializeStruct for Fields<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), M::Error> {
        if self.edits.skip.contains(&key) {
            return Ok(());
        }
        match self.edits.set.iter().position(|(k, _)| *k == key) {
            Some(i) => {
                self.shown |= 1 << i;
                self.map.serialize_entry(key, &self.edits.set[i].1)
            }
            None => self.map.serialize_entry(key, value),
        }
    }

    fn end(mut self) -> Result<M::Ok, M::Error> {
        for (i, (k, v)) in self.edits.set.iter().enumerate() {
            if self.shown & (1 << i) == 0 {
                self.map.serialize_entry(k, v)?;
            }
        }
        self.map.end()
    }
}

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("a document's wire form is a JSON object made from a struct")
}

impl<'e, S: Serializer> Serializer for Top<'e, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Fields<'e, S::SerializeMap>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, S::Error> {
        if self.edits.set.len() > 64 {
            return Err(ser::Error::custom("at most 64 fields are set on a wire form"));
        }
        let map = self.ser.serialize_map(None)?;
        Ok(Fields { map, edits: self.edits, shown: 0 })
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    super::refuse::refuse_others!(not_a_struct());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tree_text_writes_the_bytes_display_writes() {
        let tree = json!({"b": [1, -2.5, null, true], "a": "quote \" slash \\ tab \t ü \u{1}", "c": {}});
        assert_eq!(tree_text(&tree), tree.to_string());
    }

    #[derive(serde::Serialize)]
    struct Thing {
        id: String,
        secret: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<i64>,
        nested: Value,
    }

    fn thing() -> Thing {
        Thing {
            id: "t_1".into(),
            secret: "hush".into(),
            status: "open".into(),
            gone: None,
            nested: json!({"a": [1, "x\"y"]}),
        }
    }

    fn parsed(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn skips_replaces_and_adds_top_level_fields() {
        let mut e = Edits::skipping(&["secret"]);
        e.set("status", json!("expired"));
        e.set("flag", json!(true));
        let text = to_string(&thing(), &e).unwrap();
        assert_eq!(
            parsed(&text),
            json!({"id": "t_1", "status": "expired", "nested": {"a": [1, "x\"y"]}, "flag": true})
        );
        assert!(text.starts_with(r#"{"id":"t_1","status":"expired""#), "{text}");
    }

    #[test]
    fn without_edits_it_is_serde_json_s_own_text() {
        let text = to_string(&thing(), &Edits::default()).unwrap();
        assert_eq!(text, serde_json::to_string(&thing()).unwrap());
    }

    #[test]
    fn the_raw_form_is_the_same_text() {
        let mut e = Edits::skipping(&["secret"]);
        e.set("flag", json!(true));
        assert_eq!(to_raw(&thing(), &e).unwrap().get(), to_string(&thing(), &e).unwrap());
        assert!(to_raw(&json!({"a": 1}), &Edits::default()).is_err());
    }

    #[test]
    fn a_later_set_of_the_same_key_wins() {
        let mut e = Edits::default();
        e.set("status", json!("a"));
        e.set("status", json!("b"));
        assert_eq!(parsed(&to_string(&thing(), &e).unwrap())["status"], json!("b"));
    }

    #[test]
    fn only_a_struct_has_a_wire_form() {
        assert!(to_string(&json!({"a": 1}), &Edits::default()).is_err());
        assert!(to_string(&5, &Edits::default()).is_err());
        assert!(to_string(&Some(thing()), &Edits::default()).is_err());
    }
}
