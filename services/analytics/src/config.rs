//! Analytics' own settings, beside the common service settings.

use serde::{Deserialize, Serialize};
use shop_service_kit::ServiceSettings;

use crate::SERVICE;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsExtra {
    /// `SHOP_TIME_ZONE`: the IANA time zone the shop's days are counted in
    /// (`Europe/Berlin`, `America/New_York`, `UTC`).
    pub time_zone: String,
    /// Catalog's gRPC endpoint (the names of categories).
    pub catalog_url: String,
    /// Order's gRPC endpoint (every order, read back by a rebuild).
    pub order_url: String,
}

impl Default for AnalyticsExtra {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            catalog_url: "http://127.0.0.1:50052".into(),
            order_url: "http://127.0.0.1:50054".into(),
        }
    }
}

pub type Settings = ServiceSettings<AnalyticsExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50057, 9107)
}
