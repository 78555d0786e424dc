//! A generated cart: what the model and kassa are both given, written the
//! way a client sends it (amounts as integers or decimal strings,
//! percentages as strings), and the proptest strategies that make carts.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

/// A unit or flat amount in minor units, as sent.
#[derive(Debug, Clone)]
pub enum Amount {
    Whole(i64),
    /// `unit_amount_decimal`: up to 12 decimal places.
    Decimal(String),
}

#[derive(Debug, Clone)]
pub struct Tier {
    /// `None` is `inf` (the last tier).
    pub up_to: Option<i64>,
    pub unit: Option<Amount>,
    pub flat: Option<Amount>,
}

#[derive(Debug, Clone)]
pub enum Price {
    PerUnit(Amount),
    Graduated(Vec<Tier>),
    Volume(Vec<Tier>),
    /// A custom-amount price, charged at its preset (quantity 1).
    Custom(i64),
}

#[derive(Debug, Clone)]
pub struct Rate {
    /// Percent with up to four decimals, e.g. `"8.25"`.
    pub percentage: String,
    pub inclusive: bool,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub price: Price,
    pub quantity: i64,
    /// Index of the line's product (for a coupon's `applies_to`).
    pub product: usize,
    /// Indices into the cart's rates, each at most once.
    pub rates: Vec<usize>,
}

#[derive(Debug, Clone)]
pub enum Off {
    /// Percent with up to two decimals, e.g. `"12.5"`.
    Percent(String),
    /// In the cart's currency.
    Amount(i64),
}

#[derive(Debug, Clone)]
pub struct Coupon {
    pub off: Off,
    /// `applies_to[products]`: indices of products; `None` is every product.
    pub products: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct Cart {
    pub currency: &'static str,
    pub rates: Vec<Rate>,
    pub lines: Vec<Line>,
    pub coupon: Option<Coupon>,
    pub shipping: Option<i64>,
}

/// Products a cart's lines are spread over.
pub const PRODUCTS: usize = 3;

/// Currencies with exponents 0, 2 and 3, with and without a minimum charge.
pub const CURRENCIES: &[&str] = &["jpy", "krw", "usd", "eur", "gbp", "mxn", "kwd", "bhd"];

/// How large the generated amounts get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Anything up to and past `i64`: for the model against the domain.
    Wide,
    /// Mostly what a session accepts (a total under 10^8), for the API.
    Charge,
}

fn decimal(whole: std::ops::Range<u64>) -> impl Strategy<Value = Amount> {
    (whole, 0usize..=12, any::<u64>()).prop_map(|(w, places, bits)| {
        if places == 0 {
            return Amount::Decimal(w.to_string());
        }
        let frac = bits % 10u64.pow(places as u32);
        Amount::Decimal(format!("{w}.{frac:0places$}"))
    })
}

fn amount(size: Size) -> BoxedStrategy<Amount> {
    match size {
        Size::Wide => prop_oneof![
            3 => (0i64..1000).prop_map(Amount::Whole),
            2 => (0i64..100_000_000).prop_map(Amount::Whole),
            1 => (0i64..1_000_000_000_000_000).prop_map(Amount::Whole),
            3 => decimal(0..1000),
            2 => decimal(0..10_000_000_000),
        ]
        .boxed(),
        Size::Charge => prop_oneof![
            3 => (0i64..3000).prop_map(Amount::Whole),
            3 => decimal(0..3000),
            1 => decimal(0..1),
        ]
        .boxed(),
    }
}

fn quantity(size: Size) -> BoxedStrategy<i64> {
    match size {
        Size::Wide => prop_oneof![3 => 1i64..=10, 2 => 1i64..=10_000, 2 => 1i64..=100_000_000].boxed(),
        Size::Charge => prop_oneof![6 => 1i64..=12, 1 => 1i64..=100_000_000].boxed(),
    }
}

fn tiers(size: Size) -> impl Strategy<Value = Vec<Tier>> {
    let step = if size == Size::Wide { 1i64..1_000_000 } else { 1i64..20 };
    vec((step, option::weighted(0.9, amount(size)), option::weighted(0.4, amount(size))), 1..=4).prop_map(|raw| {
        let last = raw.len() - 1;
        let mut bound = 0i64;
        raw.into_iter()
            .enumerate()
            .map(|(i, (step, unit, flat))| {
                bound += step;
                Tier { up_to: (i < last).then_some(bound), unit, flat }
            })
            .collect()
    })
}

fn price(size: Size) -> impl Strategy<Value = Price> {
    let custom = if size == Size::Wide { 0i64..1_000_000_000 } else { 0i64..5000 };
    prop_oneof![
        4 => amount(size).prop_map(Price::PerUnit),
        2 => tiers(size).prop_map(Price::Graduated),
        2 => tiers(size).prop_map(Price::Volume),
        1 => custom.prop_map(Price::Custom),
    ]
}

fn rate() -> impl Strategy<Value = Rate> {
    let percentage = prop_oneof![
        2 => (0u32..=30).prop_map(|p| p.to_string()),
        3 => (0u32..=1_000_000).prop_map(|p| format!("{}.{:04}", p / 10_000, p % 10_000)),
        1 => Just("100".to_owned()),
    ];
    (percentage, any::<bool>()).prop_map(|(percentage, inclusive)| Rate { percentage, inclusive })
}

fn line(size: Size, rates: usize) -> impl Strategy<Value = Line> {
    let all: Vec<usize> = (0..rates).collect();
    (price(size), quantity(size), 0..PRODUCTS, subsequence(all, 0..=rates.min(3))).prop_map(
        |(price, quantity, product, rates)| {
            let quantity = if matches!(price, Price::Custom(_)) { 1 } else { quantity };
            Line { price, quantity, product, rates }
        },
    )
}

fn coupon(size: Size) -> impl Strategy<Value = Coupon> {
    let amount = match size {
        Size::Wide => prop_oneof![1i64..1000, 1i64..1_000_000_000, 1i64..1_000_000_000_000_000].boxed(),
        Size::Charge => (1i64..10_000).boxed(),
    };
    let off = prop_oneof![
        (1u32..=10_000).prop_map(|p| Off::Percent(format!("{}.{:02}", p / 100, p % 100))),
        (1u32..=100).prop_map(|p| Off::Percent(p.to_string())),
        amount.prop_map(Off::Amount),
    ];
    let products = option::of(subsequence((0..PRODUCTS).collect::<Vec<_>>(), 1..=PRODUCTS));
    (off, products).prop_map(|(off, products)| Coupon { off, products })
}

/// A cart of 1 to 5 lines.
pub fn cart(size: Size) -> impl Strategy<Value = Cart> {
    let shipping = if size == Size::Wide { 0i64..100_000_000 } else { 0i64..3000 };
    (select(CURRENCIES), vec(rate(), 0..=4)).prop_flat_map(move |(currency, rates)| {
        let n = rates.len();
        (Just(currency), Just(rates), vec(line(size, n), 1..=5), option::of(coupon(size)), option::of(shipping.clone()))
            .prop_map(|(currency, rates, lines, coupon, shipping)| Cart { currency, rates, lines, coupon, shipping })
    })
}
