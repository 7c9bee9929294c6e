//! Inventory service: stock per SKU owned by vendors, reservations for orders that expire
//! when not committed, a ledger of every change, and low-stock alerts.

pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod import;
pub mod inventory;
pub mod startup;
pub mod storage;

pub use config::{Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "inventory";
