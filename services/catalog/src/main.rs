//! Catalog service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_messaging::service::main(shop_catalog::SERVICE, shop_catalog::default_settings(), shop_catalog::build).await
}
