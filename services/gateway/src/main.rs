//! Gateway binary.

use shop_gateway::{Gateway, GatewaySettings, SERVICE};
use shop_platform::{Shutdown, settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: GatewaySettings = settings::load(SERVICE, &GatewaySettings::default())?;
    let _telemetry = telemetry::init(SERVICE, &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    Gateway::build(settings).await?.run(shutdown).await
}
