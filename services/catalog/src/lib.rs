//! Catalog service: products with variants, categories, reviews and search.

pub mod catalog;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod seed;
pub mod startup;
pub mod storage;

pub use startup::CatalogExtra;

pub type Settings = shop_service_kit::ServiceSettings<CatalogExtra>;
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "catalog";

/// Default settings of the catalog service.
pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50052, 9102)
}
