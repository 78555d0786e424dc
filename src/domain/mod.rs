//! Pure domain logic: no I/O, no HTTP, no database. Everything here is
//! deterministic given its inputs (time is always passed in).

pub mod customer;
pub mod event;
pub mod fields;
pub mod ids;
pub mod keys;
pub mod metadata;
pub mod version;
