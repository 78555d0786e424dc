//! Event objects (`evt_…`), built in the same step as the change they describe.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::document::{Document, Tag};
use super::ids::IdSource;
use super::session::{self, CheckoutSession};
use super::version::ApiVersion;

pub const KIND: &str = "event";

crate::wire_name!(EventObject, "event");

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

/// What the event is about.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventData {
    /// The object as the API showed it then: the wire form of whatever
    /// kind the event is about, so it stays JSON.
    // Kept as the text it was written as, so building and storing an event
    // builds no tree of its object (the API's and webhooks' answers still
    // render the event through one).
    #[schema(value_type = Object)]
    pub object: Box<RawValue>,
    /// After an update, the old values of the top-level fields that changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub previous_attributes: Option<Value>,
}

impl PartialEq for EventData {
    fn eq(&self, other: &Self) -> bool {
        self.object.get() == other.object.get() && self.previous_attributes == other.previous_attributes
    }
}

/// The API request that caused the event (both `null` for kassa's own work).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A stored event, as the API shows it and webhooks send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: String,
    #[schema(value_type = String)]
    pub object: EventObject,
    pub api_version: String,
    pub created: i64,
    pub data: EventData,
    pub livemode: bool,
    /// Deliveries not yet succeeded: set by the commit that records the
    /// event, raised by a resend, lowered as deliveries end.
    pub pending_webhooks: i64,
    pub request: EventRequest,
    /// `customer.created`, `checkout.session.completed`, …
    #[serde(rename = "type")]
    pub kind: String,
}

impl Document for Event {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "evt";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    /// List filters: `type`, each wildcard group it falls in (`checkout.*`,
    /// `checkout.session.*`), and `delivery_success` (no webhook pending).
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("type".to_owned(), self.kind.clone())];
        let parts: Vec<&str> = self.kind.split('.').collect();
        for n in 1..parts.len() {
            t.push(("type_group".to_owned(), format!("{}.*", parts[..n].join("."))));
        }
        t.push(("delivery_success".to_owned(), (self.pending_webhooks == 0).to_string()));
        t
    }
}

/// A Stripe event object. `previous` is the object before an update; the
/// event then carries the changed top-level fields in `previous_attributes`.
/// `object` is the wire form (`Document::wire`): nothing private is in it.
pub fn build(ctx: &EventContext<'_>, kind: &str, object: &Value, previous: Option<&Value>) -> Event {
    let mut e = build_text(ctx, kind, tree_raw(object));
    e.data.previous_attributes = previous.map(|prev| previous_attributes(prev, object));
    e
}

/// `build` from the object's wire text (`Document::wire_raw`), which is
/// kept as it is: no tree is built, copied or written again.
pub fn build_text(ctx: &EventContext<'_>, kind: &str, object: Box<RawValue>) -> Event {
    Event {
        id: ctx.ids.new_id(Event::PREFIX),
        object: EventObject,
        api_version: ctx.api_version.to_owned(),
        created: ctx.now,
        data: EventData { object, previous_attributes: None },
        livemode: ctx.livemode,
        pending_webhooks: 0,
        request: EventRequest {
            id: ctx.request_id.map(str::to_owned),
            idempotency_key: ctx.idempotency_key.map(str::to_owned),
        },
        kind: kind.to_owned(),
    }
}

/// The event about `doc`, with its wire text (`Document::wire_raw`).
pub fn of<D: Document>(ctx: &EventContext<'_>, kind: &str, doc: &D) -> Event {
    // The text fails where the tree would (a field that does not serialize)
    // and for a document that is not a plain struct, which no kind is; the
    // tree's answer is then kept, as `wire` keeps it.
    let object = doc.wire_raw().unwrap_or_else(|_| tree_raw(&doc.wire()));
    build_text(ctx, kind, object)
}

/// The event about a checkout session, rendered at `now` for `version`
/// (without its line items, as Stripe's session events show it).
pub fn of_session(ctx: &EventContext<'_>, kind: &str, s: &CheckoutSession, now: i64, version: &ApiVersion) -> Event {
    let object =
        session::render_raw(s, now, version).unwrap_or_else(|_| tree_raw(&session::render(s, now, version, false)));
    build_text(ctx, kind, object)
}

/// A tree as raw JSON text.
pub fn tree_raw(tree: &Value) -> Box<RawValue> {
    // `to_raw_value` of a tree cannot fail (its map keys are strings); the
    // fallback is a JSON null all the same.
    serde_json::value::to_raw_value(tree).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// The event's object as a tree, for the rare step that edits it before
/// the event is written.
pub fn object_tree(e: &Event) -> Result<Value, serde_json::Error> {
    serde_json::from_str(e.data.object.get())
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
    use serde_json::json;

    fn ctx(ids: &dyn IdSource) -> EventContext<'_> {
        EventContext {
            api_version: "2026-10-28.endive",
            livemode: false,
            now: 42,
            request_id: Some("req_1"),
            idempotency_key: None,
            ids,
        }
    }

    #[test]
    fn events_are_tagged_for_wildcards_and_delivery() {
        let ids = super::super::ids::Sequential::default();
        let mut e = build(&ctx(&ids), "checkout.session.completed", &json!({"id": "cs_1"}), None);
        e.pending_webhooks = 2;
        let t = e.tags();
        assert!(t.contains(&("type_group".into(), "checkout.*".into())));
        assert!(t.contains(&("type_group".into(), "checkout.session.*".into())));
        assert!(t.contains(&("delivery_success".into(), "false".into())));
        assert!(!t.iter().any(|(_, v)| v == "checkout.session.completed.*"));
        e.pending_webhooks = 0;
        assert!(e.tags().contains(&("delivery_success".into(), "true".into())));
    }

    #[test]
    fn previous_attributes_hold_only_changed_fields() {
        let before = json!({"id": "cus_1", "email": "a@x", "name": "A"});
        let after = json!({"id": "cus_1", "email": "b@x", "name": "A", "phone": "1"});
        assert_eq!(previous_attributes(&before, &after), json!({"email": "a@x", "phone": null}));
    }

    #[test]
    fn a_created_event_is_todays_document_and_round_trips() {
        let ids = super::super::ids::Sequential::default();
        let e = build(&ctx(&ids), "customer.created", &json!({"id": "cus_1"}), None);
        let want = json!({
            "id": "evt_1", "object": "event", "api_version": "2026-10-28.endive", "created": 42,
            "data": {"object": {"id": "cus_1"}}, "livemode": false, "pending_webhooks": 0,
            "request": {"id": "req_1", "idempotency_key": null}, "type": "customer.created",
        });
        assert_eq!(e.wire(), want);
        assert_eq!(serde_json::from_value::<Event>(want).unwrap(), e);
    }

    #[test]
    fn an_updated_event_with_pending_webhooks_is_todays_document_and_round_trips() {
        let ids = super::super::ids::Sequential::default();
        let c = EventContext { idempotency_key: Some("k"), request_id: None, ..ctx(&ids) };
        let mut e = build(&c, "customer.updated", &json!({"id": "cus_1", "name": "B"}), Some(&json!({"id": "cus_1"})));
        e.pending_webhooks = 3;
        let want = json!({
            "id": "evt_1", "object": "event", "api_version": "2026-10-28.endive", "created": 42,
            "data": {"object": {"id": "cus_1", "name": "B"}, "previous_attributes": {"name": null}},
            "livemode": false, "pending_webhooks": 3,
            "request": {"id": null, "idempotency_key": "k"}, "type": "customer.updated",
        });
        assert_eq!(e.wire(), want);
        assert_eq!(serde_json::from_value::<Event>(want).unwrap(), e);
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let ids = super::super::ids::Sequential::default();
        let mut v = build(&ctx(&ids), "customer.created", &json!({}), None).wire();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<Event>(v).is_err());
        let mut v = build(&ctx(&ids), "customer.created", &json!({}), None).wire();
        v["object"] = json!("customer");
        assert!(serde_json::from_value::<Event>(v).is_err());
    }
}
