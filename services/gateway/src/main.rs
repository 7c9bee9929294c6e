//! Gateway binary.

use shop_gateway::{Gateway, GatewaySettings, SERVICE};
use shop_platform::{Shutdown, probe, settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `shop-gateway openapi`: the REST contract, for the web app's typed client.
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        println!("{}", shop_gateway::openapi::document().to_pretty_json()?);
        return Ok(());
    }
    let settings: GatewaySettings = settings::load(SERVICE, &GatewaySettings::default())?;
    if probe::asked() {
        std::process::exit(if probe::http_ok(probe::dial(&settings.http), "/readyz").await { 0 } else { 1 });
    }
    let _telemetry = telemetry::init(SERVICE, &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    Gateway::build(settings).await?.run(shutdown).await
}
