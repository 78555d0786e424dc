//! A document's wire form written straight from its struct, without the
//! `serde_json::Value` tree `Document::wire` builds: the same fields, less
//! the ones `skip` names, with `set` replacing or adding top-level fields.
//! The JSON is equal to the tree's (key order aside: the struct's, then the
//! added fields), and the tests of each renderer compare the two.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::ser::Compound;
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

/// `doc`'s wire form as JSON text. Only a struct has one: anything else
/// is an error, as is a field that does not serialize.
pub fn to_string<T: Serialize + ?Sized>(doc: &T, edits: &Edits<'_>) -> Result<String, Error> {
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::new(&mut out);
    doc.serialize(Top { ser: &mut ser, edits })?;
    // serde_json writes only valid UTF-8.
    String::from_utf8(out).map_err(ser::Error::custom)
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

type Json<'w> = serde_json::Serializer<&'w mut Vec<u8>>;

struct Top<'s, 'w, 'e> {
    ser: &'s mut Json<'w>,
    edits: &'e Edits<'e>,
}

struct Fields<'s, 'w, 'e> {
    map: Compound<'s, &'w mut Vec<u8>, serde_json::ser::CompactFormatter>,
    edits: &'e Edits<'e>,
    /// Which of `edits.set` a struct field has already shown.
    shown: u64,
}

impl SerializeStruct for Fields<'_, '_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
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

    fn end(mut self) -> Result<(), Error> {
        for (i, (k, v)) in self.edits.set.iter().enumerate() {
            if self.shown & (1 << i) == 0 {
                self.map.serialize_entry(k, v)?;
            }
        }
        SerializeMap::end(self.map)
    }
}

fn not_a_struct() -> Error {
    ser::Error::custom("a document's wire form is a JSON object made from a struct")
}

impl<'s, 'w, 'e> Serializer for Top<'s, 'w, 'e> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Fields<'s, 'w, 'e>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        if self.edits.set.len() > 64 {
            return Err(ser::Error::custom("at most 64 fields are set on a wire form"));
        }
        let map = self.ser.serialize_map(None)?;
        Ok(Fields { map, edits: self.edits, shown: 0 })
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(not_a_struct())
    }

    super::refuse::refuse_others!(not_a_struct());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
