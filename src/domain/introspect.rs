//! The wire names of a parameter struct's fields, read from its own
//! `Deserialize` impl: lists of accepted parameters (and the tests that
//! walk them) cannot drift from what the parser takes.

use std::cell::Cell;

use serde::de::{self, Deserialize, Deserializer, Visitor};

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("introspection only")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

struct Fields<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> Deserializer<'de> for Fields<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The field names `T` accepts (empty for anything but a plain struct).
pub fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let cell = Cell::new(&[][..]);
    let _ = T::deserialize(Fields(&cell));
    cell.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wire_names_of_a_struct() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct P {
            a: Option<i64>,
            #[serde(rename = "type")]
            kind: String,
        }
        assert_eq!(fields::<P>(), ["a", "type"]);
        assert!(fields::<i64>().is_empty());
    }
}
