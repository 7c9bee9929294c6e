//! Inventory service: stock, reservations and low-stock alerts.
//!
//! The service runs with its backends, health, reflection and metrics; its gRPC API
//! (`shop.inventory.v1`) is served as its behaviour lands. The stock store below is the
//! part that exists: atomic, idempotent, resumable reservations.

pub mod domain;
pub mod storage;

use shop_messaging::{
    InProcessBus,
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;

pub const SERVICE: &str = "inventory";

pub fn default_settings() -> ServiceSettings {
    ServiceSettings::defaults(SERVICE, 50053, 9103)
}

/// Connects the backends and starts serving.
pub async fn build(settings: ServiceSettings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    Service::bare(&settings, &embedded, shutdown).await
}
