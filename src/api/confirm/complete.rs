//! Completing a confirmed session: customer details, a guest's customer, the
//! saved card for setup, the contract, and `checkout.session.completed`.

use serde_json::{json, Value};

use super::*;
use crate::domain::customer::{self, CustomerParams};
use crate::domain::payment_method;

impl Ctx<'_> {
    /// Marks the session complete: customer details, a guest's customer,
    /// the saved card for setup, the contract, `checkout.session.completed`.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
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
        let wants_customer = s["customer_creation"] == "always" || setup;
        if s["customer"].is_null() && wants_customer {
            let d = &s["customer_details"];
            let params = CustomerParams {
                email: d["email"].as_str().map(|e| Some(e.to_owned())),
                name: d["name"].as_str().map(|e| Some(e.to_owned())),
                phone: d["phone"].as_str().map(|e| Some(e.to_owned())),
                ..CustomerParams::default()
            };
            let cus_id = new_id("cus");
            // The payment is taken: a detail the customer object refuses
            // (say, a malformed billing email) must not undo it.
            let prefix = random_base62(8).to_uppercase();
            let doc = match customer::create(&cus_id, call.livemode(), now, &prefix, &params) {
                Ok(d) => d,
                Err(_) => customer::create(&cus_id, call.livemode(), now, &prefix, &CustomerParams::default())?,
            };
            events.push(event::build(&ctx, "customer.created", &doc, None));
            changes.push(Change::Insert {
                id: cus_id.clone(),
                kind: "customer".into(),
                created: now,
                tags: customer::tags(&doc),
                doc,
            });
            s["customer"] = json!(cus_id);
        }
        let pm_id = pm.and_then(|p| p["id"].as_str()).map(str::to_owned);
        if setup {
            if let (Some(pm_id), Some(cus)) = (&pm_id, s["customer"].as_str()) {
                self.attach(pm_id, cus, changes).await?;
                let seti = new_id("seti");
                let doc = json!({
                    "id": seti, "object": "setup_intent", "client_secret": format!("{seti}_secret_{}", random_base62(24)),
                    "created": now, "customer": cus, "description": null, "last_setup_error": null, "livemode": call.livemode(),
                    "mandate": null, "metadata": {}, "next_action": null, "payment_method": pm_id, "payment_method_types": ["card"],
                    "status": "succeeded", "usage": "off_session", "checkout_session": s["id"],
                });
                events.push(event::build(&ctx, "setup_intent.succeeded", &doc, None));
                changes.push(Change::Insert {
                    id: seti.clone(),
                    kind: "setup_intent".into(),
                    created: now,
                    tags: vec![("customer".into(), cus.to_owned())],
                    doc,
                });
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

    /// Saves the card to the customer (a setup-mode session's purpose).
    async fn attach(&self, pm_id: &str, customer: &str, changes: &mut [Change]) -> ApiResult<()> {
        for c in changes.iter_mut() {
            if let Change::Insert { id, doc, tags, .. } = c {
                if id == pm_id {
                    doc["customer"] = json!(customer);
                    *tags = payment_method::tags(doc);
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
