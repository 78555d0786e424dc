//! The OpenAPI document: what schemathesis and client generators rely on.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::backend_test;

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((method.clone(), path.clone(), op.clone()));
        }
    }
    ops
}

fn schema_ref(content: &Value) -> Option<&str> {
    content["application/json"]["schema"]["$ref"].as_str()
}

#[test]
fn every_operation_has_a_unique_stripe_style_operation_id() {
    let doc = kassa::api::openapi();
    let mut seen = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        let prefix = format!("{}{}", method[..1].to_uppercase(), &method[1..]);
        assert!(id.starts_with(&prefix) && id.len() > prefix.len(), "{method} {path}: {id:?}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{method} {path}: {id:?}");
        assert!(seen.insert(id.to_owned()), "{method} {path}: {id} is used twice");
    }
    assert!(seen.contains("GetCustomersCustomer") && seen.contains("PostCheckoutSessions"));
}

#[test]
fn every_post_documents_its_body_as_form_and_as_json() {
    let doc = kassa::api::openapi();
    for (method, path, op) in operations(&doc) {
        let content = &op["requestBody"]["content"];
        if method != "post" {
            assert!(content.is_null(), "{method} {path} has a body");
            continue;
        }
        let form = content["application/x-www-form-urlencoded"]["schema"]["$ref"].as_str();
        let json = content["application/json"]["schema"]["$ref"].as_str();
        assert!(form.is_some() && form == json, "POST {path}: {content}");
        let name = form.unwrap().trim_start_matches("#/components/schemas/");
        assert!(doc["components"]["schemas"][name].is_object(), "POST {path}: no schema {name}");
    }
}

#[test]
fn every_error_response_is_stripes_error_and_every_list_the_envelope() {
    let doc = kassa::api::openapi();
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if status == "default" || status.starts_with('4') || status.starts_with('5') {
                let r = schema_ref(&response["content"]);
                assert_eq!(r, Some("#/components/schemas/Error"), "{method} {path} {status}");
            }
        }
        let paged = op["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "limit");
        let list = schema_ref(&op["responses"]["200"]["content"]) == Some("#/components/schemas/List");
        assert_eq!(paged, list, "{method} {path}");
        assert!(op["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "expand[]"), "{method} {path}");
    }
}

/// The fields of an answer are the properties of its schema.
fn conforms(doc: &Value, schema: &str, body: &Value) {
    let s = &doc["components"]["schemas"][schema];
    let props = s["properties"].as_object().unwrap();
    for k in body.as_object().unwrap().keys() {
        assert!(props.contains_key(k), "{schema} has no {k}: {body}");
    }
    for k in s["required"].as_array().into_iter().flatten() {
        assert!(body.get(k.as_str().unwrap()).is_some(), "{schema} requires {k}: {body}");
    }
}

backend_test!(errors_lists_and_deletions_answer_their_schemas, |app| {
    let doc = kassa::api::openapi();
    let r = app.get("/v1/customers/cus_missing").await;
    assert_eq!(r.status, 404);
    conforms(&doc, "Error", &r.body);
    conforms(&doc, "ErrorObject", &r.body["error"]);
    let r = app.post("/v1/customers", &[("bogus", "1")]).await;
    assert_eq!(r.status, 400);
    conforms(&doc, "ErrorObject", &r.body["error"]);
    let id = app.customer(&[]).await;
    let r = app.get("/v1/customers").await;
    conforms(&doc, "List", &r.body);
    let r = app.delete(&format!("/v1/customers/{id}")).await;
    conforms(&doc, "Deleted", &r.body);
});
