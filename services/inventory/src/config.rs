//! Inventory's settings: the common service settings (it has none of its own).

use shop_service_kit::ServiceSettings;

use crate::SERVICE;

pub type Settings = ServiceSettings;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50053, 9103)
}
