#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Black-box tests: the real app on a random port, a fresh database each,
//! every test on SQLite and on PostgreSQL.

mod helpers;

mod account;
mod auth;
mod buyer_changes;
mod buyer_updates;
mod capture;
mod card_secrecy;
mod cascade;
mod catalog;
mod charges;
mod cli;
mod connections;
mod crash;
mod custom_amounts;
mod custom_fields;
mod customers;
mod discounts;
mod due_charges;
mod errors;
mod gateway;
mod hardening;
mod idempotency;
mod intent_data;
mod lists;
mod live_mode;
mod money_limits;
mod money_model;
mod migration_0004;
mod ops;
mod outbound_urls;
mod pages;
mod param_coverage;
mod param_rows;
mod params;
mod payments;
mod promotions;
mod rate_limits;
mod refunds;
mod scoped_ids;
mod session_lifecycle;
mod session_next_action;
mod session_rules;
mod sessions;
mod shipping;
mod soak;
mod startup;
mod store_contract;
mod three_ds;
mod webhook_fairness;
mod webhook_headers;
mod webhook_receiver;
mod webhooks;
