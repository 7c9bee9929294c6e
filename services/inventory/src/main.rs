//! inventory service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_inventory::SERVICE, shop_inventory::default_settings(), shop_inventory::build)
        .await
}
