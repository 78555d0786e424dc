//! Webhooks: signed POSTs (`send`), and one delivery attempt from claim to
//! record (`deliver`). Deliveries are written by the store with each event
//! (`store::fanout`).

pub mod deliver;
pub mod send;
