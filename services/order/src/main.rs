//! order service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_order::SERVICE, shop_order::default_settings(), shop_order::build).await
}
