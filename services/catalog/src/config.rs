//! Catalog settings (defaults → `config/catalog.toml` → `SHOP_…` environment).

use serde::{Deserialize, Serialize};
use shop_messaging::BusSettings;
use shop_platform::settings::{BackendSettings, Listen, TelemetrySettings};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub grpc: Listen,
    pub metrics: Listen,
    pub backends: BackendSettings,
    pub bus: BusSettings,
    pub telemetry: TelemetrySettings,
    /// Fill an empty catalog with demo products at start-up.
    pub seed_demo_data: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            grpc: Listen::any(50052),
            metrics: Listen::any(9102),
            backends: BackendSettings::embedded("catalog"),
            bus: BusSettings::default(),
            telemetry: TelemetrySettings::default(),
            seed_demo_data: false,
        }
    }
}
