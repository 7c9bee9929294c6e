//! payment service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(shop_payment::SERVICE, shop_payment::default_settings(), shop_payment::build).await
}
