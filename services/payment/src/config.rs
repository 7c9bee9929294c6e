//! Payment's own settings, beside the common service settings.

use serde::{Deserialize, Serialize};
use shop_platform::settings::Secret;
use shop_service_kit::ServiceSettings;

use crate::SERVICE;

/// Payment's own settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentExtra {
    /// Shared secret the provider signs webhooks with; webhooks are refused without one.
    pub webhook_secret: Option<Secret>,
    /// Delay the sandbox provider adds to every call (tests of slow providers).
    pub sandbox_latency_ms: u64,
    /// Share of sandbox calls that fail as if the provider were down (0 to 1).
    pub sandbox_failure_rate: f64,
}

pub type Settings = ServiceSettings<PaymentExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50055, 9105)
}
