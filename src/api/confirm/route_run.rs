//! The confirm's helpers around the processors: the route run outside the
//! request, what a finishing commit does with the claiming request's key,
//! and a gateway's own authentication page as a next action.

use serde_json::{json, Value};
use tracing::Instrument;

use super::*;

impl Ctx<'_> {
    /// Runs the route outside the request: if the request is dropped (the
    /// client left, the request timeout), the processor call still ends and
    /// its outcome is recorded without it (`pending::finish_dropped`). The
    /// task keeps the request's span, so its log lines carry the request id.
    #[tracing::instrument(skip_all, fields(payment_intent = pi_id, processors = route.len()))]
    pub(super) async fn run_route(
        &self,
        route: Vec<Arc<dyn Processor>>,
        req: Authorize,
        pi_id: &str,
    ) -> ApiResult<(Outcome, Vec<crate::processor::route::Attempt>)> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (state, scope, pi_id, now) = (self.state.clone(), self.origin.scope(), pi_id.to_owned(), self.now);
        let run = async move {
            let result = execute(&route, &req, now).await;
            if let Err((outcome, attempts)) = tx.send(result) {
                super::pending::finish_dropped(state, scope, pi_id, outcome, attempts).await;
            }
        };
        tokio::spawn(run.instrument(tracing::Span::current()));
        rx.await.map_err(|_| ApiError::internal())
    }

    /// This commit records the claiming request's answer (its own, or
    /// kassa's for it): nothing may record another for that key.
    pub(super) fn answered(&self, pi: &mut Value) {
        if self.origin.records_answer() {
            payment_intent::strip(pi, "confirm_request");
        }
    }

    /// A gateway's own authentication page, as `next_action.three_d_secure`.
    pub(super) fn gateway_action(&self, pi: &mut Value, session: &Value) {
        let url = pi["next_action"]["redirect_to_url"]["url"].clone();
        let return_url = self.terms.return_url.clone().or_else(|| session["return_url"].as_str().map(str::to_owned));
        let key =
            pi["attempts"].as_array().and_then(|a| a.last()).map(|a| a["idempotency_key"].clone()).unwrap_or_default();
        let id = pi["id"].as_str().unwrap_or_default().to_owned();
        let status_url = format!(
            "{}/3ds/{id}/status?client_secret={}",
            self.state.cfg.public_url,
            pi["client_secret"].as_str().unwrap_or_default()
        );
        pi["next_action"] = json!({
            "type": "three_d_secure",
            "three_d_secure": {"flow": "challenge", "idempotency_key": key, "status_url": status_url, "return_url": return_url, "challenge_url": url},
            "redirect_to_url": {"url": url, "return_url": return_url},
        });
    }
}
