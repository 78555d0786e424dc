//! Webhooks: deliveries written with every event (`fanout`), signed POSTs
//! (`send`), and one delivery attempt from claim to record (`deliver`).

pub mod deliver;
pub mod fanout;
pub mod send;
