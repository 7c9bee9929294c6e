//! Catalog service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_catalog::SERVICE, shop_catalog::default_settings(), shop_catalog::build).await
}
