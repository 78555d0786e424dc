//! What is true of every operation, written once rather than in each of the
//! 71 annotations: `expand[]`, the paging parameters of lists, Stripe's error
//! body on every error response, and how a form body encodes nested
//! parameters (`metadata[k]=v`, `line_items[0][price]=…`: Stripe's brackets,
//! which OpenAPI calls `style: deepObject, explode: true`).

use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;

const ERROR_REF: &str = "#/components/schemas/Error";
const LIST_REF: &str = "#/components/schemas/List";
const FORM: &str = "application/x-www-form-urlencoded";

/// The document, as JSON, with the conventions applied. (utoipa's types do
/// not read back every document they write, so the result stays JSON.)
pub fn apply(doc: &OpenApi) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
    let components = v["components"]["schemas"].as_object().cloned().unwrap_or_default();
    if let Some(paths) = v["paths"].as_object_mut() {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                operation(op, &components);
            }
        }
    }
    v
}

fn operation(op: &mut Map<String, Value>, components: &Map<String, Value>) {
    let is_list = op.get("responses").and_then(|r| r["200"]["content"]["application/json"]["schema"]["$ref"].as_str())
        == Some(LIST_REF);
    let params = op.entry("parameters").or_insert_with(|| json!([]));
    if let Some(params) = params.as_array_mut() {
        params.iter_mut().for_each(bracket_query_param);
        params.push(query(
            "expand[]",
            "Paths of fields to expand",
            json!({"type": "array", "items": {"type": "string"}}),
        ));
        if is_list {
            params.extend(paging());
        }
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        error_responses(responses);
    }
    if let Some(form) = op.get_mut("requestBody").and_then(|b| b["content"].get_mut(FORM)) {
        form_encoding(form, components);
    }
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    let mut p = json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    if schema_is(&p["schema"], "array") {
        p["style"] = json!("form");
        p["explode"] = json!(true);
    }
    p
}

/// `limit`, the cursors and `created`, which `list::take` reads.
fn paging() -> Vec<Value> {
    let bounds = json!({"type": "object", "additionalProperties": false, "properties": {
        "gt": {"type": "integer"}, "gte": {"type": "integer"}, "lt": {"type": "integer"}, "lte": {"type": "integer"}}});
    let mut created = query(
        "created",
        "A Unix time, or bounds `created[gte]=…` (gt, gte, lt, lte)",
        json!({"anyOf": [{"type": "integer"}, bounds]}),
    );
    created["style"] = json!("deepObject");
    created["explode"] = json!(true);
    vec![
        query("limit", "1 to 100, default 10", json!({"type": "integer", "minimum": 1, "maximum": 100})),
        query("starting_after", "Cursor: the id of the last object of the previous page", json!({"type": "string"})),
        query("ending_before", "Cursor: the id of the first object of the next page", json!({"type": "string"})),
        created,
    ]
}

/// Query filters that are lists are sent `name[]=a&name[]=b`, objects
/// `name[key]=v`, as Stripe's SDKs do.
fn bracket_query_param(p: &mut Value) {
    if p["in"] != "query" {
        return;
    }
    if schema_is(&p["schema"], "array") {
        if let Some(name) = p["name"].as_str().filter(|n| !n.ends_with("[]")) {
            p["name"] = json!(format!("{name}[]"));
        }
        p["style"] = json!("form");
        p["explode"] = json!(true);
    } else if schema_is(&p["schema"], "object") || p["schema"].get("$ref").is_some() {
        p["style"] = json!("deepObject");
        p["explode"] = json!(true);
    }
}

/// Every error status answers Stripe's error body, and any status not
/// listed is an error too (`default`), as in Stripe's own document.
fn error_responses(responses: &mut Map<String, Value>) {
    let body = json!({"application/json": {"schema": {"$ref": ERROR_REF}}});
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = body.clone();
        }
    }
    responses.insert("default".into(), json!({"description": "Error response", "content": body}));
}

/// Every nested parameter of a form body is encoded with brackets.
fn form_encoding(form: &mut Value, components: &Map<String, Value>) {
    let Some(schema) = resolve(&form["schema"], components) else { return };
    let Some(props) = schema["properties"].as_object() else { return };
    let mut encoding = Map::new();
    for (name, prop) in props {
        if structured(prop, components, 0) {
            encoding.insert(name.clone(), json!({"style": "deepObject", "explode": true}));
        }
    }
    if !encoding.is_empty() {
        form["encoding"] = Value::Object(encoding);
    }
}

fn resolve<'a>(schema: &'a Value, components: &'a Map<String, Value>) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => components.get(r.trim_start_matches("#/components/schemas/")),
        None => Some(schema),
    }
}

/// Whether a schema is (or may be) an object or an array.
fn structured(schema: &Value, components: &Map<String, Value>, depth: usize) -> bool {
    let Some(s) = resolve(schema, components).filter(|_| depth < 8) else { return false };
    if schema_is(s, "object") || schema_is(s, "array") || s.get("properties").is_some() {
        return true;
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| s[k].as_array())
        .flatten()
        .any(|sub| structured(sub, components, depth + 1))
}

/// `type` is a name or, in OpenAPI 3.1, a list of names.
fn schema_is(schema: &Value, kind: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == kind,
        Value::Array(ts) => ts.iter().any(|t| t == kind),
        _ => false,
    }
}
