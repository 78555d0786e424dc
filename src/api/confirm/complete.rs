//! Completing a confirmed session: customer details, a guest's customer, the
//! saved card, the SetupIntent or the contract, and
//! `checkout.session.completed` (what is saved where: `save.rs`).

use serde_json::{json, Value};

use super::*;

impl Ctx<'_> {
    /// Marks the session complete: customer details, a guest's customer,
    /// the saved card, `customer_update`, the SetupIntent (setup mode) or the
    /// contract, and `checkout.session.completed`.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
    #[tracing::instrument(skip_all, fields(session = s["id"].as_str().unwrap_or_default(), payment_status))]
    pub(super) async fn complete(
        &self,
        s: &mut Value,
        payment_status: &str,
        pm: Option<&Value>,
        terms: Confirmation,
        intent: Option<&str>,
        changes: &mut Vec<Change>,
        events: &mut Vec<Value>,
    ) -> ApiResult<()> {
        let (call, now) = (&self.origin, self.now);
        let ctx = call.event_ctx(now);
        let setup = s["mode"] == "setup";
        s["customer_details"] = customer_details(s, self.terms.customer_details.as_ref(), pm);
        let pm_id = pm.and_then(|p| p["id"].as_str()).map(str::to_owned);
        // Saving the card (`setup_future_usage`) needs a customer to save it to.
        let save_card = pm_id.is_some() && s["payment_intent_data"]["setup_future_usage"].is_string();
        let wants_customer = s["customer_creation"] == "always" || setup || save_card;
        if s["customer"].is_null() && wants_customer {
            let cus_id = self.guest_customer(s, changes, events)?;
            s["customer"] = json!(cus_id);
            if let Some(pi) = intent {
                self.intent_customer(pi, &cus_id, changes, events);
            }
        }
        if let Some(pm_id) = &pm_id {
            self.keep_method(s, pm_id, setup || save_card, changes, events).await?;
        }
        self.update_customer(s, changes, events).await?;
        if setup {
            if let (Some(pm_id), Some(cus)) = (&pm_id, s["customer"].as_str()) {
                let seti = self.setup_intent(s, pm_id, cus, changes, events);
                s["setup_intent"] = json!(seti);
            }
        } else {
            let ctr_id = new_id("ctr");
            let doc = contract::build(contract::NewContract {
                id: &ctr_id,
                livemode: call.livemode(),
                now,
                session: s,
                customer: s["customer"].as_str(),
                confirmation: terms,
                days_until_due: self.terms.days_until_due.unwrap_or(30),
                payment_intent: intent,
                payment_method: pm_id.as_deref(),
                description: self.terms.description.as_deref(),
                notes: self.terms.notes.as_deref(),
            });
            events.push(event::build(&ctx, "contract.created", &doc, None));
            changes.push(Change::Insert {
                id: ctr_id.clone(),
                kind: contract::KIND.into(),
                created: now,
                tags: contract::tags(&doc),
                doc,
            });
            s["contract"] = json!(ctr_id);
        }
        s["status"] = json!("complete");
        s["payment_status"] = json!(payment_status);
        s["url"] = Value::Null;
        let shown = session::render(s, now, &self.version(), false);
        events.push(event::build(&ctx, "checkout.session.completed", &shown, None));
        Ok(())
    }
}
