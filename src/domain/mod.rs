//! Pure domain logic: no I/O, no HTTP, no database. Everything here is
//! deterministic given its inputs (time is always passed in).

pub mod account;
pub mod adjust;
pub mod card;
pub mod cascade;
pub mod contract;
pub mod coupon;
pub mod currency;
pub mod custom_fields;
pub mod customer;
pub mod event;
pub mod fields;
pub mod ids;
pub mod keys;
pub mod line_quantity;
pub mod locale;
pub mod metadata;
pub mod payment_intent;
pub mod payment_method;
pub mod price;
pub mod price_amounts;
pub mod pricing;
pub mod processor_route;
pub mod product;
pub mod promotion_code;
pub mod redemption;
pub mod session;
pub mod session_page;
pub mod session_params;
pub mod session_rules;
pub mod shipping_rate;
pub mod tax_rate;
pub mod version;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_endpoint;
