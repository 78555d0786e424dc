//! Lists: `limit`, `starting_after` / `ending_before`, `created`, and the
//! envelope `{object: "list", data, has_more, url}` (reference §4.6).

use serde_json::{json, Map, Value};

use crate::api::plumbing::answer::Body;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::error::{ApiError, ApiResult};
use crate::store::{CreatedRange, Cursor, ListQuery, Page, StoredObject, Tag};
use crate::AppState;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorParam {
    StartingAfter(String),
    EndingBefore(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub limit: usize,
    pub cursor: Option<CursorParam>,
    pub created: CreatedRange,
}

fn int(v: &Value, param: &str) -> ApiResult<i64> {
    let parsed = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        let shown: String = match v {
            Value::String(s) => s.chars().take(40).collect(),
            other => other.to_string().chars().take(40).collect(),
        };
        ApiError::invalid("parameter_invalid_integer", param, format!("Invalid integer: {shown}"))
    })
}

fn string(v: Value, param: &str) -> ApiResult<String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => {
            Err(ApiError::invalid("parameter_invalid_string", param, format!("Invalid {param}: must be an object id.")))
        }
    }
}

/// Takes the list parameters out of `params`; the rest are the endpoint's filters.
pub fn take(params: &mut Value) -> ApiResult<ListParams> {
    let map = match params.as_object_mut() {
        Some(m) => m,
        None => return Err(ApiError::bad_request("parameter_invalid", "Invalid parameters.")),
    };
    let limit = match map.remove("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => {
            let n = int(&v, "limit")?;
            if !(1..=100).contains(&n) {
                return Err(ApiError::invalid(
                    "parameter_invalid_integer",
                    "limit",
                    format!("Invalid limit: must be between 1 and {MAX_LIMIT}; you passed {n}."),
                ));
            }
            usize::try_from(n).unwrap_or(DEFAULT_LIMIT)
        }
    };
    let after = map.remove("starting_after").map(|v| string(v, "starting_after")).transpose()?;
    let before = map.remove("ending_before").map(|v| string(v, "ending_before")).transpose()?;
    let cursor = match (after, before) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "parameters_exclusive",
                "ending_before",
                "You may only specify one of these parameters: starting_after, ending_before.",
            ))
        }
        (Some(a), None) => Some(CursorParam::StartingAfter(a)),
        (None, Some(b)) => Some(CursorParam::EndingBefore(b)),
        (None, None) => None,
    };
    let created = match map.remove("created") {
        None => CreatedRange::default(),
        Some(v) => created_range(v)?,
    };
    Ok(ListParams { limit, cursor, created })
}

fn created_range(v: Value) -> ApiResult<CreatedRange> {
    match v {
        Value::Object(m) => {
            let mut r = CreatedRange::default();
            for (k, v) in m {
                let param = format!("created[{k}]");
                let slot = match k.as_str() {
                    "gt" => &mut r.gt,
                    "gte" => &mut r.gte,
                    "lt" => &mut r.lt,
                    "lte" => &mut r.lte,
                    _ => return Err(ApiError::unknown_param(&param)),
                };
                *slot = Some(int(&v, &param)?);
            }
            Ok(r)
        }
        other => {
            let t = int(&other, "created")?;
            Ok(CreatedRange { gte: Some(t), lte: Some(t), ..Default::default() })
        }
    }
}

/// What a list endpoint lists: objects of `kind` (named `what` when a
/// cursor names none of them) with every tag of `all` and, when it is not
/// empty, one of `any` (`types[]` on events).
pub struct Listing<'a> {
    pub kind: &'a str,
    pub what: &'a str,
    pub all: Vec<Tag>,
    pub any: Vec<Tag>,
}

impl<'a> Listing<'a> {
    pub fn new(kind: &'a str, what: &'a str, all: Vec<Tag>) -> Self {
        Listing { kind, what, all, any: Vec::new() }
    }

    /// Also one of `any`, when it is not empty.
    pub fn any_of(self, any: Vec<Tag>) -> Self {
        Listing { any, ..self }
    }
}

/// Runs `listing` for `call` and renders the envelope.
/// `render` turns a stored document into its wire form; a document that
/// does not fit its type fails the request rather than vanish from it.
pub async fn run(
    state: &AppState,
    call: &Call,
    lp: ListParams,
    listing: Listing<'_>,
    render: impl Fn(&StoredObject) -> ApiResult<Value>,
) -> ApiResult<Value> {
    let page = page(state, call, lp, listing).await?;
    let mut data = page.items.iter().map(render).collect::<ApiResult<Vec<Value>>>()?;
    expand::apply_to_list(state, &call.scope(), &mut data, &call.expand).await?;
    Ok(envelope(&call.path, data, page.has_more))
}

/// As `run`, where `render` may answer with text written straight from the
/// object: without expansions the envelope is written around the texts,
/// and only a request that expands something parses them into trees.
pub async fn run_body(
    state: &AppState,
    call: &Call,
    lp: ListParams,
    listing: Listing<'_>,
    render: impl Fn(&StoredObject) -> ApiResult<Body>,
) -> ApiResult<Body> {
    let page = page(state, call, lp, listing).await?;
    let bodies = page.items.iter().map(render).collect::<ApiResult<Vec<Body>>>()?;
    if call.expand.is_empty() {
        let texts: Vec<String> = bodies.into_iter().map(Body::into_text).collect();
        return Ok(Body::Text(envelope_text(&call.path, &texts, page.has_more)));
    }
    let mut data = bodies.into_iter().map(Body::into_tree).collect::<ApiResult<Vec<Value>>>()?;
    expand::apply_to_list(state, &call.scope(), &mut data, &call.expand).await?;
    Ok(Body::Tree(envelope(&call.path, data, page.has_more)))
}

/// The page `listing` names for `call`: its cursor found, its filters run.
async fn page(state: &AppState, call: &Call, lp: ListParams, listing: Listing<'_>) -> ApiResult<Page> {
    expand::validate(&call.expand)?;
    let scope = call.scope();
    let Listing { kind, what, all, any } = listing;
    let cursor = match &lp.cursor {
        None => None,
        Some(c) => {
            let (id, param) = match c {
                CursorParam::StartingAfter(id) => (id, "starting_after"),
                CursorParam::EndingBefore(id) => (id, "ending_before"),
            };
            let obj = state
                .store
                .get_object(&scope, id)
                .await?
                .filter(|o| o.kind == kind)
                .ok_or_else(|| ApiError::no_such(what, id, Some(param)).with_status_400())?;
            Some(match c {
                CursorParam::StartingAfter(_) => Cursor::After { created: obj.created, seq: obj.seq },
                CursorParam::EndingBefore(_) => Cursor::Before { created: obj.created, seq: obj.seq },
            })
        }
    };
    let query =
        ListQuery { kind: kind.to_owned(), filters: all, created: lp.created, cursor, limit: lp.limit, any_of: any };
    Ok(state.store.list_objects(&scope, &query).await?)
}

/// The render of a kind whose stored document is its wire form.
pub fn stored(obj: &StoredObject) -> ApiResult<Value> {
    Ok(obj.doc()?)
}

/// `stored` for `run_body`: the stored text itself, once it is known to be
/// JSON (checked without building a tree), so a corrupt row fails its
/// request as `doc()` would make it.
pub fn stored_text(obj: &StoredObject) -> ApiResult<Body> {
    Body::stored(obj.raw()?.to_owned(), &obj.id)
}

/// `envelope` as text, around objects already written as JSON text.
pub fn envelope_text(url: &str, data: &[String], has_more: bool) -> String {
    let mut out = String::with_capacity(data.iter().map(|d| d.len() + 1).sum::<usize>() + url.len() + 64);
    out.push_str(r#"{"object":"list","data":["#);
    for (i, d) in data.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(d);
    }
    out.push_str(if has_more { r#"],"has_more":true,"url":"# } else { r#"],"has_more":false,"url":"# });
    out.push_str(&Value::String(url.to_owned()).to_string());
    out.push('}');
    out
}

pub fn envelope(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    let mut m = Map::new();
    m.insert("object".into(), json!("list"));
    m.insert("data".into(), Value::Array(data));
    m.insert("has_more".into(), json!(has_more));
    m.insert("url".into(), json!(url));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_envelope_is_the_tree_envelope() {
        let items = [json!({"id": "a", "n": 1}), json!({"id": "b\"", "s": "x"})];
        let texts: Vec<String> = items.iter().map(Value::to_string).collect();
        for (data, more) in [(&items[..], true), (&items[..1], false), (&items[..0], false)] {
            let url = "/v1/things?x=\"y\"";
            let text = envelope_text(url, &texts[..data.len()], more);
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, envelope(url, data.to_vec(), more));
        }
    }

    #[test]
    fn list_params_are_taken_and_validated() {
        let mut p = json!({"limit": "3", "starting_after": "cus_1", "email": "a@b", "created": {"gte": "5"}});
        let lp = take(&mut p).unwrap();
        assert_eq!(lp.limit, 3);
        assert_eq!(lp.cursor, Some(CursorParam::StartingAfter("cus_1".into())));
        assert_eq!(lp.created.gte, Some(5));
        assert_eq!(p, json!({"email": "a@b"}));
        for bad in [
            json!({"limit": "0"}),
            json!({"limit": "-1"}),
            json!({"limit": "101"}),
            json!({"limit": "99999999999999999999999"}),
        ] {
            let e = take(&mut bad.clone()).unwrap_err();
            assert_eq!(e.code, Some("parameter_invalid_integer"));
            assert_eq!(e.param.as_deref(), Some("limit"));
        }
        let e = take(&mut json!({"starting_after": "a", "ending_before": "b"})).unwrap_err();
        assert_eq!(e.code, Some("parameters_exclusive"));
        let e = take(&mut json!({"created": {"since": "1"}})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("created[since]"));
        let lp = take(&mut json!({"created": "7"})).unwrap();
        assert_eq!((lp.created.gte, lp.created.lte), (Some(7), Some(7)));
    }
}
