//! payment service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_messaging::service::main(shop_payment::SERVICE, shop_payment::default_settings(), shop_payment::build).await
}
