//! Event objects (`evt_…`), built in the same step as the change they describe.

use serde_json::{json, Map, Value};

use super::ids::IdSource;

/// What the event needs beyond the object itself.
pub struct EventContext<'a> {
    pub api_version: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub request_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    /// Where the event's id comes from.
    pub ids: &'a dyn IdSource,
}

/// A Stripe event object. `previous` is the object before an update; the
/// event then carries the changed top-level fields in `previous_attributes`.
/// `object` is the wire form (`Document::wire`): nothing private is in it.
pub fn build(ctx: &EventContext<'_>, kind: &str, object: &Value, previous: Option<&Value>) -> Value {
    let mut data = Map::new();
    data.insert("object".into(), object.clone());
    if let Some(prev) = previous {
        data.insert("previous_attributes".into(), previous_attributes(prev, object));
    }
    json!({
        "id": ctx.ids.new_id("evt"),
        "object": "event",
        "api_version": ctx.api_version,
        "created": ctx.now,
        "data": data,
        "livemode": ctx.livemode,
        "pending_webhooks": 0,
        "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
        "type": kind,
    })
}

/// List filters: `type`, each wildcard group it falls in (`checkout.*`,
/// `checkout.session.*`), and `delivery_success` (no webhook pending).
pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let kind = doc["type"].as_str().unwrap_or_default();
    let mut t = vec![("type".to_owned(), kind.to_owned())];
    let parts: Vec<&str> = kind.split('.').collect();
    for n in 1..parts.len() {
        t.push(("type_group".to_owned(), format!("{}.*", parts[..n].join("."))));
    }
    let ok = doc["pending_webhooks"].as_i64().unwrap_or(0) == 0;
    t.push(("delivery_success".to_owned(), ok.to_string()));
    t
}

/// The old values of the top-level fields that differ between two objects.
pub fn previous_attributes(before: &Value, after: &Value) -> Value {
    let mut out = Map::new();
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        for (k, old) in b {
            if a.get(k) != Some(old) {
                out.insert(k.clone(), old.clone());
            }
        }
        for k in a.keys() {
            if !b.contains_key(k) {
                out.insert(k.clone(), Value::Null);
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_for_wildcards_and_delivery() {
        let t = tags(&json!({"type": "checkout.session.completed", "pending_webhooks": 2}));
        assert!(t.contains(&("type_group".into(), "checkout.*".into())));
        assert!(t.contains(&("type_group".into(), "checkout.session.*".into())));
        assert!(t.contains(&("delivery_success".into(), "false".into())));
        assert!(!t.iter().any(|(_, v)| v == "checkout.session.completed.*"));
    }

    #[test]
    fn previous_attributes_hold_only_changed_fields() {
        let before = json!({"id": "cus_1", "email": "a@x", "name": "A"});
        let after = json!({"id": "cus_1", "email": "b@x", "name": "A", "phone": "1"});
        assert_eq!(previous_attributes(&before, &after), json!({"email": "a@x", "phone": null}));
    }

    #[test]
    fn events_have_stripes_shape() {
        let ctx = EventContext {
            api_version: "2026-10-28.endive",
            livemode: false,
            now: 42,
            request_id: Some("req_1"),
            idempotency_key: None,
            ids: &super::super::ids::Sequential::default(),
        };
        let e = build(&ctx, "customer.created", &json!({"id": "cus_1"}), None);
        assert_eq!(e["object"], "event");
        assert_eq!(e["type"], "customer.created");
        assert_eq!(e["data"]["object"]["id"], "cus_1");
        assert!(e["data"].get("previous_attributes").is_none());
        assert_eq!(e["request"]["id"], "req_1");
        assert!(e["id"].as_str().unwrap().starts_with("evt_"));
    }
}
