//! notification service binary (fleet mode).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_service_kit::frame::main(
        shop_notification::SERVICE,
        shop_notification::default_settings(),
        shop_notification::build,
    )
    .await
}
