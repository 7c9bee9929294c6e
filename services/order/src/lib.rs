//! Order service: carts, checkout saga and the order lifecycle.
//!
//! Carts live in Redis (or memory); orders in MongoDB (or memory) with their events in the
//! outbox. Checkout is orchestrated here (`checkout`) and compensated on failure; what
//! happens after it is in `lifecycle`. Payment's events finish checkouts whose reply was
//! lost, and a recovery loop cancels those that stalled.

pub mod cart;
pub mod checkout;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod lifecycle;
pub mod metrics;
pub mod pricing;
pub mod startup;
pub mod storage;

pub use config::{OrderExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "order";
