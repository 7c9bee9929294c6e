//! Commerce in fleet mode, on real RabbitMQ, Redis and the MongoDB stand-in with real gRPC
//! between the services: the scenarios of `shop_e2e::commerce`, and the faults — payment
//! killed mid-checkout, the broker cut off during checkout, Redis cut off under carts.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use shop_e2e::{
    commerce::{self, Shop, add_to_cart, checkout, customer, invariants, orders_of, product_with_stock, vendor},
    fleet::{Fleet, Options},
};
use shop_messaging::{BusSettings, Envelope, EventBus, EventHandler, RabbitBus};
use shop_test_support::{amqp_url, proxy::Proxy, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_checks_out_without_overselling_or_charging_twice() {
    let _one = Fleet::exclusive().await;
    let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
    let shop = Shop::new(&fleet.api, fleet.admin().await, &fleet.services());
    commerce::checkout_and_lifecycle(&shop).await;
    commerce::declined_payment_is_compensated(&shop).await;
    commerce::one_key_one_order(&shop).await;
    commerce::no_oversell(&shop, 200).await;
    fleet.stop(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_end_paid_or_cancelled_when_payment_dies_mid_checkout() {
    let _one = Fleet::exclusive().await;
    let options = Options {
        env: vec![
            // Every charge is still with the provider when payment is killed.
            ("payment", "SHOP_SANDBOX_LATENCY_MS", "1500".to_owned()),
            ("order", "SHOP_CHECKOUT_TIMEOUT_SECS", "30".to_owned()),
        ],
        no_demo_data: true,
        ..Options::default()
    };
    let mut fleet = Fleet::start(options).await;
    let (api, admin) = (fleet.api.clone(), fleet.admin().await);
    let seller = vendor(&api, &admin).await;
    let sku = product_with_stock(&api, &seller, 1999, 20).await;
    let buyers = futures::future::join_all((0..10).map(|_| customer(&api))).await;
    futures::future::join_all(buyers.iter().map(|b| add_to_cart(&api, b, &sku, 1))).await;
    let keys: Vec<String> = buyers.iter().map(|_| commerce::key()).collect();

    let checkouts = futures::future::join_all(buyers.iter().zip(&keys).map(|(b, k)| checkout(&api, b, k, "tok_visa")));
    let kill = async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        fleet.kill("payment");
    };
    let (replies, ()) = tokio::join!(checkouts, kill);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 503), "every charge was cut off: {statuses:?}");
    fleet.restart("payment").await;

    // Half the customers try again with the same key: their checkout resumes and is paid.
    let retries = buyers.iter().zip(&keys).take(5).map(|(buyer, key)| checkout(&api, buyer, key, "tok_visa"));
    for again in futures::future::join_all(retries).await {
        assert_eq!(again.status, 201, "{}", again.text);
        assert_eq!(again.body["status"], "paid");
    }
    // The others' checkouts are cancelled by order's recovery loop.
    let settled = shop_test_support::eventually(Duration::from_secs(90), || async {
        orders_of(&api, &admin, &sku).await.iter().all(|o| matches!(o["status"].as_str(), Some("paid" | "cancelled")))
    })
    .await;
    assert!(settled, "orders left mid-checkout: {:?}", orders_of(&api, &admin, &sku).await);
    let orders = orders_of(&api, &admin, &sku).await;
    assert_eq!(orders.iter().filter(|o| o["status"] == "paid").count(), 5);
    assert_eq!(orders.iter().filter(|o| o["status"] == "cancelled").count(), 5);
    let shop = Shop::new(&api, admin.clone(), &fleet.services());
    invariants(&shop, &seller, &sku, 20).await;
    fleet.stop(&[]);
}

/// Collects the order ids of `order.paid` events.
#[derive(Default)]
struct Paid(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl EventHandler for Paid {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let order = <shop_proto::events::v1::OrderEvent as prost::Message>::decode(event.payload.as_slice())?;
        self.0.lock().unwrap().push(order.order_id);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkouts_go_on_while_the_broker_is_down_and_their_events_follow() {
    let _one = Fleet::exclusive().await;
    let broker = Proxy::start(amqp_url().split('@').nth(1).unwrap().split('/').next().unwrap(), true).await;
    let through_proxy = format!("amqp://guest:guest@127.0.0.1:{}/%2f", broker.port);
    let fleet = Fleet::start(Options { amqp_url: Some(through_proxy), no_demo_data: true, ..Options::default() }).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let seller = vendor(api, &admin).await;
    let sku = product_with_stock(api, &seller, 2999, 10).await;

    let bus = RabbitBus::new(&amqp_url(), BusSettings::default());
    let paid = Arc::new(Paid::default());
    let consumer = unique("paid_listener");
    let subscription = bus.subscribe(&consumer, &["order.paid"], paid.clone()).await.unwrap();

    broker.down();
    let mut placed = Vec::new();
    for _ in 0..3 {
        let buyer = customer(api).await;
        add_to_cart(api, &buyer, &sku, 1).await;
        let order = checkout(api, &buyer, &commerce::key(), "tok_visa").await;
        assert_eq!(order.status, 201, "checkout needs no broker: {}", order.text);
        placed.push(order.body["id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(paid.0.lock().unwrap().is_empty(), "nothing is published while the broker is away");

    broker.up();
    let delivered = shop_test_support::eventually(Duration::from_secs(60), || async {
        let seen = paid.0.lock().unwrap();
        placed.iter().all(|id| seen.contains(id))
    })
    .await;
    assert!(delivered, "order.paid of {placed:?}; seen {:?}", paid.0.lock().unwrap());
    subscription.stop().await;
    bus.remove_consumer(&consumer).await.unwrap();
    let shop = Shop::new(api, admin.clone(), &fleet.services());
    invariants(&shop, &seller, &sku, 10).await;
    fleet.stop(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carts_checkouts_and_sign_in_answer_503_while_redis_is_away_and_recover_when_it_returns() {
    let _one = Fleet::exclusive().await;
    let redis = shop_test_support::redis_url();
    let target = redis.trim_start_matches("redis://").trim_end_matches('/').to_owned();
    let cache = Proxy::start(&target, true).await;
    let through_proxy = format!("redis://127.0.0.1:{}/", cache.port);
    let options = Options {
        env: vec![
            ("order", "SHOP_BACKENDS__REDIS_URL", through_proxy.clone()),
            ("gateway", "SHOP_BACKENDS__REDIS_URL", through_proxy),
        ],
        no_demo_data: true,
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let seller = vendor(api, &admin).await;
    let sku = product_with_stock(api, &seller, 1500, 5).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 1).await;

    cache.down();
    // The proxy notices its open connections are to be cut within 20 ms.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cart = api.get("/api/v1/cart", Some(&buyer)).await;
    let order = checkout(api, &buyer, &commerce::key(), "tok_visa").await;
    for reply in [&cart, &order] {
        assert_eq!(reply.status, 503, "a dependency that is away is not a server error: {}", reply.text);
        assert!(reply.headers.contains_key("retry-after"), "{:?}", reply.headers);
        assert_eq!(reply.body["code"], "service_unavailable");
    }
    // Sign-in fails closed without its limiter; browsing goes on without the others.
    let login = api.login(shop_e2e::fleet::ADMIN_EMAIL, shop_e2e::fleet::ADMIN_PASSWORD).await;
    assert_eq!(login.status, 503, "no sign-in without its limiter: {}", login.text);
    assert!(login.headers.contains_key("retry-after"), "{:?}", login.headers);
    let browse = api.get("/api/v1/products?q=kettle", None).await;
    assert_eq!(browse.status, 200, "browsing needs no limiter: {}", browse.text);

    cache.up();
    let back = shop_test_support::eventually(Duration::from_secs(10), || async {
        api.get("/api/v1/cart", Some(&buyer)).await.status == 200
    })
    .await;
    assert!(back, "the cart is served again once Redis is back");
    let order = checkout(api, &buyer, &commerce::key(), "tok_visa").await;
    assert_eq!(order.status, 201, "{}", order.text);
    let shop = Shop::new(api, admin.clone(), &fleet.services());
    invariants(&shop, &seller, &sku, 5).await;
    fleet.stop(&[]);
}
