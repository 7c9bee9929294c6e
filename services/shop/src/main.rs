//! `cargo run --release`: the whole platform in one process, ready to explore.

use shop::{Settings, start};
use shop_platform::{Shutdown, settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = settings::load("shop", &Settings::default())?;
    let _telemetry = telemetry::init("shop", &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    let platform = start(&settings, shutdown).await?;
    let url = format!("http://{}", platform.gateway_addr);
    println!("\nShop is running at {url}");
    println!("  admin:      {url}/admin");
    println!("  readiness:  {url}/readyz");
    println!("  API docs:   {url}/api/openapi.json");
    println!("  a product:  {url}/api/v1/products/{}", shop_catalog::seed::demo_product_id(1));
    if settings.demo_data && settings.is_local() {
        println!("Demo accounts (email / password):");
        for (email, password, role, ..) in shop_identity::seed::DEMO_ACCOUNTS {
            println!("  {:<9} {email} / {password}", role.as_str());
        }
    }
    println!("Press Ctrl-C to stop.\n");
    platform.stopped().await
}
