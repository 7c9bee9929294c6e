//! Catalog service: products with variants, categories, reviews and search.

pub mod catalog;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod grpc;
pub mod search_index;
pub mod seed;
pub mod startup;
pub mod storage;
pub mod transfer;

pub use config::{CatalogExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "catalog";
