//! What a completed session saves beyond itself: a guest's new customer,
//! the card (setup mode, or `payment_intent_data[setup_future_usage]`) with
//! its `allow_redisplay`, what the buyer entered onto the customer
//! (`customer_update`), and setup mode's SetupIntent.

use serde_json::{json, Value};

use super::caller::Run;
use super::error::PaymentResult;
use super::settle::Writes;
use crate::domain::charge::{self, Charge};
use crate::domain::checkout_session::AutoOrNever;
use crate::domain::customer::{Address, Customer, CustomerParams, Shipping};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::payment_intent::PaymentIntent;
use crate::domain::payment_method::{AllowRedisplay, PaymentMethod};
use crate::domain::session::CheckoutSession;
use crate::domain::setup_intent::{self, NewSetupIntent, SetupIntent};
use crate::ids::{new_id, random_base62};
use crate::store::{Change, StoreError};

/// An address the buyer gave (at least one part of it), as the customer takes it.
fn given_address(a: &Address) -> Option<Address> {
    let any = [&a.line1, &a.line2, &a.city, &a.state, &a.postal_code, &a.country].iter().any(|x| x.is_some());
    any.then(|| a.clone())
}

/// A customer for a guest who needs one; returns its id.
pub fn guest_customer(run: &Run<'_>, s: &CheckoutSession, w: &mut Writes) -> PaymentResult<String> {
    let now = run.now;
    let d = s.customer_details.as_ref();
    let params = CustomerParams {
        email: d.and_then(|d| d.email.clone()).map(Some),
        name: d.and_then(|d| d.name.clone()).map(Some),
        phone: d.and_then(|d| d.phone.clone()).map(Some),
        ..CustomerParams::default()
    };
    let cus_id = new_id(Customer::PREFIX);
    // The payment is taken: a detail the customer object refuses
    // (say, a malformed billing email) must not undo it.
    let blank = Customer::blank(&cus_id, run.caller.scope.livemode, now, &random_base62(8).to_uppercase());
    let customer = blank.apply(&params).unwrap_or(blank);
    w.events.push(event::of(&run.caller.event_ctx(now), "customer.created", &customer));
    w.changes.push(Change::insert(&customer)?);
    Ok(cus_id)
}

/// The intent of this payment belongs to the customer made for it.
pub fn intent_customer(intent: &str, customer: &str, w: &mut Writes) -> PaymentResult<()> {
    // The intent, and the charge it made in this same commit.
    let ours = |doc: &Value| doc["id"] == intent || (doc["object"] == "charge" && doc["payment_intent"] == intent);
    for c in w.changes.iter_mut() {
        let next = match c {
            Change::Insert { kind, doc, .. } if kind == charge::KIND => {
                let mut ch: Charge = decode(doc)?;
                if ch.payment_intent != intent || ch.customer.is_some() {
                    continue;
                }
                ch.customer = Some(customer.to_owned());
                Change::insert(&ch)?
            }
            Change::Insert { id, doc, .. } if id == intent => {
                let mut pi: PaymentIntent = decode(doc)?;
                if pi.customer.is_some() {
                    continue;
                }
                pi.customer = Some(customer.to_owned());
                Change::insert(&pi)?
            }
            Change::Update { id, doc, expected_version, .. } if id == intent => {
                let mut pi: PaymentIntent = decode(doc)?;
                if pi.customer.is_some() {
                    continue;
                }
                pi.customer = Some(customer.to_owned());
                Change::update(&pi, *expected_version)?
            }
            _ => continue,
        };
        *c = next;
    }
    // Only an event whose text names the intent can be about it or its charge.
    for e in w.events.iter_mut().filter(|e| e.data.object.get().contains(intent)) {
        let mut obj = event::object_tree(e).map_err(|err| StoreError::Backend(format!("event {}: {err}", e.id)))?;
        if ours(&obj) && obj["customer"].is_null() {
            obj["customer"] = json!(customer);
            e.data.object = event::tree_raw(&obj);
        }
    }
    Ok(())
}

/// An object this commit writes.
fn decode<D: Document>(doc: &str) -> PaymentResult<D> {
    let obj = serde_json::from_str(doc)
        .map_err(|e| StoreError::Backend(format!("a new {} does not decode: {e}", D::KIND)))?;
    Ok(obj)
}

/// The payment method as the session keeps it: saved to the session's
/// customer when `save`, with the session's `allow_redisplay`. A method
/// made by this confirm is changed in place; one stored earlier (a 3-D
/// Secure payment finished later, a saved card) is updated.
#[tracing::instrument(skip_all, fields(payment_method = pm_id, save))]
pub async fn keep_method(
    run: &Run<'_>,
    s: &CheckoutSession,
    pm_id: &str,
    save: bool,
    w: &mut Writes,
) -> PaymentResult<()> {
    let customer = s.customer.as_deref().filter(|_| save);
    let redisplay = match s.payment_method_data.as_ref().map(|d| d.allow_redisplay.as_str()) {
        Some(r) => Some(AllowRedisplay::parse(r).ok_or_else(|| StoreError::Backend(format!("allow_redisplay {r}")))?),
        None => None,
    };
    let keep = |pm: &mut PaymentMethod| -> bool {
        let mut attached = false;
        if let Some(c) = customer {
            attached = pm.customer.is_none();
            if attached {
                pm.customer = Some(c.to_owned());
            }
        }
        if let Some(r) = redisplay {
            pm.allow_redisplay = r;
        }
        attached
    };
    let mut attached = None;
    let mut in_changes = false;
    for c in w.changes.iter_mut() {
        let (mut pm, version) = match c {
            Change::Insert { id, doc, .. } if id == pm_id => (decode::<PaymentMethod>(doc)?, None),
            Change::Update { id, doc, expected_version, .. } if id == pm_id => (decode(doc)?, Some(*expected_version)),
            _ => continue,
        };
        in_changes = true;
        if keep(&mut pm) {
            attached = Some(pm.wire());
        }
        *c = match version {
            Some(v) => Change::update(&pm, v)?,
            None => Change::insert(&pm)?,
        };
    }
    if !in_changes && (customer.is_some() || redisplay.is_some()) {
        let stored = run.state.store.get_object(&run.caller.scope, pm_id).await?;
        if let Some(obj) = stored {
            if let Some(current) = obj.decode::<PaymentMethod>()? {
                let mut pm = current.clone();
                if keep(&mut pm) {
                    attached = Some(pm.wire());
                }
                if pm != current {
                    w.changes.push(Change::update(&pm, obj.version)?);
                }
            }
        }
    }
    if let Some(doc) = attached {
        w.events.push(event::build(&run.caller.event_ctx(run.now), "payment_method.attached", &doc, None));
    }
    Ok(())
}

/// `customer_update`: the address, name and shipping details the buyer
/// entered, saved onto the session's customer where the session says `auto`.
#[tracing::instrument(skip_all, fields(customer = s.customer.as_deref().unwrap_or_default()))]
pub async fn update_customer(run: &Run<'_>, s: &CheckoutSession, w: &mut Writes) -> PaymentResult<()> {
    let (Some(cu), Some(cus)) = (&s.customer_update, s.customer.as_deref()) else { return Ok(()) };
    let d = s.customer_details.as_ref();
    let mut p = CustomerParams::default();
    if cu.address == AutoOrNever::Auto {
        p.address = d.and_then(|d| d.address.as_ref()).and_then(given_address).map(Some);
    }
    if cu.name == AutoOrNever::Auto {
        p.name = d.and_then(|d| d.name.clone()).map(Some);
    }
    let sd = s.collected_information.as_ref().map(|c| &c.shipping_details);
    if let (true, Some(name), Some(address)) = (
        cu.shipping == AutoOrNever::Auto,
        sd.and_then(|sd| sd.name.as_deref()),
        sd.and_then(|sd| given_address(&sd.address)),
    ) {
        p.shipping = Some(Some(Shipping { address, name: name.to_owned(), phone: None }));
    }
    let stored = run.state.store.get_object(&run.caller.scope, cus).await?;
    let Some(obj) = stored.filter(|o| !o.deleted) else { return Ok(()) };
    let Some(current) = obj.decode::<Customer>()? else { return Ok(()) };
    // The payment is taken: a detail the customer refuses is left off.
    let Ok(next) = current.apply(&p) else { return Ok(()) };
    if next != current {
        let event =
            event::build(&run.caller.event_ctx(run.now), "customer.updated", &next.wire(), Some(&current.wire()));
        w.events.push(event);
        w.changes.push(Change::update(&next, obj.version)?);
    }
    Ok(())
}

/// Setup mode's SetupIntent, with the session's `setup_intent_data`; returns its id.
pub fn setup_intent(
    run: &Run<'_>,
    s: &CheckoutSession,
    pm_id: &str,
    customer: &str,
    w: &mut Writes,
) -> PaymentResult<String> {
    let now = run.now;
    let data = s.setup_intent_data.as_ref();
    let seti = new_id(SetupIntent::PREFIX);
    let si = setup_intent::succeeded(NewSetupIntent {
        id: &seti,
        livemode: run.caller.scope.livemode,
        now,
        client_secret: format!("{seti}_secret_{}", random_base62(24)),
        customer,
        payment_method: pm_id,
        session: &s.id,
        description: data.and_then(|d| d.description.clone()),
        metadata: data.map(|d| d.metadata.clone()).unwrap_or_default(),
    });
    w.events.push(event::of(&run.caller.event_ctx(now), "setup_intent.succeeded", &si));
    w.changes.push(Change::insert(&si)?);
    Ok(seti)
}
