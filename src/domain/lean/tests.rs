use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::to_string;
use crate::domain::session::CheckoutSession;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Outer {
    id: String,
    note: Option<String>,
    count: Option<i64>,
    inner: Option<Inner>,
    items: Vec<Inner>,
    holes: Vec<Option<i64>>,
    by_key: BTreeMap<String, Option<i64>>,
    raw: Value,
    choice: Choice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    name: Option<String>,
    flag: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Choice {
    Plain,
    Tagged { why: Option<String> },
    Wrapped(Option<i64>),
}

fn sample() -> Outer {
    Outer {
        id: "x".into(),
        note: None,
        count: Some(0),
        inner: Some(Inner { name: None, flag: true }),
        items: vec![Inner { name: Some("a".into()), flag: false }, Inner { name: None, flag: false }],
        holes: vec![None, Some(2)],
        by_key: [("a".to_owned(), None), ("b".to_owned(), Some(1))].into(),
        raw: json!({"kept": null}),
        choice: Choice::Tagged { why: None },
    }
}

#[test]
fn none_struct_fields_are_left_out_at_every_depth_and_nothing_else() {
    let text = to_string(&sample()).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({
            "id": "x", "count": 0, "inner": {"flag": true},
            "items": [{"name": "a", "flag": false}, {"flag": false}],
            "holes": [null, 2], "by_key": {"a": null, "b": 1}, "raw": {"kept": null},
            "choice": {"tagged": {}}
        })
    );
    assert_eq!(serde_json::from_str::<Outer>(&text).unwrap(), sample());
}

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        Just(Choice::Plain),
        proptest::option::of("[a-z]{0,3}").prop_map(|why| Choice::Tagged { why }),
        proptest::option::of(any::<i64>()).prop_map(Choice::Wrapped),
    ]
}

fn inner() -> impl Strategy<Value = Inner> {
    (proptest::option::of("[a-z\"\\\\]{0,4}"), any::<bool>()).prop_map(|(name, flag)| Inner { name, flag })
}

fn outer() -> impl Strategy<Value = Outer> {
    (
        proptest::option::of(".{0,6}"),
        proptest::option::of(any::<i64>()),
        proptest::option::of(inner()),
        proptest::collection::vec(inner(), 0..3),
        proptest::collection::vec(proptest::option::of(any::<i64>()), 0..3),
        proptest::collection::btree_map("[a-c]", proptest::option::of(any::<i64>()), 0..3),
        choice(),
    )
        .prop_map(|(note, count, inner, items, holes, by_key, choice)| Outer {
            id: "x".into(),
            note,
            count,
            inner,
            items,
            holes,
            by_key,
            raw: Value::Null,
            choice,
        })
}

proptest! {
    #[test]
    fn the_lean_text_decodes_to_the_same_value(o in outer()) {
        let lean = to_string(&o).unwrap();
        prop_assert_eq!(serde_json::from_str::<Outer>(&lean).unwrap(), o.clone());
        prop_assert!(lean.len() <= serde_json::to_string(&o).unwrap().len());
    }
}

/// Every stored session state (the fixture of `session_tests`) decodes from
/// its lean text to the same session, and the text is about a third shorter.
#[test]
fn every_stored_session_reads_back_the_same_from_its_lean_text() {
    let docs: Vec<Value> = serde_json::from_str(include_str!("../testdata/checkout_sessions.json")).unwrap();
    let (mut full_len, mut lean_len) = (0, 0);
    for doc in &docs {
        let s: CheckoutSession = serde_json::from_value(doc.clone()).unwrap();
        let lean = to_string(&s).unwrap();
        let back: CheckoutSession = serde_json::from_str(&lean).unwrap_or_else(|e| panic!("{e}: {lean}"));
        assert_eq!(back, s, "{}", s.id);
        full_len += serde_json::to_string(&s).unwrap().len();
        lean_len += lean.len();
    }
    assert!(lean_len * 10 < full_len * 8, "{lean_len} against {full_len}");
}
