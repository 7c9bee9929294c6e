//! identity service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_identity::SERVICE, shop_identity::default_settings(), shop_identity::build).await
}
