//! How a session is shown: its plain rendering (cached by version), and
//! the tree that expansions and the breakdown work on.

use serde_json::{json, Value};

use super::{decode, Includes, Pending};
use crate::api::plumbing::answer::{self, Body};
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::rendered::Of;
use crate::domain::session::{self, CheckoutSession};
use crate::domain::version::ApiVersion;
use crate::error::{ApiError, ApiResult};
use crate::store::StoredObject;
use crate::AppState;

/// The session as `version` shows it at `now`, with nothing expanded and no
/// breakdown: from the render cache when this version of it was rendered
/// before, or else decoded and rendered, and kept.
pub(crate) fn plain(
    state: &AppState,
    obj: &StoredObject,
    now: i64,
    version: &ApiVersion,
    lines: bool,
) -> ApiResult<Body> {
    let of = Of { seq: obj.seq, version: obj.version, api: version.as_str(), lines };
    let text = state.rendered.get_or_render(&of, now, || {
        let s = decode(obj)?;
        let text = session::render_text(&s, now, version, lines).map_err(answer::render_failed)?;
        Ok::<_, ApiError>((text, session::rendering_span(&s, now)))
    })?;
    Ok(Body::Text(text))
}

/// The session as this caller sees it now, as a response body: written
/// straight from the session when the request expands nothing, the tree
/// `view_with` builds otherwise.
pub(crate) async fn body(state: &AppState, call: &Call, s: &CheckoutSession, inc: &Includes) -> ApiResult<Body> {
    body_with(state, call, s, inc, &Vec::new).await
}

/// `body` with objects about to be committed alongside (see `view_with`),
/// which are asked for only when something is expanded.
pub(crate) async fn body_with(
    state: &AppState,
    call: &Call,
    s: &CheckoutSession,
    inc: &Includes,
    pending: &Pending<'_>,
) -> ApiResult<Body> {
    if inc.rest.is_empty() && !(inc.breakdown && s.total_details.is_some()) {
        return Body::rendered(session::render_text(s, state.now(), &call.version, inc.lines));
    }
    // Only an expansion looks at the objects written alongside.
    let written = if inc.rest.is_empty() { Vec::new() } else { pending() };
    Ok(Body::Tree(view_with(state, call, s, inc, &written).await?))
}

/// The session as a tree with its expansions, where `pending` holds objects
/// about to be committed alongside (see `expand::apply_with`).
async fn view_with(
    state: &AppState,
    call: &Call,
    s: &CheckoutSession,
    inc: &Includes,
    pending: &[Value],
) -> ApiResult<Value> {
    let mut out = session::render(s, state.now(), &call.version, inc.lines);
    if inc.breakdown && s.total_details.is_some() {
        let mut b = s.total_details_breakdown.clone().unwrap_or_default();
        // Priced from the coupon; the code that brought it is the session's.
        for d in &mut b.discounts {
            d.discount.promotion_code = s.promotion_code().map(str::to_owned);
        }
        out["total_details"]["breakdown"] = json!(b);
    }
    expand::apply_with(state, &call.scope(), &mut out, &inc.rest, pending).await?;
    Ok(out)
}
