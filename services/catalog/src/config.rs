//! The catalog's own settings, beside the common service settings.

use serde::{Deserialize, Serialize};

use crate::SERVICE;

/// The catalog's own settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogExtra {
    /// Order's gRPC endpoint, asked whether a reviewer bought the product.
    pub order_url: String,
}

impl Default for CatalogExtra {
    fn default() -> Self {
        Self { order_url: "http://127.0.0.1:50054".into() }
    }
}

pub type Settings = shop_service_kit::ServiceSettings<CatalogExtra>;

/// Default settings of the catalog service.
pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50052, 9102)
}
