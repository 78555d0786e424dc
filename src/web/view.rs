//! What the payment page shows, built from a stored session: every amount
//! formatted for the page's language. Nothing here comes from the browser
//! except the language; the server computes every amount.

use serde_json::Value;

use super::labels::{self, Labels};
use crate::domain::locale::{format_money, Lang};
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

fn money(v: &Value, currency: &str, lang: Lang) -> String {
    format_money(v.as_i64().unwrap_or(0), currency, lang)
}

/// A non-zero amount, formatted; zero shows as no row.
fn row(v: &Value, currency: &str, lang: Lang) -> Option<String> {
    v.as_i64().filter(|a| *a != 0).map(|a| format_money(a, currency, lang))
}

async fn product(state: &AppState, scope: &Scope, price: &Value) -> Option<StoredObject> {
    let id = price["product"].as_str()?;
    state.store.get_object(scope, id).await.ok().flatten()
}

/// The order summary and the submit button's words.
pub async fn summary(state: &AppState, scope: &Scope, session: &Value, lang: Lang) -> Summary {
    let currency = session["currency"].as_str().unwrap_or("usd").to_owned();
    let mut lines = Vec::new();
    for (index, li) in session["line_items"]["data"].as_array().into_iter().flatten().enumerate() {
        let prod = product(state, scope, &li["price"]).await;
        let pd = prod.as_ref().map(|p| &p.doc);
        let quantity = li["quantity"].as_i64().unwrap_or(1);
        let unit =
            li["price"]["unit_amount"].as_i64().or_else(|| li["amount_subtotal"].as_i64().map(|a| a / quantity.max(1)));
        let aq = &li["adjustable_quantity"];
        lines.push(LineView {
            id: li["id"].as_str().unwrap_or_default().to_owned(),
            index,
            name: li["description"].as_str().unwrap_or_default().to_owned(),
            description: pd.and_then(|p| p["description"].as_str()).map(str::to_owned),
            image: pd
                .and_then(|p| p["images"][0].as_str())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_owned),
            quantity,
            unit: format_money(unit.unwrap_or(0), &currency, lang),
            amount: money(&li["amount_subtotal"], &currency, lang),
            adjustable: (aq["enabled"] == true)
                .then(|| (aq["minimum"].as_i64().unwrap_or(0).max(1), aq["maximum"].as_i64().unwrap_or(99))),
        });
    }
    let td = &session["total_details"];
    let code = session["discounts"][0]["promotion_code"].as_str().map(str::to_owned);
    let code = match code {
        Some(id) => state
            .store
            .get_object(scope, &id)
            .await
            .ok()
            .flatten()
            .and_then(|p| p.doc["code"].as_str().map(str::to_owned)),
        None => None,
    };
    let total = money(&session["amount_total"], &currency, lang);
    let labels = labels::for_lang(lang);
    Summary {
        lang,
        labels,
        submit_text: labels::submit_text(labels, session["submit_type"].as_str(), &total),
        totals: TotalsView {
            subtotal: money(&session["amount_subtotal"], &currency, lang),
            discount: row(&td["amount_discount"], &currency, lang).map(|d| format!("-{d}")),
            discount_code: code,
            shipping: row(&td["amount_shipping"], &currency, lang),
            tax: row(&td["amount_tax"], &currency, lang),
            total,
        },
        lines,
    }
}

/// The session's custom fields as form inputs.
pub fn fields(session: &Value) -> Vec<FieldView> {
    let mut out = Vec::new();
    for f in session["custom_fields"].as_array().into_iter().flatten() {
        let kind = f["type"].as_str().unwrap_or("text").to_owned();
        let conf = &f[kind.as_str()];
        out.push(FieldView {
            key: f["key"].as_str().unwrap_or_default().to_owned(),
            label: f["label"]["custom"].as_str().unwrap_or_default().to_owned(),
            optional: f["optional"] == true,
            options: conf["options"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    (
                        o["value"].as_str().unwrap_or_default().to_owned(),
                        o["label"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            value: conf["value"].as_str().or_else(|| conf["default_value"].as_str()).unwrap_or_default().to_owned(),
            min_len: conf["minimum_length"].as_i64(),
            max_len: conf["maximum_length"].as_i64(),
            kind,
        });
    }
    out
}

/// The shipping options with their names.
pub async fn shipping(state: &AppState, scope: &Scope, session: &Value, lang: Lang) -> Vec<ShipView> {
    let currency = session["currency"].as_str().unwrap_or("usd");
    let chosen = session["shipping_cost"]["shipping_rate"].as_str();
    let mut out = Vec::new();
    for o in session["shipping_options"].as_array().into_iter().flatten() {
        let Some(id) = o["shipping_rate"].as_str() else { continue };
        let name = state
            .store
            .get_object(scope, id)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.doc["display_name"].as_str().map(str::to_owned));
        out.push(ShipView {
            id: id.to_owned(),
            label: name.unwrap_or_else(|| id.to_owned()),
            amount: money(&o["shipping_amount"], currency, lang),
            checked: chosen == Some(id),
        });
    }
    out
}
