//! What the payment page shows, built from a stored session: every amount
//! formatted for the page's language. Nothing here comes from the browser
//! except the language; the server computes every amount.

use serde_json::json;

use super::labels::{self, Labels};
use crate::domain::custom_fields::FieldType;
use crate::domain::locale::{format_money, Lang};
use crate::domain::session::CheckoutSession;
use crate::store::{Scope, StoredObject};
use crate::AppState;

pub struct LineView {
    pub id: String,
    pub index: usize,
    pub name: String,
    pub description: Option<String>,
    pub image: Option<String>,
    pub quantity: i64,
    pub unit: String,
    pub amount: String,
    /// `(minimum, maximum)` when the buyer may change the quantity.
    pub adjustable: Option<(i64, i64)>,
}

pub struct TotalsView {
    pub subtotal: String,
    pub discount: Option<String>,
    pub discount_code: Option<String>,
    pub shipping: Option<String>,
    pub tax: Option<String>,
    pub total: String,
}

pub struct FieldView {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub optional: bool,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub min_len: Option<i64>,
    pub max_len: Option<i64>,
}

pub struct ShipView {
    pub id: String,
    pub label: String,
    pub amount: String,
    pub checked: bool,
}

pub struct Summary {
    pub lang: Lang,
    pub labels: &'static Labels,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
    pub submit_text: String,
}

fn money(v: Option<i64>, currency: &str, lang: Lang) -> String {
    format_money(v.unwrap_or(0), currency, lang)
}

/// A non-zero amount, formatted; zero shows as no row.
fn row(v: Option<i64>, currency: &str, lang: Lang) -> Option<String> {
    v.filter(|a| *a != 0).map(|a| format_money(a, currency, lang))
}

async fn product(state: &AppState, scope: &Scope, id: &str) -> Option<StoredObject> {
    state.store.get_object(scope, id).await.ok().flatten()
}

/// The order summary and the submit button's words.
pub async fn summary(state: &AppState, scope: &Scope, session: &CheckoutSession, lang: Lang) -> Summary {
    let currency = session.currency.clone().unwrap_or_else(|| "usd".into());
    let mut lines = Vec::new();
    for (index, li) in session.line_items.data.iter().enumerate() {
        let prod = product(state, scope, &li.price.product).await;
        let pd = prod.as_ref().and_then(|p| p.doc().ok());
        let pd = pd.as_ref();
        let quantity = li.quantity.unwrap_or(1);
        let unit = li.price.unit_amount.unwrap_or(li.amount_subtotal / quantity.max(1));
        lines.push(LineView {
            id: li.id.clone(),
            index,
            name: li.description.clone(),
            description: pd.and_then(|p| p["description"].as_str()).map(str::to_owned),
            image: pd
                .and_then(|p| p["images"][0].as_str())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_owned),
            quantity,
            unit: format_money(unit, &currency, lang),
            amount: money(Some(li.amount_subtotal), &currency, lang),
            adjustable: li.adjustable_quantity.filter(|a| a.enabled).map(|a| (a.minimum.max(1), a.maximum)),
        });
    }
    let td = session.total_details;
    let code = match session.promotion_code() {
        Some(id) => state
            .store
            .get_object(scope, id)
            .await
            .ok()
            .flatten()
            .and_then(|p| p.doc().ok()?["code"].as_str().map(str::to_owned)),
        None => None,
    };
    let total = money(session.amount_total, &currency, lang);
    let labels = labels::for_lang(lang);
    let submit = session.submit_type.map(|t| json!(t)).and_then(|t| t.as_str().map(str::to_owned));
    Summary {
        lang,
        labels,
        submit_text: labels::submit_text(labels, submit.as_deref(), &total),
        totals: TotalsView {
            subtotal: money(session.amount_subtotal, &currency, lang),
            discount: row(td.map(|t| t.amount_discount), &currency, lang).map(|d| format!("-{d}")),
            discount_code: code,
            shipping: row(td.map(|t| t.amount_shipping), &currency, lang),
            tax: row(td.map(|t| t.amount_tax), &currency, lang),
            total,
        },
        lines,
    }
}

/// The session's custom fields as form inputs.
pub fn fields(session: &CheckoutSession) -> Vec<FieldView> {
    let mut out = Vec::new();
    for f in &session.custom_fields {
        let (kind, options, value, min_len, max_len) = match (&f.dropdown, &f.numeric, &f.text) {
            (Some(d), _, _) if f.kind == FieldType::Dropdown => {
                let options = d.options.iter().map(|o| (o.value.clone(), o.label.clone())).collect();
                ("dropdown", options, d.value.clone().or_else(|| d.default_value.clone()), None, None)
            }
            (_, Some(l), _) if f.kind == FieldType::Numeric => (
                "numeric",
                Vec::new(),
                l.value.clone().or_else(|| l.default_value.clone()),
                l.minimum_length,
                l.maximum_length,
            ),
            (_, _, Some(l)) => (
                "text",
                Vec::new(),
                l.value.clone().or_else(|| l.default_value.clone()),
                l.minimum_length,
                l.maximum_length,
            ),
            _ => ("text", Vec::new(), None, None, None),
        };
        out.push(FieldView {
            key: f.key.clone(),
            label: f.label.custom.clone(),
            optional: f.optional,
            options,
            value: value.unwrap_or_default(),
            min_len,
            max_len,
            kind: kind.to_owned(),
        });
    }
    out
}

/// The shipping options with their names.
pub async fn shipping(state: &AppState, scope: &Scope, session: &CheckoutSession, lang: Lang) -> Vec<ShipView> {
    let currency = session.currency.as_deref().unwrap_or("usd");
    let chosen = session.shipping_cost.as_ref().map(|c| c.shipping_rate.as_str());
    let mut out = Vec::new();
    for o in &session.shipping_options {
        let id = o.shipping_rate.as_str();
        let name = state
            .store
            .get_object(scope, id)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.doc().ok()?["display_name"].as_str().map(str::to_owned));
        out.push(ShipView {
            id: id.to_owned(),
            label: name.unwrap_or_else(|| id.to_owned()),
            amount: money(Some(o.shipping_amount), currency, lang),
            checked: chosen == Some(id),
        });
    }
    out
}
