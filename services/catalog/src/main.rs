//! Catalog service binary (fleet mode).

use shop_catalog::{Application, SERVICE, Settings};
use shop_messaging::InProcessBus;
use shop_platform::{Shutdown, settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = settings::load(SERVICE)?;
    let _telemetry = telemetry::init(SERVICE, &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    let app = Application::build(settings, &InProcessBus::default(), shutdown).await?;
    app.run().await;
    Ok(())
}
