//! analytics service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_analytics::SERVICE, shop_analytics::default_settings(), shop_analytics::build)
        .await
}
