//! Payment service: charges, refunds and provider webhooks.
//!
//! The service runs with its backends, health, reflection and metrics; its gRPC API
//! (`shop.payment.v1`) is served as its behaviour lands.

use shop_messaging::{
    InProcessBus,
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;

pub const SERVICE: &str = "payment";

pub fn default_settings() -> ServiceSettings {
    ServiceSettings::defaults(SERVICE, 50055, 9105)
}

/// Connects the backends and starts serving.
pub async fn build(settings: ServiceSettings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    Service::bare(&settings, &embedded, shutdown).await
}
