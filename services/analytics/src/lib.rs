//! Analytics service: the shop's figures — sales, products, categories, customers — kept
//! as daily rollups in the shop's time zone that events update as they happen (each event
//! applied once), so every report is a sum over the days of its range and costs the same on
//! the thousandth day as on the first. Admins see the shop's figures and any vendor's; a
//! vendor sees its own.

pub mod behaviour;
pub mod config;
pub mod domain;
pub mod export;
pub mod facts;
pub mod grpc;
pub mod ingest;
pub mod rebuild;
pub mod reports;
pub mod startup;
pub mod storage;

pub use config::{AnalyticsExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "analytics";
