//! `expand[]`: replace ids with the objects they name, along dotted paths of
//! at most four levels (reference §4.5).

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::store::Scope;
use crate::AppState;

pub const MAX_DEPTH: usize = 4;

/// Fields that hold the id of another object and may be expanded.
const EXPANDABLE: &[&str] = &[
    "balance_transaction",
    "charge",
    "coupon",
    "customer",
    "default_payment_method",
    "default_source",
    "invoice",
    "latest_charge",
    "payment_intent",
    "payment_link",
    "payment_method",
    "price",
    "product",
    "promotion_code",
    "setup_intent",
    "shipping_rate",
    "source",
    "subscription",
    "test_clock",
];

fn not_expandable(path: &str) -> ApiError {
    ApiError::invalid("parameter_invalid", "expand", format!("This property cannot be expanded ({path})."))
}

/// At most this many distinct `expand[]` paths per request.
pub const MAX_PATHS: usize = 20;

/// Checks every path's shape before any work is done.
pub fn validate(paths: &[String]) -> ApiResult<()> {
    let distinct: std::collections::HashSet<&String> = paths.iter().collect();
    if distinct.len() > MAX_PATHS {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "expand",
            format!("You may expand at most {MAX_PATHS} properties per request."),
        ));
    }
    for p in paths {
        let segs: Vec<&str> = p.split('.').collect();
        if segs.iter().any(|s| s.is_empty() || s.len() > 100) {
            return Err(not_expandable(p));
        }
        if segs.len() > MAX_DEPTH {
            return Err(ApiError::invalid(
                "parameter_invalid",
                "expand",
                format!("You cannot expand more than {MAX_DEPTH} levels of a property. Property: {p}"),
            ));
        }
    }
    Ok(())
}

/// Expands `paths` within one object.
pub async fn apply(state: &AppState, scope: &Scope, obj: &mut Value, paths: &[String]) -> ApiResult<()> {
    apply_with(state, scope, obj, paths, &[]).await
}

/// As `apply`, where `pending` holds objects written by the same commit as
/// the response, so the response shows them as they will be stored.
pub async fn apply_with(
    state: &AppState,
    scope: &Scope,
    obj: &mut Value,
    paths: &[String],
    pending: &[Value],
) -> ApiResult<()> {
    let mut seen = std::collections::HashSet::new();
    for p in paths.iter().filter(|p| seen.insert(p.as_str())) {
        let segs: Vec<&str> = p.split('.').collect();
        let walk = Walk { state, scope, full: p, pending };
        expand_path(&walk, obj, &segs).await?;
    }
    Ok(())
}

/// Expands paths given for a list: each must start with `data.`.
pub async fn apply_to_list(state: &AppState, scope: &Scope, items: &mut [Value], paths: &[String]) -> ApiResult<()> {
    let mut inner = Vec::with_capacity(paths.len());
    for p in paths {
        match p.strip_prefix("data.") {
            Some(rest) => inner.push(rest.to_owned()),
            None => return Err(not_expandable(p)),
        }
    }
    for item in items.iter_mut() {
        apply_with(state, scope, item, &inner, &[]).await?;
    }
    Ok(())
}

/// One path's expansion: what stays the same down the path.
struct Walk<'a> {
    state: &'a AppState,
    scope: &'a Scope,
    /// The whole path, as the request gave it (for the error).
    full: &'a str,
    /// Objects written by the same commit as the response.
    pending: &'a [Value],
}

fn expand_path<'a>(
    walk: &'a Walk<'a>,
    node: &'a mut Value,
    segs: &'a [&'a str],
) -> Pin<Box<dyn Future<Output = ApiResult<()>> + Send + 'a>> {
    let Walk { state, scope, full, pending } = *walk;
    Box::pin(async move {
        let Some((seg, rest)) = segs.split_first() else {
            return Ok(());
        };
        let Some(field) = node.as_object_mut().and_then(|m| m.get_mut(*seg)) else {
            return Err(not_expandable(full));
        };
        let expandable = EXPANDABLE.contains(seg);
        if rest.is_empty() && !expandable {
            return Err(not_expandable(full));
        }
        match field {
            Value::Null => return Ok(()),
            Value::String(id) if expandable => {
                if let Some(doc) = pending.iter().find(|d| d["id"] == id.as_str()) {
                    *field = match doc["object"].as_str() {
                        Some(crate::domain::payment_intent::KIND) => intent_wire(doc)?,
                        _ => doc.clone(),
                    };
                } else if let Some(obj) = state.store.get_object(scope, id).await? {
                    let session = obj.decode::<crate::domain::session::CheckoutSession>()?;
                    *field = if let Some(s) = session {
                        crate::domain::session::render(
                            &s,
                            state.now(),
                            &crate::domain::version::ApiVersion::latest(),
                            false,
                        )
                    } else if obj.kind == crate::domain::payment_intent::KIND {
                        intent_wire(&obj.doc()?)?
                    } else if obj.kind == crate::domain::charge::KIND {
                        crate::engine::charges::current_doc(state, scope, &obj).await?
                    } else {
                        obj.doc()?
                    };
                }
            }
            Value::Object(_) => {}
            // A list's `data`: the rest of the path applies to each element.
            Value::Array(items) if !rest.is_empty() => {
                for item in items.iter_mut().filter(|i| i.is_object()) {
                    expand_path(walk, item, rest).await?;
                }
                return Ok(());
            }
            _ => return Err(not_expandable(full)),
        }
        if rest.is_empty() {
            return Ok(());
        }
        if field.is_object() {
            expand_path(walk, field, rest).await
        } else {
            Ok(())
        }
    })
}

/// A PaymentIntent's stored document as the API shows it.
fn intent_wire(doc: &Value) -> ApiResult<Value> {
    use crate::domain::document::Document;
    let pi: crate::domain::payment_intent::PaymentIntent = serde_json::from_value(doc.clone())
        .map_err(|e| crate::store::StoreError::Backend(format!("a stored payment_intent does not decode: {e}")))?;
    Ok(pi.wire())
}
