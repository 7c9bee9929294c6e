//! Order service: carts, checkout saga and the order lifecycle.
//!
//! The service runs with its backends, health, reflection and metrics; its gRPC API
//! (`shop.order.v1`) is served as its behaviour lands.

use shop_messaging::{
    InProcessBus,
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;

pub const SERVICE: &str = "order";

pub fn default_settings() -> ServiceSettings {
    ServiceSettings::defaults(SERVICE, 50054, 9104)
}

/// Connects the backends and starts serving.
pub async fn build(settings: ServiceSettings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    Service::bare(&settings, &embedded, shutdown).await
}
