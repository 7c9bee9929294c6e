//! Payment service: charges (once per order), refunds (never above what was captured) and
//! provider webhooks (signed, replay-proof), through a provider adapter — the sandbox here.

pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod payments;
pub mod provider;
pub mod startup;
pub mod storage;
pub mod webhook;

pub use config::{PaymentExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "payment";
