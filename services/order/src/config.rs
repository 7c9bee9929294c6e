//! Order's own settings, beside the common service settings.

use serde::{Deserialize, Serialize};
use shop_service_kit::ServiceSettings;

use crate::SERVICE;

/// Order's own settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderExtra {
    /// Catalog's gRPC endpoint, where lines are priced.
    pub catalog_url: String,
    /// Inventory's, where stock is reserved.
    pub inventory_url: String,
    /// Payment's, where orders are charged.
    pub payment_url: String,
    /// A checkout that made no progress for this long is cancelled (its stock released,
    /// any charge refunded). Longer than any one checkout step can take.
    pub checkout_timeout_secs: u32,
    /// Checkouts one customer may have running at once; another gets 429 (so nobody holds
    /// a shop's stock through many parallel checkouts).
    pub max_open_checkouts: usize,
    /// `SHOP_REQUIRE_VERIFIED_EMAIL=true`: only accounts whose email address is verified may
    /// check out (others get 403 `email_unverified`); by default any account may.
    pub require_verified_email: bool,
}

impl Default for OrderExtra {
    fn default() -> Self {
        Self {
            catalog_url: "http://127.0.0.1:50052".into(),
            inventory_url: "http://127.0.0.1:50053".into(),
            payment_url: "http://127.0.0.1:50055".into(),
            checkout_timeout_secs: 120,
            max_open_checkouts: 3,
            require_verified_email: false,
        }
    }
}

pub type Settings = ServiceSettings<OrderExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50054, 9104)
}
