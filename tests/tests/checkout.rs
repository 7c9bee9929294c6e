//! Commerce on the all-in-one platform: the scenarios of `shop_e2e::commerce`.

use shop_e2e::{
    Running,
    commerce::{self, Shop, token},
    services::Services,
};

/// The platform with sign-in limits out of the way: these tests register many customers
/// from one address.
async fn platform() -> (Running, String) {
    let app = Running::start_with(&shop_e2e::unthrottled()).await;
    let admin = token(&app.api, "admin@shop.local", "admin-demo-password").await;
    (app, admin)
}

fn shop<'a>(app: &'a Running, admin: &str) -> Shop<'a> {
    Shop::new(&app.api, admin.to_owned(), &Services::of(&app.platform))
}

#[tokio::test]
async fn a_customer_checks_out_sees_only_own_orders_and_cancels_with_a_refund() {
    let (app, admin) = platform().await;
    commerce::checkout_and_lifecycle(&shop(&app, &admin)).await;
    app.stop().await;
}

#[tokio::test]
async fn a_declined_card_is_402_with_the_stock_given_back() {
    let (app, admin) = platform().await;
    commerce::declined_payment_is_compensated(&shop(&app, &admin)).await;
    app.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_checkouts_with_one_key_make_one_order() {
    let (app, admin) = platform().await;
    commerce::one_key_one_order(&shop(&app, &admin)).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_customers_racing_for_ten_units_make_ten_orders() {
    let (app, admin) = platform().await;
    commerce::no_oversell(&shop(&app, &admin), 200).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_a_ship_never_refunds_a_shipped_order() {
    let (app, admin) = platform().await;
    commerce::cancel_races_ship(&shop(&app, &admin), 30).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_racing_a_ship_restocks_only_what_never_shipped() {
    let (app, admin) = platform().await;
    commerce::refund_races_ship(&shop(&app, &admin), 30).await;
    app.stop().await;
}
